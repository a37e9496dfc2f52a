"""The typical mistakes of 05-sampling, 05-kl, 05-prior-samples
(course_utils/exercises/variational_autoencoders.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake


def _sampling_mistake(body: str) -> str:
    return (
        "class MySampling(layers.Layer):\n"
        "    def call(self, inputs):\n"
        "        z_mean, z_log_var = inputs\n" + "".join(f"        {line}\n" for line in body.strip().splitlines())
    )


MISTAKES = {
    "05-sampling": (
        Mistake(
            _sampling_mistake("eps = keras.random.normal(ops.shape(z_mean))\nreturn z_mean + ops.exp(z_log_var) * eps"),
            "exp(log_var)",
            "used the variance exp(log_var) instead of the standard deviation exp(0.5 * log_var)",
        ),
        Mistake(
            _sampling_mistake("return z_mean + ops.exp(0.5 * z_log_var)"),
            "no randomness",
            "forgot eps: the layer is deterministic",
        ),
        Mistake(
            _sampling_mistake(
                "eps = keras.random.normal((ops.shape(z_mean)[0], 1))\nreturn z_mean + ops.exp(0.5 * z_log_var) * eps"
            ),
            "same noise for every latent unit",
            "one eps per image, broadcast over the latent units",
        ),
        Mistake(
            _sampling_mistake(
                "eps = keras.random.normal(ops.shape(z_mean))\nreturn z_mean + np.exp(0.5 * np.asarray(z_log_var)) * eps"
            ),
            "no gradient",
            "NumPy inside the layer cuts the gradient",
        ),
    ),
    "05-kl": (
        Mistake(
            "def my_kl(z_mean, z_log_var):\n"
            "    return 0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)",
            "negative",
            "wrong sign",
        ),
        Mistake(
            "def my_kl(z_mean, z_log_var):\n"
            "    return -ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)",
            "twice",
            "forgot the factor 1/2",
        ),
        Mistake(
            "def my_kl(z_mean, z_log_var):\n"
            "    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))",
            "one number for the whole batch",
            "summed over the batch too",
        ),
        Mistake(
            "def my_kl(z_mean, z_log_var):\n"
            "    return -0.5 * ops.mean(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)",
            "averaged over the latent units",
            "mean instead of sum over units",
        ),
    ),
    "05-prior-samples": (
        Mistake(
            "def sample_digits(decoder, n=16):\n"
            "    z = np.random.uniform(size=(n, decoder.input_shape[-1])).astype('float32')\n"
            "    return decoder.predict(z, verbose=0)",
            "uniform",
            "drew the codes from a uniform distribution on [0, 1)",
        ),
        Mistake(
            "def sample_digits(decoder, n=16):\n"
            "    z = np.random.normal(size=(n,)).astype('float32')\n"
            "    return decoder.predict(z, verbose=0)",
            "codes shaped (n, latent_dim)",
            "one number per image instead of one code of latent_dim numbers",
        ),
        Mistake(
            "def sample_digits(decoder, n=16):\n"
            "    return np.random.normal(size=(n, decoder.input_shape[-1])).astype('float32')",
            "not the decoded images",
            "returned the codes, forgot to decode them",
        ),
        Mistake(
            "def sample_digits(decoder, n=16):\n"
            "    z = np.random.normal(size=(n, 8)).astype('float32')\n"
            "    return decoder.predict(z, verbose=0)",
            "codes shaped (n, latent_dim)",
            "hard-coded the latent size of one model",
        ),
    ),
}

"""Exercises of lesson 05 (notebooks/05_variational_autoencoders.ipynb).

* ``05-sampling`` — write the reparameterisation as a Keras layer (``MySampling``);
* ``05-kl`` — write the KL term of one image's Gaussian against the prior N(0, I);
* ``05-prior-samples`` — draw codes from the prior and decode them (``sample_digits``).

The checks look at behaviour only: shapes, the mean and spread of many random draws, whether a
gradient flows, values against the formula computed on the spot.  They train nothing and take
well under a second once Keras is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, exercise
from ._keras import keras_context


def _numpy(value: Any) -> np.ndarray:
    """A NumPy float64 copy of an array or tensor (raises for anything else)."""
    from keras import ops

    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)


def _placeholder(value: Any) -> bool:
    return value is None or value is Ellipsis


# --------------------------------------------------------------------------------------
# 05-sampling: the reparameterisation trick as a layer
# --------------------------------------------------------------------------------------
def _sampling_solution(keras: Any, layers: Any, ops: Any) -> Any:
    class MySampling(layers.Layer):
        """z = z_mean + exp(0.5 * z_log_var) * eps with eps ~ N(0, I): one random code per image."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1)  # new noise at every call, reproducible

        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)  # one eps per image AND unit
            return z_mean + ops.exp(0.5 * z_log_var) * eps  # exp(0.5 log σ²) = σ, the standard deviation

    return MySampling


@exercise("05-sampling", "The reparameterisation trick as a Keras layer", _sampling_solution, keras_context)
def _check_sampling(fb: Feedback, MySampling: Any) -> None:
    import keras
    import tensorflow as tf

    if isinstance(MySampling, type) and issubclass(MySampling, keras.layers.Layer):
        layer = MySampling()
    elif isinstance(MySampling, keras.layers.Layer):
        layer = MySampling
    else:
        fb.stop(
            f"MySampling should be a Keras layer class, got {type(MySampling).__name__}",
            "define it with `class MySampling(layers.Layer):` and a `call(self, inputs)` method",
        )
    n, d = 4000, 4

    def run(z_mean: np.ndarray, z_log_var: np.ndarray) -> np.ndarray:
        tensors = [keras.ops.convert_to_tensor(a.astype("float32")) for a in (z_mean, z_log_var)]
        out = layer.call(tensors)
        if _placeholder(out):
            fb.stop(
                "not attempted yet: call() still returns `...`/None",
                "compute eps with keras.random.normal(...) and return z_mean + standard deviation * eps",
            )
        return _numpy(out)

    zeros = np.zeros((n, d), "float32")
    z = run(zeros, zeros)
    if z.shape != (n, d):
        fb.stop(
            f"for z_mean of shape {(n, d)} your layer returns shape {z.shape}",
            "return one code per image with z_mean's shape: eps = keras.random.normal(ops.shape(z_mean))",
        )
    fb.ok(f"returns one code per image, shape {z.shape}")
    if z.std() < 1e-6:
        fb.stop(
            f"with z_mean = 0 and z_log_var = 0 every code your layer returns is {z.flat[0]:.3g}: no randomness",
            "z = z_mean + sigma * eps needs random noise eps ~ N(0, I) (keras.random.normal)",
        )
    z_again = run(zeros, zeros)
    fb.expect(
        not np.allclose(z, z_again),
        "two calls draw different noise",
        "two calls return the same codes: no randomness between calls",
        "draw eps inside call() with a keras.random.SeedGenerator (a fixed integer seed repeats the same noise)",
    )
    corr = np.corrcoef(z[:, 0], z[:, 1])[0, 1]
    if abs(corr) > 0.5:
        fb.stop(
            f"latent units 0 and 1 move together (correlation {corr:.2f}): the same noise for every latent unit",
            "eps needs z_mean's full shape (batch, latent_dim), not (batch, 1)",
        )
    fb.ok("each latent unit gets its own noise")
    big = (np.abs(z - z.mean()) > 2 * z.std()).mean()
    fb.expect(
        0.025 < big < 0.07 and abs(z.mean()) < 0.1,
        "the noise looks standard normal (about 4.6 % of draws beyond 2 standard deviations)",
        f"the noise does not look standard normal (mean {z.mean():.2f}, {100 * big:.1f} % beyond 2 std)",
        "use keras.random.normal, not keras.random.uniform",
    )
    mean3 = run(np.full((n, d), 3.0, "float32"), zeros).mean()
    fb.expect(
        abs(mean3 - 3.0) < 0.1,
        "the codes are centred on z_mean",
        f"with z_mean = 3 your codes average {mean3:.2f}, not 3",
        "z = z_mean + sigma * eps",
    )
    spread = run(zeros, np.full((n, d), np.log(4.0), "float32")).std()  # sigma^2 = 4: sigma = 2
    if abs(spread - 4.0) < 0.3:
        fb.stop(
            f"with variance 4 your codes spread by {spread:.2f} = the variance: you used exp(log_var)",
            "the spread is the standard deviation sigma = exp(0.5 * z_log_var)",
        )
    fb.expect(
        abs(spread - 2.0) < 0.15,
        "with z_log_var = log 4 the codes spread by sigma = 2 (not by the variance 4)",
        f"with z_log_var = log 4 your codes spread by {spread:.2f}; sigma = exp(0.5 * log 4) = 2",
        "multiply eps by exp(0.5 * z_log_var)",
    )
    mu = tf.Variable(np.zeros((8, d), "float32"))
    lv = tf.Variable(np.zeros((8, d), "float32"))
    with tf.GradientTape() as tape:
        out = layer.call([mu, lv])
        total = keras.ops.sum(keras.ops.convert_to_tensor(out) ** 2)
    g_mu, g_lv = tape.gradient(total, [mu, lv])
    fb.expect(
        g_mu is not None and g_lv is not None,
        "gradients flow back to z_mean and z_log_var (the point of the trick)",
        "no gradient reaches z_mean or z_log_var through your layer",
        "compute with keras.ops (ops.exp), not NumPy, so that TensorFlow can differentiate",
    )


# --------------------------------------------------------------------------------------
# 05-kl: the KL term
# --------------------------------------------------------------------------------------
def _kl_reference(z_mean: np.ndarray, z_log_var: np.ndarray) -> np.ndarray:
    """The lesson's own ``kl_divergence`` (the formula's one home), as float64 NumPy."""
    from ..lessons.variational_autoencoders import kl_divergence

    return _numpy(kl_divergence(z_mean, z_log_var))


def _kl_solution(ops):
    def my_kl(z_mean, z_log_var):
        """KL( N(z_mean, exp(z_log_var)) || N(0, I) ) of each image: one number per row."""
        return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)

    return my_kl


@exercise("05-kl", "The KL term of the VAE loss", _kl_solution, keras_context)
def _check_kl(fb: Feedback, my_kl: Any) -> None:
    fb.require_function(my_kl, "my_kl", "(z_mean, z_log_var)")
    rng = np.random.default_rng(5)
    n, d = 6, 4
    z_mean = rng.normal(0, 1.5, size=(n, d)).astype("float32")
    z_log_var = rng.normal(0, 1.0, size=(n, d)).astype("float32")
    raw = my_kl(z_mean, z_log_var)
    if _placeholder(raw):
        fb.stop("not attempted yet: my_kl still returns `...`/None", "return the formula's value, one per image")
    kl = _numpy(raw)
    ref = _kl_reference(z_mean.astype(np.float64), z_log_var.astype(np.float64))
    if kl.ndim == 0 or kl.size == 1:
        value = float(kl.reshape(-1)[0])
        what = (
            "the sum"
            if abs(value - ref.sum()) < 1e-3 * max(1.0, abs(ref.sum()))
            else ("the mean" if abs(value - ref.mean()) < 1e-3 * max(1.0, abs(ref.mean())) else "one value")
        )
        fb.stop(
            f"my_kl returns one number for the whole batch ({what} over the {n} images), not one per image",
            "sum over the latent units only: ops.sum(..., axis=1); the VAE averages over the batch later",
        )
    if kl.shape == (n, d):
        fb.stop(
            f"my_kl returns shape {kl.shape}: one value per latent unit",
            "sum the units of each image: ops.sum(..., axis=1)",
        )
    if kl.shape != (n,):
        fb.stop(
            f"for a batch of {n} images with {d} latent units my_kl returns shape {kl.shape}, expected ({n},)",
            "one KL value per image: sum over axis=1",
        )
    fb.ok(f"one KL value per image, shape {kl.shape}")
    if np.all(kl <= 0) and np.any(kl < 0):
        fb.stop(
            "your KL values are negative; a KL divergence is never below 0",
            "KL = -1/2 · sum(1 + log σ² − μ² − σ²): note the minus sign in front",
        )
    if np.allclose(kl, 2 * ref, rtol=1e-3, atol=1e-4):
        fb.stop(
            "your values are twice the KL divergence: the factor 1/2 is missing",
            "KL = -0.5 * sum(1 + z_log_var - z_mean² - exp(z_log_var))",
        )
    if np.allclose(kl, ref / d, rtol=1e-3, atol=1e-4):
        fb.stop(
            f"your values are the KL averaged over the latent units (1/{d} of it)",
            "sum over the units (ops.sum), do not average (ops.mean)",
        )
    fb.expect(
        np.allclose(kl, ref, rtol=1e-3, atol=1e-4),
        "matches the KL formula on random means and log-variances",
        f"your values {np.round(kl[:3], 3)} ... differ from the formula's {np.round(ref[:3], 3)} ...",
        "KL = -0.5 * sum over units of (1 + z_log_var - z_mean**2 - exp(z_log_var))",
    )
    at_prior = _numpy(my_kl(np.zeros((2, d), "float32"), np.zeros((2, d), "float32")))
    fb.expect(
        at_prior.shape == (2,) and np.allclose(at_prior, 0.0, atol=1e-5),
        "is 0 when q(z|x) is the prior itself (mean 0, variance 1)",
        f"at z_mean = 0, z_log_var = 0 your KL is {np.round(at_prior, 4)}, not 0",
        "the +1 inside the bracket cancels exp(0) = 1",
    )


# --------------------------------------------------------------------------------------
# 05-prior-samples: generate new digits
# --------------------------------------------------------------------------------------
_PROBE_LATENT = 3


def _probe_decoder() -> Any:
    """A linear "decoder" whose first outputs repeat the code, so that the check sees the student's codes."""
    import keras
    from keras import layers

    z = keras.Input(shape=(_PROBE_LATENT,), name="z")
    kernel = np.zeros((_PROBE_LATENT, 784), "float32")
    kernel[np.arange(_PROBE_LATENT), np.arange(_PROBE_LATENT)] = 1.0
    out = layers.Dense(784, use_bias=False, kernel_initializer=keras.initializers.Constant(kernel), name="pixels")(z)
    return keras.Model(z, out, name="probe_decoder")


def _prior_samples_solution(np):
    def sample_digits(decoder, n=16):
        """Decode n codes drawn from the prior N(0, I): n brand-new images."""
        latent_dim = decoder.input_shape[-1]  # 8 for vae8's decoder
        z = np.random.normal(size=(n, latent_dim)).astype("float32")  # n codes from the prior
        return decoder.predict(z, verbose=0)  # shape (n, 784)

    return sample_digits


@exercise("05-prior-samples", "Sample new digits from the prior", _prior_samples_solution, keras_context)
def _check_prior_samples(fb: Feedback, sample_digits: Any) -> None:
    fb.require_function(sample_digits, "sample_digits", "(decoder, n=16)")
    probe = _probe_decoder()
    hint_shape = (
        f"the decoder takes codes shaped (n, latent_dim) — here ({{n}}, {_PROBE_LATENT}); "
        "read latent_dim from decoder.input_shape[-1] instead of writing a number"
    )

    def run(n: int) -> np.ndarray:
        try:
            out = sample_digits(probe, n)
        except Exception as err:  # the student's code failed: say why, as specifically as we can
            text = str(err).strip().splitlines()[0][:160] if str(err).strip() else ""
            fb.stop(
                f"sample_digits(decoder, {n}) on a decoder with a {_PROBE_LATENT}-d latent space raised "
                f"{type(err).__name__}: {text}",
                hint_shape.format(n=n),
            )
        if _placeholder(out):
            fb.stop(
                "not attempted yet: sample_digits still returns `...`/None",
                "draw z from N(0, I) and return decoder.predict(z, verbose=0)",
            )
        return _numpy(out)

    small = run(16)
    if small.ndim >= 1 and small.shape[0] == 16 and small.reshape(16, -1).shape[1] == _PROBE_LATENT:
        fb.stop(
            f"sample_digits returns shape {small.shape}: these are the codes, not the decoded images",
            "pass the codes through the decoder: decoder.predict(z, verbose=0)",
        )
    if small.ndim < 1 or small.shape[0] != 16 or small.reshape(len(small), -1).shape[1] != 784:
        fb.stop(
            f"sample_digits(decoder, 16) returns shape {small.shape}, expected 16 images of 784 pixels (16, 784)",
            "one code per image: z of shape (n, latent_dim), then decode all of them at once",
        )
    fb.ok("returns n = 16 decoded images of 784 pixels")
    big = run(2000).reshape(2000, -1)
    if not np.allclose(big[:, _PROBE_LATENT:], 0.0, atol=1e-5):
        fb.stop(
            "the images you return are not the decoder's output for your codes",
            "return decoder.predict(z) (or decoder(z)) unchanged",
        )
    z = big[:, :_PROBE_LATENT]
    if z.min() >= 0 and abs(z.mean() - 0.5) < 0.1:
        fb.stop(
            f"your codes are all >= 0 with mean {z.mean():.2f}: that is a uniform distribution on [0, 1)",
            "the prior is the standard normal N(0, I): np.random.normal(size=(n, latent_dim))",
        )
    beyond = np.mean(np.abs(z) > 2)
    fb.expect(
        abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1 and 0.025 < beyond < 0.07,
        "the codes look like draws from N(0, I) (mean 0, standard deviation 1, Gaussian tails)",
        f"your codes have mean {z.mean():.2f}, standard deviation {z.std():.2f} and {100 * beyond:.1f} % "
        "beyond ±2 — not the standard normal prior",
        "z = np.random.normal(size=(n, latent_dim)): mean 0 and variance 1 in every unit",
    )
    fb.expect(
        len(np.unique(np.round(z, 5), axis=0)) > 1990,
        "every image gets its own code",
        "many of your images share the same code",
        "draw n different codes, one row per image",
    )

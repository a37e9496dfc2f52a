"""Exercise of lesson 05 (notebooks/05_variational_autoencoders.ipynb) where the student writes the VAE's
training step:

* ``05-train-step`` — a ``keras.Model`` subclass ``MyVAE`` whose ``train_step`` computes the
  reconstruction loss and the KL term under ``tf.GradientTape`` and applies the gradients.

The check runs the student's class on small probe models: one step on a fixed batch (the reported
losses against the formulas, weights updated), one step with a decoder that ignores the code (then
only the KL term moves the encoder: it must pull the codes towards the prior), and a few epochs of
``fit`` on a few hundred digits (the VAE's loss, computed independently, must fall).  About two
seconds once Keras is imported; TensorFlow is imported inside the checker only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import Feedback, exercise, is_missing

_LATENT = 2
_KEYS = ("loss", "reconstruction_loss", "kl_loss")


def _context() -> dict[str, Any]:
    import keras
    import tensorflow as tf
    from keras import layers, ops

    from ..lessons.variational_autoencoders import kl_divergence

    return {"np": np, "keras": keras, "layers": layers, "ops": ops, "tf": tf, "kl_divergence": kl_divergence}


# --------------------------------------------------------------------------------------
# the worked solution (a function of context names)
# --------------------------------------------------------------------------------------
def _solution(keras: Any, tf: Any, ops: Any, kl_divergence: Any) -> Any:
    class MyVAE(keras.Model):
        """encoder(x) -> [z_mean, z_log_var, z]; decoder(z) -> x_hat; trained with fit(x)."""

        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder

        def train_step(self, data):
            x = data[0] if isinstance(data, tuple) else data  # fit(x) may pass (x,)
            with tf.GradientTape() as tape:  # records every operation on the weights
                z_mean, z_log_var, z = self.encoder(x)
                x_hat = self.decoder(z)
                # BCE of each pixel, summed over the 784 pixels of an image, averaged over the batch
                reconstruction = ops.mean(ops.sum(ops.binary_crossentropy(x, x_hat), axis=1))
                kl = ops.mean(kl_divergence(z_mean, z_log_var))  # one KL per image, averaged over the batch
                total = reconstruction + kl  # the negative ELBO (beta = 1)
            grads = tape.gradient(total, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl}

    return MyVAE


# --------------------------------------------------------------------------------------
# probe models and the reference loss
# --------------------------------------------------------------------------------------
def _probe_models(seed: int, *, blind_decoder: bool = False, mean_offset: float = 0.0) -> tuple[Any, Any]:
    """A small dense encoder -> [z_mean, z_log_var, z = z_mean] (no noise: the losses are reproducible)
    and a decoder -> 784 sigmoid pixels.  ``blind_decoder``: a decoder whose output ignores the code
    (a frozen zero kernel), so that only the KL term can move the encoder."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    x_in = keras.Input(shape=(784,))
    h = layers.Dense(16, activation="relu")(x_in)
    z_mean = layers.Dense(_LATENT, bias_initializer=keras.initializers.Constant(mean_offset))(h)
    z_log_var = layers.Dense(_LATENT, bias_initializer=keras.initializers.Constant(-0.5))(h)
    z = layers.Identity()(z_mean)
    encoder = keras.Model(x_in, [z_mean, z_log_var, z], name="probe_encoder")
    z_in = keras.Input(shape=(_LATENT,))
    if blind_decoder:
        out = layers.Dense(784, activation="sigmoid", kernel_initializer="zeros", trainable=False)(z_in)
    else:
        out = layers.Dense(784, activation="sigmoid")(layers.Dense(16, activation="relu")(z_in))
    return encoder, keras.Model(z_in, out, name="probe_decoder")


def _reference(encoder: Any, decoder: Any, x: np.ndarray) -> tuple[float, float]:
    """(reconstruction, KL) of the batch x, each averaged over the images, in nats per image."""
    from keras import ops

    from ..lessons.variational_autoencoders import kl_divergence

    z_mean, z_log_var, z = encoder(x)
    x_hat = ops.convert_to_numpy(decoder(z)).astype(np.float64)
    p = np.clip(x_hat, 1e-7, 1 - 1e-7)
    xx = x.astype(np.float64)
    reconstruction = float(np.mean(np.sum(-(xx * np.log(p) + (1 - xx) * np.log(1 - p)), axis=1)))
    kl = float(np.mean(ops.convert_to_numpy(kl_divergence(z_mean, z_log_var))))
    return reconstruction, kl


def _weights(model: Any) -> list[np.ndarray]:
    from keras import ops

    return [ops.convert_to_numpy(w).copy() for w in model.weights]


def _close(a: float, b: float, rel: float = 2e-3) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-4)


@exercise("05-train-step", "The VAE's loss inside train_step", _solution, _context)
def _check_train_step(fb: Feedback, MyVAE: Any) -> None:
    import keras

    from .mnist_autoencoder import _tiny_digits

    if not (isinstance(MyVAE, type) and issubclass(MyVAE, keras.Model)):
        fb.stop(
            f"MyVAE should be a class that subclasses keras.Model, got {type(MyVAE).__name__}",
            "define it with `class MyVAE(keras.Model):` and a `train_step(self, data)` method",
        )
    x_train, x_val, _ = _tiny_digits()
    batch = x_val[:64]

    def one_step(encoder: Any, decoder: Any, optimizer: Any) -> tuple[Any, dict[str, Any]]:
        vae = MyVAE(encoder, decoder)
        vae.compile(optimizer=optimizer)
        logs = vae.train_step(keras.ops.convert_to_tensor(batch))
        if not isinstance(logs, dict) or not set(_KEYS) <= set(logs):
            fb.stop(
                f"train_step should return a dict with the keys {', '.join(_KEYS)}, got "
                f"{sorted(logs) if isinstance(logs, dict) else type(logs).__name__}",
                'end train_step with `return {"loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl}`',
            )
        if any(is_missing(logs[k]) for k in _KEYS):
            fb.stop(
                "not attempted yet: train_step still returns `...` for "
                + ", ".join(k for k in _KEYS if is_missing(logs[k])),
                "fill in reconstruction, kl and total inside the GradientTape block, then apply the gradients",
            )
        return vae, {k: float(np.asarray(keras.ops.convert_to_numpy(logs[k])).mean()) for k in _KEYS}

    # 1. one step on a fixed batch: the reported losses against the formulas, computed before the step
    encoder, decoder = _probe_models(0)
    ref_rec, ref_kl = _reference(encoder, decoder, batch)
    before = _weights(encoder) + _weights(decoder)
    _, logs = one_step(encoder, decoder, keras.optimizers.Adam(1e-3))
    rec, kl = logs["reconstruction_loss"], logs["kl_loss"]
    if _close(rec, ref_rec):
        fb.ok(f"reconstruction loss {rec:.1f} nats per image: BCE summed over the pixels, averaged over the batch")
    elif _close(rec, ref_rec / 784):
        fb.fail(
            f"your reconstruction loss ({rec:.4f}) is the BCE averaged over the 784 pixels; the VAE's loss sums "
            f"them ({ref_rec:.1f} nats per image), otherwise the KL term outweighs it 784-fold",
            "reconstruction = ops.mean(ops.sum(ops.binary_crossentropy(x, x_hat), axis=1))",
        )
    else:
        fb.fail(
            f"your reconstruction loss is {rec:.4f}; BCE summed over the pixels and averaged over the batch "
            f"gives {ref_rec:.4f}",
            "compare x with x_hat = self.decoder(z): ops.mean(ops.sum(ops.binary_crossentropy(x, x_hat), axis=1))",
        )
    if _close(kl, ref_kl):
        fb.ok(f"KL term {kl:.3f} nats per image, averaged over the batch")
    elif _close(kl, -ref_kl):
        fb.stop(
            f"your KL term is {kl:.3f}, negative: the sign is wrong (a KL divergence is never below 0)",
            "kl = ops.mean(kl_divergence(z_mean, z_log_var)): the formula already has its -1/2 in front",
        )
    elif _close(kl, ref_kl * len(batch)):
        fb.stop(
            f"your KL term ({kl:.2f}) is summed over the batch of {len(batch)} images; the reconstruction is "
            f"averaged over it ({kl / len(batch):.3f} per image)",
            "average both terms over the batch: ops.mean(kl_divergence(z_mean, z_log_var))",
        )
    else:
        fb.stop(
            f"your KL term is {kl:.4f}; the mean over the batch of kl_divergence(z_mean, z_log_var) is {ref_kl:.4f}",
            "kl = ops.mean(kl_divergence(z_mean, z_log_var))",
        )
    if not _close(logs["loss"], rec + kl):
        fb.fail(
            f"the loss you report ({logs['loss']:.3f}) is not reconstruction + KL ({rec + kl:.3f})",
            "total = reconstruction + kl",
        )
    after = _weights(encoder) + _weights(decoder)
    if all(np.array_equal(a, b) for a, b in zip(before, after)):
        fb.stop(
            "after one train_step the weights did not change: the gradients were never applied",
            "after the `with` block: grads = tape.gradient(total, self.trainable_weights); "
            "self.optimizer.apply_gradients(zip(grads, self.trainable_weights))",
        )
    fb.ok("one train_step updates the weights")

    # 2. a decoder that ignores the code: only the KL term can move the encoder
    encoder, decoder = _probe_models(1, blind_decoder=True, mean_offset=1.5)
    kl_before = _reference(encoder, decoder, batch)[1]
    one_step(encoder, decoder, keras.optimizers.SGD(0.01))  # a small plain step: no overshoot
    kl_after = _reference(encoder, decoder, batch)[1]
    if kl_after > kl_before + 1e-4:
        fb.stop(
            f"when the decoder ignores the code, one step moves the codes away from the prior (KL {kl_before:.3f} -> "
            f"{kl_after:.3f}): the KL term enters your loss with the wrong sign",
            "minimise reconstruction + kl, with kl = ops.mean(kl_divergence(z_mean, z_log_var)) >= 0",
        )
    if abs(kl_after - kl_before) <= 1e-4:
        fb.stop(
            "when the decoder ignores the code, one step leaves the encoder unchanged: the KL term is not in the "
            "loss you differentiate",
            "total = reconstruction + kl, and tape.gradient(total, ...) — computed inside the `with` block",
        )
    fb.ok(f"the KL term pulls the codes towards the prior N(0, I) (KL {kl_before:.3f} -> {kl_after:.3f} in one step)")

    # 3. fit for a few epochs: the VAE's loss on held-out digits falls
    encoder, decoder = _probe_models(2)
    start = sum(_reference(encoder, decoder, x_val))
    vae = MyVAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(x_train, epochs=3, batch_size=64, verbose=0)
    end = sum(_reference(encoder, decoder, x_val))
    fb.expect(
        end < start,
        f"fit(x) for 3 epochs on {len(x_train)} digits: the loss on {len(x_val)} other digits falls from "
        f"{start:.1f} to {end:.1f} nats per image",
        f"after 3 epochs of fit(x) the loss on held-out digits did not fall ({start:.1f} -> {end:.1f})",
        "minimise total = reconstruction + kl; check that train_step works inside fit (it receives a batch x)",
    )

"""Autoencoder model builders (Keras 3): dense, convolutional, denoising and variational.

Taught in: 01_background (dense and linear autoencoders, PCA), 02_mnist_autoencoder
(the seed's MNIST model, deep / convolutional / sparse / overcomplete variants),
03_breast_cancer_autoencoder (the seed's 30-15-7-15-30 model), 04_medical_image_denoising
(the convolutional denoiser) and 05_variational_autoencoders (the VAE).

Every builder returns a model whose ``encoder`` and ``decoder`` attributes are Keras
models that *share* its weights: training the autoencoder trains them, so
``model.encoder.predict(x)`` gives the codes of a trained model.  All models save to and
load from ``.keras`` files (``model.save("ae.keras")``; ``keras.models.load_model``)
without ``custom_objects`` once this module has been imported.

Nonsensical arguments (a code size of 0, a negative L1 weight, an image that cannot be
halved ``len(filters)`` times, an unknown activation or loss ...) raise ``ValueError``
with a message that says what was expected.

Public API
----------
Autoencoder, VAE, Sampling, ResidualOutput (Keras classes)
build_dense_autoencoder, build_conv_autoencoder, build_conv_denoiser, build_vae
count_params, CUSTOM_OBJECTS
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from ._checks import input_shape as check_input_shape
from ._checks import is_int, non_negative_float, positive_int, sizes
from ._checks import seed as check_seed
from .schedules import WarmupStableDecay

__all__ = [
    "Autoencoder",
    "VAE",
    "Sampling",
    "ResidualOutput",
    "build_dense_autoencoder",
    "build_conv_autoencoder",
    "build_conv_denoiser",
    "build_vae",
    "count_params",
    "CUSTOM_OBJECTS",
]

_PACKAGE = "course_utils"
_RECONSTRUCTION_LOSSES = ("binary_crossentropy", "bce", "mse", "mean_squared_error")


# --------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------
def _activation(name: str, value: Any) -> Any:
    """Check that ``value`` names a Keras activation (or is a callable); return it unchanged."""
    if value is None or callable(value):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an activation name such as 'relu' or a callable, got {value!r}")
    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"unknown activation {value!r} for {name}: expected a Keras activation name such as "
            "'relu', 'sigmoid', 'tanh', 'elu', 'gelu', 'softplus' or 'linear', or a callable"
        ) from None
    return value


def _loss(value: Any) -> Any:
    if callable(value):
        return value
    if not isinstance(value, str):
        raise ValueError(f"loss must be a Keras loss name such as 'mse' or a callable, got {value!r}")
    try:
        keras.losses.get(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"unknown loss {value!r}: expected a Keras loss name such as 'binary_crossentropy', "
            "'mse' or 'mae', or a callable"
        ) from None
    return value


def _optimizer(optimizer: Any, learning_rate: Any) -> keras.optimizers.Optimizer:
    """A fresh optimizer from a name (``'adam'``) or an instance, with an optional learning rate."""
    if learning_rate is not None and not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        if (
            not isinstance(learning_rate, numbers.Real)
            or isinstance(learning_rate, bool)
            or not math.isfinite(learning_rate)
            or learning_rate <= 0
        ):
            raise ValueError(
                f"learning_rate must be a positive number or a LearningRateSchedule, got {learning_rate!r}"
            )
        learning_rate = float(learning_rate)
    if isinstance(optimizer, keras.optimizers.Optimizer):
        if learning_rate is not None:
            config = optimizer.get_config()
            config["learning_rate"] = learning_rate
            return optimizer.__class__.from_config(config)
        return optimizer
    if not isinstance(optimizer, str):
        raise ValueError(f"optimizer must be a Keras optimizer name such as 'adam' or an instance, got {optimizer!r}")
    try:
        opt = keras.optimizers.get(optimizer)
    except (ValueError, TypeError):
        raise ValueError(
            f"unknown optimizer {optimizer!r}: expected a Keras optimizer name such as 'adam', 'sgd', "
            "'rmsprop' or 'adamw', or an optimizer instance"
        ) from None
    if learning_rate is not None:
        config = opt.get_config()
        config["learning_rate"] = learning_rate
        opt = opt.__class__.from_config(config)
    return opt


def _image_shape(input_shape: Any) -> tuple[int, int, int]:
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), e.g. (28, 28, 1), got {input_shape!r}")
    for s in input_shape:
        if not is_int(s) or s <= 0:
            raise ValueError(
                f"input_shape must contain positive integers (height, width, channels), got {input_shape!r}"
            )
    h, w, c = (int(s) for s in input_shape)
    return h, w, c


def _check_halvable(shape: tuple[int, int, int], n_halvings: int) -> None:
    h, w, _ = shape
    factor = 2**n_halvings
    if h % factor or w % factor:
        raise ValueError(
            f"input_shape {shape}: height and width must be divisible by 2**len(filters) = {factor} "
            f"so that each of the {n_halvings} downsampling steps halves them exactly "
            f"(e.g. pad or crop the images to {(h // factor) * factor or factor}x{(w // factor) * factor or factor}, "
            "or use fewer filters)"
        )


def _predict(model: keras.Model, x: Any, batch_size: int) -> Any:
    """Run ``model`` eagerly over ``x`` in batches and return NumPy (a list for several outputs).

    Eager calls avoid tracing a new ``predict`` function for every small call (and TensorFlow's
    retracing warnings in notebooks).
    """
    batch_size = positive_int("batch_size", batch_size)
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype("float32", copy=False)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"expected a non-empty batch of samples, got an array of shape {x.shape}")
    chunks = []
    for start in range(0, len(x), batch_size):
        out = model(x[start : start + batch_size], training=False)
        chunks.append(
            [ops.convert_to_numpy(o) for o in out] if isinstance(out, (list, tuple)) else ops.convert_to_numpy(out)
        )
    if isinstance(chunks[0], list):
        return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
    return np.concatenate(chunks)


class _Seeds:
    """Deterministic per-layer seeds derived from one builder seed (None -> Keras' global RNG)."""

    def __init__(self, seed: int | None) -> None:
        self._seed = check_seed(seed)
        self._count = 0

    def next(self) -> int | None:
        if self._seed is None:
            return None
        self._count += 1
        return int(np.random.SeedSequence([self._seed, self._count]).generate_state(1)[0] % (2**31 - 1))

    def kernel(self) -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=self.next())


# --------------------------------------------------------------------------------------
# model classes
# --------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=_PACKAGE)
class Autoencoder(keras.Model):
    """An autoencoder made of an ``encoder`` and a ``decoder`` model: ``call(x) = decoder(encoder(x))``.

    Built by :func:`build_dense_autoencoder`, :func:`build_conv_autoencoder` and
    :func:`build_conv_denoiser`.

    ``ae.encoder`` and ``ae.decoder`` are ordinary Keras models sharing the
    autoencoder's weights, so after ``train(ae, x)`` ``ae.encoder.predict(x)`` returns the
    learned codes and ``ae.decoder.predict(codes)`` decodes any code.  Saves to and loads
    from ``.keras`` files.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
            raise ValueError("Autoencoder needs two keras.Model instances: encoder and decoder")
        self.encoder = encoder
        self.decoder = decoder
        if encoder.built and decoder.built:
            self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def encode(self, x: Any, batch_size: int = 256) -> Any:
        """The codes of ``x`` (NumPy), i.e. ``encoder.predict(x)``."""
        return _predict(self.encoder, x, batch_size)

    def decode(self, z: Any, batch_size: int = 256) -> Any:
        """Decode codes ``z`` to reconstructions (NumPy)."""
        return _predict(self.decoder, z, batch_size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            encoder=keras.saving.serialize_keras_object(self.encoder),
            decoder=keras.saving.serialize_keras_object(self.decoder),
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Autoencoder:
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"), custom_objects=custom_objects)
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"), custom_objects=custom_objects)
        return cls(encoder=encoder, decoder=decoder, **config)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ResidualOutput(layers.Layer):
    """``clip(x - noise, low, high)``: the output layer of a residual denoiser.

    The last layer of :func:`build_conv_denoiser` with ``residual=True``.  The network before it estimates the noise;
    subtracting it from the noisy input gives the denoised image, clipped to the valid
    intensity range.
    """

    def __init__(self, low: float = 0.0, high: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low = float(low)
        self.high = float(high)

    def call(self, inputs: Sequence[Any]) -> Any:
        x, noise = inputs
        return ops.clip(x - noise, self.low, self.high)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Sampling(layers.Layer):
    """The reparameterisation trick: ``z = z_mean + exp(z_log_var / 2) * eps``, ``eps ~ N(0, I)``.

    The sampling layer of :func:`build_vae`.  ``eps`` comes from a
    ``keras.random.SeedGenerator`` seeded with ``seed``, so two layers built with the
    same seed draw the same sequence of noise.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Sequence[Any]) -> Any:
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape: Sequence[Any]) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class VAE(keras.Model):
    """Variational autoencoder with its own ``train_step``/``test_step``.

    Taught in: 05_variational_autoencoders.

    * ``encoder(x) -> [z_mean, z_log_var]``; ``decoder(z) -> x_hat``; ``sampler`` draws
      ``z = z_mean + sigma * eps`` (reparameterisation, seeded).
    * Loss (negative ELBO): ``reconstruction_loss + beta * kl_loss`` where
      ``reconstruction_loss`` is the per-image *sum* over pixels of the binary
      cross-entropy (or squared error), averaged over the batch, and ``kl_loss`` is
      ``KL(q(z|x) || N(0, I))`` summed over latent units, averaged over the batch.
      All three are reported as metrics (``loss``, ``reconstruction_loss``, ``kl_loss``
      and their ``val_`` versions).
    * ``model(x)`` / ``predict(x)`` reconstruct from ``z_mean`` (deterministic); during
      training the sampled ``z`` is used.
    * ``encode(x)``, ``decode(z)`` and ``sample(n, seed)`` return NumPy arrays.
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        reconstruction_loss: str = "binary_crossentropy",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
            raise ValueError("VAE needs two keras.Model instances: encoder and decoder")
        self.beta = non_negative_float("beta", beta)
        if reconstruction_loss not in _RECONSTRUCTION_LOSSES:
            raise ValueError(
                f"reconstruction_loss must be one of {_RECONSTRUCTION_LOSSES}, got {reconstruction_loss!r}"
            )
        self.reconstruction_loss_name = reconstruction_loss
        self.seed = seed
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.sampler = Sampling(seed=seed, name="sampling")
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        if encoder.built and decoder.built:
            self.built = True

    # ---- forward pass and losses -----------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None) -> Any:
        z_mean, z_log_var = self.encoder(inputs, training=training)
        z = self.sampler([z_mean, z_log_var]) if training else z_mean
        return self.decoder(z, training=training)

    def _elbo_terms(self, x: Any, target: Any, training: bool) -> tuple[Any, Any, Any]:
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampler([z_mean, z_log_var])
        recon = self.decoder(z, training=training)
        target = ops.cast(target, recon.dtype)
        if self.reconstruction_loss_name in ("binary_crossentropy", "bce"):
            per_pixel = ops.binary_crossentropy(target, recon)
        else:
            per_pixel = ops.square(target - recon)
        axes = tuple(range(1, len(recon.shape)))
        reconstruction_loss = ops.mean(ops.sum(per_pixel, axis=axes))
        kl = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl, axis=1))
        total = reconstruction_loss + self.beta * kl_loss
        if self.losses:
            total = total + ops.sum(ops.stack(self.losses))
        return total, reconstruction_loss, kl_loss

    @staticmethod
    def _unpack(data: Any) -> tuple[Any, Any]:
        if isinstance(data, (tuple, list)):
            x = data[0]
            y = data[1] if len(data) > 1 and data[1] is not None else x
            return x, y
        return data, data

    def _update(self, total: Any, rec: Any, kl: Any) -> dict[str, Any]:
        self.total_loss_tracker.update_state(total)
        self.reconstruction_loss_tracker.update_state(rec)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data: Any) -> dict[str, Any]:
        import tensorflow as tf

        x, target = self._unpack(data)
        with tf.GradientTape() as tape:
            total, rec, kl = self._elbo_terms(x, target, training=True)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(total, rec, kl)

    def test_step(self, data: Any) -> dict[str, Any]:
        x, target = self._unpack(data)
        total, rec, kl = self._elbo_terms(x, target, training=False)
        return self._update(total, rec, kl)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    # ---- convenience -----------------------------------------------------------------
    def encode(self, x: Any, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(z_mean, z_log_var)`` of ``x`` as NumPy arrays."""
        z_mean, z_log_var = _predict(self.encoder, x, batch_size)
        return z_mean, z_log_var

    def decode(self, z: Any, batch_size: int = 256) -> np.ndarray:
        """Decode latent vectors ``z`` (shape ``(n, latent_dim)``) to images."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {z.shape}")
        return _predict(self.decoder, z, batch_size)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Decode ``n`` codes drawn from the prior N(0, I); the same ``seed`` gives the same images."""
        n = positive_int("n", n)
        z = keras.random.normal((n, self.latent_dim), seed=check_seed(seed))
        return self.decode(ops.convert_to_numpy(z))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            encoder=keras.saving.serialize_keras_object(self.encoder),
            decoder=keras.saving.serialize_keras_object(self.decoder),
            beta=self.beta,
            reconstruction_loss=self.reconstruction_loss_name,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> VAE:
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"), custom_objects=custom_objects)
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"), custom_objects=custom_objects)
        return cls(encoder=encoder, decoder=decoder, **config)


# --------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------
def _finish(model: keras.Model, *, compile: bool, optimizer: Any, learning_rate: Any, loss: Any) -> keras.Model:
    if compile:
        if loss is None:
            model.compile(optimizer=_optimizer(optimizer, learning_rate))
        else:
            model.compile(optimizer=_optimizer(optimizer, learning_rate), loss=loss)
    return model


def build_dense_autoencoder(
    input_dim: int = 784,
    code_dim: int = 32,
    hidden: Sequence[int] | int = (),
    activation: str | Callable[..., Any] = "relu",
    code_activation: str | Callable[..., Any] | None = None,
    output_activation: str | Callable[..., Any] = "sigmoid",
    l1: float = 0.0,
    input_noise: float = 0.0,
    loss: str | Callable[..., Any] = "binary_crossentropy",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float | None = None,
    compile: bool = True,
    seed: int | None = None,
    name: str = "dense_autoencoder",
) -> Autoencoder:
    """A fully connected autoencoder ``input_dim -> hidden... -> code_dim -> reversed(hidden)... -> input_dim``.

    Taught in: 01_background (linear AE vs PCA), 02_mnist_autoencoder (the seed's model and its
    deep, sparse and overcomplete variants), 03_breast_cancer_autoencoder.

    The defaults are exactly the seed's MNIST model: 784 -> Dense(32, relu) -> Dense(784, sigmoid),
    Adam with its default learning rate (0.001), binary cross-entropy.

    * ``hidden=(128, 64)`` gives 784-128-64-32-64-128-784 (the decoder mirrors the encoder);
      the seed's breast-cancer model is ``build_dense_autoencoder(30, 7, hidden=(15,), loss="mse")``.
    * ``code_dim > input_dim`` (overcomplete) is allowed; without a constraint such a model can
      learn the identity, so combine it with ``l1`` or ``input_noise``.
    * ``l1 > 0`` adds an L1 activity penalty on the code to the loss (``l1 * sum(|code|)`` over
      the code units, averaged over the batch): a *sparse* autoencoder whose mean code
      activation drops and more code units are exactly zero.
    * ``input_noise > 0`` adds Gaussian noise (std ``input_noise``) to the input during training
      only: a denoising autoencoder.
    * ``activation="linear", output_activation="linear", loss="mse"`` is a linear autoencoder,
      whose optimum spans the same subspace as PCA with ``code_dim`` components.
    * ``code_activation`` defaults to ``activation``.
    * ``seed`` makes the initial weights (and the training noise) reproducible without touching
      the global random state; ``None`` uses Keras' global RNG (see ``runtime.set_seed``).
    * ``compile=False`` returns the model uncompiled.
    """
    input_dim = positive_int("input_dim", input_dim)
    code_dim = positive_int("code_dim", code_dim)
    hidden = sizes("hidden", hidden, allow_empty=True)
    activation = _activation("activation", activation)
    if activation is None:
        raise ValueError("activation must be an activation name such as 'relu' or a callable, got None")
    code_activation = activation if code_activation is None else _activation("code_activation", code_activation)
    output_activation = _activation("output_activation", output_activation)
    l1 = non_negative_float("l1", l1)
    input_noise = non_negative_float("input_noise", input_noise)
    if compile:
        loss = _loss(loss)
        _optimizer(optimizer, learning_rate)
    seeds = _Seeds(seed)

    x_in = keras.Input(shape=(input_dim,), name="input")
    h = x_in
    if input_noise > 0:
        h = layers.GaussianNoise(input_noise, seed=seeds.next(), name="input_noise")(h)
    for i, units in enumerate(hidden):
        h = layers.Dense(
            units, activation=activation, kernel_initializer=seeds.kernel(), name=f"encoder_dense_{i + 1}"
        )(h)
    code = layers.Dense(
        code_dim,
        activation=code_activation,
        activity_regularizer=keras.regularizers.L1(l1) if l1 > 0 else None,
        kernel_initializer=seeds.kernel(),
        name="code",
    )(h)
    encoder = keras.Model(x_in, code, name="encoder")

    z_in = keras.Input(shape=(code_dim,), name="code_input")
    h = z_in
    for i, units in enumerate(reversed(hidden)):
        h = layers.Dense(
            units, activation=activation, kernel_initializer=seeds.kernel(), name=f"decoder_dense_{i + 1}"
        )(h)
    out = layers.Dense(
        input_dim, activation=output_activation, kernel_initializer=seeds.kernel(), name="reconstruction"
    )(h)
    decoder = keras.Model(z_in, out, name="decoder")

    model = Autoencoder(encoder, decoder, name=name)
    return _finish(model, compile=compile, optimizer=optimizer, learning_rate=learning_rate, loss=loss)


def _conv_args(kernel_size: Any, activation: Any, output_activation: Any) -> tuple[int, Any, Any]:
    kernel_size = positive_int("kernel_size", kernel_size)
    activation = _activation("activation", activation)
    if activation is None:
        raise ValueError("activation must be an activation name such as 'relu' or a callable, got None")
    return kernel_size, activation, _activation("output_activation", output_activation)


def build_conv_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1),
    filters: Sequence[int] | int = (32, 64),
    code_dim: int | None = None,
    kernel_size: int = 3,
    activation: str | Callable[..., Any] = "relu",
    code_activation: str | Callable[..., Any] | None = None,
    output_activation: str | Callable[..., Any] = "sigmoid",
    downsampling: str = "stride",
    upsampling: str = "transpose",
    input_noise: float = 0.0,
    loss: str | Callable[..., Any] = "binary_crossentropy",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float | None = None,
    compile: bool = True,
    seed: int | None = None,
    name: str = "conv_autoencoder",
) -> Autoencoder:
    """A convolutional autoencoder for ``(height, width, channels)`` images.

    Taught in: 02_mnist_autoencoder (convolutional variant) and 06_project_ideas.

    Encoder: for each entry ``f`` of ``filters`` one convolution with ``f`` channels that halves
    height and width (``downsampling="stride"``: stride-2 convolution; ``"pool"``: convolution then
    2x2 max-pooling).  With ``code_dim`` an extra Flatten -> Dense(code_dim) gives a vector code,
    otherwise the code is the last feature map of shape ``(H / 2**n, W / 2**n, filters[-1])``.
    Decoder: the mirror image (``upsampling="transpose"``: stride-2 transposed convolutions;
    ``"upsample"``: 2x nearest-neighbour upsampling then convolution) and a final convolution to
    ``channels`` with ``output_activation``.

    Height and width must be divisible by ``2**len(filters)``, else ``ValueError``.
    ``input_noise > 0`` adds Gaussian noise to the input during training (denoising AE).
    """
    shape = _image_shape(input_shape)
    filters = sizes("filters", filters, allow_empty=False)
    _check_halvable(shape, len(filters))
    if code_dim is not None:
        code_dim = positive_int("code_dim", code_dim)
    kernel_size, activation, output_activation = _conv_args(kernel_size, activation, output_activation)
    code_activation = activation if code_activation is None else _activation("code_activation", code_activation)
    if downsampling not in ("stride", "pool"):
        raise ValueError(f"downsampling must be 'stride' or 'pool', got {downsampling!r}")
    if upsampling not in ("transpose", "upsample"):
        raise ValueError(f"upsampling must be 'transpose' or 'upsample', got {upsampling!r}")
    input_noise = non_negative_float("input_noise", input_noise)
    if compile:
        loss = _loss(loss)
        _optimizer(optimizer, learning_rate)
    seeds = _Seeds(seed)
    h_img, w_img, channels = shape

    x_in = keras.Input(shape=shape, name="input")
    h = x_in
    if input_noise > 0:
        h = layers.GaussianNoise(input_noise, seed=seeds.next(), name="input_noise")(h)
    for i, f in enumerate(filters):
        if downsampling == "stride":
            h = layers.Conv2D(
                f,
                kernel_size,
                strides=2,
                padding="same",
                activation=activation,
                kernel_initializer=seeds.kernel(),
                name=f"encoder_conv_{i + 1}",
            )(h)
        else:
            h = layers.Conv2D(
                f,
                kernel_size,
                padding="same",
                activation=activation,
                kernel_initializer=seeds.kernel(),
                name=f"encoder_conv_{i + 1}",
            )(h)
            h = layers.MaxPooling2D(2, name=f"encoder_pool_{i + 1}")(h)
    feature_shape = (h_img // 2 ** len(filters), w_img // 2 ** len(filters), filters[-1])
    if code_dim is not None:
        h = layers.Flatten(name="flatten")(h)
        h = layers.Dense(code_dim, activation=code_activation, kernel_initializer=seeds.kernel(), name="code")(h)
    encoder = keras.Model(x_in, h, name="encoder")

    z_in = keras.Input(shape=(code_dim,) if code_dim is not None else feature_shape, name="code_input")
    h = z_in
    if code_dim is not None:
        h = layers.Dense(
            int(np.prod(feature_shape)), activation=activation, kernel_initializer=seeds.kernel(), name="decoder_dense"
        )(h)
        h = layers.Reshape(feature_shape, name="unflatten")(h)
    for i, f in enumerate(reversed(filters)):
        if upsampling == "transpose":
            h = layers.Conv2DTranspose(
                f,
                kernel_size,
                strides=2,
                padding="same",
                activation=activation,
                kernel_initializer=seeds.kernel(),
                name=f"decoder_deconv_{i + 1}",
            )(h)
        else:
            h = layers.UpSampling2D(2, name=f"decoder_upsample_{i + 1}")(h)
            h = layers.Conv2D(
                f,
                kernel_size,
                padding="same",
                activation=activation,
                kernel_initializer=seeds.kernel(),
                name=f"decoder_conv_{i + 1}",
            )(h)
    out = layers.Conv2D(
        channels,
        kernel_size,
        padding="same",
        activation=output_activation,
        kernel_initializer=seeds.kernel(),
        name="reconstruction",
    )(h)
    decoder = keras.Model(z_in, out, name="decoder")

    model = Autoencoder(encoder, decoder, name=name)
    return _finish(model, compile=compile, optimizer=optimizer, learning_rate=learning_rate, loss=loss)


def build_conv_denoiser(
    input_shape: Sequence[int] = (28, 28, 1),
    filters: Sequence[int] | int = (32, 64),
    skip: bool = True,
    residual: bool = True,
    kernel_size: int = 3,
    activation: str | Callable[..., Any] = "relu",
    output_activation: str | Callable[..., Any] = "sigmoid",
    loss: str | Callable[..., Any] = "mse",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float | None = None,
    compile: bool = True,
    seed: int | None = None,
    name: str = "conv_denoiser",
) -> Autoencoder:
    """A small U-Net-like convolutional denoising autoencoder, trained noisy -> clean.

    Taught in: 04_medical_image_denoising.

    Architecture (``filters=(32, 64)``, so three resolution levels):

    * a full-resolution stem of two 3x3 convolutions with ``filters[0]`` channels;
    * for each ``f`` in ``filters``: 2x2 max-pooling then two convolutions with ``f`` channels
      (resolution ``H/2``, ``H/4``, ...); the deepest feature map is the bottleneck;
    * a mirrored decoder: stride-2 transposed convolution up one level, (optionally)
      concatenation with the encoder features of that level, two convolutions;
    * a final convolution to ``channels``.

    ``skip=True`` (skip connections): the encoder features of every level are concatenated into
    the decoder at the same resolution.  Fine detail (edges, small structures) then *bypasses the
    bottleneck*, so the bottleneck no longer forces compression -- the network is no longer an
    undercomplete autoencoder.  What stops it from copying its (noisy) input is only the training
    target: it must be trained noisy -> clean (or on two independent noisy copies, Noise2Noise).

    ``residual=True`` (residual learning): the last convolution is linear and predicts the
    *noise*; the model outputs ``clip(x - predicted_noise, 0, 1)`` (layer ``ResidualOutput``).
    Estimating the small noise signal is easier than re-synthesising the whole image, and the
    identity is free, so training is faster and keeps detail.  With ``residual=False`` the last
    convolution uses ``output_activation`` and outputs the image directly.

    ``skip=False, residual=False`` is a classic bottleneck denoising autoencoder.

    The ``encoder`` returns a list of feature maps: the input itself first (only when
    ``residual=True``), then the skip features from full resolution down (only when
    ``skip=True``), then the bottleneck last; the ``decoder`` takes that list.
    Height and width must be divisible by ``2**len(filters)``.  With the default filters the
    model has about 150k parameters and trains on a CPU in minutes: trained noisy -> clean
    (fresh Gaussian noise each epoch, 30 epochs, ~200 MRI slices of the MNI template, batch 32)
    it beat a Gaussian filter with validation-tuned sigma by 5-6 dB PSNR at both 28x28 and
    64x64 (noise sigma 0.1 and 0.2), in 25 s (28x28) to 80 s (64x64) of CPU training, where
    ``build_conv_autoencoder`` of the same depth only tied the filter.
    """
    shape = _image_shape(input_shape)
    filters = sizes("filters", filters, allow_empty=False)
    _check_halvable(shape, len(filters))
    if not isinstance(skip, bool) or not isinstance(residual, bool):
        raise ValueError(f"skip and residual must be True or False, got skip={skip!r}, residual={residual!r}")
    kernel_size, activation, output_activation = _conv_args(kernel_size, activation, output_activation)
    if compile:
        loss = _loss(loss)
        _optimizer(optimizer, learning_rate)
    seeds = _Seeds(seed)
    h_img, w_img, channels = shape

    def conv(f: int, label: str) -> layers.Conv2D:
        return layers.Conv2D(
            f, kernel_size, padding="same", activation=activation, kernel_initializer=seeds.kernel(), name=label
        )

    # encoder ------------------------------------------------------------------------
    x_in = keras.Input(shape=shape, name="input")
    h = conv(filters[0], "stem_conv_1")(x_in)
    h = conv(filters[0], "stem_conv_2")(h)
    level_features = [h]
    for i, f in enumerate(filters):
        h = layers.MaxPooling2D(2, name=f"down_{i + 1}_pool")(h)
        h = conv(f, f"down_{i + 1}_conv_1")(h)
        h = conv(f, f"down_{i + 1}_conv_2")(h)
        level_features.append(h)
    bottleneck = level_features[-1]
    skips = level_features[:-1] if skip else []
    enc_outputs = ([x_in] if residual else []) + skips + [bottleneck]
    encoder = keras.Model(x_in, enc_outputs if len(enc_outputs) > 1 else bottleneck, name="encoder")

    # decoder ------------------------------------------------------------------------
    level_shapes = [(h_img // 2**i, w_img // 2**i, ([filters[0]] + list(filters))[i]) for i in range(len(filters) + 1)]
    dec_inputs = []
    x_ref = None
    if residual:
        x_ref = keras.Input(shape=shape, name="noisy_input")
        dec_inputs.append(x_ref)
    skip_inputs = []
    if skip:
        for i in range(len(filters)):
            t = keras.Input(shape=level_shapes[i], name=f"skip_{i}")
            skip_inputs.append(t)
            dec_inputs.append(t)
    b_in = keras.Input(shape=level_shapes[-1], name="bottleneck_input")
    dec_inputs.append(b_in)
    h = b_in
    for level in range(len(filters) - 1, -1, -1):
        f = level_shapes[level][2]
        h = layers.Conv2DTranspose(
            f,
            2,
            strides=2,
            padding="same",
            activation=activation,
            kernel_initializer=seeds.kernel(),
            name=f"up_{level}_deconv",
        )(h)
        if skip:
            h = layers.Concatenate(name=f"up_{level}_concat")([h, skip_inputs[level]])
        h = conv(f, f"up_{level}_conv_1")(h)
        h = conv(f, f"up_{level}_conv_2")(h)
    if residual:
        noise = layers.Conv2D(
            channels,
            kernel_size,
            padding="same",
            activation=None,
            kernel_initializer=seeds.kernel(),
            name="noise_estimate",
        )(h)
        out = ResidualOutput(0.0, 1.0, name="denoised")([x_ref, noise])
    else:
        out = layers.Conv2D(
            channels,
            kernel_size,
            padding="same",
            activation=output_activation,
            kernel_initializer=seeds.kernel(),
            name="denoised",
        )(h)
    decoder = keras.Model(dec_inputs if len(dec_inputs) > 1 else b_in, out, name="decoder")

    model = Autoencoder(encoder, decoder, name=name)
    return _finish(model, compile=compile, optimizer=optimizer, learning_rate=learning_rate, loss=loss)


def build_vae(
    input_shape: Sequence[int] | int = (784,),
    latent_dim: int = 2,
    hidden: Sequence[int] | int = (256,),
    activation: str | Callable[..., Any] = "relu",
    output_activation: str | Callable[..., Any] = "sigmoid",
    beta: float = 1.0,
    reconstruction_loss: str = "binary_crossentropy",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float | None = None,
    compile: bool = True,
    seed: int | None = None,
    name: str = "vae",
) -> VAE:
    """A dense variational autoencoder for flat vectors ``(784,)`` or images ``(28, 28, 1)``.

    Taught in: 05_variational_autoencoders.

    Encoder: (Flatten) -> Dense(hidden..., activation) -> two heads Dense(latent_dim):
    ``z_mean`` and ``z_log_var``.  Decoder: Dense(reversed(hidden)...) -> Dense(prod(input_shape),
    output_activation) -> (Reshape).  ``beta`` weights the KL term (``beta=1``: the ELBO;
    ``beta > 1``: beta-VAE, smoother latent space, blurrier reconstructions).
    ``reconstruction_loss`` is ``"binary_crossentropy"`` (pixels in [0, 1]) or ``"mse"``;
    with ``"mse"`` use ``output_activation="sigmoid"`` or ``"linear"`` to match the data range.
    ``seed`` seeds the initial weights and the sampling layer's ``SeedGenerator``.
    """
    shape = check_input_shape(input_shape)
    latent_dim = positive_int("latent_dim", latent_dim)
    hidden = sizes("hidden", hidden, allow_empty=True)
    activation = _activation("activation", activation)
    if activation is None:
        raise ValueError("activation must be an activation name such as 'relu' or a callable, got None")
    output_activation = _activation("output_activation", output_activation)
    beta = non_negative_float("beta", beta)
    if reconstruction_loss not in _RECONSTRUCTION_LOSSES:
        raise ValueError(f"reconstruction_loss must be one of {_RECONSTRUCTION_LOSSES}, got {reconstruction_loss!r}")
    if compile:
        _optimizer(optimizer, learning_rate)
    seeds = _Seeds(seed)
    n_features = int(np.prod(shape))

    x_in = keras.Input(shape=shape, name="input")
    h = layers.Flatten(name="flatten")(x_in) if len(shape) > 1 else x_in
    for i, units in enumerate(hidden):
        h = layers.Dense(
            units, activation=activation, kernel_initializer=seeds.kernel(), name=f"encoder_dense_{i + 1}"
        )(h)
    z_mean = layers.Dense(latent_dim, kernel_initializer=seeds.kernel(), name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, kernel_initializer=seeds.kernel(), name="z_log_var")(h)
    encoder = keras.Model(x_in, [z_mean, z_log_var], name="encoder")

    z_in = keras.Input(shape=(latent_dim,), name="z")
    h = z_in
    for i, units in enumerate(reversed(hidden)):
        h = layers.Dense(
            units, activation=activation, kernel_initializer=seeds.kernel(), name=f"decoder_dense_{i + 1}"
        )(h)
    h = layers.Dense(
        n_features, activation=output_activation, kernel_initializer=seeds.kernel(), name="reconstruction"
    )(h)
    if len(shape) > 1:
        h = layers.Reshape(shape, name="unflatten")(h)
    decoder = keras.Model(z_in, h, name="decoder")

    model = VAE(
        encoder,
        decoder,
        beta=beta,
        reconstruction_loss=reconstruction_loss,
        seed=seeds.next() if seed is not None else None,
        name=name,
    )
    return _finish(model, compile=compile, optimizer=optimizer, learning_rate=learning_rate, loss=None)


def count_params(model: keras.Model, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of a built model.

    Taught in: 02_mnist_autoencoder (the comparison table) and 04_medical_image_denoising.
    """
    if not isinstance(model, (keras.Model, keras.layers.Layer)):
        raise ValueError(f"count_params expects a Keras model, got {type(model).__name__}")
    if trainable_only:
        return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    return int(model.count_params())


# Every Keras class a saved course model may contain, by its class name.  They are registered
# under the package name when this module is imported, so ``keras.models.load_model`` needs no
# ``custom_objects``; pass ``custom_objects=CUSTOM_OBJECTS`` where registration is not wanted.
# WarmupStableDecay is the optimizer schedule of the fast recipe (course_utils.training).
CUSTOM_OBJECTS: dict[str, type] = {
    cls.__name__: cls for cls in (Autoencoder, VAE, Sampling, ResidualOutput, WarmupStableDecay)
}

"""The layer order of every model a lesson builds (course_utils.lessons.*, exported from the notebooks).

A lesson's text describes its models layer by layer (the syllabus model, the deep and convolutional
autoencoders, the VAE's encoder with its two heads and sampling layer, ...): a change to a builder must
be a change to this table too, made on purpose.  Lesson 04's denoisers are tested in
tests/test_lesson04_denoising.py.  Each entry: the layer's class and its main settings (units or
filters, kernel, strides, activation, target shape), nested models' layers prefixed with their name.
"""

from __future__ import annotations

import inspect

import pytest

keras = pytest.importorskip("keras")

from course_utils.lessons import breast_cancer_autoencoder, mnist_autoencoder, variational_autoencoders  # noqa: E402

LAYERS = {
    "mnist_autoencoder.build_syllabus_autoencoder": ["Dense(32, relu)", "Dense(784, sigmoid)"],
    "mnist_autoencoder.build_deep_autoencoder": [
        "encoder/Dense(128, relu)",
        "encoder/Dense(64, relu)",
        "encoder/Dense(32, relu)",
        "decoder/Dense(64, relu)",
        "decoder/Dense(128, relu)",
        "decoder/Dense(784, sigmoid)",
    ],
    "mnist_autoencoder.build_convolutional_autoencoder": [
        "encoder/Conv2D(16, (3, 3), (2, 2), relu)",
        "encoder/Conv2D(32, (3, 3), (2, 2), relu)",
        "encoder/Flatten",
        "encoder/Dense(32, relu)",
        "decoder/Dense(1568, relu)",
        "decoder/Reshape((7, 7, 32))",
        "decoder/Conv2DTranspose(32, (3, 3), (2, 2), relu)",
        "decoder/Conv2DTranspose(16, (3, 3), (2, 2), relu)",
        "decoder/Conv2D(1, (3, 3), (1, 1), sigmoid)",
    ],
    "mnist_autoencoder.build_sparse_autoencoder": ["Dense(32, relu)", "Dense(784, sigmoid)"],
    "mnist_autoencoder.build_tied_autoencoder": ["Dense(32, relu)", "DenseTranspose"],
    "mnist_autoencoder.build_overcomplete_autoencoder": ["encoder/Dense(1024, relu)", "decoder/Dense(784, sigmoid)"],
    "breast_cancer_autoencoder.build_original_autoencoder": [
        "Dense(15, relu)",
        "Dense(7, relu)",
        "Dense(15, relu)",
        "Dense(30, sigmoid)",
    ],
    "breast_cancer_autoencoder.build_repaired_autoencoder": [
        "Dense(32, elu)",
        "Dense(7)",
        "Dense(32, elu)",
        "Dense(30, sigmoid)",
    ],
    "variational_autoencoders.build_vae_encoder": [
        "Dense(512, relu)",
        "Dense(256, relu)",
        "Dense(2)",
        "Dense(2)",
        "Sampling",
    ],
    "variational_autoencoders.build_vae_decoder": ["Dense(256, relu)", "Dense(512, relu)", "Dense(784, sigmoid)"],
    "variational_autoencoders.build_conv_vae_encoder": [
        "Reshape((28, 28, 1))",
        "Conv2D(32, (3, 3), (2, 2), relu)",
        "Conv2D(64, (3, 3), (2, 2), relu)",
        "Flatten",
        "Dense(2)",
        "Dense(2)",
        "Sampling",
    ],
    "variational_autoencoders.build_conv_vae_decoder": [
        "Dense(1568, relu)",
        "Reshape((7, 7, 32))",
        "Conv2DTranspose(64, (3, 3), (2, 2), relu)",
        "Conv2DTranspose(32, (3, 3), (2, 2), relu)",
        "Conv2DTranspose(1, (3, 3), (1, 1), sigmoid)",
        "Flatten",
    ],
}
SETTINGS = ("units", "filters", "kernel_size", "strides", "activation", "target_shape")
MODULES = (mnist_autoencoder, breast_cancer_autoencoder, variational_autoencoders)


def _describe(layer) -> str:
    try:
        config = layer.get_config()
    except NotImplementedError:  # a lesson's own layer that does not serialise its arguments
        config = {}
    parts = [str(config[k]) for k in SETTINGS if k in config and config[k] != "linear"]
    return type(layer).__name__ + (f"({', '.join(parts)})" if parts else "")


def _layers(model, prefix: str = "") -> list[str]:
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _layers(layer, f"{prefix}{layer.name}/")
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(prefix + _describe(layer))
    return out


def _builders() -> dict[str, object]:
    return {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}": fn
        for module in MODULES
        for name, fn in vars(module).items()
        if name.startswith("build_") and inspect.isfunction(fn) and fn.__module__ == module.__name__
    }


def test_every_lesson_builder_is_in_the_table():
    assert sorted(_builders()) == sorted(LAYERS), "a lesson builder was added or removed: update LAYERS"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_order(name):
    build = _builders()[name]
    kwargs = {"latent_dim": 2} if "latent_dim" in inspect.signature(build).parameters else {}
    built = build(**kwargs)
    model = built[0] if isinstance(built, tuple) else built  # (autoencoder, encoder, decoder): the whole model
    assert _layers(model) == LAYERS[name]

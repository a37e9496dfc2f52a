"""Exercises of lesson 02 (notebooks/02_mnist_autoencoder.ipynb) where the student writes a model or a layer:

* ``02-conv`` — a convolutional autoencoder from scratch (Conv2D + MaxPooling2D down, UpSampling2D or
  Conv2DTranspose up, a sigmoid output), returned as ``(autoencoder, encoder)``; the check trains it
  briefly and compares it with predicting the mean training image (part 4);
* ``02-tied`` — a ``DenseTranspose`` layer that reuses an encoder layer's kernel, transposed, as the
  decoder (tied weights): the check counts the parameters, changes the shared kernel and checks that
  the decoder follows, and trains a tied autoencoder briefly (part 4).

Checks train on a few hundred digits for a few seconds.  TensorFlow/Keras are imported inside the
checkers, never at module import.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from . import Feedback, exercise, is_missing
from ._keras import all_layers, keras_context
from .mnist_autoencoder import _activation_name, _mean_bce, _predict, _tiny_digits


# --------------------------------------------------------------------------------------
# 02-conv: a convolutional autoencoder from scratch
# --------------------------------------------------------------------------------------
def _conv_solution(keras, layers):
    def build_conv_autoencoder():
        """(autoencoder, encoder) for (28, 28, 1) images, with a 7 x 7 x 8 code: 392 numbers per image."""
        input_img = keras.Input(shape=(28, 28, 1))
        x = layers.Conv2D(16, 3, activation="relu", padding="same")(input_img)  # 28 x 28 x 16
        x = layers.MaxPooling2D(2)(x)  # 14 x 14 x 16
        x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)  # 14 x 14 x 8
        encoded = layers.MaxPooling2D(2)(x)  # 7 x 7 x 8: the code
        x = layers.Conv2D(8, 3, activation="relu", padding="same")(encoded)
        x = layers.UpSampling2D(2)(x)  # 14 x 14 x 8
        x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
        x = layers.UpSampling2D(2)(x)  # 28 x 28 x 16
        decoded = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)  # 28 x 28 x 1, in (0, 1)
        return keras.Model(input_img, decoded), keras.Model(input_img, encoded)

    return build_conv_autoencoder


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(s) for s in shape)


@exercise("02-conv", "A convolutional autoencoder from scratch", _conv_solution, keras_context)
def _check_conv(fb: Feedback, build_conv_autoencoder: Any) -> None:
    import keras

    fb.require_function(build_conv_autoencoder, "build_conv_autoencoder", "()", returning="(autoencoder, encoder)")
    keras.utils.set_random_seed(0)
    built = build_conv_autoencoder()
    if isinstance(built, tuple) and any(is_missing(m) for m in built):
        fb.stop("not attempted yet: your function still returns None/...", "build the encoder and the decoder")
    if not (isinstance(built, tuple) and len(built) == 2 and all(isinstance(m, keras.Model) for m in built)):
        fb.stop(
            f"build_conv_autoencoder() should return two Keras models (autoencoder, encoder), got "
            f"{type(built).__name__}",
            "end with `return autoencoder, encoder`",
        )
    autoencoder, encoder = built
    in_shape = tuple(autoencoder.inputs[0].shape[1:]) if getattr(autoencoder, "inputs", None) else None
    if in_shape != (28, 28, 1):
        fb.stop(
            f"your autoencoder takes inputs of shape {in_shape}; the task asks for (28, 28, 1) images",
            "start the encoder with keras.Input(shape=(28, 28, 1))",
        )
    model_layers = all_layers(autoencoder)
    n_conv = sum(isinstance(layer, keras.layers.Conv2D) for layer in model_layers)
    if not n_conv:
        fb.stop(
            "your model has no Conv2D layer: it is not a convolutional autoencoder",
            "use layers.Conv2D(filters, 3, activation='relu', padding='same') followed by layers.MaxPooling2D(2)",
        )
    x_train, x_val, _ = _tiny_digits()
    x_train, x_val = x_train.reshape(-1, 28, 28, 1), x_val.reshape(-1, 28, 28, 1)
    out = _predict(autoencoder, x_val[:8])
    if out.shape[1:3] != (28, 28):
        fb.stop(
            f"your output images are {_shape_text(out.shape[1:3])} pixels, not 28 x 28",
            "pool and upsample the same number of times: 28 -> 14 -> 7 and 7 -> 14 -> 28 (a third pooling "
            "rounds 7 up to 4, and 4 -> 8 -> 16 -> 32 overshoots)",
        )
    if out.shape[1:] != (28, 28, 1):
        fb.stop(
            f"your output has {out.shape[-1]} channels per pixel; a grey image has 1",
            "end the decoder with layers.Conv2D(1, 3, activation='sigmoid', padding='same')",
        )
    last = [layer for layer in model_layers if hasattr(layer, "activation")]
    act = _activation_name(last[-1]) if last else "?"
    if act != "sigmoid":
        fb.stop(
            f"the last layer's activation is {act!r}: the outputs are not in [0, 1] like the pixels"
            + f" (they range over [{out.min():.2f}, {out.max():.2f}])",
            "end with activation='sigmoid': binary cross-entropy needs predictions in (0, 1)",
        )
    fb.ok(f"(28, 28, 1) images in, (28, 28, 1) sigmoid images out, {n_conv} Conv2D layers")

    enc_in = tuple(encoder.inputs[0].shape[1:]) if getattr(encoder, "inputs", None) else None
    shared = {id(w) for w in encoder.weights} <= {id(w) for w in autoencoder.weights}
    if enc_in != (28, 28, 1) or not shared or not encoder.weights:
        fb.stop(
            "the encoder you return is not the first half of your autoencoder (its weights are not the autoencoder's)",
            "build the encoder first, then autoencoder = keras.Sequential([keras.Input(shape=(28, 28, 1)), encoder, "
            "decoder])",
        )
    code_shape = tuple(int(s) for s in encoder.outputs[0].shape[1:])
    code_size = int(np.prod(code_shape))
    if code_size >= 784:
        fb.stop(
            f"your code has {code_size:,} numbers per image ({_shape_text(code_shape)}), not fewer than the 784 "
            "pixels: nothing forces the model to compress",
            "halve the height and width twice with layers.MaxPooling2D(2) (28 -> 14 -> 7) and keep few filters "
            "(7 x 7 x 8 = 392)",
        )
    fb.ok(f"a bottleneck: the code has {code_size} numbers per image ({_shape_text(code_shape)}), fewer than 784")

    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    autoencoder.fit(x_train, x_train, epochs=2, batch_size=32, verbose=0)
    flat_val = x_val.reshape(len(x_val), -1)
    val_bce = _mean_bce(flat_val, _predict(autoencoder, x_val).reshape(len(x_val), -1))
    mean_image = np.clip(x_train.reshape(len(x_train), -1).mean(axis=0, keepdims=True), 1e-3, 1 - 1e-3)
    baseline = _mean_bce(flat_val, np.repeat(mean_image, len(flat_val), axis=0))
    fb.expect(
        val_bce < baseline,
        f"trained for 2 epochs on {len(x_train)} digits: validation BCE {val_bce:.4f}, below the {baseline:.4f} "
        "of predicting the mean training image",
        f"after 2 epochs on {len(x_train)} digits your model's validation BCE ({val_bce:.4f}) is not below that of "
        f"predicting the mean training image ({baseline:.4f})",
        "ReLU in the hidden layers, sigmoid at the end, a code that is not too small (7 x 7 x 8 works)",
    )


# --------------------------------------------------------------------------------------
# 02-tied: tied weights, a DenseTranspose layer
# --------------------------------------------------------------------------------------
def _tied_solution(keras: Any, layers: Any, ops: Any) -> Any:
    class MyDenseTranspose(layers.Layer):
        """A Dense layer that reuses the kernel of `dense`, transposed (tied weights), with its own bias."""

        def __init__(self, dense, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.dense = dense
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            n_outputs = self.dense.kernel.shape[0]  # the kernel is (inputs of dense, units of dense)
            self.bias = self.add_weight(shape=(n_outputs,), initializer="zeros", name="bias")

        def call(self, inputs):
            return self.activation(ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.bias)

    return MyDenseTranspose


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@exercise("02-tied", "Tied weights: a DenseTranspose layer", _tied_solution, keras_context)
def _check_tied(fb: Feedback, MyDenseTranspose: Any) -> None:
    import keras
    from keras import layers

    if not (isinstance(MyDenseTranspose, type) and issubclass(MyDenseTranspose, keras.layers.Layer)):
        fb.stop(
            f"MyDenseTranspose should be a Keras layer class, got {type(MyDenseTranspose).__name__}",
            "define it with `class MyDenseTranspose(layers.Layer):`",
        )
    keras.utils.set_random_seed(0)
    _, x_val, _ = _tiny_digits()
    batch = x_val[:16]
    dense = layers.Dense(32, activation="relu")
    code = dense(batch)  # builds the encoder layer: its kernel is (784, 32)
    layer = MyDenseTranspose(dense, activation="sigmoid")
    try:
        out = layer(code)
    except Exception as err:  # the usual cause: multiplying by the kernel without transposing it
        plain = re.sub(r"\x1b\[[0-9;]*m|\{\{.*?\}\}", "", str(err))  # no terminal colours, no TF op names
        lines = [line.strip() for line in plain.splitlines() if line.strip()]
        words = ("shape", "incompatible", "dimension", "matrix size")
        informative = [line for line in lines if any(w in line.lower() for w in words)]
        text = (informative or lines or [""])[0][:200]
        shape_error = bool(informative)
        fb.stop(
            f"calling your layer on a (16, 32) code raised {type(err).__name__}: {text}",
            "the encoder's kernel has shape (784, 32); a code of shape (batch, 32) times its transpose (32, 784) "
            "gives 784 pixels: ops.matmul(inputs, ops.transpose(self.dense.kernel))"
            if shape_error
            else "create the bias in build() with self.add_weight(shape=(784,), ...) and return the activation of "
            "inputs @ kernelᵀ + bias in call()",
        )
    if is_missing(out) or getattr(layer, "bias", None) is Ellipsis:
        fb.stop("not attempted yet: your layer still has `...` in build() or call()", "fill in build() and call()")
    out = keras.ops.convert_to_numpy(out)
    if out.shape != batch.shape:
        fb.stop(
            f"for a code of shape (16, 32) your layer returns shape {out.shape}; it should give (16, 784)",
            "multiply by the transposed kernel: ops.matmul(inputs, ops.transpose(self.dense.kernel))",
        )
    x_in = keras.Input(shape=(784,))
    model = keras.Model(x_in, layer(dense(x_in)))
    n_params = model.count_params()
    tied, untied = 784 * 32 + 32 + 784, 2 * 784 * 32 + 32 + 784
    if n_params >= untied:
        fb.stop(
            f"the model has {n_params:,} parameters: your layer has its own kernel, so the weights are not tied "
            f"(tied: {tied:,})",
            "do not add a kernel in build(): use self.dense.kernel, transposed, in call()",
        )
    if n_params == tied - 784:
        fb.stop(
            f"the model has {n_params:,} parameters: your layer has no bias of its own (tied, with a bias: {tied:,})",
            "in build(): self.bias = self.add_weight(shape=(self.dense.kernel.shape[0],), initializer='zeros')",
        )
    if n_params != tied:
        fb.stop(
            f"the model has {n_params:,} parameters; the encoder (784 x 32 + 32) plus a decoder bias of 784 make "
            f"{tied:,}",
            "the only new weight of DenseTranspose is a bias with one value per output unit (784)",
        )
    fb.ok(f"{n_params:,} parameters: the decoder adds only its bias (784) to the encoder's weights")

    # the decoder must follow the *current* kernel of the encoder (shared, not copied)
    rng = np.random.default_rng(1)
    new_kernel = rng.normal(0, 0.05, (784, 32)).astype("float32")
    dense.kernel.assign(new_kernel)
    layer.bias.assign(rng.normal(0, 0.5, 784).astype("float32"))
    bias_in = keras.ops.convert_to_numpy(dense.bias)
    bias_out = keras.ops.convert_to_numpy(layer.bias)
    h = np.maximum(batch @ new_kernel + bias_in, 0.0)
    expected = _sigmoid(h @ new_kernel.T + bias_out)
    got = _predict(model, batch)
    if np.allclose(got, h @ new_kernel.T + bias_out, atol=1e-4):
        fb.stop(
            "your layer ignores its activation: the outputs are inputs @ kernelᵀ + bias, without the sigmoid",
            "return self.activation(ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.bias)",
        )
    if not np.allclose(got, expected, atol=1e-4):
        fb.stop(
            "after a change of the encoder's kernel your decoder's outputs are not sigmoid(code @ kernelᵀ + bias): "
            "it does not use the encoder's current kernel",
            "read self.dense.kernel inside call() (not a copy made in build or __init__)",
        )
    fb.ok("the decoder uses the encoder's current kernel, transposed: change one, the other follows")

    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", run_eagerly=True)
    x_train = _tiny_digits()[0]
    first = float(model.evaluate(x_val, x_val, verbose=0))
    for i in range(0, len(x_train), 64):
        model.train_on_batch(x_train[i : i + 64], x_train[i : i + 64])
    last = float(model.evaluate(x_val, x_val, verbose=0))
    fb.expect(
        last < first,
        f"a tied autoencoder trains: validation BCE {first:.4f} -> {last:.4f} after one epoch on {len(x_train)} digits",
        f"one epoch of training did not lower the validation BCE ({first:.4f} -> {last:.4f})",
        "compute with keras.ops (ops.matmul, ops.transpose) so that gradients reach the shared kernel",
    )

"""The typical mistakes of 02-conv, 02-tied
(course_utils/exercises/mnist_autoencoder_models.py): each must fail its check with its message."""

from __future__ import annotations

from typing import Any

from exercise_mistakes import Mistake, edit


def _conv_variant(keras: Any, layers: Any, *, pools: int = 2, last: str = "sigmoid", to_one: bool = True) -> Any:
    """The solution with one typical mistake (``pools`` poolings/upsamplings, the last activation,
    whether the decoder ends with a one-channel convolution)."""

    def build_conv_autoencoder():
        down = [keras.Input(shape=(28, 28, 1))]
        for _ in range(pools):
            down += [layers.Conv2D(8, 3, activation="relu", padding="same"), layers.MaxPooling2D(2, padding="same")]
        if not pools:
            down.append(layers.Conv2D(8, 3, activation="relu", padding="same"))
        encoder = keras.Sequential(down)
        up = []
        for _ in range(pools):
            up += [layers.Conv2D(8, 3, activation="relu", padding="same"), layers.UpSampling2D(2)]
        up.append(layers.Conv2D(1 if to_one else 8, 3, activation=last, padding="same"))
        autoencoder = keras.Sequential([encoder, *up])
        return autoencoder, encoder

    return build_conv_autoencoder


def _conv_no_sigmoid(keras, layers):
    return _conv_variant(keras, layers, last="linear")


def _conv_three_pools(keras, layers):
    return _conv_variant(keras, layers, pools=3)


def _conv_many_channels(keras, layers):
    return _conv_variant(keras, layers, to_one=False)


def _conv_no_pooling(keras, layers):
    return _conv_variant(keras, layers, pools=0)


def _conv_dense_only(keras, layers):
    def build_conv_autoencoder():
        encoder = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dense(32, "relu")])
        autoencoder = keras.Sequential([encoder, layers.Dense(784, activation="sigmoid"), layers.Reshape((28, 28, 1))])
        return autoencoder, encoder

    return build_conv_autoencoder


BIAS = 'self.bias = self.add_weight(shape=(n_outputs,), initializer="zeros", name="bias")'
TIED = "ops.matmul(inputs, ops.transpose(self.dense.kernel))"


MISTAKES = {
    "02-conv": (
        Mistake(answer=_conv_no_sigmoid, message="sigmoid", description="no sigmoid on the output"),
        Mistake(answer=_conv_three_pools, message="32 x 32", description="three poolings: 28 -> 14 -> 7 -> 4"),
        Mistake(answer=_conv_many_channels, message="channels", description="the output has 8 channels"),
        Mistake(answer=_conv_no_pooling, message="not fewer than the 784 pixels", description="no bottleneck"),
        Mistake(answer=_conv_dense_only, message="no Conv2D", description="a dense model"),
    ),
    "02-tied": (
        Mistake(
            edit(
                "02-tied",
                (
                    BIAS,
                    f'self.kernel = self.add_weight(shape=self.dense.kernel.shape[::-1], name="kernel")\n        {BIAS}',
                ),
                (TIED, "ops.matmul(inputs, self.kernel)"),
            ),
            "own kernel",
            "a new kernel instead of the shared one",
        ),
        Mistake(
            edit("02-tied", (TIED, "ops.matmul(inputs, self.dense.kernel)")),
            "transpose",
            "forgot to transpose the kernel",
        ),
        Mistake(edit("02-tied", (BIAS, "pass"), (" + self.bias", "")), "no bias", "no bias of its own"),
        Mistake(
            edit("02-tied", (f"self.activation({TIED} + self.bias)", f"{TIED} + self.bias")),
            "activation",
            "ignores the activation argument",
        ),
    ),
}

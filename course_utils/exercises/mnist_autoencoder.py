"""Exercises of lesson 02 (notebooks/02_mnist_autoencoder.ipynb).

* ``02-time-to-loss`` — compute the time a training run needed to reach a validation loss (part 3).
* ``02-deep`` — build the 784-128-64-32-64-128-784 model, train it on the training images and beat
  the weaker of the two 32-number baselines (PCA-32, the syllabus' model) on the validation images (part 4).
* ``02-sparse`` — put an L1 activity penalty on the code; the mean code activation must drop (part 4).

Checks that train use a few hundred images and one or two epochs (a few seconds on a laptop).
TensorFlow/Keras are imported inside the checkers, never at module import.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from typing import Any

import numpy as np

from . import Feedback, exercise
from ._keras import dense_layers

DEEP_SIZES = [128, 64, 32, 64, 128, 784]


# --------------------------------------------------------------------------- helpers
@lru_cache(maxsize=1)
def _tiny_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) of 384 / 128 / 128 flat digits in [0, 1] (real MNIST or the offline fallback)."""
    from .. import data

    d = data.load_mnist(flatten=True, n_train=512, n_test=128, verbose=False)
    order = np.random.default_rng(0).permutation(len(d.x_train))
    x = d.x_train[order]
    return x[128:512].copy(), x[:128].copy(), d.x_test[:128].copy()


@lru_cache(maxsize=1)
def _blob_images() -> tuple[np.ndarray, np.ndarray]:
    """(train, validation): 384 / 128 synthetic 28x28 images of a few soft blobs each, flat, in [0, 1].

    Used where a check only needs image-like data and must not wait for a data loader.
    """
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28]
    images = np.zeros((512, 28, 28), np.float32)
    for img in images:
        for _ in range(rng.integers(2, 5)):
            cy, cx = rng.uniform(6, 22, size=2)
            img += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * rng.uniform(1.0, 2.5) ** 2))
    flat = np.clip(images, 0, 1).reshape(512, 784)
    return flat[:384].copy(), flat[384:].copy()


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _is_array(value: Any, width: int = 784) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == width and len(value) > 0


def _activation_name(layer: Any) -> str:
    act = getattr(layer, "activation", None)
    return str(getattr(act, "__name__", act))


def _predict(model: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``model.predict(x)`` without building a prediction function (eager calls are faster for a few batches)."""
    import keras

    return np.concatenate(
        [keras.ops.convert_to_numpy(model(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    )


def _mean_bce(x: np.ndarray, x_hat: np.ndarray) -> float:
    import keras

    return float(np.mean(keras.losses.binary_crossentropy(x, x_hat)))


def _check_output_layer(fb: Feedback, model: Any, sample: np.ndarray, what: str = "your model") -> bool:
    """The model maps (n, 784) to (n, 784) values in [0, 1] through a sigmoid output layer."""
    out = _predict(model, sample)
    if out.shape != sample.shape:
        fb.stop(
            f"{what} turns {sample.shape} inputs into {out.shape} outputs; an autoencoder must return "
            f"one 784-pixel row per input row",
            "the last layer needs 784 units: layers.Dense(784, ...)",
        )
    dense = dense_layers(model)
    act = _activation_name(dense[-1]) if dense else "?"
    in_range = bool(np.all((out >= 0) & (out <= 1)))
    return fb.expect(
        act == "sigmoid" and in_range,
        "784 outputs per image through a sigmoid, in [0, 1] like the pixels",
        f"the output layer's activation is {act!r}: outputs are not in [0, 1] like the pixels"
        + ("" if in_range else f" (they range over [{out.min():.2f}, {out.max():.2f}])"),
        "end with layers.Dense(784, activation='sigmoid'): binary cross-entropy needs predictions in (0, 1)",
    )


# --------------------------------------------------------------------------- 02-time-to-loss
def _history(val_loss: list[float], time: list[float], loss: list[float] | None = None) -> Any:
    import keras

    h = keras.callbacks.History()
    h.history = {"loss": loss if loss is not None else [v - 0.01 for v in val_loss], "val_loss": val_loss, "time": time}
    return h


def _time_to_loss_reference(history: Any, target: float) -> float | None:
    for loss, t in zip(history.history["val_loss"], history.history["time"]):
        if loss <= target:
            return float(t)
    return None


def _time_context() -> dict[str, Any]:
    import keras

    return {"np": np, "keras": keras}


def _time_to_loss_solution():
    def my_time_to_loss(history, target):
        """Seconds of training until the validation loss first reached `target` (None if it never did)."""
        for val_loss, seconds in zip(history.history["val_loss"], history.history["time"]):
            if val_loss <= target:
                return seconds
        return None

    return my_time_to_loss


@exercise("02-time-to-loss", "Time to reach a validation loss", _time_to_loss_solution, _time_context)
def _check_time_to_loss(fb: Feedback, my_time_to_loss: Any) -> None:
    fb.require_function(my_time_to_loss, "my_time_to_loss", "(history, target)")
    val = [0.30, 0.20, 0.15, 0.12, 0.125, 0.11]
    times = [2.0, 3.5, 5.0, 6.5, 8.0, 9.5]
    # the training loss reaches 0.15 one epoch before the validation loss does
    train = [0.25, 0.15, 0.13, 0.11, 0.105, 0.10]
    cases = [
        ("a target reached in epoch 3", _history(val, times, train), 0.15, 5.0),
        ("a target reached in the first epoch", _history(val, times, train), 0.35, 2.0),
        (
            "a validation loss that dips below the target, rises, and falls again",
            _history(val, times, train),
            0.12,
            6.5,
        ),
    ]
    for label, history, target, expected in cases:
        got = my_time_to_loss(history, target)
        if got is None or not _is_number(got):
            fb.stop(
                f"for {label} your function returned {got!r}, not a number of seconds",
                "return the entry of history.history['time'] of the first epoch whose val_loss <= target",
            )
        got = float(got)
        if math.isclose(got, expected):
            fb.ok(f"{label}: {got:g} s")
            continue
        epoch = history.history["time"].index(expected)
        train_t = _time_to_loss_reference(_history(train, times), target)
        last = [t for v, t in zip(history.history["val_loss"], times) if v <= target][-1]
        if got in (epoch, epoch + 1):
            fb.fail(
                f"for {label} you returned {got:g}, the epoch number; the task asks for the time in seconds "
                f"({expected:g} s)",
                "use history.history['time'], the cumulative seconds after each epoch",
            )
        elif train_t is not None and math.isclose(got, train_t):
            fb.fail(
                f"for {label} you returned {got:g} s, when the training loss reached the target; "
                f"the validation loss reached it at {expected:g} s",
                "compare history.history['val_loss'] with the target, not history.history['loss']",
            )
        elif math.isclose(got, last):
            fb.fail(
                f"for {label} you returned {got:g} s, the last epoch below the target; the first was at {expected:g} s",
                "stop at the first epoch whose val_loss <= target (return inside the loop)",
            )
        else:
            fb.fail(
                f"for {label} you returned {got:g} s; expected {expected:g} s",
                "walk through val_loss and time together (zip) and return the time of the first val_loss <= target",
            )
    never = my_time_to_loss(_history(val, times, train), 0.05)
    fb.expect(
        never is None,
        "a target that is never reached gives None",
        f"a target that is never reached gives {never!r}; return None then, so that the caller can tell",
        "after the loop, `return None`",
    )


# --------------------------------------------------------------------------- 02-deep
def _deep_context() -> dict[str, Any]:
    import keras
    from keras import layers

    from ..lessons import mnist_autoencoder as lesson

    x_train, x_val, x_test = _tiny_digits()
    # the loss to beat in the tests (a stand-in for the lesson's baselines, which a 2-epoch run on 384 images
    # cannot reach): the BCE of predicting the mean training image for every validation image
    mean_image = np.clip(x_train.mean(axis=0, keepdims=True), 1e-3, 1 - 1e-3)
    target = _mean_bce(x_val, np.repeat(mean_image, len(x_val), axis=0))
    return {
        "np": np,
        "keras": keras,
        "layers": layers,
        "math": math,
        "x_train": x_train,
        "x_val": x_val,
        "x_test": x_test,
        "loss_to_beat": target,
        "EPOCHS_DEEP": 2,
        "WarmupHoldDecay": lesson.WarmupHoldDecay,
        "mean_pixel_bias": lesson.mean_pixel_bias,
        "fast_schedule": lesson.fast_schedule,
    }


def _deep_solution(keras, layers, x_train, x_val, loss_to_beat, EPOCHS_DEEP, mean_pixel_bias, fast_schedule):
    # fmt: off
    deep_autoencoder = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),           # the code: 32 numbers per image
        layers.Dense(64, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(784, activation="sigmoid", bias_initializer=mean_pixel_bias(x_train)),
    ])
    # the fast recipe of part 3: warm-up over 1 epoch, decay over the second half
    deep_autoencoder.compile(
        optimizer=keras.optimizers.Adam(fast_schedule(len(x_train), EPOCHS_DEEP, warmup_epochs=1,
                                                      decay_epochs=EPOCHS_DEEP / 2)),
        loss="binary_crossentropy")
    deep_history = deep_autoencoder.fit(x_train, x_train, epochs=EPOCHS_DEEP, batch_size=128, shuffle=True,
                                        validation_data=(x_val, x_val), verbose=0)
    print(f"validation loss {deep_history.history['val_loss'][-1]:.4f} (to beat: {loss_to_beat:.4f})")
    return deep_autoencoder, deep_history, x_train, x_val, loss_to_beat
    # fmt: on


@exercise(
    "02-deep", "A deep autoencoder 784-128-64-32-64-128-784, trained and validated", _deep_solution, _deep_context
)
def _check_deep(
    fb: Feedback, deep_autoencoder: Any, deep_history: Any, x_train: Any, x_val: Any, loss_to_beat: Any
) -> None:
    import keras

    if not _is_array(x_train) or not _is_array(x_val):
        fb.stop(
            "x_train and x_val must be the lesson's (N, 784) image arrays",
            "call the check as written: exercises.check('02-deep', deep_autoencoder, deep_history, x_train, x_val, "
            "loss_to_beat)",
        )
    if not _is_number(loss_to_beat):
        fb.stop(
            f"loss_to_beat must be a number (a validation BCE), got {loss_to_beat!r}",
            "run the scaffold cell above the check: it defines loss_to_beat",
        )
    fb.require_model(
        deep_autoencoder, "deep_autoencoder", "build it with keras.Sequential([...]) or keras.Model(inputs, outputs)"
    )
    in_shape = tuple(deep_autoencoder.inputs[0].shape[1:]) if getattr(deep_autoencoder, "inputs", None) else None
    if in_shape != (784,):
        fb.stop(
            f"your model takes inputs of shape {in_shape}; the task asks for flat rows of 784 pixels",
            "start with keras.Input(shape=(784,))",
        )
    _check_output_layer(fb, deep_autoencoder, x_val[:8])

    sizes = [int(layer.units) for layer in dense_layers(deep_autoencoder)]
    code = min(sizes) if sizes else 0
    if sizes == DEEP_SIZES:
        fb.ok("Dense layers of 128, 64, 32, 64, 128 and 784 units: a 32-number code in the middle")
    elif code != 32:
        fb.fail(
            f"your encoder outputs {code} numbers per image; the task asks for 32",
            f"your Dense layers have {sizes} units; the task asks for {DEEP_SIZES}",
        )
    else:
        fb.fail(
            f"your Dense layers have {sizes} units; the task asks for {DEEP_SIZES}",
            "encoder 128 → 64 → 32, decoder the mirror image 64 → 128 → 784",
        )

    if isinstance(deep_history, dict) or not isinstance(deep_history, keras.callbacks.History):
        fb.stop(
            f"deep_history should be what fit returns (a keras History), got {type(deep_history).__name__}",
            "deep_history = deep_autoencoder.fit(x_train, x_train, ...)",
        )
    hist = deep_history.history
    if not hist.get("val_loss"):
        fb.stop("deep_history has no validation loss", "pass validation_data=(x_val, x_val) to fit")
    steps = (getattr(deep_history, "params", None) or {}).get("steps")
    expected_steps = math.ceil(len(x_train) / 128)
    if steps is not None:
        fb.expect(
            steps == expected_steps,
            f"trained on the {len(x_train):,} training images ({steps} batches of 128 per epoch)",
            f"fit ran {steps} batches per epoch (about {steps * 128:,} images), but x_train has {len(x_train):,} images "
            f"({expected_steps} batches of 128): it was not trained on x_train — never train on the test set",
            "deep_autoencoder.fit(x_train, x_train, batch_size=128, ...): the input and the target are the training images",
        )
    predictions = _predict(deep_autoencoder, x_val)
    val_bce = _mean_bce(x_val, predictions)
    last = float(hist["val_loss"][-1])
    if not math.isclose(last, val_bce, rel_tol=2e-3, abs_tol=2e-4):
        fb.stop(
            f"the last val_loss in deep_history ({last:.4f}) is not the model's loss on x_val ({val_bce:.4f})",
            "compile with loss='binary_crossentropy' and validate on validation_data=(x_val, x_val), "
            "not on the test set; check the history of the model's last fit call",
        )
    n_epochs = len(hist["val_loss"])
    fb.ok(f"validated on x_val with binary cross-entropy ({n_epochs} epoch{'s' if n_epochs != 1 else ''})")
    fb.expect(
        val_bce < float(loss_to_beat),
        f"validation loss {val_bce:.4f} is below the loss to beat, {float(loss_to_beat):.4f}",
        f"your validation loss {val_bce:.4f} is not below the loss to beat, {float(loss_to_beat):.4f}",
        "train longer, or use part 3's recipe: mean_pixel_bias(x_train) as the output bias and fast_schedule(...) "
        "as Adam's learning rate",
    )


# --------------------------------------------------------------------------- 02-sparse
def _sparse_context() -> dict[str, Any]:
    import keras
    from keras import layers

    return {"np": np, "keras": keras, "layers": layers}


def _sparse_solution(keras, layers):
    # fmt: off
    def build_sparse(l1):
        input_img = keras.Input(shape=(784,))
        encoded = layers.Dense(32, activation="relu",
                               activity_regularizer=keras.regularizers.l1(l1))(input_img)   # penalise the code
        decoded = layers.Dense(784, activation="sigmoid")(encoded)
        return keras.Model(input_img, decoded), keras.Model(input_img, encoded)
    return build_sparse
    # fmt: on


@exercise("02-sparse", "A sparse code: an L1 activity penalty", _sparse_solution, _sparse_context)
def _check_sparse(fb: Feedback, build_sparse: Any) -> None:
    import keras

    fb.require_function(build_sparse, "build_sparse", "(l1)", returning="(autoencoder, encoder)")
    lam = 1e-3
    keras.utils.set_random_seed(0)
    built = build_sparse(lam)
    if not (isinstance(built, tuple) and len(built) == 2 and all(isinstance(m, keras.Model) for m in built)):
        fb.stop(
            f"build_sparse(l1) should return two Keras models (autoencoder, encoder), got {type(built).__name__}",
            "end with `return keras.Model(input_img, decoded), keras.Model(input_img, encoded)`",
        )
    autoencoder, encoder = built
    x_train, x_val = _blob_images()
    _check_output_layer(fb, autoencoder, x_val[:8], "your autoencoder")
    width = int(np.prod(encoder.outputs[0].shape[1:]))
    if width != 32:
        fb.stop(
            f"your encoder outputs {width} numbers per image; the task asks for 32",
            "the code layer is layers.Dense(32, activation='relu', ...)",
        )
    fb.ok("a 32-number code")

    dense = dense_layers(autoencoder)
    code_layers = [layer for layer in dense if int(layer.units) == 32]
    code_layer = code_layers[0] if code_layers else None
    kernel_reg = [layer for layer in dense if getattr(layer, "kernel_regularizer", None) is not None]
    act_reg = [layer for layer in dense if getattr(layer, "activity_regularizer", None) is not None]
    if not act_reg:
        if kernel_reg:
            fb.stop(
                "you set kernel_regularizer: that penalises the weights, not the code",
                "use activity_regularizer=keras.regularizers.l1(l1) on the code layer",
            )
        fb.stop(
            "no layer has an activity penalty", "add activity_regularizer=keras.regularizers.l1(l1) to the code layer"
        )
    if code_layer is None or code_layer not in act_reg:
        where = "the output layer" if dense and act_reg[0] is dense[-1] else f"a {act_reg[0].units}-unit layer"
        fb.stop(
            f"the penalty is on {where}, not on the code (the 32-unit layer)",
            "the code layer's outputs are what should be sparse: put activity_regularizer there",
        )
    reg = code_layer.activity_regularizer
    l1 = float(getattr(reg, "l1", 0.0) or 0.0)
    l2 = float(getattr(reg, "l2", 0.0) or 0.0)
    if l2 > 0 or l1 == 0:
        fb.stop(
            f"the code layer has an L2 penalty ({type(reg).__name__}, l2={l2:g}); L2 shrinks codes but does not "
            "make them sparse",
            "use keras.regularizers.l1(l1): the L1 norm pushes values to exactly 0",
        )
    if not math.isclose(l1, lam, rel_tol=1e-4):
        fb.stop(
            f"build_sparse({lam:g}) gave a penalty of {l1:g}: your function ignores the l1 argument",
            "pass the argument on: keras.regularizers.l1(l1)",
        )
    fb.ok("an L1 activity penalty on the code layer, of the strength asked for")

    means = {}
    for strength in (0.0, lam):
        keras.utils.set_random_seed(0)
        model, enc = build_sparse(strength)
        # run_eagerly: six small steps are faster without compiling a training function first
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", run_eagerly=True)
        for _epoch in range(2):
            for i in range(0, len(x_train), 128):
                model.train_on_batch(x_train[i : i + 128], x_train[i : i + 128])
        means[strength] = float(np.mean(_predict(enc, x_val)))
    fb.expect(
        means[lam] < means[0.0],
        f"trained for 2 epochs on {len(x_train)} small images: the mean code activation drops from {means[0.0]:.3f} "
        f"(no penalty) to {means[lam]:.3f} (l1={lam:g})",
        f"the mean code activation did not drop with the penalty ({means[0.0]:.3f} without, {means[lam]:.3f} with l1={lam:g})",
        "the penalty must be part of the training loss: activity_regularizer on the code layer does that",
    )

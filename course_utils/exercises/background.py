"""Exercises of lesson 01 (notebooks/01_background.ipynb), in the order the lesson asks them.

* ``01-bce`` — binary cross-entropy by hand, matched against Keras (section 2);
* ``01-code-size`` — choose a code size on validation data (section 3);
* ``01-linear-ae`` — build and train a linear autoencoder that finds PCA-2's subspace (section 4);
* ``01-mse`` — the reconstruction error of each image, the anomaly score (FAQ 6): in ``background_scores``.
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from typing import Any

import numpy as np

from . import Feedback, exercise
from ._keras import all_layers

INPUT_SIZE = 784  # pixels of a flattened MNIST image
LINEAR_CODE_SIZE = 2  # K_EXERCISE in the notebook


def _not_attempted(fb: Feedback, name: str, value: Any, what: str) -> None:
    """Stop with "not attempted yet" when a scaffold function still returns its placeholder."""
    if value is None or value is Ellipsis:
        fb.stop(
            f"{name} still returns {'...' if value is Ellipsis else 'None'} — not attempted yet",
            f"replace the `...` placeholder(s) in your function by {what}",
        )


# --------------------------------------------------------------------------------------
# 01-bce · binary cross-entropy by hand (section 2)
# --------------------------------------------------------------------------------------
def _bce_context() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(4, 6)).astype("float32")
    x[0, :3] = [0.0, 1.0, 0.5]
    p = np.clip(x + rng.normal(0, 0.1, size=x.shape), 0.01, 0.99).astype("float32")
    return {"np": np, "x": x, "x_hat": p}


def _solve_bce():
    def my_bce(x, x_hat, eps=1e-7):
        """Mean binary cross-entropy between values x and predictions x_hat (both in [0, 1])."""
        x_hat = np.clip(x_hat, eps, 1 - eps)  # log(0) would be -inf
        return float(np.mean(-(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))))

    return my_bce


@exercise("01-bce", "Binary cross-entropy by hand", _solve_bce, _bce_context)
def _check_bce(fb: Feedback, my_bce: Any) -> None:
    import keras

    fb.require_function(my_bce, "my_bce", "(x, x_hat)")
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(8, 10)).astype("float32")
    x_hat = rng.uniform(0.05, 0.95, size=(8, 10)).astype("float32")
    value = my_bce(x, x_hat)
    _not_attempted(fb, "my_bce", value, "the clipping and the formula")
    try:
        value = float(value)
    except (TypeError, ValueError):
        fb.stop(f"my_bce returned {type(value).__name__}, not a number", "return the mean over all pixels as one float")
    reference = float(keras.losses.BinaryCrossentropy()(x, x_hat))
    if value < 0:
        fb.stop(
            f"your cross-entropy is negative ({value:.4f}); a loss cannot be below 0",
            "log p is negative for p < 1: the formula has a minus sign in front",
        )
    fb.expect(
        abs(value - reference) < 1e-3,
        f"matches Keras' BinaryCrossentropy on random pixels ({value:.4f})",
        f"your value {value:.4f} differs from Keras' {reference:.4f}",
        "BCE = −[x·log p + (1−x)·log(1−p)], averaged over every pixel",
    )
    with np.errstate(all="ignore"):  # an unclipped log(0) is what this part detects
        edge = my_bce(np.array([[0.0, 1.0]], "float32"), np.array([[0.0, 1.0]], "float32"))
    try:
        edge = float(edge)
    except (TypeError, ValueError):
        edge = float("nan")
    fb.expect(
        bool(np.isfinite(edge)) and edge < 1e-3,
        "a perfect prediction of 0/1 pixels gives (almost) 0, without nan or inf",
        f"a perfect prediction of pixels 0 and 1 gives {edge} — it should be (almost) 0, without nan or inf",
        "clip x_hat to [eps, 1 − eps] before taking logarithms (0·log 0 is nan in NumPy)",
    )


# --------------------------------------------------------------------------------------
# 01-code-size · choose on validation data (section 3)
# --------------------------------------------------------------------------------------
_SIZES = (2, 8, 32, 128, 1024)


def _sweep_table(train: list[float], val: list[float], test: list[float], sizes: tuple[int, ...] = _SIZES) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "kind": ["undercomplete" if k < INPUT_SIZE else "overcomplete" for k in sizes],
            "train MSE": train,
            "validation MSE": val,
            "test MSE": test,
        },
        index=pd.Index(sizes, name="code size"),
    )


def _rule(table: Any, max_error: float, column: str, overcomplete: bool = False) -> int | None:
    """The reference rule (or a typical wrong variant) applied to ``column``."""
    ok = [int(k) for k in table.index if (overcomplete or k < INPUT_SIZE) and table.loc[k, column] <= max_error]
    return min(ok) if ok else None


#: (train, validation, test) MSE of the codes _SIZES in the usual sweep: the error falls as the code grows.
_SWEEP = (
    [0.050, 0.030, 0.012, 0.004, 0.001],
    [0.055, 0.036, 0.020, 0.011, 0.006],
    [0.054, 0.037, 0.019, 0.012, 0.005],
)


def _code_size_cases() -> list[tuple[str, Any, float]]:
    """(what the case tests, table, max_error); the expected answer is the reference rule."""
    return [
        ("a budget that several codes meet: the smallest of them", _sweep_table(*_SWEEP), 0.025),
        ("training and validation columns disagree", _sweep_table(*_SWEEP), 0.032),
        (
            "test and validation columns disagree",
            _sweep_table(
                [0.050, 0.034, 0.012, 0.004, 0.001],
                [0.055, 0.036, 0.020, 0.011, 0.006],
                [0.054, 0.031, 0.019, 0.012, 0.005],
            ),
            0.032,
        ),
        (
            "rows not sorted by code size",
            _sweep_table(
                [0.004, 0.050, 0.001, 0.012, 0.030],
                [0.011, 0.055, 0.006, 0.020, 0.036],
                [0.012, 0.054, 0.005, 0.019, 0.037],
                sizes=(128, 2, 1024, 32, 8),
            ),
            0.025,
        ),
        ("only the overcomplete code meets the budget", _sweep_table(*_SWEEP), 0.008),
        ("no code meets the budget", _sweep_table(*_SWEEP), 0.001),
    ]


def _as_size(value: Any) -> tuple[bool, int | None]:
    """(valid, size) for a returned code size: an integer (NumPy too), a whole float, or None."""
    if value is None:
        return True, None
    if isinstance(value, bool):
        return False, None
    if isinstance(value, numbers.Integral):
        return True, int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return True, int(float(value))
    return False, None


def _code_size_context() -> dict[str, Any]:
    import pandas as pd

    return {"np": np, "pd": pd}


def _solve_code_size():
    def choose_code_size(table, max_error):
        """The smallest code size below 784 whose validation MSE is <= max_error, or None."""
        within_budget = [k for k in table.index if k < 784 and table.loc[k, "validation MSE"] <= max_error]
        return min(within_budget) if within_budget else None

    # In the lesson: choose_code_size(sweep, 0.03) picks a size on validation data; then report
    # that model's error once on the test images.
    return choose_code_size


@exercise("01-code-size", "Choose a code size on validation data", _solve_code_size, _code_size_context)
def _check_code_size(fb: Feedback, choose_code_size: Any) -> None:
    fb.require_function(choose_code_size, "choose_code_size", "(table, max_error)")
    for what, table, max_error in _code_size_cases():
        expected = _rule(table, max_error, "validation MSE")
        result = choose_code_size(table.copy(), max_error)
        if result is Ellipsis:
            _not_attempted(fb, "choose_code_size", result, "code that picks a size from the table")
        valid, size = _as_size(result)
        if not valid:
            fb.stop(
                f"choose_code_size returned {type(result).__name__} ({result!r:.40}); it should return one code size "
                "(an int such as 32) or None",
                "collect the sizes that meet the budget, then return min(...) of them",
            )
        if size == expected:
            fb.ok(f"{what}: {size}")
            continue
        budget = f"(budget {max_error})"
        if size is not None and size == _rule(table, max_error, "train MSE"):
            fb.stop(
                f"{what} {budget}: you returned {size}, which follows the training column; the validation errors give {expected}",
                "the training error flatters large codes (over-fitting): choose with table['validation MSE']",
            )
        if size is not None and size == _rule(table, max_error, "test MSE"):
            fb.stop(
                f"{what} {budget}: you returned {size}, which follows the test column; the validation errors give {expected}",
                "choose on validation data; the test set is kept for the one final report of the chosen size",
            )
        if size is not None and size >= INPUT_SIZE:
            fb.stop(
                f"{what} {budget}: you returned {size}, but a code of {size} numbers for 784 pixels compresses nothing",
                "only count code sizes below 784 (and return None if none of them is within the budget)",
            )
        if size is not None and expected is not None and size > expected:
            fb.stop(
                f"{what} {budget}: you returned {size}, but the smaller code {expected} also stays within the budget",
                "return the smallest qualifying size (min(...)), whatever the order of the rows",
            )
        if expected is None:
            fb.stop(
                f"{what} {budget}: you returned {size}, but no code below 784 has a validation MSE within the budget",
                "return None when nothing qualifies",
            )
        fb.stop(
            f"{what} {budget}: you returned {size}, expected {expected}",
            "keep the sizes below 784 whose table['validation MSE'] is <= max_error; return the smallest",
        )


# --------------------------------------------------------------------------------------
# 01-linear-ae · a linear autoencoder that finds PCA's subspace (section 4)
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _small_mnist() -> tuple[np.ndarray, np.ndarray]:
    from .. import data

    images = data.load_mnist(n_train=1200, n_test=1, verbose=False).x_train
    return images[:1000], images[1000:]


def _linear_ae_context() -> dict[str, Any]:
    import keras
    from keras import layers

    x_train, x_val = _small_mnist()
    return {
        "np": np,
        "keras": keras,
        "layers": layers,
        "x_train": x_train,
        "x_val": x_val,
        "K_EXERCISE": LINEAR_CODE_SIZE,
    }


def _solve_linear_ae(x_train, keras, layers, x_val):
    K_EXERCISE = 2
    steps = 550  # weight updates in the whole training
    epochs = int(np.ceil(steps / np.ceil(len(x_train) / 128)))  # 10 epochs of 7,000 images
    my_linear_ae = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(K_EXERCISE),  # encoder: no activation
            layers.Dense(784, bias_initializer=keras.initializers.Constant(x_train.mean(axis=0))),  # decoder
        ]
    )
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([int(0.7 * steps)], [0.01, 0.001])
    my_linear_ae.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    my_linear_ae.fit(x_train, x_train, epochs=epochs, batch_size=128, shuffle=True, verbose=0)
    return my_linear_ae, x_train, x_val


def _loss_name(model: Any) -> str:
    loss = getattr(model, "loss", None)
    if loss is None:
        return ""
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__)


@exercise("01-linear-ae", "A linear autoencoder that finds PCA-2's subspace", _solve_linear_ae, _linear_ae_context)
def _check_linear_ae(fb: Feedback, my_linear_ae: Any, x_train: Any, x_val: Any) -> None:
    import keras
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    k = LINEAR_CODE_SIZE
    fb.require_model(
        my_linear_ae,
        "my_linear_ae",
        "build it with keras.Sequential([keras.Input(shape=(784,)), layers.Dense(...), layers.Dense(...)])",
    )
    try:
        x_train = np.asarray(x_train, dtype="float32")
        x_val = np.asarray(x_val, dtype="float32")
    except (TypeError, ValueError):
        fb.stop(
            "x_train and x_val should be the lesson's image arrays",
            "pass them as in the check cell: (my_linear_ae, x_train, x_val)",
        )
    if (
        x_train.ndim != 2
        or x_val.ndim != 2
        or x_train.shape[1] != INPUT_SIZE
        or x_val.shape[1] != INPUT_SIZE
        or len(x_train) < 10
    ):
        fb.stop(
            f"x_train {x_train.shape} and x_val {x_val.shape} should be flattened images with 784 values each",
            "pass the lesson's x_train and x_val, as in the check cell",
        )
    try:
        out = np.asarray(my_linear_ae(x_val[:4], training=False))
    except Exception as err:
        fb.stop(
            f"your model cannot process images of 784 values: {type(err).__name__}: {err}"[:300],
            "start the model with keras.Input(shape=(784,))",
        )
    if out.shape != (4, INPUT_SIZE):
        fb.stop(
            f"for 4 images your model outputs shape {out.shape}; an autoencoder gives back (4, 784)",
            "the decoder (last Dense layer) needs 784 units",
        )

    model_layers = [layer for layer in all_layers(my_linear_ae) if type(layer).__name__ != "InputLayer"]
    dense = [layer for layer in model_layers if isinstance(layer, keras.layers.Dense)]
    others = sorted({type(layer).__name__ for layer in model_layers if not isinstance(layer, keras.layers.Dense)})
    if others:
        fb.fail(
            f"your model has layers other than Dense ({', '.join(others)})",
            "a linear autoencoder here is just two Dense layers: encoder and decoder",
        )
    if len(dense) != 2:
        fb.stop(
            f"your model has {len(dense)} Dense layers; this linear autoencoder has two, the encoder "
            f"(784 → {k}) and the decoder ({k} → 784)",
            "keras.Sequential([keras.Input(shape=(784,)), layers.Dense(K_EXERCISE), layers.Dense(784)])",
        )
    encoder, decoder = dense
    fb.expect(
        encoder.units == LINEAR_CODE_SIZE,
        f"the code has {LINEAR_CODE_SIZE} numbers",
        f"your code layer has {encoder.units} units; the task asks for K_EXERCISE = {LINEAR_CODE_SIZE}",
        "the first Dense layer's size is the code size: layers.Dense(K_EXERCISE)",
    )
    nonlinear = [(i, getattr(layer.activation, "__name__", str(layer.activation))) for i, layer in enumerate(dense)]
    nonlinear = [(i, name) for i, name in nonlinear if name != "linear"]
    fb.expect(
        not nonlinear,
        "no activation in either layer: the model is linear",
        "; ".join(
            f"your {'encoder' if i == 0 else 'decoder'} layer uses the {name} activation" for i, name in nonlinear
        )
        + " — a linear autoencoder has none",
        "leave out activation=... (a Dense layer is linear by default)",
    )
    loss = _loss_name(my_linear_ae).lower()
    if loss and not ("mse" in loss or "mean_squared" in loss or "meansquared" in loss):
        fb.fail(
            f"your model is compiled with loss={loss!r}; PCA's subspace is the optimum of the squared error",
            "compile with loss='mse' (binary cross-entropy also needs outputs in [0, 1])",
        )
    if fb.failed:
        fb.stop(
            "fix the layers and the loss first; then the subspace is measured",
            "compare with the linear autoencoder of the cell above the exercise",
        )

    kernel = np.asarray(decoder.kernel)  # (k, 784): one row per code unit
    if not np.all(np.isfinite(kernel)):
        fb.stop(
            "your decoder's weights contain nan or inf: training diverged",
            "use loss='mse' and a learning rate of at most about 0.01",
        )
    pca = PCA(LINEAR_CODE_SIZE, random_state=0).fit(x_train)
    angles = np.degrees(subspace_angles(kernel.T, pca.components_.T))
    fb.expect(
        angles.max() < 10,
        f"its decoder spans PCA-{k}'s subspace (largest principal angle {angles.max():.1f}°)",
        f"the largest principal angle between your decoder's subspace and PCA-{k}'s is {angles.max():.1f}° (should be "
        "below 10°): it is not (yet) PCA's subspace",
        "train it with fit — longer, or with the learning-rate schedule and the bias start of the cell above; "
        "an untrained model sits near 90°",
    )
    model_mse = float(np.mean((np.asarray(my_linear_ae(x_val, training=False)) - x_val) ** 2))
    pca_mse = float(np.mean((pca.inverse_transform(pca.transform(x_val)) - x_val) ** 2))
    fb.expect(
        model_mse <= 1.05 * pca_mse,
        f"validation MSE {model_mse:.5f}, within 5 % of PCA-{k}'s {pca_mse:.5f}",
        f"validation MSE {model_mse:.5f} is {model_mse / pca_mse - 1:.0%} above PCA-{k}'s {pca_mse:.5f}",
        "train longer; a linear autoencoder at its optimum ties PCA",
    )

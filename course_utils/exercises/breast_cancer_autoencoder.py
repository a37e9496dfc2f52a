"""Exercises of lesson 03 (notebooks/03_breast_cancer_autoencoder.ipynb).

* ``03-scaler``    — fit the Min-Max scaler on the fitting rows only (no leakage);
* ``03-beat-pca``  — change the original model until its validation MSE is at or below PCA-7's;
* ``03-auc``       — ROC AUC by hand (pairs, ties count one half);
* ``03-threshold`` — the highest threshold with 95 % recall on the malignant training rows, and its
  precision on the test rows.

The checks rebuild the lesson's rows themselves (scikit-learn's breast-cancer table, the original
example's 80/20 split with ``random_state=42``, then 20 % of the training rows for validation), so a
student's answer is always compared with a reference computed on the spot.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from . import Feedback, Mistake, exercise

NOTEBOOK = "03_breast_cancer_autoencoder"


@lru_cache(maxsize=1)
def _rows() -> dict[str, np.ndarray]:
    """The lesson's row sets (section 2): raw and scaled (scaler fitted on the 364 fitting rows)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train_raw, X_test_raw = train_test_split(X, test_size=0.2, random_state=42)
    X_fit_raw, X_val_raw = train_test_split(X_train_raw, test_size=0.2, random_state=42)
    scaler = MinMaxScaler().fit(X_fit_raw)
    return {
        "X": X,
        "y": y,
        "X_train_raw": X_train_raw,
        "X_test_raw": X_test_raw,
        "X_fit_raw": X_fit_raw,
        "X_val_raw": X_val_raw,
        "X_fit": scaler.transform(X_fit_raw).astype("float32"),
        "X_val": scaler.transform(X_val_raw).astype("float32"),
    }


@lru_cache(maxsize=1)
def _pca7_val_mse() -> float:
    from sklearn.decomposition import PCA

    r = _rows()
    pca = PCA(n_components=7).fit(r["X_fit"])
    return float(np.mean((r["X_val"] - pca.inverse_transform(pca.transform(r["X_val"]))) ** 2))


def _as_array(fb: Feedback, value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fb.stop(f"{name} should be an array of numbers, got {type(value).__name__}", f"{name} = scaler.transform(...)")
    if arr.shape != shape:
        fb.stop(f"{name} has shape {arr.shape}; expected {shape}", "scale every row and keep all 30 columns")
    return arr


# --------------------------------------------------------------------------- 03-scaler
def _scaler_context() -> dict[str, Any]:
    from sklearn.preprocessing import MinMaxScaler

    r = _rows()
    return {
        "np": np,
        "MinMaxScaler": MinMaxScaler,
        **{k: r[k] for k in ("X", "X_train_raw", "X_test_raw", "X_fit_raw", "X_val_raw")},
    }


@exercise(
    "03-scaler",
    notebook=NOTEBOOK,
    title="Scale without leaking",
    answers=("scaler", "X_fit_scaled", "X_val_scaled"),
    solution="""
scaler = MinMaxScaler().fit(X_fit_raw)      # min and max of every column, from the fitting rows only
X_fit_scaled = scaler.transform(X_fit_raw)
X_val_scaled = scaler.transform(X_val_raw)  # transform, not fit_transform: the same scaler for both
""",
    context=_scaler_context,
    mistakes=(
        Mistake(
            "scaler = MinMaxScaler().fit(X)\nX_fit_scaled = scaler.transform(X_fit_raw)\nX_val_scaled = scaler.transform(X_val_raw)",
            "fitted on all 569 rows",
            "the original example's leak: the scaler sees every row",
        ),
        Mistake(
            "scaler = MinMaxScaler().fit(X_fit_raw)\nX_fit_scaled = scaler.transform(X_fit_raw)\n"
            "X_val_scaled = MinMaxScaler().fit_transform(X_val_raw)",
            "second scaler fitted on the validation rows",
            "fit_transform on the validation rows",
        ),
        Mistake(
            "scaler = MinMaxScaler().fit(X_train_raw)\nX_fit_scaled = scaler.transform(X_fit_raw)\n"
            "X_val_scaled = scaler.transform(X_val_raw)",
            "including the 91 validation rows",
            "fitted on fitting + validation rows",
        ),
    ),
)
def _check_scaler(fb: Feedback, scaler: Any, X_fit_scaled: Any, X_val_scaled: Any) -> None:
    r = _rows()
    lows, highs = getattr(scaler, "data_min_", None), getattr(scaler, "data_max_", None)
    if lows is None or highs is None:
        if hasattr(scaler, "fit") and hasattr(scaler, "transform"):
            fb.stop("your scaler has not been fitted yet", "create and fit it in one go: MinMaxScaler().fit(rows)")
        fb.stop(
            f"scaler should be a fitted MinMaxScaler, got {type(scaler).__name__}", "scaler = MinMaxScaler().fit(...)"
        )
    try:
        lows, highs = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
    except (TypeError, ValueError):
        fb.stop(
            "scaler.data_min_ / data_max_ are not numbers: is it a MinMaxScaler?", "scaler = MinMaxScaler().fit(...)"
        )
    if lows.shape != (30,):
        fb.stop(
            f"your scaler was fitted on {lows.size} column(s); the table has 30",
            "fit it on the raw rows, e.g. X_fit_raw",
        )
    row_sets = {
        "fit": (r["X_fit_raw"], None),
        "all": (
            r["X"],
            "your scaler was fitted on all 569 rows, as the original example does: the validation "
            "and test rows leak into the fitting",
        ),
        "train": (
            r["X_train_raw"],
            "your scaler was fitted on all 455 training rows, including the 91 validation "
            "rows: the validation rows leak into the fitting",
        ),
        "val": (r["X_val_raw"], "your scaler was fitted on the validation rows; models are fitted on X_fit_raw"),
        "test": (r["X_test_raw"], "your scaler was fitted on the test rows: they must play no part in any fitting"),
    }
    hint = "fit it on the rows the models learn from: MinMaxScaler().fit(X_fit_raw)"
    for rows, problem in row_sets.values():
        if np.allclose(lows, rows.min(axis=0)) and np.allclose(highs, rows.max(axis=0)):
            if problem is None:
                fb.ok("the scaler was fitted on the 364 fitting rows only")
            else:
                fb.fail(problem, hint)
            break
    else:
        fb.fail("your scaler's minimum and maximum match none of the lesson's row sets", hint)

    reference = _MinMaxFit(r["X_fit_raw"])
    fit_scaled = _as_array(fb, X_fit_scaled, "X_fit_scaled", (364, 30))
    fb.expect(
        np.allclose(fit_scaled, reference(r["X_fit_raw"]), atol=1e-5),
        "X_fit_scaled is right (every column runs from 0 to 1)",
        "X_fit_scaled is not X_fit_raw scaled by a scaler fitted on X_fit_raw",
        "X_fit_scaled = scaler.transform(X_fit_raw)",
    )
    val_scaled = _as_array(fb, X_val_scaled, "X_val_scaled", (91, 30))
    if np.allclose(val_scaled, reference(r["X_val_raw"]), atol=1e-5):
        outside = int(np.sum((val_scaled < 0) | (val_scaled > 1)))
        fb.ok(
            f"X_val_scaled is right: {outside} of its values fall outside [0, 1], as they should with an honest scaler"
        )
    elif np.allclose(val_scaled, _MinMaxFit(r["X_val_raw"])(r["X_val_raw"]), atol=1e-5):
        fb.fail(
            "X_val_scaled was made by a second scaler fitted on the validation rows themselves (fit_transform)",
            "scale the validation rows with the scaler fitted on the fitting rows: scaler.transform(X_val_raw)",
        )
    else:
        fb.fail(
            "X_val_scaled is not X_val_raw scaled by a scaler fitted on X_fit_raw",
            "X_val_scaled = scaler.transform(X_val_raw)",
        )


class _MinMaxFit:
    """Min-Max scaling learnt from ``rows`` (the reference, without scikit-learn's conventions)."""

    def __init__(self, rows: np.ndarray) -> None:
        self.low = rows.min(axis=0)
        span = rows.max(axis=0) - self.low
        self.span = np.where(span == 0, 1.0, span)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return (rows - self.low) / self.span


# --------------------------------------------------------------------------- 03-beat-pca
def _beat_pca_context() -> dict[str, Any]:
    import keras
    from keras import layers

    r = _rows()
    return {"np": np, "math": math, "keras": keras, "layers": layers, "X_fit": r["X_fit"], "X_val": r["X_val"]}


def _dense_units(model: Any) -> list[int]:
    units = []
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers"):  # a nested model
            units += _dense_units(layer)
        elif hasattr(layer, "units"):
            units.append(int(layer.units))
    return units


_ORIGINAL_LAYERS = """
inputs = keras.Input(shape=(30,))
h = layers.Dense(15, activation="relu")(inputs)
h = layers.Dense({code}, activation="relu", name="code")(h)
h = layers.Dense(15, activation="relu")(h)
outputs = layers.Dense(30, activation="sigmoid")(h)
my_model = keras.Model(inputs, outputs)
my_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mean_squared_error")
"""


@exercise(
    "03-beat-pca",
    notebook=NOTEBOOK,
    title="Change the model until it beats PCA-7",
    answers=("my_model",),
    solution="""
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(30,))
h = layers.Dense(32, activation="elu")(inputs)      # ELU: hidden units cannot die; 32 instead of 15
code = layers.Dense(7, name="code")(h)              # a linear code: no ReLU, so no dead code units
h = layers.Dense(32, activation="elu")(code)
outputs = layers.Dense(30, activation="sigmoid")(h)
my_model = keras.Model(inputs, outputs)
steps = 150 * math.ceil(len(X_fit) / 32)            # 150 epochs, the learning rate falls from 0.01 to 0
schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.01, decay_steps=steps)
my_model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mean_squared_error")
my_model.fit(X_fit, X_fit, epochs=150, batch_size=32, shuffle=True, verbose=0)
""",
    context=_beat_pca_context,
    mistakes=(
        Mistake(
            "keras.utils.set_random_seed(0)\n"
            + _ORIGINAL_LAYERS.format(code=7)
            + "my_model.fit(X_fit, X_fit, epochs=50, batch_size=32, verbose=0)",
            "not yet below",
            "the original example unchanged",
        ),
        Mistake(
            _ORIGINAL_LAYERS.format(code=15),
            "the code must have 7 numbers",
            "a wider code than PCA's 7 numbers (not a fair comparison)",
        ),
    ),
)
def _check_beat_pca(fb: Feedback, my_model: Any) -> None:
    import keras

    if not isinstance(my_model, keras.Model):
        fb.stop(
            f"my_model should be a trained Keras model, got {type(my_model).__name__}",
            "build it with keras.Model(inputs, outputs), compile, fit on X_fit, then my_model = that model",
        )
    r = _rows()
    out = np.asarray(keras.ops.convert_to_numpy(my_model(r["X_val"])), dtype=float)
    if out.shape != r["X_val"].shape:
        fb.stop(
            f"your model turns a row of 30 numbers into shape {out.shape[1:]}; an autoencoder returns all 30",
            "the last layer must be Dense(30, ...)",
        )
    fb.ok("takes and returns rows of 30 numbers")
    units = _dense_units(my_model)
    if not units:
        fb.stop("no Dense layer found in your model", "build it from layers.Dense as in build_original_autoencoder")
    narrowest = min(units)
    if narrowest > 7:
        fb.stop(
            f"your narrowest layer has {narrowest} units: the code must have 7 numbers, like PCA-7's 7 coordinates",
            "keep the middle Dense layer at 7 units, otherwise the comparison with PCA-7 is not fair",
        )
    fb.ok(f"the code (narrowest layer) has {narrowest} numbers")
    mse = float(np.mean((r["X_val"] - out) ** 2))
    pca = _pca7_val_mse()
    fb.expect(
        mse <= pca,
        f"validation MSE {mse:.5f} is at or below PCA-7's {pca:.5f} ({mse / pca:.2f} x)",
        f"validation MSE {mse:.5f} is {mse / pca:.2f} x PCA-7's {pca:.5f}: not yet below",
        "the clues of section 4.1: a linear code (no ReLU) cannot die, ELU hidden layers keep a gradient, "
        "and more epochs with a learning rate that starts higher and decays let the training finish; "
        "fit on X_fit only",
    )


# --------------------------------------------------------------------------- 03-auc
@exercise(
    "03-auc",
    notebook=NOTEBOOK,
    title="ROC AUC by hand",
    answers=("my_auc",),
    solution='''
def my_auc(labels, scores):
    """Share of (malignant, benign) pairs in which the malignant row scores higher; a tie counts 1/2."""
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    higher = pos[:, None] > neg[None, :]      # a table: every malignant row against every benign row
    ties = pos[:, None] == neg[None, :]
    return float(np.mean(higher + 0.5 * ties))
''',
    context=lambda: {"np": np},
    mistakes=(
        Mistake(
            "def my_auc(labels, scores):\n    pos, neg = scores[labels == 1], scores[labels == 0]\n"
            "    return float(np.mean((pos[:, None] < neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])))",
            "direction is reversed",
            "counts the pairs where the benign row scores higher",
        ),
        Mistake(
            "def my_auc(labels, scores):\n    pos, neg = scores[labels == 1], scores[labels == 0]\n"
            "    return float(np.mean(pos[:, None] > neg[None, :]))",
            "ties",
            "forgets that a tie counts one half",
        ),
    ),
)
def _check_auc(fb: Feedback, my_auc: Any) -> None:
    from sklearn.metrics import roc_auc_score

    if not callable(my_auc):
        fb.stop(
            f"my_auc should be a function, got {type(my_auc).__name__}", "define it with `def my_auc(labels, scores):`"
        )

    def call(labels: np.ndarray, scores: np.ndarray) -> float:
        value = my_auc(labels, scores)
        try:
            return float(value)
        except (TypeError, ValueError):
            fb.stop(f"my_auc returned {type(value).__name__}, not a number", "return one float between 0 and 1")
        raise AssertionError  # unreachable: stop raises

    tiny = call(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    fb.expect(
        abs(tiny - 0.75) < 1e-9,
        "a small example with 4 pairs gives 0.75 (3 of 4 pairs ranked right)",
        f"a small example gives {tiny:.4f}; 3 of its 4 (malignant, benign) pairs are ranked right, so 0.75",
        "labels [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]: compare 0.35 and 0.8 with 0.1 and 0.4",
    )
    rng = np.random.default_rng(3)
    labels = np.r_[np.ones(25, int), np.zeros(40, int)]
    rng.shuffle(labels)
    smooth = rng.normal(size=65) + labels
    ref = float(roc_auc_score(labels, smooth))
    value = call(labels, smooth)
    if abs(value - ref) < 1e-9:
        fb.ok(f"matches scikit-learn's roc_auc_score on scores without ties ({value:.4f})")
    elif abs(value - (1 - ref)) < 1e-9:
        fb.stop(
            f"your AUC is {value:.4f} = 1 − the right value {ref:.4f}: the direction is reversed",
            "count the pairs in which the MALIGNANT row (label 1) has the higher score",
        )
    else:
        fb.stop(
            f"your value {value:.4f} differs from scikit-learn's {ref:.4f} on scores without ties",
            "AUC = the share of (malignant, benign) pairs in which the malignant row scores higher",
        )
    tied = rng.integers(0, 5, size=65).astype(float) + labels
    ref = float(roc_auc_score(labels, tied))
    value = call(labels, tied)
    pos, neg = tied[labels == 1], tied[labels == 0]
    if abs(value - ref) < 1e-9:
        fb.ok(f"handles ties like scikit-learn ({value:.4f})")
    elif (
        abs(value - float(np.mean(pos[:, None] > neg[None, :]))) < 1e-9
        or abs(value - float(np.mean(pos[:, None] >= neg[None, :]))) < 1e-9
    ):
        fb.fail(
            f"with tied scores you get {value:.4f}, scikit-learn {ref:.4f}: ties are counted as 0 or 1",
            "a pair with equal scores counts one half: add 0.5 * (pos[:, None] == neg[None, :])",
        )
    else:
        fb.fail(
            f"with tied scores you get {value:.4f}, scikit-learn {ref:.4f}", "a pair with equal scores counts one half"
        )


# --------------------------------------------------------------------------- 03-threshold
@lru_cache(maxsize=1)
def _threshold_scores() -> dict[str, np.ndarray]:
    """Anomaly scores on the lesson's main split (PCA-7 error here: cheap and deterministic)."""
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    r = _rows()
    X_tr, X_te, y_tr, y_te = train_test_split(r["X"], r["y"], test_size=0.2, random_state=42, stratify=r["y"])
    scaler = MinMaxScaler().fit(X_tr[y_tr == 1])
    x_tr, x_te = scaler.transform(X_tr), scaler.transform(X_te)
    pca = PCA(n_components=7).fit(x_tr[y_tr == 1])

    def score(x: np.ndarray) -> np.ndarray:
        return np.mean((x - pca.inverse_transform(pca.transform(x))) ** 2, axis=1)

    return {
        "train": score(x_tr),
        "train_labels": (y_tr == 0).astype(int),
        "test": score(x_te),
        "test_labels": (y_te == 0).astype(int),
    }


def _threshold_context() -> dict[str, Any]:
    return {"np": np, "repaired_scores": dict(_threshold_scores())}


def _precision(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    flagged = scores >= threshold
    return float(np.mean(labels[flagged] == 1)) if flagged.any() else 0.0


@exercise(
    "03-threshold",
    notebook=NOTEBOOK,
    title="A threshold for 95 % recall, chosen on training rows",
    answers=("threshold_95", "test_precision", "repaired_scores"),
    solution="""
malignant_train = repaired_scores["train"][repaired_scores["train_labels"] == 1]
# the highest threshold that still flags >= 95 % of them: their 5th percentile, rounded down to a score
threshold_95 = np.quantile(malignant_train, 0.05, method="lower")
flagged = repaired_scores["test"] >= threshold_95
test_precision = float(np.mean(repaired_scores["test_labels"][flagged] == 1))  # share of flagged rows that are malignant
""",
    context=_threshold_context,
    mistakes=(
        Mistake(
            'mal = repaired_scores["test"][repaired_scores["test_labels"] == 1]\n'
            'threshold_95 = np.quantile(mal, 0.05, method="lower")\n'
            'flagged = repaired_scores["test"] >= threshold_95\n'
            'test_precision = float(np.mean(repaired_scores["test_labels"][flagged] == 1))',
            "chosen on the test rows",
            "uses the test labels to choose the threshold",
        ),
        Mistake(
            'mal = repaired_scores["train"][repaired_scores["train_labels"] == 1]\n'
            "threshold_95 = np.quantile(mal, 0.95)\n"
            'flagged = repaired_scores["test"] >= threshold_95\n'
            'test_precision = float(np.mean(repaired_scores["test_labels"][flagged] == 1))',
            "direction",
            "the 95th instead of the 5th percentile (higher score = more anomalous)",
        ),
        Mistake(
            'mal = repaired_scores["train"][repaired_scores["train_labels"] == 1]\n'
            'threshold_95 = np.quantile(mal, 0.05, method="lower")\n'
            'flagged = repaired_scores["train"] >= threshold_95\n'
            'test_precision = float(np.mean(repaired_scores["train_labels"][flagged] == 1))',
            "precision on the training rows",
            "reports the precision on the training rows",
        ),
    ),
)
def _check_threshold(fb: Feedback, threshold_95: Any, test_precision: Any, repaired_scores: Any) -> None:
    keys = ("train", "train_labels", "test", "test_labels")
    if not isinstance(repaired_scores, dict) or any(k not in repaired_scores for k in keys):
        fb.stop(
            "the third argument should be the dict repaired_scores from the scaffold cell "
            "(keys 'train', 'train_labels', 'test', 'test_labels')",
            "run the scaffold cell again",
        )
    try:
        s_tr, l_tr, s_te, l_te = (np.asarray(repaired_scores[k], dtype=float) for k in keys)
    except (TypeError, ValueError):
        fb.stop("repaired_scores should hold arrays of numbers", "run the scaffold cell again")
    if (
        s_tr.shape != l_tr.shape
        or s_te.shape != l_te.shape
        or s_tr.ndim != 1
        or not (l_tr == 1).any()
        or not (l_te == 1).any()
    ):
        fb.stop("repaired_scores does not look like the scaffold's scores and labels", "run the scaffold cell again")
    try:
        t = float(threshold_95)
    except (TypeError, ValueError):
        fb.stop(
            f"threshold_95 should be a number, got {type(threshold_95).__name__}",
            "one score value: flag rows with score >= threshold_95",
        )
    if not math.isfinite(t):
        fb.stop(f"threshold_95 is {t}", "choose a finite score value")

    mal_tr = np.sort(s_tr[l_tr == 1])
    mal_te = np.sort(s_te[l_te == 1])
    needed = math.ceil(0.95 * len(mal_tr))
    best_train = mal_tr[len(mal_tr) - needed]
    test_choices = [mal_te[len(mal_te) - math.ceil(0.95 * len(mal_te))]] + [
        np.quantile(mal_te, 0.05, method=m) for m in ("linear", "lower", "higher", "nearest", "midpoint")
    ]
    if not np.isclose(t, best_train, rtol=1e-9, atol=0) and any(
        np.isclose(t, c, rtol=1e-9, atol=0) for c in test_choices
    ):
        fb.stop(
            "your threshold matches the malignant TEST rows: it was chosen on the test rows, so the test "
            "numbers it gives are optimistic",
            'choose it from the training rows: repaired_scores["train"][repaired_scores["train_labels"] == 1]',
        )
    flagged = int(np.sum(mal_tr >= t))
    recall = flagged / len(mal_tr)
    if recall < 0.5:
        fb.stop(
            f"your threshold flags only {recall:.0%} of the malignant training rows: is the direction reversed?",
            "a higher score means more anomalous, so flags are score >= threshold: a LOW percentile (the 5th) "
            "of the malignant training scores flags 95 % of them",
        )
    if flagged < needed - 1:  # one row of slack for interpolated percentiles
        fb.fail(
            f"your threshold flags {recall:.1%} of the malignant training rows, fewer than 95 %",
            "lower the threshold a little: np.quantile(malignant_train, 0.05, method='lower')",
        )
    elif flagged > needed + 1:
        fb.fail(
            f"your threshold flags {recall:.1%} of the malignant training rows; the highest threshold that "
            f"reaches 95 % flags {needed / len(mal_tr):.1%} — a lower one only adds false alarms",
            "take the highest threshold that still flags 95 % of them",
        )
    else:
        fb.ok(f"flags {recall:.1%} of the malignant training rows (95 % asked), chosen without the test rows")

    try:
        p = float(test_precision)
    except (TypeError, ValueError):
        fb.stop(
            f"test_precision should be a number, got {type(test_precision).__name__}",
            "precision = share of the flagged test rows that are malignant",
        )
    reference = _precision(s_te, l_te, t)
    if abs(p - reference) < 1e-6:
        fb.ok(f"test precision {p:.3f}: {p:.0%} of the flagged test tumours are malignant")
    elif abs(p - _precision(s_tr, l_tr, t)) < 1e-6:
        fb.fail(
            f"{p:.3f} is the precision on the training rows; the task asks for the test rows ({reference:.3f})",
            'flag the test rows: repaired_scores["test"] >= threshold_95, then the share of them that are malignant',
        )
    elif abs(p - float(np.mean(s_te[l_te == 1] >= t))) < 1e-6:
        fb.fail(
            f"{p:.3f} is the recall on the test rows (the share of malignant rows flagged), not the precision",
            "precision = the share of FLAGGED test rows that are malignant",
        )
    else:
        fb.fail(
            f"your precision {p:.3f} differs from the precision of your threshold on the test rows ({reference:.3f})",
            "precision = malignant among flagged / flagged, on the test rows",
        )

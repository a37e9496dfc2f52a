"""Exercises of lesson 03 (notebooks/03_breast_cancer_autoencoder.ipynb).

* ``03-scaler``    — fit the Min-Max scaler on the fitting rows only (no leakage);
* ``03-beat-pca``  — change the original model until its validation MSE is at or below PCA-7's;
* ``03-auc``       — ROC AUC by hand (pairs, ties count one half);
* ``03-threshold`` — write the function that chooses a threshold on validation rows (the highest one
  that flags 95 % of the malignant ones) and reports precision and recall on the test rows.

The checks rebuild the lesson's rows themselves (scikit-learn's breast-cancer table, the original
example's 80/20 split with ``random_state=42``, then 20 % of the training rows for validation), so a
student's answer is always compared with a reference computed on the spot.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from . import Feedback, exercise, is_missing
from ._keras import all_layers


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


def _solve_scaler(X_fit_raw, X_val_raw, MinMaxScaler):
    scaler = MinMaxScaler().fit(X_fit_raw)  # min and max of every column, from the fitting rows only
    X_fit_scaled = scaler.transform(X_fit_raw)
    X_val_scaled = scaler.transform(X_val_raw)  # transform, not fit_transform: the same scaler for both
    return scaler, X_fit_scaled, X_val_scaled


@exercise("03-scaler", "Scale without leaking", _solve_scaler, _scaler_context)
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


def _solve_beat_pca(X_fit, keras, layers):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(30,))
    h = layers.Dense(32, activation="elu")(inputs)  # ELU: hidden units cannot die; 32 instead of 15
    code = layers.Dense(7, name="code")(h)  # a linear code: no ReLU, so no dead code units
    h = layers.Dense(32, activation="elu")(code)
    outputs = layers.Dense(30, activation="sigmoid")(h)
    my_model = keras.Model(inputs, outputs)
    steps = 150 * math.ceil(len(X_fit) / 32)  # 150 epochs, the learning rate falls from 0.01 to 0
    schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.01, decay_steps=steps)
    my_model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mean_squared_error")
    my_model.fit(X_fit, X_fit, epochs=150, batch_size=32, shuffle=True, verbose=0)
    return my_model


@exercise("03-beat-pca", "Change the model until it beats PCA-7", _solve_beat_pca, _beat_pca_context)
def _check_beat_pca(fb: Feedback, my_model: Any) -> None:
    import keras

    fb.require_model(
        my_model,
        "my_model",
        "build it with keras.Model(inputs, outputs), compile, fit on X_fit, then my_model = that model",
        what="a trained Keras model",
    )
    r = _rows()
    out = np.asarray(keras.ops.convert_to_numpy(my_model(r["X_val"])), dtype=float)
    if out.shape != r["X_val"].shape:
        fb.stop(
            f"your model turns a row of 30 numbers into shape {out.shape[1:]}; an autoencoder returns all 30",
            "the last layer must be Dense(30, ...)",
        )
    fb.ok("takes and returns rows of 30 numbers")
    units = [int(layer.units) for layer in all_layers(my_model) if hasattr(layer, "units")]
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
def _solve_auc():
    def my_auc(labels, scores):
        """Share of (malignant, benign) pairs in which the malignant row scores higher; a tie counts 1/2."""
        pos = scores[labels == 1]
        neg = scores[labels == 0]
        higher = pos[:, None] > neg[None, :]  # a table: every malignant row against every benign row
        ties = pos[:, None] == neg[None, :]
        return float(np.mean(higher + 0.5 * ties))

    return my_auc


@exercise("03-auc", "ROC AUC by hand", _solve_auc, lambda: {"np": np})
def _check_auc(fb: Feedback, my_auc: Any) -> None:
    from sklearn.metrics import roc_auc_score

    fb.require_function(my_auc, "my_auc", "(labels, scores)")

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
RECALL_TARGET = 0.95  # the share of malignant rows a threshold must flag


def _solve_threshold():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        """Choose the threshold on the validation rows; return (threshold, precision, recall) on the test rows."""
        malignant = np.sort(val_scores[val_labels == 1])  # validation scores of the malignant rows, lowest first
        n_below = int(np.floor((1 - min_recall) * len(malignant) + 1e-9))  # how many of them we may miss
        threshold = malignant[n_below]  # the highest threshold that flags >= min_recall of them
        flagged = test_scores >= threshold  # higher score = more anomalous
        caught = np.sum(flagged & (test_labels == 1))  # malignant test rows that are flagged
        precision = caught / max(np.sum(flagged), 1)  # share of the flagged rows that are malignant
        recall = caught / np.sum(test_labels == 1)  # share of the malignant rows that are flagged
        return threshold, precision, recall

    return choose_and_report


def _reference(val_scores, val_labels, test_scores, test_labels, min_recall=RECALL_TARGET):
    """The solution's numbers, from its own code (so the reference cannot drift from it)."""
    return _solve_threshold()(val_scores, val_labels, test_scores, test_labels, min_recall)


def _rates(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(precision, recall) of flagging ``scores >= threshold``."""
    flagged = scores >= threshold
    caught = float(np.sum(flagged & (labels == 1)))
    return caught / max(float(np.sum(flagged)), 1.0), caught / float(np.sum(labels == 1))


def _threshold_cases() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """(what, (val_scores, val_labels, test_scores, test_labels)): validation and test rows deliberately differ."""
    rng = np.random.default_rng(7)

    def rows(n_benign: int, n_malignant: int, shift: float, decimals: int | None = None) -> tuple[np.ndarray, ...]:
        scores = np.r_[rng.gamma(2.0, 1.0, n_benign), shift + rng.gamma(2.0, 1.5, n_malignant)]
        if decimals is not None:
            scores = np.round(scores, decimals)  # ties
        labels = np.r_[np.zeros(n_benign, int), np.ones(n_malignant, int)]
        order = rng.permutation(len(labels))
        return scores[order], labels[order]

    return [
        ("validation and test rows from slightly different distributions", (*rows(70, 41, 1.0), *rows(72, 43, 0.6))),
        ("scores with ties", (*rows(60, 40, 1.5, decimals=0), *rows(60, 40, 1.5, decimals=0))),
    ]


@exercise(
    "03-threshold",
    "Choose a threshold on validation rows, report precision and recall on test rows",
    _solve_threshold,
    lambda: {"np": np},
)
def _check_threshold(fb: Feedback, choose_and_report: Any) -> None:
    fb.require_function(
        choose_and_report, "choose_and_report", "(val_scores, val_labels, test_scores, test_labels, min_recall=0.95)"
    )
    for what, (vs, vl, ts, tl) in _threshold_cases():
        result = choose_and_report(vs.copy(), vl.copy(), ts.copy(), tl.copy())
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            fb.stop(
                f"choose_and_report should return three numbers (threshold, precision, recall), got {result!r:.60}",
                "end with `return threshold, precision, recall`",
            )
        if any(is_missing(v) for v in result):
            fb.stop("choose_and_report still returns ... — not attempted yet", "replace each `...` by your code")
        try:
            t, p, r = (float(v) for v in result)
        except (TypeError, ValueError):
            fb.stop(f"choose_and_report returned {result!r:.80}, not three numbers", "return three floats")
        t_ref, p_ref, r_ref = (float(v) for v in _reference(vs, vl, ts, tl))
        mal_val = vs[vl == 1]
        val_recall = float(np.mean(mal_val >= t))
        if not np.array_equal(mal_val >= t, mal_val >= t_ref):
            t_test = float(_reference(ts, tl, ts, tl)[0])
            if np.isclose(t, t_test) and not np.isclose(t, t_ref):
                fb.stop(
                    f"{what}: your threshold {t:.3f} is the one the malignant TEST rows give — chosen on the test "
                    "rows, so its test precision and recall are optimistic",
                    "choose it from val_scores[val_labels == 1]; the test rows are only for the final report",
                )
            if np.isclose(t, np.quantile(vs[vl == 0], RECALL_TARGET)):
                fb.stop(
                    f"{what}: your threshold is the 95th percentile of the benign validation scores — a rule for "
                    "5 % false alarms, not for flagging 95 % of the malignant validation rows",
                    "sort val_scores[val_labels == 1] and take the highest value that still flags 95 % of them",
                )
            if val_recall < 0.5:
                fb.stop(
                    f"{what}: with `score >= threshold` your threshold {t:.3f} flags only {val_recall:.0%} of the "
                    "malignant validation rows — the direction is reversed",
                    "a higher score means more anomalous: to flag 95 % of the malignant rows take a LOW value "
                    "among their scores (about their 5th percentile), and flag test_scores >= threshold",
                )
            fb.stop(
                f"{what}: your threshold {t:.3f} flags {val_recall:.1%} of the malignant validation rows; the highest "
                f"threshold that flags at least 95 % is {t_ref:.3f} (it flags {np.mean(mal_val >= t_ref):.1%})",
                "a lower threshold than needed only adds false alarms; a higher one misses more than 5 %",
            )
        if np.isclose(p, r_ref) and np.isclose(r, p_ref) and not np.isclose(p, p_ref):
            fb.stop(
                f"{what}: precision and recall are swapped (you return {p:.3f}, {r:.3f})",
                "precision = malignant among FLAGGED rows; recall = flagged among MALIGNANT rows; return them in "
                "the order (threshold, precision, recall)",
            )
        p_below, r_below = _rates(-ts, tl, -t)  # flags test_scores <= threshold
        if np.isclose(p, p_below) and np.isclose(r, r_below) and not np.isclose(p, p_ref):
            fb.stop(
                f"{what}: your precision and recall count the test rows with score <= threshold as flagged — "
                "the direction of the comparison is reversed",
                "higher score = more anomalous: flagged = test_scores >= threshold",
            )
        if not (np.isclose(p, p_ref) and np.isclose(r, r_ref)):
            p_val, r_val = _rates(vs, vl, t)
            if np.isclose(p, p_val) and np.isclose(r, r_val):
                fb.stop(
                    f"{what}: your precision and recall ({p:.3f}, {r:.3f}) are those of the validation rows; the "
                    f"test rows give {p_ref:.3f}, {r_ref:.3f}",
                    "the validation rows choose the threshold; the test rows report how it does on new patients",
                )
            fb.stop(
                f"{what}: precision {p:.3f}, recall {r:.3f}; your threshold gives {p_ref:.3f}, {r_ref:.3f} on the "
                "test rows",
                "flagged = test_scores >= threshold; precision = caught / flagged; recall = caught / malignant",
            )
        fb.ok(f"{what}: threshold {t:.3f} from the validation rows, test precision {p:.3f}, recall {r:.3f}")

"""The typical mistakes of 03-scaler, 03-beat-pca, 03-auc, 03-threshold
(course_utils/exercises/breast_cancer_autoencoder.py): each must fail its check with its message."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.breast_cancer_autoencoder import _rates, _solve_threshold
from exercise_mistakes import Mistake

_ORIGINAL_LAYERS = """
inputs = keras.Input(shape=(30,))
h = layers.Dense(15, activation="relu")(inputs)
h = layers.Dense({code}, activation="relu", name="code")(h)
h = layers.Dense(15, activation="relu")(h)
outputs = layers.Dense(30, activation="sigmoid")(h)
my_model = keras.Model(inputs, outputs)
my_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mean_squared_error")
"""


def _mistake_on_test():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        malignant = np.sort(test_scores[test_labels == 1])  # chosen on the TEST rows
        threshold = malignant[int(np.floor((1 - min_recall) * len(malignant) + 1e-9))]
        return (threshold, *_rates(test_scores, test_labels, threshold))

    return choose_and_report


def _mistake_direction():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        threshold = np.quantile(val_scores[val_labels == 1], min_recall)  # the 95th percentile: flags only 5 %
        return (threshold, *_rates(test_scores, test_labels, threshold))

    return choose_and_report


def _mistake_below():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        threshold = _solve_threshold()(val_scores, val_labels, test_scores, test_labels, min_recall)[0]
        flagged = test_scores <= threshold  # the right threshold, but rows BELOW it flagged
        caught = np.sum(flagged & (test_labels == 1))
        return threshold, caught / max(np.sum(flagged), 1), caught / np.sum(test_labels == 1)

    return choose_and_report


def _mistake_swapped():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        threshold, precision, recall = _solve_threshold()(val_scores, val_labels, test_scores, test_labels, min_recall)
        return threshold, recall, precision

    return choose_and_report


def _mistake_on_validation():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        threshold = _solve_threshold()(val_scores, val_labels, test_scores, test_labels, min_recall)[0]
        return (threshold, *_rates(val_scores, val_labels, threshold))  # reported on the validation rows

    return choose_and_report


def _mistake_benign():
    def choose_and_report(val_scores, val_labels, test_scores, test_labels, min_recall=0.95):
        threshold = np.quantile(val_scores[val_labels == 0], min_recall)  # a false-alarm rule, not a recall rule
        return (threshold, *_rates(test_scores, test_labels, threshold))

    return choose_and_report


MISTAKES = {
    "03-scaler": (
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
    "03-beat-pca": (
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
    "03-auc": (
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
    "03-threshold": (
        Mistake(answer=_mistake_on_test, message="chosen on the test rows", description="uses the test labels"),
        Mistake(answer=_mistake_direction, message="direction", description="the 95th percentile: flags 5 %"),
        Mistake(answer=_mistake_below, message="direction", description="flags scores below the threshold"),
        Mistake(answer=_mistake_swapped, message="swapped", description="returns (threshold, recall, precision)"),
        Mistake(answer=_mistake_on_validation, message="validation rows", description="reports validation rates"),
        Mistake(answer=_mistake_benign, message="malignant validation rows", description="a benign percentile"),
    ),
}

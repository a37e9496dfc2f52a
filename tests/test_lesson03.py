"""Lesson 03's exported code (course_utils.lessons.breast_cancer_autoencoder), which the benchmark
imports: the two models' shapes, that fit_rows really trains, and the anomaly detectors' conventions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler

from course_utils.lessons import breast_cancer_autoencoder as lesson


@pytest.fixture(scope="module")
def rows():
    x, y = load_breast_cancer(return_X_y=True)
    x = MinMaxScaler().fit_transform(x).astype("float32")
    return x, y  # y: 0 = malignant, 1 = benign


def _layers(model):
    return [(layer.units, layer.activation.__name__) for layer in model.layers if hasattr(layer, "units")]


def test_the_two_models_differ_where_the_lesson_says():
    original, repaired = lesson.build_original_autoencoder(seed=0), lesson.build_repaired_autoencoder(seed=0)
    assert _layers(original) == [(15, "relu"), (7, "relu"), (15, "relu"), (30, "sigmoid")]
    assert _layers(repaired) == [(32, "elu"), (7, "linear"), (32, "elu"), (30, "sigmoid")]
    assert original.get_layer("code").units == repaired.get_layer("code").units == 7
    assert not original.compiled and not repaired.compiled  # the lesson compiles them visibly
    a, b = lesson.build_original_autoencoder(seed=3), lesson.build_original_autoencoder(seed=3)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_fit_rows_trains_and_checks_its_schedule(rows):
    x = rows[0][:128]
    model = lesson.build_repaired_autoencoder(seed=0)
    before = float(np.mean(lesson.reconstruction_errors(model, x)))
    history = lesson.fit_rows(model, x, epochs=20, learning_rate=1e-2, schedule="cosine")
    after = lesson.reconstruction_errors(model, x)
    assert after.shape == (128,) and np.all(after >= 0)
    assert float(after.mean()) < 0.5 * before
    assert len(history.history["loss"]) == 1  # all epochs packed into one Keras epoch
    with pytest.raises(ValueError, match="schedule must be 'constant' or 'cosine'"):
        lesson.fit_rows(model, x, epochs=1, schedule="step")


def test_anomaly_scores_rank_malignant_rows_higher(rows):
    x, y = rows
    normal, rest = x[y == 1][:200], np.concatenate([x[y == 1][200:260], x[y == 0][:60]])
    labels = np.r_[np.zeros(60), np.ones(60)]  # 1 = malignant = anomaly
    quick = {"epochs": 30, "batch_size": 32, "learning_rate": 1e-2, "schedule": "cosine"}
    scores = lesson.anomaly_scores(normal, rest, seed=0, original_recipe=quick, repaired_recipe=quick)
    assert set(scores) == set(lesson.DETECTORS)
    for name, s in scores.items():
        assert s.shape == (120,), name
        assert roc_auc_score(labels, s) > 0.75, f"{name}: higher must mean more anomalous"


def test_the_notebook_chooses_on_validation_rows_and_reports_on_test_rows():
    """Thresholds and the widget's detector come from validation rows; the test rows only report."""
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "03_breast_cancer_autoencoder.ipynb"
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    thresholds = next(c for c in code if re.search(r"^thresholds = ", c, re.M))
    assert "val_scores" in thresholds and "test_scores" not in thresholds.split("\n")[0]
    widget = next(c for c in code if "threshold_explorer(" in c)
    choice = next(line for line in widget.splitlines() if line.startswith("best_ae ="))
    assert "val_auc" in choice and "aucs" not in choice, choice
    assert "malignant_va" in widget

"""Explorer of an anomaly threshold: confusion matrix, precision and recall (03).

Used by: ``course_utils.widgets`` (every name is reachable as ``widgets.NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .. import metrics
from ..plotting import PALETTE, confusion_matrix_plot
from .core import Explorer, _mark_point, _summary_html, show_figure


# --------------------------------------------------------------------------------------
# 5. anomaly threshold -> confusion matrix, precision, recall   (03_breast_cancer_autoencoder)
# --------------------------------------------------------------------------------------
def threshold_state(labels: ArrayLike, scores: ArrayLike, threshold: float) -> dict[str, Any]:
    """Pure update of the threshold explorer.

    The logic behind :func:`threshold_explorer`.  Everything of
    :func:`course_utils.metrics.confusion_at_threshold` (counts, precision, recall, ...) plus
    the ROC curve (``roc_fpr``, ``roc_tpr``), ``auc``, and the current point
    ``(fpr, tpr)`` on it.
    """
    conf = metrics.confusion_at_threshold(labels, scores, threshold)
    fpr, tpr, _ = metrics.roc_curve_points(labels, scores)
    return {**conf, "roc_fpr": fpr, "roc_tpr": tpr, "auc": metrics.roc_auc(labels, scores)}


def threshold_figure(state: Mapping[str, Any], *, names: tuple[str, str] = ("normal", "anomaly")) -> Figure:
    """Confusion matrix and the ROC curve with the current operating point (two axes)."""
    fig, (ax_cm, ax_roc) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    confusion_matrix_plot(state, ax=ax_cm, names=names)
    ax_roc.plot([0, 1], [0, 1], color="0.6", linestyle=":")
    ax_roc.plot(state["roc_fpr"], state["roc_tpr"], color=PALETTE[0], label=f"AUC {state['auc']:.3f}")
    _mark_point(ax_roc, state["fpr"], state["tpr"], label="threshold")
    ax_roc.set_xlabel("false-positive rate")
    ax_roc.set_ylabel("true-positive rate (recall)")
    ax_roc.set_aspect("equal")
    ax_roc.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def threshold_explorer(
    labels: ArrayLike,
    scores: ArrayLike,
    initial: float | None = None,
    *,
    names: tuple[str, str] = ("benign", "malignant"),
) -> Explorer:
    """Threshold slider → confusion matrix, precision, recall and the point on the ROC curve.

    Taught in: 03_breast_cancer_autoencoder.  The slider spans the range of ``scores`` and
    starts at ``initial`` (default: Youden's threshold — for teaching only; in practice
    choose it on training data).  Control: ``controls["threshold"]``.
    """
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=float)
    if initial is None:
        initial = metrics.threshold_youden(y, s)  # also validates labels and scores
    else:
        metrics.roc_auc(y, s)  # validates labels and scores with clear messages
    lo, hi = float(np.min(s)), float(np.max(s))
    if hi <= lo:
        hi = lo + 1.0
    slider = widgets.FloatSlider(
        value=float(np.clip(initial, lo, hi)),
        min=lo,
        max=hi,
        step=(hi - lo) / 200,
        readout_format=".4g",
        description="threshold",
        continuous_update=False,
    )

    def refresh() -> dict[str, Any]:
        st = threshold_state(y, s, slider.value)
        box.summary.value = _summary_html(
            {
                "threshold": st["threshold"],
                "precision": st["precision"],
                "recall": st["recall"],
                "specificity": st["specificity"],
                "flagged": st["tp"] + st["fp"],
            }
        )
        show_figure(box.output, threshold_figure(st, names=names))
        return st

    box = Explorer({"threshold": slider}, refresh)
    return box.watch(slider)

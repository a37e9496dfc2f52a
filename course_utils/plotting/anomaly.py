"""Anomaly-detection figures: ROC curve, score histograms, confusion matrix.

Used by: ``course_utils.plotting`` (every name is reachable as ``plotting.NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..metrics import roc_auc, roc_curve_points
from .style import MARKERS, SEQUENTIAL_CMAP, _color, _new_axes


# --------------------------------------------------------------------------------------
# anomaly detection
# --------------------------------------------------------------------------------------
def roc_plot(
    labels: ArrayLike,
    scores_by_name: Mapping[str, ArrayLike],
    *,
    ax: Axes | None = None,
    mark: Mapping[str, float] | None = None,
    title: str | None = "ROC curve",
) -> Figure:
    """ROC curves of several anomaly scorers on the same labels, AUC in the legend.

    Taught in: 03_breast_cancer_autoencoder.  ``labels``: 1 = anomaly.  ``mark`` maps some
    names to a threshold whose (FPR, TPR) point is drawn on that curve.  The diagonal is
    chance.  Returns the Figure.
    """
    if not scores_by_name:
        raise ValueError("scores_by_name is empty: expected {method name: scores}")
    fig, ax = _new_axes(ax, (5.0, 5.0))
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", label="chance (AUC 0.5)")
    for i, (name, scores) in enumerate(scores_by_name.items()):
        fpr, tpr, _ = roc_curve_points(labels, scores)
        auc = roc_auc(labels, scores)
        ax.plot(
            fpr, tpr, color=_color(i), linestyle=("-", "--", "-.", (0, (5, 1)))[i % 4], label=f"{name} (AUC {auc:.3f})"
        )
        if mark and name in mark:
            s = np.asarray(scores, dtype=float)
            y = np.asarray(labels).astype(int)
            pred = s >= float(mark[name])
            x_pt = float(np.mean(pred[y == 0]))
            y_pt = float(np.mean(pred[y == 1]))
            ax.plot(
                [x_pt],
                [y_pt],
                marker=MARKERS[i % len(MARKERS)],
                markersize=10,
                color=_color(i),
                markeredgecolor="black",
                linestyle="none",
            )
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("false-positive rate (1 − specificity)")
    ax.set_ylabel("true-positive rate (recall)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def score_histogram(
    scores: ArrayLike,
    labels: ArrayLike,
    threshold: float | None = None,
    *,
    ax: Axes | None = None,
    bins: int = 30,
    names: tuple[str, str] = ("normal", "anomaly"),
    logx: bool = False,
) -> Figure:
    """Histograms of anomaly scores for normal (0) and anomalous (1) samples, threshold as a line.

    Taught in: 03_breast_cancer_autoencoder.  Returns the Figure.
    """
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    if s.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"scores and labels must be 1-D of the same length, got {s.shape} and {y.shape}")
    fig, ax = _new_axes(ax, (6.0, 3.5))
    values = np.log10(np.clip(s, 1e-12, None)) if logx else s
    edges = np.histogram_bin_edges(values, bins=bins)
    for i, (cls, name) in enumerate(zip((0, 1), names, strict=True)):
        ax.hist(
            values[y == cls],
            bins=list(edges),
            alpha=0.6,
            color=_color(i),
            label=name,
            hatch=("", "//")[i],
            edgecolor=_color(i),
        )
    if threshold is not None:
        t = np.log10(max(float(threshold), 1e-12)) if logx else float(threshold)
        ax.axvline(t, color="black", linestyle="--", label="threshold")
    ax.set_xlabel("log10(score)" if logx else "score (higher = more anomalous)")
    ax.set_ylabel("count")
    ax.legend()
    return fig


def confusion_matrix_plot(
    confusion: Mapping[str, Any], *, ax: Axes | None = None, names: tuple[str, str] = ("normal", "anomaly")
) -> Figure:
    """Draw the 2x2 confusion matrix of :func:`course_utils.metrics.confusion_at_threshold`.

    Taught in: 03_breast_cancer_autoencoder.  Rows are the true class, columns the
    prediction; counts are written in each cell.  Returns the Figure.
    """
    try:
        m = np.array([[confusion["tn"], confusion["fp"]], [confusion["fn"], confusion["tp"]]], dtype=int)
    except KeyError as exc:
        raise ValueError(
            "confusion must contain the counts 'tn', 'fp', 'fn', 'tp' (see confusion_at_threshold)"
        ) from exc
    fig, ax = _new_axes(ax, (3.8, 3.4))
    ax.imshow(m, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(1, int(m.max())))
    for i in range(2):
        for j in range(2):
            ax.text(
                j,
                i,
                str(m[i, j]),
                ha="center",
                va="center",
                fontsize=14,
                color="white" if m[i, j] < 0.5 * max(1, m.max()) else "black",
            )
    ax.set_xticks([0, 1], [f"pred. {names[0]}", f"pred. {names[1]}"])
    ax.set_yticks([0, 1], [f"true {names[0]}", f"true {names[1]}"])
    ax.set_title("confusion matrix")
    return fig

"""Charts: training curves and the bar chart comparing methods.

Used by: ``course_utils.plotting`` (every name is reachable as ``plotting.NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .style import _color


# --------------------------------------------------------------------------------------
# training curves
# --------------------------------------------------------------------------------------
def plot_history(
    history: Any,
    keys: Sequence[str] | Sequence[Sequence[str]] | None = ("loss", "val_loss"),
    *,
    logy: bool = False,
    title: str | None = None,
) -> Figure:
    """Training curves from a Keras ``History`` (or its ``.history`` dict) against epoch.

    Taught in: 02_mnist_autoencoder, 05_variational_autoencoders.

    ``keys`` is a list of metric names drawn on one axes (names missing from the history
    are skipped), or a list of lists for one axes per group, e.g.
    ``[["loss", "val_loss"], ["kl_loss"]]`` for a VAE; ``None`` draws every metric on one
    axes.  Validation curves are dashed.  Returns a Figure with one axes per group.
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, Mapping) or not hist:
        raise ValueError("history must be a Keras History or a non-empty dict {metric: [value per epoch]}")
    if keys is None:
        groups: list[list[str]] = [list(hist)]
    elif isinstance(keys, str):
        groups = [[keys]]
    elif all(isinstance(k, str) for k in keys):
        groups = [list(keys)]  # type: ignore[arg-type]
    else:
        groups = [[k] if isinstance(k, str) else list(k) for k in keys]
    groups = [[k for k in g if k in hist] for g in groups]
    if not any(groups):
        raise ValueError(f"none of the keys {keys!r} is in the history; available: {sorted(hist)}")
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 3.5), squeeze=False)
    colour_of: dict[str, str] = {}
    for ax, group in zip(axes[0], groups, strict=True):
        for key in group:
            values = np.asarray(hist[key], dtype=float)
            base = key[4:] if key.startswith("val_") else key
            colour = colour_of.setdefault(base, _color(len(colour_of)))
            ax.plot(
                np.arange(1, len(values) + 1),
                values,
                color=colour,
                linestyle="--" if key.startswith("val_") else "-",
                marker="o" if len(values) <= 20 else None,
                markersize=3,
                label=key,
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(group[0] if len(group) == 1 else "value")
        if logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# result tables
# --------------------------------------------------------------------------------------
def comparison_bar(
    table: Mapping[str, Any],
    metric: str | None = None,
    *,
    ylabel: str | None = None,
    title: str | None = None,
    size: tuple[float, float] = (5.0, 3.5),
) -> Figure:
    """Bar chart of a results table, with error bars when a value is ``(mean, sd)``.

    Taught in: 02_mnist_autoencoder.

    ``table`` maps a method name to a number, to ``(mean, sd)``, or to a dict
    ``{metric: number | (mean, sd)}``.  With dicts, ``metric`` picks one column; ``None``
    draws one axes per metric.  Returns the Figure.
    """
    if not table:
        raise ValueError("table is empty: expected {method name: value}")
    names = [str(k) for k in table]
    first = next(iter(table.values()))
    if isinstance(first, Mapping):
        metrics = [metric] if metric is not None else list(first)
        for k, row in table.items():
            if not isinstance(row, Mapping) or any(mt not in row for mt in metrics):
                raise ValueError(f"row {k!r} must be a dict containing {metrics}")
        columns = {mt: [row[mt] for row in table.values()] for mt in metrics}
    else:
        columns = {metric or ylabel or "value": list(table.values())}
    fig, axes = plt.subplots(1, len(columns), figsize=(size[0] * len(columns), size[1]), squeeze=False)
    for ax, (mt, values) in zip(axes[0], columns.items(), strict=True):
        means, sds = [], []
        for v in values:
            if isinstance(v, (tuple, list)) and len(v) == 2:
                means.append(float(v[0]))
                sds.append(float(v[1]))
            else:
                try:
                    means.append(float(v))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"table values must be numbers or (mean, sd) pairs, got {v!r}") from exc
                sds.append(0.0)
        x = np.arange(len(names))
        ax.bar(
            x,
            means,
            yerr=sds if any(sds) else None,
            capsize=4,
            color=[_color(i) for i in range(len(names))],
            edgecolor="black",
        )
        for xi, m in zip(x, means, strict=True):
            ax.annotate(
                f"{m:.3g}", (xi, m), ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points"
            )
        long_names = max(len(nm) for nm in names) > 8
        ax.set_xticks(x, names, rotation=30 if long_names else 0, ha="right" if long_names else "center")
        ax.set_ylabel(ylabel if (ylabel and len(columns) == 1) else mt)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

"""What every explorer shares: the :class:`Explorer` widget, showing a figure in an ``Output``, summaries.

Used by: the explorers in ``course_utils.widgets``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..plotting import PALETTE


# --------------------------------------------------------------------------------------
# shared machinery
# --------------------------------------------------------------------------------------
class Explorer(widgets.VBox):
    """The widget every builder returns: a ``VBox`` of controls, summary and figure output.

    Besides the usual ``children`` it exposes, for notebooks and tests:
    ``controls`` (``{name: widget}``, e.g. ``controls["index"]``), ``summary`` (an
    ``HTML`` line with the key numbers), ``output`` (the ``Output`` holding the figure),
    ``state`` (the latest result of the explorer's pure update function) and ``renders``
    (how many times the figure has been redrawn).
    """

    def __init__(self, controls: Mapping[str, widgets.Widget], refresh: Callable[[], dict[str, Any]]) -> None:
        self.controls: dict[str, widgets.Widget] = dict(controls)
        self.summary = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="120px"))
        self.state: dict[str, Any] = {}
        self.renders = 0
        self._refresh = refresh
        super().__init__(children=[*self.controls.values(), self.summary, self.output])

    def update(self, _change: Any = None) -> dict[str, Any]:
        """Recompute the state from the current control values and redraw."""
        self.state = self._refresh()
        self.renders += 1
        return self.state

    def watch(self, *controls: widgets.Widget) -> Explorer:
        """Redraw whenever one of ``controls`` changes its value, draw once now, return the explorer."""
        for control in controls:
            control.observe(self.update, names="value")
        self.update()
        return self


def figure_to_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a Figure to PNG bytes (used to show figures inside widgets)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def _display(obj: Any, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)


def show_figure(output: widgets.Output, fig: Figure, dpi: int = 80) -> None:
    """Replace what ``output`` shows with ``fig`` (as a PNG) and close ``fig``.

    Used by every explorer here.  Inside a Jupyter kernel the figure is displayed
    through the Output widget's context (what JupyterLab, Notebook 7, Voilà and Colab
    capture); without a kernel (scripts, tests) the PNG is written into ``output.outputs``
    directly.  The figure is always closed, so sliding does not leak figures.
    """
    try:
        png = figure_to_png(fig, dpi=dpi)
    finally:
        plt.close(fig)
    bundle = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": "<course_utils figure>"}
    if _in_kernel():
        output.clear_output(wait=True)
        with output:
            _display(bundle, raw=True)
    else:
        output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def _mark_point(ax: Any, x: float, y: float, *, label: str, marker: str = "o", markersize: float = 10) -> None:
    """Draw an explorer's current point on ``ax``: one black-edged marker in the course's second colour.

    Used by: the explorers' figure functions (bottleneck, threshold).
    """
    ax.plot(
        [x],
        [y],
        marker=marker,
        markersize=markersize,
        color=PALETTE[1],
        markeredgecolor="black",
        linestyle="none",
        label=label,
    )


def _summary_html(items: Mapping[str, Any]) -> str:
    parts = []
    for k, v in items.items():
        text = f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
        parts.append(f"<b>{k}</b>: {text}")
    return " &nbsp;·&nbsp; ".join(parts)


def _batch_of(x: np.ndarray, index: int) -> np.ndarray:
    return x[index : index + 1]


def _first_output(fn: Callable[[np.ndarray], Any], batch: np.ndarray, name: str) -> np.ndarray:
    out = np.asarray(fn(batch))
    if out.ndim == 0 or out.shape[0] != batch.shape[0]:
        raise ValueError(
            f"model {name!r} must map a batch of {batch.shape[0]} sample(s) to as many outputs, "
            f"got output shape {out.shape}"
        )
    return out[0]

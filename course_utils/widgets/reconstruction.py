"""Explorers of reconstructions: bottleneck size -> error (01), a digit and each model's reconstruction (02).

Used by: ``course_utils.widgets`` (every name is reachable as ``widgets.NAME``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .. import metrics
from ..plotting import PALETTE, to_image
from .core import Explorer, _batch_of, _first_output, _mark_point, _summary_html, show_figure


# --------------------------------------------------------------------------------------
# 1. bottleneck size -> reconstruction error            (01_background)
# --------------------------------------------------------------------------------------
def bottleneck_state(
    errors_by_size: Mapping[int, float] | Callable[[int], float],
    size: int,
    sizes: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Pure update of the bottleneck explorer: the error at ``size`` and the whole curve.

    The logic behind :func:`bottleneck_explorer`.  ``errors_by_size`` is ``{code size: reconstruction error}``
    (measured beforehand) or a callable ``size -> error`` evaluated on every size in
    ``sizes``.  Returns ``{"size", "error", "sizes", "errors", "best_size"}``.
    """
    if not isinstance(errors_by_size, Mapping) and not callable(errors_by_size):
        raise ValueError("errors_by_size must be a dict {code size: error} or a callable size -> error")
    if sizes is None and isinstance(errors_by_size, Mapping):
        all_sizes = sorted(int(s) for s in errors_by_size)
    elif sizes is None:
        raise ValueError("pass sizes=[...] when errors_by_size is a callable")
    else:
        all_sizes = [int(s) for s in sizes]
    if not all_sizes:
        raise ValueError("sizes is empty: expected at least one code size")
    if int(size) not in all_sizes:
        raise ValueError(f"size {size} is not one of the available code sizes {all_sizes}")
    if isinstance(errors_by_size, Mapping):
        missing = [s for s in all_sizes if s not in errors_by_size]
        if missing:
            raise ValueError(f"errors_by_size has no error for code size(s) {missing}")
        errors = [float(errors_by_size[s]) for s in all_sizes]
    else:
        errors = [float(errors_by_size(s)) for s in all_sizes]
    if not all(np.isfinite(errors)):
        raise ValueError(f"errors must be finite numbers, got {errors}")
    return {
        "size": int(size),
        "error": errors[all_sizes.index(int(size))],
        "sizes": all_sizes,
        "errors": errors,
        "best_size": all_sizes[int(np.argmin(errors))],
    }


def bottleneck_figure(state: Mapping[str, Any], *, error_name: str = "reconstruction MSE") -> Figure:
    """Error against code size with the selected size highlighted (one axes)."""
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    ax.plot(state["sizes"], state["errors"], marker="o", color=PALETTE[0])
    _mark_point(ax, state["size"], state["error"], label=f"code size {state['size']}", marker="D", markersize=11)
    if len(state["sizes"]) > 1 and min(state["sizes"]) > 0 and max(state["sizes"]) / min(state["sizes"]) >= 8:
        ax.set_xscale("log", base=2)
    ax.set_xlabel("code (bottleneck) size")
    ax.set_ylabel(error_name)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def bottleneck_explorer(
    errors_by_size: Mapping[int, float] | Callable[[int], float],
    sizes: Sequence[int] | None = None,
    *,
    error_name: str = "reconstruction MSE",
) -> Explorer:
    """Slider over code sizes → reconstruction error, with the error-vs-size curve.

    Taught in: 01_background.  With a callable, its results are cached per size.
    Control: ``controls["size"]`` (a ``SelectionSlider``).
    """
    cache: dict[int, float] = {}
    if not isinstance(errors_by_size, Mapping) and not callable(errors_by_size):
        raise ValueError("errors_by_size must be a dict {code size: error} or a callable size -> error")
    if callable(errors_by_size):
        fn = errors_by_size

        def cached(size: int) -> float:
            if size not in cache:
                cache[size] = float(fn(size))
            return cache[size]

        source: Mapping[int, float] | Callable[[int], float] = cached
    else:
        source = errors_by_size
    if sizes is not None:
        keys: Sequence[int] = sizes
    elif isinstance(errors_by_size, Mapping):
        keys = list(errors_by_size)
    else:
        raise ValueError("pass sizes=[...] when errors_by_size is a callable")
    options = sorted(int(s) for s in keys)
    if not options:
        raise ValueError("no code sizes to explore: pass a non-empty dict or sizes=[...]")
    slider = widgets.SelectionSlider(
        options=options, value=options[len(options) // 2], description="code size", continuous_update=False
    )

    def refresh() -> dict[str, Any]:
        st = bottleneck_state(source, slider.value, options)
        box.summary.value = _summary_html(
            {"code size": st["size"], error_name: st["error"], "best size": st["best_size"]}
        )
        show_figure(box.output, bottleneck_figure(st, error_name=error_name))
        return st

    box = Explorer({"size": slider}, refresh)
    return box.watch(slider)


# --------------------------------------------------------------------------------------
# 2. digit -> reconstruction by each model                (02_mnist_autoencoder)
# --------------------------------------------------------------------------------------
def digit_state(
    x: ArrayLike,
    models: Mapping[str, Callable[[np.ndarray], Any]],
    index: int,
    *,
    kind: metrics.ErrorKind = "mse",
) -> dict[str, Any]:
    """Pure update of the digit explorer: sample ``index`` and each model's reconstruction.

    The logic behind :func:`digit_explorer`.  ``x`` is ``(N, ...)`` (flattened or image-shaped, as
    the models expect); each model is called on the batch ``x[index:index+1]``.  Returns
    ``{"index", "original", "reconstructions": {name: sample}, "errors": {name: error}}``.
    """
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(f"x must be a batch of samples (N, ...), got shape {arr.shape}")
    if not models:
        raise ValueError("models is empty: expected {name: reconstruct function}")
    if not -arr.shape[0] <= int(index) < arr.shape[0]:
        raise ValueError(f"index must be in [0, {arr.shape[0] - 1}], got {index}")
    batch = _batch_of(arr, int(index) % arr.shape[0])
    recs: dict[str, np.ndarray] = {}
    errors: dict[str, float] = {}
    for name, fn in models.items():
        rec = _first_output(fn, batch, name)
        if rec.size != batch[0].size:
            raise ValueError(f"model {name!r} returned {rec.size} values per sample, expected {batch[0].size}")
        rec = rec.reshape(batch[0].shape)
        recs[name] = rec
        errors[name] = float(metrics.reconstruction_error(batch, rec[None], kind)[0])
    return {"index": int(index) % arr.shape[0], "original": batch[0], "reconstructions": recs, "errors": errors}


def digit_figure(state: Mapping[str, Any], *, image_shape: tuple[int, ...] | None = None, label: Any = None) -> Figure:
    """Original and each reconstruction in one row, error in the titles (``1 + models`` axes)."""
    recs = state["reconstructions"]
    fig, axes = plt.subplots(1, 1 + len(recs), figsize=(2.0 * (1 + len(recs)), 2.4), squeeze=False)
    title = f"original #{state['index']}" + (f" (label {label})" if label is not None else "")
    axes[0, 0].imshow(to_image(state["original"], image_shape), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title(title, fontsize=9)
    for ax, (name, rec) in zip(axes[0, 1:], recs.items(), strict=True):
        ax.imshow(to_image(rec, image_shape), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name}\nMSE {state['errors'][name]:.4f}", fontsize=9)
    for ax in axes[0]:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def digit_explorer(
    x_test: ArrayLike,
    models: Mapping[str, Callable[[np.ndarray], Any]],
    *,
    labels: ArrayLike | None = None,
    image_shape: tuple[int, ...] | None = None,
) -> Explorer:
    """Index slider → the test digit and its reconstruction by every model, with the MSE.

    Taught in: 02_mnist_autoencoder, e.g. ``digit_explorer(x_test, {"seed AE": lambda x:
    ae.predict(x, verbose=0), "PCA-32": pca32})``.  Control: ``controls["index"]``.
    """
    arr = np.asarray(x_test)
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"x_test must be a non-empty batch of samples (N, ...), got shape {arr.shape}")
    y = None if labels is None else np.asarray(labels)
    slider = widgets.IntSlider(value=0, min=0, max=arr.shape[0] - 1, description="test image", continuous_update=False)

    def refresh() -> dict[str, Any]:
        st = digit_state(arr, models, slider.value)
        lab = None if y is None else y[st["index"]]
        box.summary.value = _summary_html(
            {
                "image": st["index"],
                **({"label": lab} if lab is not None else {}),
                **{f"MSE {k}": v for k, v in st["errors"].items()},
            }
        )
        show_figure(box.output, digit_figure(st, image_shape=image_shape, label=lab))
        return st

    box = Explorer({"index": slider}, refresh)
    return box.watch(slider)

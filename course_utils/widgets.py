"""Interactive explorers (ipywidgets 8) whose update logic is testable without a browser.

Every explorer has three layers:

1. a **pure update function** (``*_state``) — data in, a dict of numbers/arrays out;
2. a **figure function** (``*_figure``) — draws that state, returns a matplotlib Figure;
3. a thin **builder** that wires sliders to the two and returns an :class:`Explorer`
   (an ``ipywidgets.VBox``: controls, a one-line summary, and an ``Output`` showing the figure).

Models enter as plain callables, so any Keras model works: pass
``lambda x: model.predict(x, verbose=0)`` (or a :class:`course_utils.baselines.PCAReconstructor`).

Taught in: 01_background (:func:`bottleneck_explorer`), 02_mnist_autoencoder
(:func:`digit_explorer`, :func:`latent_slider_explorer`), 03_breast_cancer_autoencoder
(:func:`threshold_explorer`), 04_medical_image_denoising (:func:`denoising_explorer`),
05_variational_autoencoders (:func:`latent_plane_explorer`).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from . import metrics
from .plotting import (
    MARKERS,
    PALETTE,
    confusion_matrix_plot,
    denoising_panel,
    to_image,
)

__all__ = [
    "Explorer",
    "figure_to_png",
    "show_figure",
    "bottleneck_state",
    "bottleneck_figure",
    "bottleneck_explorer",
    "digit_state",
    "digit_figure",
    "digit_explorer",
    "latent_state",
    "latent_figure",
    "latent_slider_explorer",
    "latent_plane_state",
    "latent_plane_figure",
    "latent_plane_explorer",
    "denoising_state",
    "denoising_figure",
    "denoising_explorer",
    "threshold_state",
    "threshold_figure",
    "threshold_explorer",
]


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
    ax.plot(
        [state["size"]],
        [state["error"]],
        marker="D",
        markersize=11,
        color=PALETTE[1],
        markeredgecolor="black",
        linestyle="none",
        label=f"code size {state['size']}",
    )
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
    slider.observe(box.update, names="value")
    box.update()
    return box


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
    slider.observe(box.update, names="value")
    box.update()
    return box


# --------------------------------------------------------------------------------------
# 3. one latent coordinate -> decoded image              (02_mnist_autoencoder, 05)
# --------------------------------------------------------------------------------------
def latent_state(
    decode_fn: Callable[[np.ndarray], Any], base_code: ArrayLike, dim: int, value: float
) -> dict[str, Any]:
    """Pure update of the latent slider: set coordinate ``dim`` of ``base_code`` to ``value`` and decode.

    The logic behind :func:`latent_slider_explorer`.  Returns
    ``{"dim", "value", "code", "image"}`` (``image`` is the decoded sample).
    """
    base = np.asarray(base_code, dtype=np.float32).ravel()
    if base.size == 0 or not np.all(np.isfinite(base)):
        raise ValueError("base_code must be a non-empty vector of finite numbers (e.g. encoder(x)[0])")
    if not 0 <= int(dim) < base.size:
        raise ValueError(f"dim must be a coordinate index in [0, {base.size - 1}], got {dim}")
    if not np.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value}")
    code = base.copy()
    code[int(dim)] = float(value)
    image = _first_output(decode_fn, code[None], "decode_fn")
    return {"dim": int(dim), "value": float(value), "code": code, "image": image}


def latent_figure(state: Mapping[str, Any], *, image_shape: tuple[int, ...] | None = None) -> Figure:
    """The decoded image and a bar chart of the code (two axes)."""
    fig, (ax_img, ax_code) = plt.subplots(1, 2, figsize=(6.0, 2.8), gridspec_kw={"width_ratios": [1, 1.4]})
    ax_img.imshow(to_image(state["image"], image_shape), cmap="gray", vmin=0, vmax=1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    ax_img.set_title(f"z[{state['dim']}] = {state['value']:.2f}", fontsize=10)
    code = state["code"]
    colours = [PALETTE[1] if i == state["dim"] else PALETTE[0] for i in range(code.size)]
    ax_code.bar(np.arange(code.size), code, color=colours)
    ax_code.set_xlabel("code coordinate")
    ax_code.set_ylabel("value")
    fig.tight_layout()
    return fig


def latent_slider_explorer(
    decode_fn: Callable[[np.ndarray], Any],
    base_code: ArrayLike,
    dim_range: tuple[float, float] | None = None,
    *,
    image_shape: tuple[int, ...] | None = None,
    step: float | None = None,
) -> Explorer:
    """Pick a code coordinate, slide its value → the decoded image.

    Taught in: 02_mnist_autoencoder (start from the code of a test digit: ``base_code =
    encoder.predict(x_test[:1], verbose=0)[0]``).
    ``dim_range`` is the slider's ``(min, max)``; default: the base code's ``±(2·max|z| + 1)``.
    Choosing another coordinate resets the value slider to that coordinate's base value.
    Controls: ``controls["dim"]`` and ``controls["value"]``.
    """
    base = np.asarray(base_code, dtype=np.float64).ravel()
    if base.size == 0 or not np.all(np.isfinite(base)):
        raise ValueError("base_code must be a non-empty vector of finite numbers (e.g. encoder(x)[0])")
    if dim_range is None:
        r = float(2 * np.max(np.abs(base)) + 1)
        dim_range = (-r, r)
    lo, hi = float(dim_range[0]), float(dim_range[1])
    if not lo < hi:
        raise ValueError(f"dim_range must be (min, max) with min < max, got {dim_range}")
    dim_w = widgets.Dropdown(options=list(range(base.size)), value=0, description="coordinate")
    value_w = widgets.FloatSlider(
        value=float(np.clip(base[0], lo, hi)),
        min=lo,
        max=hi,
        step=step or (hi - lo) / 100,
        description="value",
        continuous_update=False,
    )

    def refresh() -> dict[str, Any]:
        st = latent_state(decode_fn, base, dim_w.value, value_w.value)
        box.summary.value = _summary_html(
            {"coordinate": st["dim"], "value": st["value"], "base value": float(base[st["dim"]])}
        )
        show_figure(box.output, latent_figure(st, image_shape=image_shape))
        return st

    box = Explorer({"dim": dim_w, "value": value_w}, refresh)

    def on_dim(change: Any) -> None:
        new_value = float(np.clip(base[int(change["new"])], lo, hi))
        if value_w.value == new_value:
            box.update()
        else:
            value_w.value = new_value  # triggers the value observer, which redraws

    dim_w.observe(on_dim, names="value")
    value_w.observe(box.update, names="value")
    box.update()
    return box


# --------------------------------------------------------------------------------------
# 3b. position in a 2-D latent plane -> decoded image      (05_variational_autoencoders)
# --------------------------------------------------------------------------------------
def latent_plane_state(
    decode_fn: Callable[[np.ndarray], Any],
    z0: float,
    z1: float,
    base_code: ArrayLike | None = None,
    dims: tuple[int, int] = (0, 1),
) -> dict[str, Any]:
    """Pure update of the latent-plane explorer: decode the code with ``z[dims] = (z0, z1)``.

    The logic behind :func:`latent_plane_explorer`.  ``base_code`` (default zeros of length 2) fixes
    the other coordinates of a larger latent space.  Returns ``{"point", "code", "image"}``.
    """
    base = np.zeros(2, dtype=np.float32) if base_code is None else np.asarray(base_code, dtype=np.float32).ravel()
    if base.size < 2 or len(set(dims)) != 2 or not all(0 <= d < base.size for d in dims):
        raise ValueError(f"dims must be two different coordinates of the {base.size}-d code, got {dims}")
    if not (np.isfinite(z0) and np.isfinite(z1)):
        raise ValueError(f"z0 and z1 must be finite numbers, got {z0}, {z1}")
    code = base.copy()
    code[dims[0]] = float(z0)
    code[dims[1]] = float(z1)
    image = _first_output(decode_fn, code[None], "decode_fn")
    return {"point": (float(z0), float(z1)), "code": code, "image": image}


def latent_plane_figure(
    state: Mapping[str, Any],
    *,
    codes_2d: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    span: float = 3.0,
    image_shape: tuple[int, ...] | None = None,
) -> Figure:
    """The latent plane (optionally with the training codes) with the current point, and its decoded image."""
    fig, (ax_plane, ax_img) = plt.subplots(1, 2, figsize=(7.0, 3.4))
    if codes_2d is not None:
        z = np.asarray(codes_2d, dtype=float)
        if labels is None:
            ax_plane.scatter(z[:, 0], z[:, 1], s=3, alpha=0.3, color=PALETTE[5])
        else:
            y = np.asarray(labels)
            for i, cls in enumerate(np.unique(y)):
                m = y == cls
                ax_plane.scatter(
                    z[m, 0],
                    z[m, 1],
                    s=3,
                    alpha=0.3,
                    color=PALETTE[i % len(PALETTE)],
                    marker=MARKERS[i % len(MARKERS)],
                    label=str(cls),
                )
            ax_plane.legend(fontsize=6, markerscale=3, loc="upper right", ncol=2)
    x0, x1 = state["point"]
    ax_plane.plot([x0], [x1], marker="X", markersize=13, color="black", linestyle="none")
    ax_plane.set_xlim(-span, span)
    ax_plane.set_ylim(-span, span)
    ax_plane.set_xlabel("z[0]")
    ax_plane.set_ylabel("z[1]")
    ax_plane.set_aspect("equal")
    ax_img.imshow(to_image(state["image"], image_shape), cmap="gray", vmin=0, vmax=1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    ax_img.set_title(f"decoded at ({x0:.2f}, {x1:.2f})", fontsize=10)
    fig.tight_layout()
    return fig


def latent_plane_explorer(
    decode_fn: Callable[[np.ndarray], Any],
    span: float = 3.0,
    *,
    codes_2d: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    base_code: ArrayLike | None = None,
    dims: tuple[int, int] = (0, 1),
    image_shape: tuple[int, ...] | None = None,
) -> Explorer:
    """Two sliders move a point in the latent plane → the decoded digit at that point.

    Taught in: 05_variational_autoencoders (2-unit latent VAE; pass the test set's codes as
    ``codes_2d`` to see where real digits lie).  Controls: ``controls["z0"]``, ``controls["z1"]``.
    """
    if not np.isfinite(span) or span <= 0:
        raise ValueError(f"span must be a positive number, got {span}")
    z0_w = widgets.FloatSlider(
        value=0.0, min=-span, max=span, step=span / 50, description=f"z[{dims[0]}]", continuous_update=False
    )
    z1_w = widgets.FloatSlider(
        value=0.0, min=-span, max=span, step=span / 50, description=f"z[{dims[1]}]", continuous_update=False
    )

    def refresh() -> dict[str, Any]:
        st = latent_plane_state(decode_fn, z0_w.value, z1_w.value, base_code, dims)
        box.summary.value = _summary_html({f"z[{dims[0]}]": st["point"][0], f"z[{dims[1]}]": st["point"][1]})
        show_figure(
            box.output, latent_plane_figure(st, codes_2d=codes_2d, labels=labels, span=span, image_shape=image_shape)
        )
        return st

    box = Explorer({"z0": z0_w, "z1": z1_w}, refresh)
    z0_w.observe(box.update, names="value")
    z1_w.observe(box.update, names="value")
    box.update()
    return box


# --------------------------------------------------------------------------------------
# 4. noise level -> noisy / filters / autoencoder with PSNR   (04_medical_image_denoising)
# --------------------------------------------------------------------------------------
FilterSpec = Callable[[np.ndarray], Any] | Mapping[float, Callable[[np.ndarray], Any]]


def _filter_for(spec: FilterSpec, level: float, name: str) -> Callable[[np.ndarray], Any]:
    if callable(spec):
        return spec
    if isinstance(spec, Mapping):
        for key, fn in spec.items():
            if np.isclose(float(key), float(level)):
                return fn
        raise ValueError(f"filter {name!r} has no entry for noise level {level}; it has {sorted(spec)}")
    raise ValueError(f"filter {name!r} must be a callable noisy -> denoised or a dict {{level: callable}}")


def denoising_state(
    clean: ArrayLike,
    make_noisy: Callable[[float], Any],
    filters: Mapping[str, FilterSpec],
    level: float,
    *,
    show: int = 3,
    noisy: ArrayLike | None = None,
) -> dict[str, Any]:
    """Pure update of the denoising explorer at one noise level.

    The logic behind :func:`denoising_explorer`.

    ``make_noisy(level)`` returns noisy versions of ``clean`` (seed it, so the same level gives
    the same noise; pass ``noisy`` to skip the call); each filter is a callable
    ``noisy -> denoised`` (a tuned classical filter, ``lambda x: dae.predict(x, verbose=0)``)
    or a dict ``{level: callable}`` for a filter tuned per level.  Returns
    ``{"level", "psnr": {"noisy": dB, name: dB}, "ssim": {...}, "best": name,
    "clean", "noisy", "outputs": {name: images}}`` where PSNR/SSIM are means over all images
    and the arrays hold the first ``show`` images.
    """
    c = np.asarray(clean, dtype=np.float32)
    if c.ndim < 3:
        raise ValueError(f"clean must be a batch of images (N, H, W) or (N, H, W, 1), got shape {c.shape}")
    if not filters:
        raise ValueError("filters is empty: expected {name: callable noisy -> denoised}")
    n = np.asarray(make_noisy(level) if noisy is None else noisy, dtype=np.float32)
    if n.shape != c.shape:
        raise ValueError(f"make_noisy({level}) returned shape {n.shape}, expected the clean images' shape {c.shape}")
    psnrs = {"noisy": float(np.mean(metrics.psnr(c, n)))}
    ssims = {"noisy": float(np.mean(metrics.ssim(c, n)))}
    outputs: dict[str, np.ndarray] = {}
    for name, spec in filters.items():
        out = np.asarray(_filter_for(spec, level, name)(n), dtype=np.float32)
        if out.size != c.size:
            raise ValueError(f"filter {name!r} returned shape {out.shape}, expected {c.shape}")
        out = np.clip(out.reshape(c.shape), 0.0, 1.0)
        psnrs[name] = float(np.mean(metrics.psnr(c, out)))
        ssims[name] = float(np.mean(metrics.ssim(c, out)))
        outputs[name] = out[:show]
    best = max(filters, key=lambda k: psnrs[k])
    return {
        "level": float(level),
        "psnr": psnrs,
        "ssim": ssims,
        "best": best,
        "clean": c[:show],
        "noisy": n[:show],
        "outputs": outputs,
    }


def denoising_figure(state: Mapping[str, Any]) -> Figure:
    """Clean / noisy / each filter for the shown images, PSNR in the titles."""
    return denoising_panel(state["clean"], state["noisy"], state["outputs"], max_rows=len(state["clean"]))


def denoising_explorer(
    clean_images: ArrayLike,
    make_noisy: Callable[[float], Any],
    filters: Mapping[str, FilterSpec],
    levels: Sequence[float] = (0.1, 0.2, 0.3),
    *,
    show: int = 2,
) -> Explorer:
    """Noise-level slider → noisy / classical filter(s) / autoencoder side by side, with PSNR.

    Taught in: 04_medical_image_denoising.  Noisy images are computed once per level and
    cached, so moving back and forth is fast and shows the same noise.
    Control: ``controls["level"]`` (a ``SelectionSlider`` over ``levels``).
    """
    opts = [float(v) for v in levels]
    if not opts:
        raise ValueError("levels is empty: expected noise levels such as (0.1, 0.2, 0.3)")
    cache: dict[float, np.ndarray] = {}

    def noisy_at(level: float) -> np.ndarray:
        if level not in cache:
            cache[level] = np.asarray(make_noisy(level), dtype=np.float32)
        return cache[level]

    slider = widgets.SelectionSlider(options=opts, value=opts[0], description="noise level", continuous_update=False)

    def refresh() -> dict[str, Any]:
        level = float(slider.value)
        st = denoising_state(clean_images, make_noisy, filters, level, show=show, noisy=noisy_at(level))
        box.summary.value = _summary_html(
            {"level": level, **{f"PSNR {k}": v for k, v in st["psnr"].items()}, "best": st["best"]}
        )
        show_figure(box.output, denoising_figure(st))
        return st

    box = Explorer({"level": slider}, refresh)
    slider.observe(box.update, names="value")
    box.update()
    return box


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
    ax_roc.plot(
        [state["fpr"]],
        [state["tpr"]],
        marker="o",
        markersize=10,
        color=PALETTE[1],
        markeredgecolor="black",
        linestyle="none",
        label="threshold",
    )
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
    slider.observe(box.update, names="value")
    box.update()
    return box

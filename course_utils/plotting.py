"""Figures used by the lessons — each function returns its matplotlib Figure.

Taught in:

* ``02_mnist_autoencoder`` — :func:`image_grid` (the seed's 2x10 original/reconstruction
  figure, generalised to any number of rows), :func:`plot_history`, :func:`latent_scatter`;
* ``03_breast_cancer_autoencoder`` — :func:`roc_plot`, :func:`score_histogram`,
  :func:`confusion_matrix_plot`, :func:`comparison_bar`;
* ``04_medical_image_denoising`` — :func:`denoising_panel`;
* ``05_variational_autoencoders`` — :func:`manifold_grid` / :func:`decode_grid`.

Colour-blind-safe defaults: lines and categories use the Okabe–Ito palette
(:data:`PALETTE`), combined with distinct markers when there are more than eight
categories; continuous values use ``cividis``; grey-scale images use ``gray``.
No function calls ``plt.show()``: a notebook displays the returned figure itself
(the last expression of a cell), scripts can ``fig.savefig(...)``.  Close figures you
no longer need with ``plt.close(fig)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .metrics import psnr, roc_auc, roc_curve_points, ssim

__all__ = [
    "PALETTE",
    "MARKERS",
    "SEQUENTIAL_CMAP",
    "use_course_style",
    "to_image",
    "image_grid",
    "plot_history",
    "latent_scatter",
    "decode_grid",
    "manifold_grid",
    "roc_plot",
    "score_histogram",
    "confusion_matrix_plot",
    "denoising_panel",
    "comparison_bar",
]

#: Okabe–Ito colours, ordered for white backgrounds (blue, orange, green, vermillion, ...).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Marker shapes used together with colours so categories differ in more than hue.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
#: Colour map for continuous values (perceptually uniform, readable with colour-vision deficiency).
SEQUENTIAL_CMAP = "cividis"


def use_course_style() -> None:
    """Make the course's colour-blind-safe colours matplotlib's defaults for this session.

    Taught in: 01_background (setup).  Sets the colour cycle to :data:`PALETTE` and the
    default colour map to ``cividis``.  Optional: every function here sets colours itself.
    """
    from cycler import cycler

    plt.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))
    plt.rcParams["image.cmap"] = SEQUENTIAL_CMAP


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new_ax = plt.subplots(figsize=figsize)
    return fig, new_ax


def to_image(sample: ArrayLike, image_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """One sample as a displayable image: ``(H, W)`` or ``(H, W, 3|4)``.

    Used by every image plot here.  Accepts ``(H, W)``, ``(H, W, 1)``, ``(H, W, C)`` or a
    flattened vector; a vector needs ``image_shape`` unless its length is a perfect square
    (784 -> 28x28).
    """
    arr = np.asarray(sample, dtype=np.float32)
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if int(np.prod(shape)) != arr.size:
            raise ValueError(f"image_shape {image_shape} needs {int(np.prod(shape))} values, the sample has {arr.size}")
        arr = arr.reshape(shape)
    elif arr.ndim == 1:
        side = math.isqrt(arr.size)
        if side * side != arr.size:
            raise ValueError(f"cannot guess the image shape of a vector of length {arr.size}: pass image_shape=(H, W)")
        arr = arr.reshape(side, side)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4)):
        return arr
    raise ValueError(f"expected one image (H, W), (H, W, 1) or (H, W, 3), got shape {arr.shape}")


def _hide_ticks(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _show_image(ax: Axes, img: np.ndarray, cmap: str, vmin: float | None, vmax: float | None) -> None:
    ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=vmin, vmax=vmax, interpolation="nearest")
    _hide_ticks(ax)


# --------------------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------------------
def image_grid(
    rows: Mapping[str, ArrayLike] | Sequence[ArrayLike],
    n: int = 10,
    titles: bool | str = True,
    image_shape: tuple[int, ...] | None = None,
    *,
    indices: Sequence[int] | None = None,
    cmap: str = "gray",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    size: float = 1.5,
) -> Figure:
    """A grid with one row per image set (original, noisy, model A, model B, ...) and ``n`` columns.

    Taught in: 02_mnist_autoencoder — ``image_grid({"Original": x_test, "Reconstructed":
    decoded})`` is the seed's 2x10 figure; add rows to compare models.

    ``rows``: a dict ``{row name: images}`` or a list of image arrays (named "row 1", ...),
    each ``(N, ...)`` with the same images in the same order.  The first ``n`` images are
    shown (or those at ``indices``; fewer if a row is shorter).  ``titles=True`` writes each
    row's name at its left, ``"all"`` above every image (as the seed does), ``False`` none.
    ``image_shape`` reshapes flattened rows (default: square images guessed from the length).
    Returns a Figure with ``len(rows) * n`` axes.
    """
    if isinstance(rows, Mapping):
        named = [(str(k), np.asarray(v)) for k, v in rows.items()]
    else:
        named = [(f"row {i + 1}", np.asarray(v)) for i, v in enumerate(rows)]
    if not named:
        raise ValueError("rows is empty: expected {name: images} or a list of image arrays")
    for name, arr in named:
        if arr.ndim < 2:
            raise ValueError(f"row {name!r} must be a batch of images (N, ...), got shape {arr.shape}")
    if titles not in (True, False, "all"):
        raise ValueError(f"titles must be True, False or 'all', got {titles!r}")
    shortest = min(arr.shape[0] for _, arr in named)
    if indices is None:
        if n < 1:
            raise ValueError(f"n must be a positive number of images per row, got {n}")
        cols = list(range(min(n, shortest)))
    else:
        cols = [int(i) for i in indices]
        if not cols or min(cols) < -shortest or max(cols) >= shortest:
            raise ValueError(f"indices must be a non-empty list of positions below {shortest}, got {list(indices)}")
    fig, axes = plt.subplots(len(named), len(cols), figsize=(size * len(cols), size * len(named) * 1.1), squeeze=False)
    for r, (name, arr) in enumerate(named):
        for c, idx in enumerate(cols):
            ax = axes[r, c]
            _show_image(ax, to_image(arr[idx], image_shape), cmap, vmin, vmax)
            if titles == "all":
                ax.set_title(name, fontsize=9)
        if titles is True:
            axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
    fig.tight_layout()
    return fig


def denoising_panel(
    clean: ArrayLike,
    noisy: ArrayLike,
    outputs: Mapping[str, ArrayLike],
    *,
    image_shape: tuple[int, ...] | None = None,
    show_ssim: bool = False,
    max_rows: int = 4,
    cmap: str = "gray",
    size: float = 2.0,
) -> Figure:
    """Clean, noisy and each denoiser's output side by side, PSNR (dB) in every title.

    Taught in: 04_medical_image_denoising.

    ``clean`` and ``noisy`` are one image (``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)``) or a batch
    (``(N, H, W)``, ``(N, H, W, 1)``; flattened ``(N, D)`` with ``image_shape``); ``outputs``
    maps a name ("Gaussian σ=1.2", "DAE", ...) to the matching image(s).  A batch gives one
    row per image (at most ``max_rows``).  Titles show PSNR against ``clean`` (and SSIM with
    ``show_ssim=True``).  Returns a Figure with ``rows * (2 + len(outputs))`` axes.
    """
    c = np.asarray(clean, dtype=np.float32)
    if image_shape is not None:
        c = c.reshape((-1, *image_shape))
    elif c.ndim == 2 or (c.ndim == 3 and c.shape[-1] in (1, 3)):
        c = c[None]
    if c.ndim not in (3, 4):
        raise ValueError(
            f"clean must be one image or a batch of images, got shape {np.shape(clean)}; "
            "for flattened images pass image_shape=(H, W)"
        )
    panels: list[tuple[str, np.ndarray]] = [("noisy", np.asarray(noisy, dtype=np.float32))]
    panels += [(str(k), np.asarray(v, dtype=np.float32)) for k, v in outputs.items()]
    batches = []
    for name, arr in panels:
        if arr.size != c.size:
            raise ValueError(f"{name!r} has {arr.size} values but clean has {c.size}: expected the same images")
        batches.append((name, arr.reshape(c.shape)))
    rows = min(c.shape[0], max_rows)
    if rows < 1:
        raise ValueError(f"max_rows must be >= 1, got {max_rows}")
    fig, axes = plt.subplots(
        rows, 1 + len(batches), figsize=(size * (1 + len(batches)), size * rows * 1.15), squeeze=False
    )
    flat_axes = axes
    for r in range(rows):
        _show_image(flat_axes[r, 0], to_image(c[r]), cmap, 0.0, 1.0)
        flat_axes[r, 0].set_title("clean", fontsize=9)
        for j, (name, arr) in enumerate(batches, start=1):
            p = float(psnr(c[r : r + 1], arr[r : r + 1], check_range=False)[0])
            title = f"{name}\n{p:.1f} dB"
            if show_ssim:
                s = float(ssim(c[r : r + 1], np.clip(arr[r : r + 1], 0, 1), check_range=False)[0])
                title += f" · SSIM {s:.2f}"
            _show_image(flat_axes[r, j], to_image(arr[r]), cmap, 0.0, 1.0)
            flat_axes[r, j].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


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
# latent space
# --------------------------------------------------------------------------------------
def latent_scatter(
    codes_2d: ArrayLike,
    labels: ArrayLike | None = None,
    *,
    ax: Axes | None = None,
    s: float = 6.0,
    alpha: float = 0.7,
    title: str | None = None,
    max_categories: int = 20,
) -> Figure:
    """Scatter of 2-D codes (a 2-unit bottleneck, or t-SNE/PCA of the codes) coloured by label.

    Taught in: 02_mnist_autoencoder, 05_variational_autoencoders.

    Integer labels with at most ``max_categories`` values get one Okabe–Ito colour *and*
    marker each, with a legend; other numeric labels a ``cividis`` colour bar; ``None``
    one colour.  Returns the Figure (``ax`` lets you draw into an existing axes).
    """
    z = np.asarray(codes_2d, dtype=float)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(
            f"codes_2d must be shaped (N, 2), got {z.shape}; reduce longer codes first "
            "(e.g. sklearn.manifold.TSNE(n_components=2) or PCA(2))"
        )
    fig, ax = _new_axes(ax, (6.0, 5.0))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, color=PALETTE[0])
    else:
        y = np.asarray(labels)
        if y.shape != (z.shape[0],):
            raise ValueError(f"labels must have one value per code ({z.shape[0]},), got shape {y.shape}")
        classes = np.unique(y)
        discrete = np.issubdtype(y.dtype, np.integer) or y.dtype == bool or y.dtype.kind in "OUS"
        if discrete and len(classes) <= max_categories:
            for i, cls in enumerate(classes):
                m = y == cls
                ax.scatter(
                    z[m, 0],
                    z[m, 1],
                    s=s,
                    alpha=alpha,
                    color=_color(i),
                    marker=MARKERS[i % len(MARKERS)],
                    label=str(cls),
                )
            ax.legend(title="label", markerscale=max(1.0, 12.0 / s), fontsize=8, loc="best")
        else:
            sc = ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, c=y.astype(float), cmap=SEQUENTIAL_CMAP)
            fig.colorbar(sc, ax=ax, label="label")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    return fig


def decode_grid(
    decode_fn: Callable[[np.ndarray], Any],
    n: int = 15,
    span: float = 2.5,
    *,
    grid: ArrayLike | tuple[ArrayLike, ArrayLike] | None = None,
    latent_dim: int = 2,
    dims: tuple[int, int] = (0, 1),
    base_code: ArrayLike | None = None,
    image_shape: tuple[int, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a regular grid of latent codes into one big image (the "manifold" canvas).

    Not called by a lesson today (lesson 05 decodes its own latent grid).

    Codes start from ``base_code`` (zeros by default, length ``latent_dim``) and vary the two
    coordinates ``dims`` over ``np.linspace(-span, span, n)`` — or over ``grid`` (one array for
    both axes or a pair ``(values_x, values_y)``; e.g. ``scipy.stats.norm.ppf(np.linspace(0.05,
    0.95, n))`` follows the prior).  ``decode_fn`` takes an ``(M, latent_dim)`` array and returns
    ``M`` images.  Returns ``(canvas, values_x, values_y)``; the canvas' top row is the largest
    ``values_y``.
    """
    if grid is None:
        if n < 1 or not np.isfinite(span) or span <= 0:
            raise ValueError(f"n must be >= 1 and span > 0, got n={n}, span={span}")
        gx = gy = np.linspace(-span, span, n)
    elif isinstance(grid, tuple):
        gx, gy = (np.asarray(g, dtype=float).ravel() for g in grid)
    else:
        gx = gy = np.asarray(grid, dtype=float).ravel()
    if gx.size == 0 or gy.size == 0:
        raise ValueError("grid must contain at least one value per axis")
    if base_code is None:
        base = np.zeros(latent_dim, dtype=np.float32)
    else:
        base = np.asarray(base_code, dtype=np.float32).ravel()
        latent_dim = base.size
    if latent_dim < 2 or len(set(dims)) != 2 or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims must be two different coordinates of the {latent_dim}-d latent space, got {dims}")
    ys = gy[::-1]
    codes = np.tile(base, (ys.size * gx.size, 1))
    yy, xx = np.meshgrid(ys, gx, indexing="ij")
    codes[:, dims[0]] = xx.ravel()
    codes[:, dims[1]] = yy.ravel()
    decoded = np.asarray(decode_fn(codes))
    if decoded.shape[0] != codes.shape[0]:
        raise ValueError(f"decode_fn returned {decoded.shape[0]} images for {codes.shape[0]} codes")
    images = [to_image(d, image_shape) for d in decoded]
    h, w = images[0].shape[:2]
    canvas = np.zeros((ys.size * h, gx.size * w, *images[0].shape[2:]), dtype=np.float32)
    for k, img in enumerate(images):
        i, j = divmod(k, gx.size)
        canvas[i * h : (i + 1) * h, j * w : (j + 1) * w] = img
    return canvas, gx, gy


def manifold_grid(
    decode_fn: Callable[[np.ndarray], Any],
    n: int = 15,
    span: float = 2.5,
    *,
    grid: ArrayLike | tuple[ArrayLike, ArrayLike] | None = None,
    latent_dim: int = 2,
    dims: tuple[int, int] = (0, 1),
    base_code: ArrayLike | None = None,
    image_shape: tuple[int, ...] | None = None,
    cmap: str = "gray",
    size: float = 7.0,
) -> Figure:
    """The VAE's 2-D latent map: images decoded on a grid of codes, with the code values on the axes.

    Taught in: 05_variational_autoencoders.  Arguments as in :func:`decode_grid`.
    Returns a Figure with one axes.
    """
    canvas, gx, gy = decode_grid(
        decode_fn, n, span, grid=grid, latent_dim=latent_dim, dims=dims, base_code=base_code, image_shape=image_shape
    )
    fig, ax = plt.subplots(figsize=(size, size))
    h = canvas.shape[0] // gy.size
    w = canvas.shape[1] // gx.size
    ax.imshow(canvas, cmap=cmap if canvas.ndim == 2 else None, vmin=0.0, vmax=1.0)
    step_x = max(1, gx.size // 5)
    step_y = max(1, gy.size // 5)
    ax.set_xticks(np.arange(gx.size)[::step_x] * w + w / 2)
    ax.set_xticklabels([f"{v:.1f}" for v in gx[::step_x]])
    ys = gy[::-1]
    ax.set_yticks(np.arange(ys.size)[::step_y] * h + h / 2)
    ax.set_yticklabels([f"{v:.1f}" for v in ys[::step_y]])
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    return fig


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

"""Latent-space figures: codes in the plane, decoded grids, the VAE's manifold.

Used by: ``course_utils.plotting`` (every name is reachable as ``plotting.NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .style import MARKERS, PALETTE, SEQUENTIAL_CMAP, _color, _new_axes, to_image


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
    cmap: str = "gray",
    size: float = 7.0,
    **grid_options: Any,
) -> Figure:
    """The VAE's 2-D latent map: images decoded on a grid of codes, with the code values on the axes.

    Taught in: 05_variational_autoencoders.  ``n``, ``span`` and ``grid_options`` (``grid``,
    ``latent_dim``, ``dims``, ``base_code``, ``image_shape``) as in :func:`decode_grid`.
    Returns a Figure with one axes.
    """
    canvas, gx, gy = decode_grid(decode_fn, n, span, **grid_options)
    dims = grid_options.get("dims", (0, 1))
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

"""Image figures: a grid of samples and their reconstructions, the denoising panel.

Used by: ``course_utils.plotting`` (every name is reachable as ``plotting.NAME``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..metrics import psnr, ssim
from .style import _show_image, to_image


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

"""The course's colours and the helpers every figure shares (axes, images as arrays).

Used by: the other ``course_utils.plotting`` modules and ``course_utils.widgets``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

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

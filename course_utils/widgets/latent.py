"""Explorers of a code: one latent coordinate (02, 05), a point in a 2-D latent plane (05).

Used by: ``course_utils.widgets`` (every name is reachable as ``widgets.NAME``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..plotting import MARKERS, PALETTE, to_image
from .core import Explorer, _first_output, _summary_html, show_figure


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
    return box.watch(value_w)


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
    return box.watch(z0_w, z1_w)

"""Explorer of denoising: noise level -> noisy image, filters and autoencoder with PSNR (04).

Used by: ``course_utils.widgets`` (every name is reachable as ``widgets.NAME``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .. import metrics
from ..plotting import denoising_panel
from .core import Explorer, _summary_html, show_figure

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
    return box.watch(slider)

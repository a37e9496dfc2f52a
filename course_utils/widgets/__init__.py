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

from .core import Explorer, figure_to_png, show_figure
from .denoising import denoising_explorer, denoising_figure, denoising_state
from .latent import (
    latent_figure,
    latent_plane_explorer,
    latent_plane_figure,
    latent_plane_state,
    latent_slider_explorer,
    latent_state,
)
from .reconstruction import (
    bottleneck_explorer,
    bottleneck_figure,
    bottleneck_state,
    digit_explorer,
    digit_figure,
    digit_state,
)
from .threshold import threshold_explorer, threshold_figure, threshold_state

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

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

from .anomaly import confusion_matrix_plot, roc_plot, score_histogram
from .charts import comparison_bar, plot_history
from .images import denoising_panel, image_grid
from .latent import decode_grid, latent_scatter, manifold_grid
from .style import MARKERS, PALETTE, SEQUENTIAL_CMAP, to_image, use_course_style

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

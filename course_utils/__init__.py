"""course_utils — the helper package of the autoencoder course.

Every lesson notebook imports its data loaders, model builders, metrics,
baselines, plots and widgets from here, so that no notebook defines a helper
another notebook needs.  Sub-modules are imported lazily: ``import
course_utils`` is cheap and does not import TensorFlow (it only sets TensorFlow's
log level, so that its start-up messages do not clutter the setup cell).

Modules
-------
config    every environment variable the course reads (COURSE_FAST, COURSE_DATA_DIR ...)
runtime   fast/student mode, seeding, the environment report, memory (every lesson)
data      MNIST, breast cancer, medical images, DICOM samples, noise models
sources   where the data files are found and how they are read (used by data)
downloads checksum-verified, atomic downloads (used by sources)
models    dense / convolutional / denoising / variational autoencoders (Keras 3)
training  the shared ``train`` helper and the fast training recipe
schedules the fast recipe's learning-rate schedule (registered with Keras)
metrics   reconstruction errors, PSNR/SSIM, ROC AUC and thresholds
baselines PCA, classical denoising filters, IsolationForest / One-Class SVM
plotting  figures used by the lessons (each returns a Figure)
widgets   ipywidgets explorers whose update logic is testable without a browser
quiz      a self-check of quiz answers for students without nbgrader
dicom_io  read a DICOM image as floats and write a denoised copy back (lesson 04)
generative sample-quality measures and latent-space helpers (lesson 05)
synthetic clearly labelled simulated data for the project starters (lesson 06)
"""

from __future__ import annotations

import importlib
from typing import Any

from . import config

__version__ = "0.1.0"

_SUBMODULES = (
    "config",
    "runtime",
    "data",
    "sources",
    "downloads",
    "models",
    "training",
    "schedules",
    "metrics",
    "baselines",
    "plotting",
    "widgets",
    "quiz",
    "dicom_io",
    "generative",
    "synthetic",
)

__all__ = ["__version__", *_SUBMODULES]

config.quiet_tensorflow_startup()


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

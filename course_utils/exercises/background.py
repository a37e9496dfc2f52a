"""Exercises of lesson 01 (notebooks/01_background.ipynb)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, Mistake, exercise

NOTEBOOK = "01_background"


def _bce_context() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(4, 6)).astype("float32")
    x[0, :3] = [0.0, 1.0, 0.5]
    p = np.clip(x + rng.normal(0, 0.1, size=x.shape), 0.01, 0.99).astype("float32")
    return {"np": np, "x": x, "x_hat": p}


@exercise(
    "01-bce",
    notebook=NOTEBOOK,
    title="Binary cross-entropy by hand",
    answers=("my_bce",),
    solution='''
def my_bce(x, x_hat, eps=1e-7):
    """Mean binary cross-entropy between pixels x and predictions x_hat (both in [0, 1])."""
    x_hat = np.clip(x_hat, eps, 1 - eps)          # log(0) would be -inf
    return float(np.mean(-(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))))
''',
    context=_bce_context,
    mistakes=(
        Mistake(
            "def my_bce(x, x_hat):\n    return float(np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)))",
            "negative",
            "forgot the minus sign",
        ),
        Mistake(
            "def my_bce(x, x_hat):\n    return float(np.mean(-x * np.log(x_hat)))",
            "differs from keras",
            "only the x·log p half of the formula",
        ),
    ),
)
def _check_bce(fb: Feedback, my_bce: Any) -> None:
    import keras

    if not callable(my_bce):
        fb.stop(f"my_bce should be a function, got {type(my_bce).__name__}", "define it with `def my_bce(x, x_hat):`")
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(8, 10)).astype("float32")
    x_hat = rng.uniform(0.05, 0.95, size=(8, 10)).astype("float32")
    value = my_bce(x, x_hat)
    try:
        value = float(value)
    except (TypeError, ValueError):
        fb.stop(f"my_bce returned {type(value).__name__}, not a number", "return the mean over all pixels as one float")
    reference = float(keras.losses.BinaryCrossentropy()(x, x_hat))
    if value < 0:
        fb.stop(
            f"your cross-entropy is negative ({value:.4f}); a loss cannot be below 0",
            "log p is negative for p < 1: the formula has a minus sign in front",
        )
    fb.expect(
        abs(value - reference) < 1e-3,
        f"matches Keras' BinaryCrossentropy on random pixels ({value:.4f})",
        f"your value {value:.4f} differs from Keras' {reference:.4f}",
        "BCE = −[x·log p + (1−x)·log(1−p)], averaged over every pixel",
    )
    edge = my_bce(np.array([[0.0, 1.0]], "float32"), np.array([[0.0, 1.0]], "float32"))
    fb.expect(
        bool(np.isfinite(edge)) and float(edge) < 1e-3,
        "a perfect prediction of 0/1 pixels gives (almost) 0, without nan or inf",
        f"a perfect prediction of pixels 0 and 1 gives {edge}",
        "clip x_hat to [eps, 1 − eps] before taking logarithms",
    )

"""Exercise 01-mse of lesson 01 (notebooks/01_background.ipynb): the reconstruction error of each image,
the anomaly score of FAQ 6.  The lesson's other exercises are in ``background``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, exercise
from .background import INPUT_SIZE, _not_attempted


# --------------------------------------------------------------------------------------
# 01-mse · the reconstruction error of each image (FAQ 6)
# --------------------------------------------------------------------------------------
def _solve_mse():
    def my_per_image_mse(x, x_hat):
        """One reconstruction error per image: the mean squared difference over its pixels."""
        return np.mean((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=1)  # axis 1 = the pixels of each image

    return my_per_image_mse


@exercise("01-mse", "The reconstruction error of each image", _solve_mse, lambda: {"np": np})
def _check_mse(fb: Feedback, my_per_image_mse: Any) -> None:
    fb.require_function(my_per_image_mse, "my_per_image_mse", "(x, x_hat)")
    rng = np.random.default_rng(3)
    n, d = 6, 10  # 6 images of 10 pixels: the two axes cannot be confused
    x = rng.uniform(0, 1, size=(n, d))
    x_hat = rng.uniform(0, 1, size=(n, d))
    reference = np.mean((x - x_hat) ** 2, axis=1)
    result = my_per_image_mse(x.copy(), x_hat.copy())
    _not_attempted(fb, "my_per_image_mse", result, "the formula")
    try:
        arr = np.asarray(result, dtype="float64")
    except (TypeError, ValueError):
        fb.stop(
            f"my_per_image_mse returned {type(result).__name__}, not numbers",
            "return a NumPy array, one value per image",
        )
    if arr.shape == ():
        fb.stop(
            f"for {n} images you return one number for all of them; the task asks for one error per image",
            "average over the pixels only: np.mean(..., axis=1)",
        )
    if arr.shape == (d,):
        fb.stop(
            f"for {n} images of {d} pixels you return {d} numbers: you averaged over the images (axis 0) instead of the pixels",
            "axis=1 averages over the pixels of each image",
        )
    if arr.shape != (n,):
        fb.stop(f"for {n} images you return shape {arr.shape}; the task asks for shape ({n},)", "np.mean(..., axis=1)")
    if np.allclose(arr, reference * d):
        fb.stop(
            f"your errors are {d} times too large (the number of pixels): you summed the squared differences",
            "the *mean* squared error divides by the number of pixels: np.mean instead of np.sum",
        )
    if np.allclose(arr, np.mean(np.abs(x - x_hat), axis=1)):
        fb.stop(
            "you return the mean absolute difference (MAE); the task asks for the mean of the squared differences",
            "square the differences: (x - x_hat) ** 2",
        )
    if np.allclose(arr, np.sqrt(reference)):
        fb.stop(
            "you return the root of the mean squared error (RMSE); the task asks for the MSE itself",
            "drop the square root",
        )
    fb.expect(
        np.allclose(arr, reference),
        f"one error per image, matching the reference on {n} random images",
        f"your errors {np.round(arr, 4)} differ from the reference {np.round(reference, 4)}",
        "MSE of an image = mean over its pixels of (x − x̂)²",
    )
    images = rng.uniform(0, 1, size=(3, INPUT_SIZE)).astype("float32")
    same = np.asarray(my_per_image_mse(images, images.copy()), dtype="float64")
    fb.expect(
        same.shape == (3,) and np.allclose(same, 0),
        "a perfect reconstruction of 784-pixel images gives 0 for each",
        f"a perfect reconstruction gives {np.round(same, 4)} instead of zeros",
        "x − x̂ is 0 everywhere then",
    )

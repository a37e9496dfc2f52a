"""The typical mistakes of 01-mse
(course_utils/exercises/background_scores.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake

MISTAKES = {
    "01-mse": (
        Mistake(
            "def my_per_image_mse(x, x_hat):\n    return np.mean((x - x_hat) ** 2, axis=0)",
            "instead of the pixels",
            "averaged over the images (axis 0)",
        ),
        Mistake(
            "def my_per_image_mse(x, x_hat):\n    return np.mean((x - x_hat) ** 2)",
            "one number for all",
            "one mean over everything",
        ),
        Mistake(
            "def my_per_image_mse(x, x_hat):\n    return np.sum((x - x_hat) ** 2, axis=1)",
            "summed",
            "sum instead of mean",
        ),
        Mistake(
            "def my_per_image_mse(x, x_hat):\n    return np.mean(np.abs(x - x_hat), axis=1)",
            "absolute",
            "absolute instead of squared differences",
        ),
    ),
}

"""The typical mistakes of 06-path-speed, 06-error-map, 06-r2, 06-enrichment, 06-band-power, 06-worst-variables
(course_utils/exercises/project_ideas_metrics.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake

MISTAKES = {
    "06-path-speed": (
        Mistake(
            "def path_speed(codes):\n    steps = np.diff(codes, axis=1)\n    return (steps ** 2).sum(axis=-1).mean(axis=1)",
            "squared distances",
            "forgot the square root",
        ),
        Mistake(
            "def path_speed(codes):\n"
            "    return np.linalg.norm(codes[:, -1] - codes[:, 0], axis=-1) / (codes.shape[1] - 1)",
            "back and forth",
            "net displacement from first to last visit instead of the path travelled",
        ),
        Mistake(
            "def path_speed(codes):\n    return np.linalg.norm(np.diff(codes, axis=0), axis=-1).mean(axis=0)",
            "one number per patient",
            "differences between patients instead of between visits",
        ),
    ),
    "06-error-map": (
        Mistake(
            "def error_map(tiles, reconstructions, grid_shape):\n"
            "    per_tile = np.mean((tiles - reconstructions) ** 2, axis=(1, 2, 3))\n"
            "    return per_tile.reshape(grid_shape[::-1]).T",
            "wrong places",
            "fills the map column by column",
        ),
        Mistake(
            "def error_map(tiles, reconstructions, grid_shape):\n"
            "    return np.mean((tiles - reconstructions) ** 2, axis=0)",
            "the grid has 3 rows and 5 columns",
            "averages over the tiles instead of within each tile",
        ),
        Mistake(
            "def error_map(tiles, reconstructions, grid_shape):\n"
            "    return np.mean(np.abs(tiles - reconstructions), axis=(1, 2, 3)).reshape(grid_shape)",
            "absolute",
            "mean absolute error instead of mean squared error",
        ),
    ),
    "06-r2": (
        Mistake(
            "def r2_by_hand(y_true, y_pred):\n    return float(np.corrcoef(y_true, y_pred)[0, 1] ** 2)",
            "must be negative",
            "squared correlation: never negative, and blind to a prediction's offset and scale",
        ),
        Mistake(
            "def r2_by_hand(y_true, y_pred):\n"
            "    return float(1 - np.sum((y_true - y_pred) ** 2) / np.sum(y_true ** 2))",
            "scikit-learn's r2_score gives",
            "total sum of squares around 0 instead of around the mean",
        ),
    ),
    "06-enrichment": (
        Mistake(
            "def enrichment_factor(distance, active, k):\n"
            "    return float(np.mean(active[np.argsort(-distance)[:k]]) / np.mean(active))",
            "farthest",
            "sorted the wrong way round",
        ),
        Mistake(
            "def enrichment_factor(distance, active, k):\n    return float(np.mean(active[np.argsort(distance)[:k]]))",
            "hit rate",
            "forgot to divide by the library's fraction of actives",
        ),
    ),
    "06-band-power": (
        Mistake(
            "def band_power(power, freqs, low, high):\n    return power[:, :, low:high + 1].mean(axis=-1)",
            "by their index",
            "uses the frequencies as indices",
        ),
        Mistake(
            "def band_power(power, freqs, low, high):\n"
            "    in_band = (freqs >= low) & (freqs <= high)\n"
            "    return power[:, :, in_band].mean(axis=(1, 2))",
            "one number per epoch and channel",
            "also averages over the channels",
        ),
        Mistake(
            "def band_power(power, freqs, low, high):\n"
            "    in_band = (freqs >= low) & (freqs <= high)\n"
            "    return power[:, :, in_band].sum(axis=-1)",
            "summed",
            "total instead of mean power",
        ),
    ),
    "06-worst-variables": (
        Mistake(
            "def worst_variables(x, x_hat, names, n=3):\n"
            "    per_variable = np.mean((x - x_hat) ** 2, axis=0)\n"
            "    return [names[i] for i in np.argsort(per_variable)[:n]]",
            "best-kept",
            "sorted ascending: returns the best-kept variables",
        ),
        Mistake(
            "def worst_variables(x, x_hat, names, n=3):\n"
            "    per_variable = np.mean((x - x_hat) ** 2, axis=0)\n"
            "    return list(np.argsort(per_variable)[::-1][:n])",
            "names",
            "returns column numbers instead of names",
        ),
        Mistake(
            "def worst_variables(x, x_hat, names, n=3):\n"
            "    per_variable = np.mean(np.abs(x - x_hat), axis=0)\n"
            "    return [names[i] for i in np.argsort(per_variable)[::-1][:n]]",
            "absolute",
            "ranks by mean absolute error, which hides a rare large error",
        ),
    ),
}

"""The typical mistakes of 06-shot-noise, 06-masked-mse, 06-threshold, 06-code-size
(course_utils/exercises/project_ideas.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake

MISTAKES = {
    "06-shot-noise": (
        Mistake(
            "def shot_noise(images, level, seed=None):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    return np.clip(images + rng.normal(0, level, images.shape), 0, 1).astype('float32')",
            "as strong in dark as in bright",
            "additive Gaussian noise: the same in dark and bright pixels",
        ),
        Mistake(
            "def shot_noise(images, level, seed=None):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    photons = 1.0 / level**2\n"
            "    return np.clip(rng.poisson(images * photons), 0, 1).astype('float32')",
            "mean brightness changed",
            "forgot to divide the counts by the number of photons",
        ),
        Mistake(
            "def shot_noise(images, level, seed=None):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    photons = 1.0 / level\n"
            "    return np.clip(rng.poisson(images * photons) / photons, 0, 1).astype('float32')",
            "should be about",
            "1 / level photons instead of 1 / level**2: far too noisy",
        ),
    ),
    "06-masked-mse": (
        Mistake(
            "def masked_mse(y_true, y_pred):\n    return ops.mean(ops.square(y_true - y_pred))",
            "gives nan",
            "plain MSE: the NaNs reach the mean",
        ),
        Mistake(
            "def masked_mse(y_true, y_pred):\n"
            "    measured = ops.logical_not(ops.isnan(y_true))\n"
            "    squared_errors = ops.square(ops.where(measured, y_true, y_pred) - y_pred)\n"
            "    return ops.mean(squared_errors)",
            "including the missing ones",
            "averages over all entries, so missing entries count as perfect reconstructions",
        ),
        Mistake(
            "def masked_mse(y_true, y_pred):\n"
            "    measured = ops.logical_not(ops.isnan(y_true))\n"
            "    squared_errors = ops.where(measured, ops.square(y_true - y_pred), 0.0)\n"
            "    return ops.sum(squared_errors) / ops.sum(ops.cast(measured, 'float32'))",
            "gradient is nan",
            "masks after subtracting: right value, but NaN gradients",
        ),
    ),
    "06-threshold": (
        Mistake(
            "def pick_threshold(val_errors, max_false_alarm_rate):\n"
            "    return float(np.percentile(val_errors, 100 * max_false_alarm_rate))",
            "may be flagged",
            "the 2nd percentile instead of the 98th: flags almost everything",
        ),
        Mistake(
            "def pick_threshold(val_errors, max_false_alarm_rate):\n    return float(np.max(val_errors))",
            "a lower threshold would catch more faults",
            "the largest validation error: wastes the false-alarm budget",
        ),
        Mistake(
            "def pick_threshold(val_errors, max_false_alarm_rate):\n"
            "    return float(np.mean(val_errors) + 2 * np.std(val_errors))",
            "may be flagged",
            "mean + 2 standard deviations: assumes normally distributed errors",
        ),
    ),
    "06-code-size": (
        Mistake(
            "def validation_mse(code_size, x_fit, x_val, epochs=EPOCHS):\n"
            "    autoencoder, encoder = starter_autoencoder(x_fit.shape[1], code_size, hidden=64)\n"
            "    history = autoencoder.fit(x_fit, x_fit, epochs=epochs, batch_size=32, verbose=0)\n"
            "    return history.history['loss'][-1]",
            "not measured on x_val",
            "returns the training loss",
        ),
        Mistake(
            "def validation_mse(code_size, x_fit, x_val, epochs=EPOCHS):\n"
            "    autoencoder, encoder = starter_autoencoder(x_val.shape[1], code_size, hidden=64)\n"
            "    autoencoder.fit(x_val, x_val, epochs=epochs, batch_size=32, verbose=0)\n"
            "    return float(np.mean((x_val - autoencoder(x_val).numpy()) ** 2))",
            "not measured on x_val",
            "trains on the validation data",
        ),
        Mistake(
            "def validation_mse(code_size, x_fit, x_val, epochs=EPOCHS):\n"
            "    autoencoder, encoder = starter_autoencoder(x_fit.shape[1], 6, hidden=64)\n"
            "    autoencoder.fit(x_fit, x_fit, epochs=epochs, batch_size=32, verbose=0)\n"
            "    return float(np.mean((x_val - autoencoder(x_val).numpy()) ** 2))",
            "code size 1",
            "ignores code_size",
        ),
    ),
}

"""Exercises of lesson 06 (notebooks/06_project_ideas.ipynb): one "your turn" task per project starter.

Ideas 1-4 and the helpers shared by the checkers are here; ideas 5-10 are in ``project_ideas_metrics``.

Each task asks the student to write a small function that extends a starter the way a real project
would (a noise model, a masked loss, an alarm threshold, a code size chosen on validation data, a
field's standard metric …).  The checks call that function on small inputs made up on the spot and
compare what it *does* with a reference; only ``06-masked-mse`` and ``06-code-size`` train a (tiny)
Keras model.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from . import Feedback, exercise, is_missing
from ._keras import keras_context

_FILL_IN_HINT = "replace each `...` (or `return None`) marked 'your code' in the cell above, run that cell, then run this check again"


# --------------------------------------------------------------------------------------
# small helpers shared by the checkers
# --------------------------------------------------------------------------------------
def _call(fb: Feedback, f: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function; a result of ``None`` / ``...`` means the scaffold is untouched."""
    out = f(*args, **kwargs)
    if is_missing(out):
        fb.stop(f"{name}(...) returns {out!r}: not attempted yet", _FILL_IN_HINT)
    return out


def _array(fb: Feedback, value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fb.stop(f"{name} returned {type(value).__name__}, not an array of numbers", "return a NumPy array")
    return arr


def _number(fb: Feedback, value: Any, name: str) -> float:
    arr = _array(fb, value, name)
    if arr.size != 1:
        fb.stop(
            f"{name} returned {arr.size} numbers (shape {arr.shape}); it should return one number",
            "reduce to a single value, e.g. with np.mean / np.sum, and return float(...)",
        )
    return float(arr.reshape(()))


def _as_numpy(value: Any) -> Any:
    """A Keras/TensorFlow tensor (or anything array-like) as NumPy."""
    try:
        import keras

        return keras.ops.convert_to_numpy(value)
    except Exception:
        return value


# --------------------------------------------------------------------------------------
# Idea 1 · shot (Poisson) noise
# --------------------------------------------------------------------------------------
def _np_context() -> dict[str, Any]:
    return {"np": np}


def _solve_shot_noise():
    def shot_noise(images, level, seed=None):
        """Poisson (shot) noise with 1 / level**2 photons at intensity 1; float32 images in [0, 1]."""
        rng = np.random.default_rng(seed)
        photons = 1.0 / level**2  # expected photon count of a white pixel
        counts = rng.poisson(images * photons)  # photons that actually arrive at each pixel
        noisy = np.clip(counts / photons, 0, 1).astype("float32")  # back to intensities in [0, 1]
        return noisy

    return shot_noise


@exercise("06-shot-noise", "Idea 1 · add a noise type: shot (Poisson) noise", _solve_shot_noise, _np_context)
def _check_shot_noise(fb: Feedback, shot_noise: Any) -> None:
    fb.require_function(shot_noise, "shot_noise", "(images, level, seed=None)")
    intensities = np.array([0.0, 0.16, 0.64, 1.0], dtype="float32")
    x = np.repeat(np.repeat(intensities[:, None, None], 64, axis=1), 64, axis=2)  # 4 flat 64x64 images
    x_before = x.copy()
    raw = _call(fb, shot_noise, "shot_noise", x, 0.1, seed=0)
    out = _array(fb, raw, "shot_noise")
    if out.shape != x.shape:
        fb.stop(
            f"shot_noise returns shape {out.shape} for images of shape {x.shape}", "return one noisy value per pixel"
        )
    fb.ok("keeps the images' shape")
    if not np.array_equal(x, x_before):
        fb.fail("shot_noise changed the images it was given", "compute a new array instead of writing into `images`")
    if not np.isfinite(out).all() or out.min() < 0 or out.max() > 1:
        fb.stop(
            f"values outside [0, 1] (from {np.nanmin(out):.3g} to {np.nanmax(out):.3g})", "clip: np.clip(noisy, 0, 1)"
        )
    fb.ok("values stay in [0, 1]")
    fb.expect(
        np.asarray(raw).dtype == np.float32,
        "returns float32 images",
        f"returns {np.asarray(raw).dtype} values; the course's images are float32",
        "finish with .astype('float32')",
    )
    means, stds = out.mean(axis=(1, 2)), out.std(axis=(1, 2))
    for level, mean in zip(intensities[1:3], means[1:3]):
        if abs(mean - level) > 0.02:
            fb.stop(
                f"the mean brightness changed: pixels of {level:.2f} come out as {mean:.2f} on average",
                "the counts are photons; divide them by `photons` to get intensities back",
            )
    fb.ok("keeps the mean brightness (pixels of 0.16 and 0.64 stay 0.16 and 0.64 on average)")
    if stds[2] < 1.5 * stds[1] or stds[0] > 1e-6:
        fb.stop(
            f"the noise is as strong in dark as in bright pixels (std {stds[0]:.3f} at 0, {stds[1]:.3f} at 0.16, "
            f"{stds[2]:.3f} at 0.64)",
            "shot noise grows with brightness and a black pixel receives no photons: draw rng.poisson(images * photons)",
        )
    for level in (0.1, 0.05):
        std = float(_array(fb, _call(fb, shot_noise, "shot_noise", x, level, seed=1), "shot_noise")[2].std())
        expected = level * np.sqrt(0.64)
        if abs(std - expected) > 0.2 * expected:
            fb.stop(
                f"with level {level} the noise std at intensity 0.64 is {std:.3f}; it should be about "
                f"{expected:.3f} (= level·√0.64)",
                "a white pixel expects photons = 1 / level**2; then counts / photons has std level·√intensity",
            )
    fb.ok("the noise grows with brightness (std ≈ level·√intensity) and black pixels stay black")
    again = _array(fb, shot_noise(x, 0.1, seed=0), "shot_noise")
    other = _array(fb, shot_noise(x, 0.1, seed=1), "shot_noise")
    if not np.array_equal(again, out):
        fb.fail("the same seed gave different noise", "draw from rng = np.random.default_rng(seed), not from np.random")
    elif np.array_equal(other, out):
        fb.fail("seeds 0 and 1 gave identical noise", "draw the counts from rng = np.random.default_rng(seed)")
    else:
        fb.ok("the same seed gives the same noise, another seed other noise")


# --------------------------------------------------------------------------------------
# Idea 2 · a masked loss for missing values
# --------------------------------------------------------------------------------------
def _solve_masked_mse(ops):
    def masked_mse(y_true, y_pred):
        """Mean squared error over the measured entries of y_true (missing entries are NaN); one number."""
        measured = ops.logical_not(ops.isnan(y_true))
        y_filled = ops.where(measured, y_true, y_pred)  # replace NaN *before* subtracting: no NaN in the gradient
        squared_errors = ops.square(y_filled - y_pred)  # exactly 0 where a value is missing
        n_measured = ops.sum(ops.cast(measured, y_pred.dtype))
        return ops.sum(squared_errors) / ops.maximum(n_measured, 1.0)

    return masked_mse


@exercise("06-masked-mse", "Idea 2 · a Keras loss for records with missing values", _solve_masked_mse, keras_context)
def _check_masked_mse(fb: Feedback, masked_mse: Any) -> None:
    import keras
    import tensorflow as tf

    fb.require_function(masked_mse, "masked_mse", "(y_true, y_pred)")
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(6, 5)).astype("float32")
    y_pred = rng.normal(size=(6, 5)).astype("float32")
    missing = rng.random(y_true.shape) < 0.3
    missing[0] = [True, False, True, False, False]
    missing[1] = False
    y_true[missing] = np.nan
    expected = float(np.nanmean((y_true - y_pred) ** 2))
    over_all = float(np.nansum((y_true - y_pred) ** 2) / y_true.size)

    value = _number(
        fb, _as_numpy(_call(fb, masked_mse, "masked_mse", tf.constant(y_true), tf.constant(y_pred))), "masked_mse"
    )
    if not np.isfinite(value):
        fb.stop(
            f"masked_mse gives {value}: the missing entries (NaN) reach the average",
            "keep only the measured entries: measured = ops.logical_not(ops.isnan(y_true)), then ops.where(...)",
        )
    if abs(value - expected) <= 1e-4 * max(1.0, expected):
        fb.ok(f"equals the mean squared error over the measured entries ({value:.4f}, like np.nanmean)")
    elif abs(value - over_all) <= 1e-4 * max(1.0, over_all):
        fb.fail(
            f"your value {value:.4f} divides by all entries, including the missing ones (expected {expected:.4f})",
            "divide by the number of measured entries: ops.sum(ops.cast(measured, 'float32'))",
        )
    else:
        fb.fail(
            f"your value {value:.4f} differs from the mean squared error over the measured entries, {expected:.4f}",
            "sum the squared errors of the measured entries and divide by how many entries were measured",
        )

    pred = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        loss = masked_mse(tf.constant(y_true), pred)
    grad = tape.gradient(loss, pred)
    if grad is None:
        fb.stop(
            "the loss has no gradient with respect to y_pred, so Keras could not train with it",
            "compute it with keras.ops (ops.isnan, ops.where, ops.sum …): NumPy functions are invisible to gradients",
        )
    g = np.asarray(grad)
    if not np.isfinite(g).all():
        fb.fail(
            "its gradient is nan although the value is finite: a NaN that is multiplied by 0 still poisons the gradient",
            "replace the missing targets *before* subtracting — ops.where(measured, y_true, y_pred) — "
            "so that no NaN enters the computation at all",
        )
    elif np.abs(g[missing]).max() > 1e-7:
        fb.fail(
            "the loss changes when the prediction of a missing entry changes",
            "missing entries must contribute exactly 0 to the loss",
        )
    else:
        fb.ok("its gradient is finite, and zero for the missing entries")

    x = rng.normal(size=(64, 6)).astype("float32")
    x[rng.random(x.shape) < 0.2] = np.nan
    init = keras.initializers.GlorotUniform(seed=0)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(3, kernel_initializer=init),
            keras.layers.Dense(6, kernel_initializer=init),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=masked_mse)  # SGD: no optimizer state to keep
    try:
        losses = model.fit(np.nan_to_num(x), x, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    except Exception as err:
        fb.stop(
            f"Keras could not train with your loss ({type(err).__name__}: {str(err).splitlines()[0][:120]})",
            "inside a loss use keras.ops (ops.isnan, ops.where, ops.sum), not NumPy: Keras calls it on symbolic tensors",
        )
    fb.expect(
        bool(np.all(np.isfinite(losses))),
        f"Keras trains with it on a table with a fifth of its entries missing (loss {losses[0]:.3f} → {losses[-1]:.3f})",
        f"training with compile(loss=masked_mse) gave the losses {[round(v, 3) for v in losses]}",
        "the loss and its gradient must stay finite on batches with NaN targets",
    )


# --------------------------------------------------------------------------------------
# Idea 3 · an alarm threshold for a false-alarm budget
# --------------------------------------------------------------------------------------
def _solve_threshold():
    def pick_threshold(val_errors, max_false_alarm_rate):
        """Lowest threshold that flags (error >= threshold) at most this fraction of the normal validation beats."""
        errors = np.sort(np.asarray(val_errors))  # smallest first
        n_allowed = int(np.floor(max_false_alarm_rate * len(errors) + 1e-9))  # beats we may flag
        if n_allowed == 0:
            return float(errors[-1]) * (1 + 1e-9) + 1e-12  # above every error: flag nothing
        return float(errors[len(errors) - n_allowed])  # flags exactly the n_allowed largest errors

    # (np.percentile(val_errors, 100 * (1 - max_false_alarm_rate)) does the same when the budget is a whole number of beats)
    return pick_threshold


@exercise("06-threshold", "Idea 3 · an alarm threshold for a false-alarm budget", _solve_threshold, _np_context)
def _check_threshold(fb: Feedback, pick_threshold: Any) -> None:
    fb.require_function(pick_threshold, "pick_threshold", "(val_errors, max_false_alarm_rate)")
    rng = np.random.default_rng(0)
    for n, rate in ((200, 0.02), (500, 0.05), (1000, 0.01)):
        errors = rng.lognormal(-4.0, 0.6, n)  # reconstruction errors are skewed, not normal
        given = errors.copy()
        t = _number(fb, _call(fb, pick_threshold, "pick_threshold", given, rate), "pick_threshold")
        flagged, allowed = int(np.sum(errors >= t)), int(round(rate * n))
        if flagged > allowed:
            fb.stop(
                f"with {n} validation beats and a budget of {rate:.0%}, your threshold flags {flagged} "
                f"({flagged / n:.1%}) of the normal validation beats; at most {allowed} may be flagged",
                "a beat is flagged when error >= threshold: the threshold must sit above all but the "
                "allowed number of largest errors",
            )
        if flagged < allowed:
            fb.stop(
                f"with {n} validation beats and a budget of {rate:.0%}, your threshold flags only {flagged} of the "
                f"{allowed} beats the budget allows: a lower threshold would catch more faults at the same "
                "false-alarm rate",
                "use the whole budget: the threshold can go down to the allowed-th largest error",
            )
    fb.ok("flags exactly as many normal beats as the budget allows (200, 500 and 1000 beats; budgets 2 %, 5 %, 1 %)")
    shuffled = rng.permutation(errors)
    t2 = _number(fb, pick_threshold(list(shuffled), 0.01), "pick_threshold")
    fb.expect(
        int(np.sum(errors >= t2)) == 10,
        "works on an unsorted Python list as well",
        "gives a different answer for the same errors in another order or as a list",
        "sort a copy (np.sort(np.asarray(val_errors))) rather than relying on the input's order",
    )


# --------------------------------------------------------------------------------------
# Idea 4 · the code size, chosen on validation data
# --------------------------------------------------------------------------------------
def _code_size_context() -> dict[str, Any]:
    from course_utils.lessons.project_ideas import starter_autoencoder

    return {**keras_context(), "starter_autoencoder": starter_autoencoder, "EPOCHS": 2}


def _factor_data(rng: np.random.Generator, n: int, loadings: np.ndarray) -> np.ndarray:
    z = rng.normal(size=(n, loadings.shape[0]))
    return (z @ loadings + 0.05 * rng.normal(size=(n, loadings.shape[1]))).astype("float32")


def _solve_code_size(EPOCHS, starter_autoencoder):
    def validation_mse(code_size, x_fit, x_val, epochs=EPOCHS):
        """Train starter_autoencoder with `code_size` code units on x_fit only; return its MSE on x_val."""
        autoencoder, encoder = starter_autoencoder(x_fit.shape[1], code_size, hidden=64)
        autoencoder.fit(x_fit, x_fit, epochs=epochs, batch_size=32, verbose=0)  # the model never sees x_val
        x_hat = autoencoder(x_val).numpy()
        return float(np.mean((x_val - x_hat) ** 2))

    return validation_mse


@exercise("06-code-size", "Idea 4 · choose the code size on validation data", _solve_code_size, _code_size_context)
def _check_code_size(fb: Feedback, validation_mse: Any) -> None:
    fb.require_function(validation_mse, "validation_mse", "(code_size, x_fit, x_val, epochs=EPOCHS)")
    try:
        takes_epochs = "epochs" in inspect.signature(validation_mse).parameters
    except (TypeError, ValueError):
        takes_epochs = False
    kwargs = {"epochs": 4} if takes_epochs else {}  # three short trainings: a few seconds in all
    rng = np.random.default_rng(0)
    loadings = rng.normal(size=(3, 16))  # 16 variables driven by 3 hidden factors
    x_fit, x_val = _factor_data(rng, 512, loadings), _factor_data(rng, 128, loadings)
    x_other = _factor_data(rng, 128, rng.normal(size=(3, 16)))  # 3 *other* factors: unlike x_fit

    def run(code_size: int, fit: np.ndarray, val: np.ndarray) -> float:
        value = _number(
            fb,
            _as_numpy(_call(fb, validation_mse, "validation_mse", code_size, fit.copy(), val.copy(), **kwargs)),
            "validation_mse",
        )
        if not np.isfinite(value) or value < 0:
            fb.stop(
                f"validation_mse returned {value}; a mean squared error is a number >= 0",
                "return float(np.mean((x_val - x_hat) ** 2))",
            )
        return value

    base = run(3, x_fit, x_val)
    spread = float(np.mean(np.var(x_val, axis=0)))
    if base > 0.5 * spread:
        fb.stop(
            f"with 3 code units on data with 3 hidden factors your validation error is {base:.3f}, hardly better "
            f"than predicting the mean of every variable ({spread:.3f})",
            "train the model on x_fit (autoencoder.fit(x_fit, x_fit, epochs=epochs, ...)) before measuring",
        )
    fb.ok(f"returns one number (validation MSE {base:.3f} with 3 code units on data with 3 hidden factors)")
    other = run(3, x_fit, x_other)
    if other < 2.5 * base:
        fb.stop(
            f"on validation data unlike x_fit your error is {other:.3f}, about as small as on ordinary validation "
            f"data ({base:.3f}): the error is not measured on x_val with a model trained on x_fit only",
            "train with autoencoder.fit(x_fit, x_fit, ...) and return the mean of (x_val - autoencoder(x_val)) ** 2",
        )
    fb.ok(f"the error is measured on x_val by a model that never saw it (data unlike x_fit: {other:.3f})")
    small = run(1, x_fit, x_val)
    fb.expect(
        small > 1.3 * base,
        f"the code size matters: 1 code unit {small:.3f} vs 3 code units {base:.3f}",
        f"code size 1 gives about the same validation error ({small:.3f}) as code size 3 ({base:.3f})",
        "build the model with code_size code units: starter_autoencoder(x_fit.shape[1], code_size, ...)",
    )

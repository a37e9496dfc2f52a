"""Exercises of lesson 06 (notebooks/06_project_ideas.ipynb): one "your turn" task per project starter.

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

from . import Feedback, Mistake, exercise, is_missing

NOTEBOOK = "06_project_ideas"
_FILL_IN_HINT = "replace each `...` (or `return None`) marked 'your code' in the cell above, run that cell, then run this check again"


# --------------------------------------------------------------------------------------
# small helpers shared by the checkers
# --------------------------------------------------------------------------------------
def _need_function(fb: Feedback, f: Any, name: str, signature: str) -> None:
    if not callable(f):
        fb.stop(f"{name} should be a function, got {type(f).__name__}", f"define it with `def {name}{signature}:`")


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


@exercise(
    "06-shot-noise",
    notebook=NOTEBOOK,
    title="Idea 1 · add a noise type: shot (Poisson) noise",
    answers=("shot_noise",),
    solution='''
def shot_noise(images, level, seed=None):
    """Poisson (shot) noise with 1 / level**2 photons at intensity 1; float32 images in [0, 1]."""
    rng = np.random.default_rng(seed)
    photons = 1.0 / level**2                          # expected photon count of a white pixel
    counts = rng.poisson(images * photons)            # photons that actually arrive at each pixel
    noisy = np.clip(counts / photons, 0, 1).astype("float32")   # back to intensities in [0, 1]
    return noisy
''',
    context=_np_context,
    mistakes=(
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
)
def _check_shot_noise(fb: Feedback, shot_noise: Any) -> None:
    _need_function(fb, shot_noise, "shot_noise", "(images, level, seed=None)")
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
def _keras_context() -> dict[str, Any]:
    import keras
    from keras import layers, ops

    return {"np": np, "keras": keras, "layers": layers, "ops": ops}


@exercise(
    "06-masked-mse",
    notebook=NOTEBOOK,
    title="Idea 2 · a Keras loss for records with missing values",
    answers=("masked_mse",),
    solution='''
def masked_mse(y_true, y_pred):
    """Mean squared error over the measured entries of y_true (missing entries are NaN); one number."""
    measured = ops.logical_not(ops.isnan(y_true))
    y_filled = ops.where(measured, y_true, y_pred)     # replace NaN *before* subtracting: no NaN in the gradient
    squared_errors = ops.square(y_filled - y_pred)     # exactly 0 where a value is missing
    n_measured = ops.sum(ops.cast(measured, y_pred.dtype))
    return ops.sum(squared_errors) / ops.maximum(n_measured, 1.0)
''',
    context=_keras_context,
    mistakes=(
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
)
def _check_masked_mse(fb: Feedback, masked_mse: Any) -> None:
    import keras
    import tensorflow as tf

    _need_function(fb, masked_mse, "masked_mse", "(y_true, y_pred)")
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
@exercise(
    "06-threshold",
    notebook=NOTEBOOK,
    title="Idea 3 · an alarm threshold for a false-alarm budget, from validation beats",
    answers=("pick_threshold",),
    solution='''
def pick_threshold(val_errors, max_false_alarm_rate):
    """Lowest threshold that flags (error >= threshold) at most this fraction of the normal validation beats."""
    errors = np.sort(np.asarray(val_errors))                    # smallest first
    n_allowed = int(np.floor(max_false_alarm_rate * len(errors) + 1e-9))   # beats we may flag
    if n_allowed == 0:
        return float(errors[-1]) * (1 + 1e-9) + 1e-12          # above every error: flag nothing
    return float(errors[len(errors) - n_allowed])               # flags exactly the n_allowed largest errors
# (np.percentile(val_errors, 100 * (1 - max_false_alarm_rate)) does the same when the budget is a whole number of beats)
''',
    context=_np_context,
    mistakes=(
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
)
def _check_threshold(fb: Feedback, pick_threshold: Any) -> None:
    _need_function(fb, pick_threshold, "pick_threshold", "(val_errors, max_false_alarm_rate)")
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

    return {**_keras_context(), "starter_autoencoder": starter_autoencoder, "EPOCHS": 2}


def _factor_data(rng: np.random.Generator, n: int, loadings: np.ndarray) -> np.ndarray:
    z = rng.normal(size=(n, loadings.shape[0]))
    return (z @ loadings + 0.05 * rng.normal(size=(n, loadings.shape[1]))).astype("float32")


@exercise(
    "06-code-size",
    notebook=NOTEBOOK,
    title="Idea 4 · choose the code size on validation data",
    answers=("validation_mse",),
    solution='''
def validation_mse(code_size, x_fit, x_val, epochs=EPOCHS):
    """Train starter_autoencoder with `code_size` code units on x_fit only; return its MSE on x_val."""
    autoencoder, encoder = starter_autoencoder(x_fit.shape[1], code_size, hidden=64)
    autoencoder.fit(x_fit, x_fit, epochs=epochs, batch_size=32, verbose=0)   # the model never sees x_val
    x_hat = autoencoder(x_val).numpy()
    return float(np.mean((x_val - x_hat) ** 2))
''',
    context=_code_size_context,
    mistakes=(
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
)
def _check_code_size(fb: Feedback, validation_mse: Any) -> None:
    _need_function(fb, validation_mse, "validation_mse", "(code_size, x_fit, x_val, epochs=EPOCHS)")
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


# --------------------------------------------------------------------------------------
# Idea 5 · speed along the code path
# --------------------------------------------------------------------------------------
def _path_speed_reference(codes: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.diff(codes, axis=1), axis=-1).mean(axis=1)


@exercise(
    "06-path-speed",
    notebook=NOTEBOOK,
    title="Idea 5 · how fast does a patient move through the code?",
    answers=("path_speed",),
    solution='''
def path_speed(codes):
    """Average Euclidean distance between consecutive visits' codes, one number per patient."""
    steps = np.diff(codes, axis=1)                           # (patients, visits - 1, code units)
    return np.linalg.norm(steps, axis=-1).mean(axis=1)       # length of each step, averaged per patient
''',
    context=_np_context,
    mistakes=(
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
)
def _check_path_speed(fb: Feedback, path_speed: Any) -> None:
    _need_function(fb, path_speed, "path_speed", "(codes)")
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(5, 4, 2))
    out = _array(fb, _call(fb, path_speed, "path_speed", codes.copy()), "path_speed")
    if out.shape != (5,):
        fb.stop(
            f"path_speed returns shape {out.shape} for 5 patients with 4 visits; expected one number per patient, "
            "shape (5,)",
            "np.diff(codes, axis=1) gives the steps between visits; average their lengths over that same axis",
        )
    fb.ok("one number per patient")
    doubled = _array(fb, path_speed(2 * codes), "path_speed")
    if np.allclose(doubled, 4 * out, rtol=1e-6):
        fb.stop(
            "doubling every code should double the speed; yours quadruples it: you return squared distances",
            "the length of a step is the square root of its summed squares: np.linalg.norm(steps, axis=-1)",
        )
    back_forth = np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]])
    bf = _array(fb, path_speed(back_forth), "path_speed").ravel()
    if bf.size != 1 or not np.isclose(bf[0], 1.0):
        fb.stop(
            f"a patient who moves back and forth by 1 at every visit has speed 1; yours gives {bf.round(3).tolist()}",
            "average the length of every step between consecutive visits, not the distance from first to last",
        )
    fb.ok("a patient moving back and forth by 1 per visit has speed 1")
    fb.expect(
        np.allclose(out, _path_speed_reference(codes), rtol=1e-6, atol=1e-9),
        "matches the reference on random 2-unit codes",
        f"differs from the reference on random codes: {out.round(3).tolist()} vs "
        f"{_path_speed_reference(codes).round(3).tolist()}",
        "Euclidean length of each step between consecutive visits, averaged over the steps of each patient",
    )
    codes3 = rng.normal(size=(3, 6, 3))
    out3 = _array(fb, path_speed(codes3), "path_speed")
    fb.expect(
        out3.shape == (3,) and np.allclose(out3, _path_speed_reference(codes3), rtol=1e-6, atol=1e-9),
        "works for any number of visits and code units (3 patients, 6 visits, 3 units)",
        "gives wrong results for codes with 3 units and 6 visits",
        "do not assume 2 code units or 8 visits: use axis=-1 for the units and axis=1 for the visits",
    )


# --------------------------------------------------------------------------------------
# Idea 6 · a reconstruction-error map
# --------------------------------------------------------------------------------------
@exercise(
    "06-error-map",
    notebook=NOTEBOOK,
    title="Idea 6 · a reconstruction-error map of the slide",
    answers=("error_map",),
    solution='''
def error_map(tiles, reconstructions, grid_shape):
    """Mean squared reconstruction error of every tile, arranged as a (rows, columns) map."""
    per_tile = np.mean((tiles - reconstructions) ** 2, axis=(1, 2, 3))   # over pixels and colour channels
    return per_tile.reshape(grid_shape)                                  # tiles were cut row by row
''',
    context=_np_context,
    mistakes=(
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
)
def _check_error_map(fb: Feedback, error_map: Any) -> None:
    _need_function(fb, error_map, "error_map", "(tiles, reconstructions, grid_shape)")
    rng = np.random.default_rng(0)
    grid = (3, 5)
    tiles = rng.random((15, 4, 4, 3)).astype("float32")
    spread = np.linspace(0.02, 0.3, 15)[rng.permutation(15)]  # every tile its own error level
    recon = (tiles + spread[:, None, None, None] * rng.normal(size=tiles.shape)).astype("float32")
    diff = tiles - recon
    expected = np.mean(diff**2, axis=(1, 2, 3)).reshape(grid)
    out = _array(fb, _call(fb, error_map, "error_map", tiles.copy(), recon.copy(), grid), "error_map")
    if out.shape != grid:
        fb.stop(
            f"your map has shape {out.shape}; the grid has 3 rows and 5 columns of tiles, so (3, 5) is expected",
            "one number per tile — the mean over axes (1, 2, 3) — then .reshape(grid_shape)",
        )
    fb.ok("one number per tile, in the shape of the grid")
    if np.allclose(out, expected, rtol=1e-5, atol=1e-9):
        fb.ok("every tile's mean squared error is in its place (row by row)")
    elif np.allclose(np.sort(out.ravel()), np.sort(expected.ravel()), rtol=1e-5, atol=1e-9):
        fb.fail(
            "the right numbers, but the tiles are in the wrong places",
            "the tiles were cut row by row: per_tile.reshape(grid_shape) with NumPy's default (row-major) order",
        )
    elif np.allclose(out, np.mean(np.abs(diff), axis=(1, 2, 3)).reshape(grid), rtol=1e-5):
        fb.fail(
            "you computed the mean absolute error; the task asks for the mean squared error",
            "square the differences: np.mean((tiles - reconstructions) ** 2, axis=(1, 2, 3))",
        )
    elif np.allclose(out, np.sum(diff**2, axis=(1, 2, 3)).reshape(grid), rtol=1e-5):
        fb.fail(
            "you summed the squared errors of each tile; the task asks for their mean", "np.mean(..., axis=(1, 2, 3))"
        )
    else:
        fb.fail(
            f"your map differs from the mean squared error of each tile (first row: {out[0].round(4).tolist()} vs "
            f"{expected[0].round(4).tolist()})",
            "average (tiles - reconstructions) ** 2 over each tile's pixels and channels",
        )


# --------------------------------------------------------------------------------------
# Idea 7 · R² by hand
# --------------------------------------------------------------------------------------
@exercise(
    "06-r2",
    notebook=NOTEBOOK,
    title="Idea 7 · R² by hand",
    answers=("r2_by_hand",),
    solution='''
def r2_by_hand(y_true, y_pred):
    """Coefficient of determination R² of predictions y_pred for the true values y_true."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    ss_res = np.sum((y_true - y_pred) ** 2)              # what the prediction gets wrong
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)       # what predicting the mean would get wrong
    return float(1 - ss_res / ss_tot)                    # 1 = perfect, 0 = as good as the mean, < 0 = worse
''',
    context=_np_context,
    mistakes=(
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
)
def _check_r2(fb: Feedback, r2_by_hand: Any) -> None:
    from sklearn.metrics import r2_score

    _need_function(fb, r2_by_hand, "r2_by_hand", "(y_true, y_pred)")
    rng = np.random.default_rng(0)
    y = rng.normal(150.0, 60.0, 60)
    cases = {
        "a good prediction": y + rng.normal(0, 30, y.size),
        "a prediction worse than the mean": 2 * y.mean() - y,
        "a constant prediction (the mean of y_true)": np.full(y.size, y.mean()),
        "a perfect prediction": y.copy(),
    }
    for name, pred in cases.items():
        value = _number(fb, _call(fb, r2_by_hand, "r2_by_hand", y.copy(), pred.copy()), "r2_by_hand")
        ref = float(r2_score(y, pred))
        if np.isfinite(value) and abs(value - ref) <= 1e-6 * max(1.0, abs(ref)):
            fb.ok(f"{name}: R² = {value:.3f}, as scikit-learn's r2_score")
        elif ref < 0 and not value < 0:
            fb.fail(
                f"for {name} R² must be negative ({ref:.2f}); yours is {value:.3f}",
                "R² = 1 − SS_res / SS_tot falls below 0 when the errors exceed the spread around the mean; "
                "a squared correlation never does",
            )
        else:
            fb.fail(
                f"for {name} your R² is {value:.3f}; scikit-learn's r2_score gives {ref:.3f}",
                "SS_res = Σ(y − ŷ)², SS_tot = Σ(y − ȳ)², with ȳ the mean of y_true; R² = 1 − SS_res / SS_tot",
            )


# --------------------------------------------------------------------------------------
# Idea 8 · the enrichment factor
# --------------------------------------------------------------------------------------
def _ef(distance: np.ndarray, active: np.ndarray, k: int) -> float:
    return float(active[np.argsort(distance, kind="stable")[:k]].mean() / active.mean())


@exercise(
    "06-enrichment",
    notebook=NOTEBOOK,
    title="Idea 8 · the enrichment factor of a similarity search",
    answers=("enrichment_factor",),
    solution='''
def enrichment_factor(distance, active, k):
    """Fraction of actives among the k closest molecules, divided by the fraction of actives overall."""
    closest = np.argsort(distance)[:k]                   # smallest distance first
    return float(np.mean(active[closest]) / np.mean(active))
''',
    context=_np_context,
    mistakes=(
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
)
def _check_enrichment(fb: Feedback, enrichment_factor: Any) -> None:
    _need_function(fb, enrichment_factor, "enrichment_factor", "(distance, active, k)")
    rng = np.random.default_rng(0)
    n = 400
    active = np.zeros(n, dtype=np.int64)
    active[rng.choice(n, 20, replace=False)] = 1  # 5 % actives
    distance = rng.random(n) - 0.4 * active * rng.random(n)  # actives tend to be closer
    value = _number(
        fb, _call(fb, enrichment_factor, "enrichment_factor", distance.copy(), active.copy(), 40), "enrichment_factor"
    )
    ref = _ef(distance, active, 40)
    if abs(value - ref) <= 1e-9 * max(1.0, ref):
        fb.ok(f"EF@40 = {value:.2f} on a library with 5 % actives, as the reference")
    elif abs(value - _ef(-distance, active, 40)) <= 1e-9:
        fb.stop(
            f"your EF@40 is {value:.2f} (reference {ref:.2f}): you picked the 40 farthest molecules",
            "a smaller distance means closer to the queries: np.argsort(distance)[:k] lists the closest first",
        )
    elif abs(value - ref * active.mean()) <= 1e-9:
        fb.stop(
            f"{value:.3f} is the hit rate of the top 40, not the enrichment factor ({ref:.2f})",
            "divide by the fraction of actives in the whole library, np.mean(active)",
        )
    else:
        fb.stop(
            f"your EF@40 is {value:.3f}; the reference gives {ref:.3f}",
            "EF@k = (fraction active among the k closest) / (fraction active in the library)",
        )
    whole = _number(fb, enrichment_factor(distance, active, n), "enrichment_factor")
    fb.expect(
        abs(whole - 1.0) < 1e-9,
        "EF over the whole library is 1 (no better than random, by definition)",
        f"EF over the whole library should be 1; yours is {whole:.3f}",
        "with k = len(library) the top k is the whole library",
    )
    bools = _number(fb, enrichment_factor(distance, active.astype(bool), 40), "enrichment_factor")
    fb.expect(
        abs(bools - ref) <= 1e-9 * max(1.0, ref),
        "works with 0/1 and True/False activity labels",
        "gives a different value when the activity labels are True/False",
        "use np.mean(active[...]), which treats both alike",
    )


# --------------------------------------------------------------------------------------
# Idea 9 · band power
# --------------------------------------------------------------------------------------
def _band(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    return power[..., (freqs >= low) & (freqs <= high)].mean(axis=-1)


@exercise(
    "06-band-power",
    notebook=NOTEBOOK,
    title="Idea 9 · a hand-made EEG baseline: band power",
    answers=("band_power",),
    solution='''
def band_power(power, freqs, low, high):
    """Mean power over the frequencies low <= f <= high (Hz), for every epoch and channel."""
    in_band = (freqs >= low) & (freqs <= high)           # select by frequency in Hz, not by index
    return power[:, :, in_band].mean(axis=-1)            # (epochs, channels)
''',
    context=_np_context,
    mistakes=(
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
)
def _check_band_power(fb: Feedback, band_power: Any) -> None:
    _need_function(fb, band_power, "band_power", "(power, freqs, low, high)")
    rng = np.random.default_rng(0)
    for step, (low, high) in ((2.0, (8, 12)), (0.5, (13, 30))):
        freqs = np.arange(0, 64 + step, step)
        power = rng.lognormal(size=(6, 4, freqs.size))
        out = _array(fb, _call(fb, band_power, "band_power", power.copy(), freqs.copy(), low, high), "band_power")
        expected = _band(power, freqs, low, high)
        if out.shape != (6, 4):
            fb.stop(
                f"band_power returns shape {out.shape} for 6 epochs and 4 channels; expected one number per "
                "epoch and channel, shape (6, 4)",
                "average over the frequency axis only (the last one): power[:, :, in_band].mean(axis=-1)",
            )
        if np.allclose(out, expected, rtol=1e-6):
            continue
        by_index = [power[:, :, low : high + 1].mean(axis=-1), power[:, :, low:high].mean(axis=-1)]
        if any(np.allclose(out, b, rtol=1e-6) for b in by_index):
            fb.stop(
                f"you selected frequency bins by their index, not by their frequency in Hz: with {step:g} Hz "
                f"steps, bins {low}–{high} lie at {low * step:g}–{high * step:g} Hz",
                "in_band = (freqs >= low) & (freqs <= high); then power[:, :, in_band]",
            )
        if np.allclose(out, power[..., (freqs >= low) & (freqs <= high)].sum(axis=-1), rtol=1e-6):
            fb.stop(
                "you summed the power over the band; the task asks for the mean",
                "use .mean(axis=-1): then bands of different widths stay comparable",
            )
        if np.allclose(out, _band(power, freqs, low + 1e-9, high - 1e-9), rtol=1e-6):
            fb.stop(
                f"the band edges {low} and {high} Hz are missing: the band is low <= f <= high",
                "use >= and <=, not > and <",
            )
        fb.stop(
            f"for the {low}–{high} Hz band with {step:g} Hz steps your values differ from the mean power in the band",
            "average power[:, :, in_band] over the frequency axis, with in_band = (freqs >= low) & (freqs <= high)",
        )
    fb.ok(
        "one number per epoch and channel: the mean power in the band, selected by frequency "
        "(2 Hz and 0.5 Hz resolution)"
    )


# --------------------------------------------------------------------------------------
# Idea 10 · the worst-kept variables
# --------------------------------------------------------------------------------------
_VARIABLES = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "symmetry"]


@exercise(
    "06-worst-variables",
    notebook=NOTEBOOK,
    title="Idea 10 · which variables does the code lose?",
    answers=("worst_variables",),
    solution='''
def worst_variables(x, x_hat, names, n=3):
    """Names of the n columns with the largest mean squared reconstruction error, worst first."""
    per_variable = np.mean((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=0)   # average over patients (rows)
    worst = np.argsort(per_variable)[::-1][:n]                               # largest error first
    return [names[i] for i in worst]
''',
    context=_np_context,
    mistakes=(
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
)
def _check_worst_variables(fb: Feedback, worst_variables: Any) -> None:
    _need_function(fb, worst_variables, "worst_variables", "(x, x_hat, names, n=3)")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8))
    err = rng.normal(0, 0.05, size=x.shape)
    err[:, 2] = 0.5 * rng.choice([-1, 1], 40)  # perimeter: every patient off by 0.5 (MSE 0.25)
    err[:, 6] = 0.0
    err[7, 6] = 4.0  # concavity: one patient off by 4 (MSE 0.4, but MAE only 0.1)
    err[:, 4] = rng.normal(0, 0.3, 40)  # smoothness: MSE about 0.09
    x_hat = x + err
    expected = ["concavity", "perimeter", "smoothness"]
    out = _call(fb, worst_variables, "worst_variables", x.copy(), x_hat.copy(), list(_VARIABLES))
    try:
        got = list(out)
    except TypeError:
        fb.stop(
            f"worst_variables returned {type(out).__name__}; expected a list of names", "return [names[i] for i in ...]"
        )
    if not all(isinstance(v, str) for v in got):
        fb.stop(
            f"worst_variables returned {got!r}: the task asks for the variables' names, not their column numbers",
            "look the names up: [names[i] for i in worst]",
        )
    if len(got) != 3:
        fb.stop(f"returned {len(got)} names for n=3", "keep the first n: [:n]")
    mse = np.mean(err**2, axis=0)
    best = [_VARIABLES[i] for i in np.argsort(mse)[:3]]
    by_mae = [_VARIABLES[i] for i in np.argsort(np.mean(np.abs(err), axis=0))[::-1][:3]]
    if got == expected:
        fb.ok(f"finds the worst-kept variables, worst first: {got}")
    elif got == by_mae:
        fb.stop(
            f"{got}: you ranked by mean absolute error, which puts the single large error in 'concavity' last",
            "rank by the mean *squared* error: np.mean((x - x_hat) ** 2, axis=0)",
        )
    elif set(got) == set(expected):
        fb.stop(
            f"the right variables in the wrong order: {got} (worst first is {expected})",
            "sort by error, largest first: np.argsort(per_variable)[::-1]",
        )
    elif set(got) == set(best):
        fb.stop(
            f"{got} are the best-kept variables, not the worst", "largest error first: np.argsort(per_variable)[::-1]"
        )
    else:
        fb.stop(
            f"returned {got}; the three variables with the largest mean squared error are {expected}",
            "average the squared errors over the patients (axis=0), one number per variable, then sort",
        )
    two = _call(fb, worst_variables, "worst_variables", x, x_hat, list(_VARIABLES), n=2)
    fb.expect(
        list(two) == expected[:2],
        "respects n (n=2 gives the two worst)",
        f"with n=2 it returned {list(two)!r}",
        "return only the first n names",
    )

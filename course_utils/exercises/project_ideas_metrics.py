"""Exercises of lesson 06 (notebooks/06_project_ideas.ipynb), ideas 5-10: each field's standard measure.

The first four ideas' exercises and the helpers shared by the checkers are in ``project_ideas``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, exercise
from .project_ideas import _array, _call, _np_context, _number


# --------------------------------------------------------------------------------------
# Idea 5 · speed along the code path
# --------------------------------------------------------------------------------------
def _path_speed_reference(codes: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.diff(codes, axis=1), axis=-1).mean(axis=1)


def _solve_path_speed():
    def path_speed(codes):
        """Average Euclidean distance between consecutive visits' codes, one number per patient."""
        steps = np.diff(codes, axis=1)  # (patients, visits - 1, code units)
        return np.linalg.norm(steps, axis=-1).mean(axis=1)  # length of each step, averaged per patient

    return path_speed


@exercise("06-path-speed", "Idea 5 · how fast does a patient move through the code?", _solve_path_speed, _np_context)
def _check_path_speed(fb: Feedback, path_speed: Any) -> None:
    fb.require_function(path_speed, "path_speed", "(codes)")
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
def _solve_error_map():
    def error_map(tiles, reconstructions, grid_shape):
        """Mean squared reconstruction error of every tile, arranged as a (rows, columns) map."""
        per_tile = np.mean((tiles - reconstructions) ** 2, axis=(1, 2, 3))  # over pixels and colour channels
        return per_tile.reshape(grid_shape)  # tiles were cut row by row

    return error_map


@exercise("06-error-map", "Idea 6 · a reconstruction-error map of the slide", _solve_error_map, _np_context)
def _check_error_map(fb: Feedback, error_map: Any) -> None:
    fb.require_function(error_map, "error_map", "(tiles, reconstructions, grid_shape)")
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
def _solve_r2():
    def r2_by_hand(y_true, y_pred):
        """Coefficient of determination R² of predictions y_pred for the true values y_true."""
        y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
        ss_res = np.sum((y_true - y_pred) ** 2)  # what the prediction gets wrong
        ss_tot = np.sum((y_true - y_true.mean()) ** 2)  # what predicting the mean would get wrong
        return float(1 - ss_res / ss_tot)  # 1 = perfect, 0 = as good as the mean, < 0 = worse

    return r2_by_hand


@exercise("06-r2", "Idea 7 · R² by hand", _solve_r2, _np_context)
def _check_r2(fb: Feedback, r2_by_hand: Any) -> None:
    from sklearn.metrics import r2_score

    fb.require_function(r2_by_hand, "r2_by_hand", "(y_true, y_pred)")
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


def _solve_enrichment():
    def enrichment_factor(distance, active, k):
        """Fraction of actives among the k closest molecules, divided by the fraction of actives overall."""
        closest = np.argsort(distance)[:k]  # smallest distance first
        return float(np.mean(active[closest]) / np.mean(active))

    return enrichment_factor


@exercise("06-enrichment", "Idea 8 · the enrichment factor of a similarity search", _solve_enrichment, _np_context)
def _check_enrichment(fb: Feedback, enrichment_factor: Any) -> None:
    fb.require_function(enrichment_factor, "enrichment_factor", "(distance, active, k)")
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


def _solve_band_power():
    def band_power(power, freqs, low, high):
        """Mean power over the frequencies low <= f <= high (Hz), for every epoch and channel."""
        in_band = (freqs >= low) & (freqs <= high)  # select by frequency in Hz, not by index
        return power[:, :, in_band].mean(axis=-1)  # (epochs, channels)

    return band_power


@exercise("06-band-power", "Idea 9 · a hand-made EEG baseline: band power", _solve_band_power, _np_context)
def _check_band_power(fb: Feedback, band_power: Any) -> None:
    fb.require_function(band_power, "band_power", "(power, freqs, low, high)")
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


def _solve_worst_variables():
    def worst_variables(x, x_hat, names, n=3):
        """Names of the n columns with the largest mean squared reconstruction error, worst first."""
        per_variable = np.mean((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=0)  # average over patients (rows)
        worst = np.argsort(per_variable)[::-1][:n]  # largest error first
        return [names[i] for i in worst]

    return worst_variables


@exercise("06-worst-variables", "Idea 10 · which variables does the code lose?", _solve_worst_variables, _np_context)
def _check_worst_variables(fb: Feedback, worst_variables: Any) -> None:
    fb.require_function(worst_variables, "worst_variables", "(x, x_hat, names, n=3)")
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

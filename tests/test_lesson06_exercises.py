"""Lesson 06's "your turn" tasks: the notebook's untouched scaffolds say "not attempted yet" (and never
raise), other correct answers than the worked solution pass, and the notebook has one task per idea."""

from __future__ import annotations

import io
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import exercises
from course_utils.exercises import EXERCISES, run_in_context

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_project_ideas.ipynb"
exercises._load_all()
IDS = sorted(i for i in EXERCISES if i.startswith("06-"))


def _cells() -> list[nbformat.NotebookNode]:
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _scaffold(ex_id: str) -> str:
    """The code cell right before the cell that checks ``ex_id`` (the student's scaffold)."""
    cells = _cells()
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and re.search(rf"exercises\.check\(\s*\"{ex_id}\"", cell.source):
            return cells[i - 1].source
    raise AssertionError(f"the notebook never checks {ex_id}")


def _check(ex_id: str, code: str) -> tuple[bool, str]:
    ex = EXERCISES[ex_id]
    namespace = run_in_context(ex, code)
    out = io.StringIO()
    ok = exercises.check(ex_id, *[namespace.get(name) for name in ex.answers], out=out)
    return ok, out.getvalue()


def test_one_task_per_project_idea():
    assert len(IDS) == 10
    titles = sorted(int(re.match(r"Idea (\d+) ·", EXERCISES[i].title).group(1)) for i in IDS)
    assert titles == list(range(1, 11))
    headings = [c.source for c in _cells() if c.cell_type == "markdown"]
    for ex_id in IDS:
        assert any(f"({ex_id})" in h and "Your turn" in h for h in headings), f"no 'Your turn' task text names {ex_id}"


@pytest.mark.parametrize("ex_id", IDS)
def test_untouched_scaffold_says_not_attempted(ex_id):
    code = _scaffold(ex_id)
    assert "..." in code or "return None" in code, f"{ex_id}: the scaffold has no placeholder"
    prelude = {  # what the notebook defines before that scaffold
        "06-code-size": "from sklearn.model_selection import train_test_split\ng_tr = np.zeros((8, 3))\n",
    }
    ok, text = _check(ex_id, prelude.get(ex_id, "") + code)
    assert not ok
    assert "not attempted yet" in text, text


ALTERNATIVES = {
    "06-shot-noise": """
def shot_noise(images, level, seed=None):
    rng = np.random.default_rng(seed)
    return np.clip(rng.poisson(images / level**2) * level**2, 0.0, 1.0).astype(np.float32)
""",
    "06-masked-mse": """
def masked_mse(y_true, y_pred):
    measured = ops.logical_not(ops.isnan(y_true))
    y_t = ops.where(measured, y_true, 0.0)
    y_p = ops.where(measured, y_pred, 0.0)
    return ops.sum(ops.square(y_t - y_p)) / ops.sum(ops.cast(measured, "float32"))
""",
    "06-threshold": """
def pick_threshold(val_errors, max_false_alarm_rate):
    return np.percentile(val_errors, 100 * (1 - max_false_alarm_rate))
""",
    "06-path-speed": """
def path_speed(codes):
    speeds = []
    for patient in codes:
        steps = [np.sqrt(np.sum((b - a) ** 2)) for a, b in zip(patient[:-1], patient[1:])]
        speeds.append(sum(steps) / len(steps))
    return speeds
""",
    "06-error-map": """
def error_map(tiles, reconstructions, grid_shape):
    return ((tiles - reconstructions) ** 2).reshape(len(tiles), -1).mean(axis=1).reshape(grid_shape)
""",
    "06-r2": """
def r2_by_hand(y_true, y_pred):
    return 1 - np.mean((y_true - y_pred) ** 2) / np.var(y_true)
""",
    "06-enrichment": """
def enrichment_factor(distance, active, k):
    top = sorted(range(len(distance)), key=lambda i: distance[i])[:k]
    return (sum(active[i] for i in top) / k) / (sum(active) / len(active))
""",
    "06-band-power": """
def band_power(power, freqs, low, high):
    return np.mean(power[..., (low <= freqs) & (freqs <= high)], axis=2)
""",
    "06-worst-variables": """
import pandas as pd

def worst_variables(x, x_hat, names, n=3):
    return list(pd.Series(((x - x_hat) ** 2).mean(axis=0), index=names).nlargest(n).index)
""",
}


@pytest.mark.parametrize("ex_id", sorted(ALTERNATIVES))
def test_other_correct_answers_pass(ex_id):
    ok, text = _check(ex_id, ALTERNATIVES[ex_id])
    assert ok, text


def test_lesson_ends_with_progress_and_release():
    cells = _cells()
    progress_cell, last_code = [c for c in cells if c.cell_type == "code"][-2:]
    assert 'exercises.progress("06")' in progress_cell.source
    # memory bookkeeping is not lesson content: its own cell, marked as extra code
    assert last_code.source.startswith("# extra code") and "runtime.release_memory(globals())" in last_code.source
    assert cells.index(last_code) == len(cells) - 4  # then key points, self-check, further reading

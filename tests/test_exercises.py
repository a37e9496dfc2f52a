"""Every exercise: its worked solution passes its check, its typical mistakes fail with their message,
and the check never raises for an unattempted, badly typed or crashing answer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import nbformat
import pytest
from exercise_cases import IDS, MISTAKES_OF
from exercise_cases import run_check as _run
from exercise_mistakes import Mistake

from course_utils import exercises
from course_utils.exercises import EXERCISES, NOTEBOOKS, run_in_context

ROOT = Path(__file__).resolve().parents[1]


def test_registry_is_consistent():
    assert IDS, "no exercises registered"
    assert sorted(NOTEBOOKS.values()) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for ex_id, ex in EXERCISES.items():
        assert ex.notebook == NOTEBOOKS[ex_id[:2]], ex_id
        assert ex.answers and ex.title and ex.solution
        assert len(MISTAKES_OF.get(ex_id, ())) >= 2, f"{ex_id}: list at least two typical mistakes"
    assert not set(MISTAKES_OF) - set(EXERCISES), "mistakes listed for exercises that do not exist"
    for lesson in ("01", "02", "03", "04", "05"):
        assert len(exercises.for_notebook(lesson)) >= 3, f"lesson {lesson} needs at least three exercises"


@pytest.mark.slow
@pytest.mark.parametrize("ex_id", IDS)
def test_solution_passes(ex_id):
    ok, text = _run(ex_id, run_in_context(EXERCISES[ex_id], EXERCISES[ex_id].solution))
    assert ok, text
    assert "Passed" in text and "✗" not in text


@pytest.mark.parametrize("ex_id", IDS)
@pytest.mark.parametrize("placeholder", [None, Ellipsis])
def test_unattempted_says_so_and_does_not_raise(ex_id, placeholder):
    ex = EXERCISES[ex_id]
    out = io.StringIO()
    assert exercises.check(ex_id, *[placeholder] * len(ex.answers), out=out) is False
    assert "not attempted yet" in out.getvalue()


@pytest.mark.parametrize("ex_id", IDS)
def test_wrong_types_never_raise(ex_id):
    """Every junk type goes through the same path of a check: one case per exercise, all junk inside."""
    ex = EXERCISES[ex_id]
    for junk in ("a string", 3, object(), [1, 2, 3]):
        out = io.StringIO()
        assert exercises.check(ex_id, *[junk] * len(ex.answers), out=out) is False, (ex_id, junk)
        assert "✗" in out.getvalue(), (ex_id, junk)


def test_unknown_id_and_wrong_answer_count():
    with pytest.raises(ValueError, match="unknown exercise id"):
        exercises.check("99-nothing", 1)
    ex_id = IDS[0]
    out = io.StringIO()
    assert exercises.check(ex_id, *([1] * (len(EXERCISES[ex_id].answers) + 1)), out=out) is False
    assert "expects" in out.getvalue()


def test_a_crashing_answer_is_reported_not_raised():
    @exercises.exercise("01-crash-test", "t", solution="f = None", context=dict)
    def _checker(fb, f):
        f()

    try:
        out = io.StringIO()
        assert exercises.check("01-crash-test", lambda: 1 / 0, out=out) is False
        assert "ZeroDivisionError" in out.getvalue() and "Hint" in out.getvalue()
    finally:
        del EXERCISES["01-crash-test"]


def _context():
    return {"scale": 2.0, "data": [1.0, 2.0]}


def _doubled(data, scale):
    """Multiply every value by the scale."""
    doubled = [scale * v for v in data]
    return doubled


def _two_answers(data, offset=1.0):
    return [v + offset for v in data], len(data)


def _checker(fb, doubled):
    fb.expect(doubled == [2.0, 4.0], "doubled", "not doubled", "multiply by scale")


def test_registration_reads_the_notebook_and_the_answers():
    with pytest.raises(ValueError, match="lesson number"):
        exercises.exercise("07-deep", "t", solution="x = 1", context=dict)
    with pytest.raises(ValueError, match="lesson number"):
        exercises.exercise("02deep", "t", solution="x = 1", context=dict)
    with pytest.raises(ValueError, match="solution must be"):
        exercises.exercise("02-deep-test", "t", solution=3, context=dict)  # type: ignore[arg-type]
    register = exercises.exercise("02-args-test", "t", solution="x = 1", context=dict)
    for bad in (lambda fb: None, lambda fb, *answers: None, lambda fb, *, model: None):
        with pytest.raises(ValueError, match="one plain parameter per answer"):
            register(bad)
    assert "02-args-test" not in EXERCISES
    register(lambda fb, model, history: None)
    try:
        ex = EXERCISES["02-args-test"]
        assert (ex.notebook, ex.answers, ex.lesson) == ("02_mnist_autoencoder", ("model", "history"), "02")
        with pytest.raises(ValueError, match="defined twice"):
            register(lambda fb, model: None)
    finally:
        del EXERCISES["02-args-test"]


def test_function_solutions_and_mistakes_take_context_names():
    register = exercises.exercise("01-function-test", "t", solution=_doubled, context=_context)
    register(_checker)
    mistakes = (Mistake(answer=lambda data: list(data), message="not doubled"), Mistake("doubled = 1", "not"))
    try:
        ex = EXERCISES["01-function-test"]
        assert ex.answers == ("doubled",)
        assert run_in_context(ex, ex.solution)["doubled"] == [2.0, 4.0]
        assert run_in_context(ex, mistakes[0].source)["doubled"] == [1.0, 2.0]
        assert run_in_context(ex, mistakes[1].source)["doubled"] == 1
        out = io.StringIO()
        text = exercises.solution("01-function-test", out=out)
        # the body as a student's cell: docstring as a comment, no def line, no `return doubled`
        assert text == "# Multiply every value by the scale.\ndoubled = [scale * v for v in data]"
        assert text in out.getvalue()
    finally:
        del EXERCISES["01-function-test"]
    two = exercises.Exercise("01-two", "01_x", "t", ("shifted", "n"), _checker, _two_answers, _context)
    namespace = run_in_context(two, _two_answers)
    assert namespace["shifted"] == [2.0, 3.0] and namespace["n"] == 2  # a default fills a missing name
    assert two.solution_text == "shifted, n = [v + offset for v in data], len(data)"  # other returns: assigned
    with pytest.raises(ValueError, match="tuple of 2"):
        run_in_context(two, lambda data: data)
    with pytest.raises(ValueError, match="lacks"):
        run_in_context(two, lambda missing: missing)
    with pytest.raises(ValueError, match="exactly one"):
        Mistake(message="x")
    with pytest.raises(ValueError, match="exactly one"):
        Mistake("a = 1", "x", answer=_doubled)


def test_solution_and_progress_print():
    out = io.StringIO()
    text = exercises.solution(IDS[0], out=out)
    assert text in out.getvalue()
    out = io.StringIO()
    status = exercises.progress(IDS[0][:2], out=out)
    assert set(status) == {e.id for e in exercises.for_notebook(IDS[0][:2])}
    assert re.search(r"\d+/\d+ passed", out.getvalue())
    with pytest.raises(ValueError):
        exercises.progress("99")


@pytest.mark.parametrize("lesson", sorted({EXERCISES[i].notebook for i in IDS}))
def test_every_exercise_is_checked_in_its_notebook(lesson):
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for ex in exercises.for_notebook(lesson):
        assert re.search(rf"exercises\.check\(\s*[\"']{re.escape(ex.id)}[\"']", code), f"{lesson} never checks {ex.id}"
    assert re.search(r"exercises\.progress\(", code), f"{lesson} must end with exercises.progress(...)"

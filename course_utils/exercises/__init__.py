"""Checked coding exercises: ``check("<id>", *answers)`` says what is right, what is wrong, and a hint.

Taught in: every lesson (01–05 each have at least three exercises, 06 one per project starter).

An exercise is three cells in a lesson: a short task in markdown, a scaffold the
student completes (it already runs: the answer starts as ``None`` or ``...``), and a
check cell::

    from course_utils import exercises
    exercises.check("02-deep", deep_model)

``check`` examines *behaviour* (output shapes, parameter counts, layer types, a loss
reached after a short training, values against a reference computed on the spot),
prints one line per finding and returns ``True`` only when everything passes.  It
never raises for a wrong, missing (``None`` / ``...``) or badly typed answer, or for
a model that fails to run — Run All must always get through a lesson — and raises
``ValueError`` only for an exercise id it does not know.

``solution("<id>")`` prints a worked solution (try first!), ``progress("02")``
prints a one-line summary of the lesson's exercises in this session, and
:data:`EXERCISES` maps every id to its notebook and title.

Exercises are defined in one module per lesson in this package (``background``,
``mnist_autoencoder``, ...), each with :func:`exercise`; see ARCHITECTURE.md for
how to add one.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import redirect_stderr
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

__all__ = [
    "EXERCISES",
    "Exercise",
    "Feedback",
    "Mistake",
    "check",
    "exercise",
    "is_missing",
    "progress",
    "solution",
]


class _Stop(Exception):
    """Raised inside a checker by :meth:`Feedback.stop` to end the check early (never escapes)."""


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer, used by the tests: ``code`` (run after the exercise's
    context) must make the check fail and print ``message`` (a fragment)."""

    code: str
    message: str
    description: str = ""


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    ``checker(fb, *answers)`` reports through ``fb`` (a :class:`Feedback`).
    ``answers`` names the variables the student's scaffold defines, in the order
    ``check`` receives them.  ``solution`` is the worked solution (code that defines
    those variables, run after ``context``); ``context()`` returns the namespace the
    lesson has at that point (small data in tests), so that the tests can run the
    solution and every listed :class:`Mistake` through the checker.
    """

    id: str
    notebook: str
    title: str
    answers: tuple[str, ...]
    checker: Callable[..., None]
    solution: str
    context: Callable[[], dict[str, Any]]
    mistakes: tuple[Mistake, ...] = ()

    @property
    def lesson(self) -> str:
        """The two-digit lesson number, e.g. ``"02"``."""
        return self.notebook[:2]


class Feedback:
    """What a checker reports: ``ok`` / ``fail`` lines, hints, and early stops."""

    def __init__(self, ex: Exercise, out: TextIO) -> None:
        self.exercise = ex
        self.out = out
        self.passed: list[str] = []
        self.failed: list[str] = []

    def ok(self, message: str) -> None:
        """Something the answer gets right."""
        self.passed.append(message)
        print(f"  ✓ {message}", file=self.out)

    def fail(self, message: str, hint: str | None = None) -> None:
        """Something wrong, with an optional hint on how to fix it (the check goes on)."""
        self.failed.append(message)
        print(f"  ✗ {message}", file=self.out)
        if hint:
            print(f"    Hint: {hint}", file=self.out)

    def stop(self, message: str, hint: str | None = None) -> NoReturn:
        """Like :meth:`fail`, then end the check (later tests would make no sense)."""
        self.fail(message, hint)
        raise _Stop

    def expect(self, condition: bool, ok: str, fail: str, hint: str | None = None) -> bool:
        """``ok(ok)`` if ``condition`` else ``fail(fail, hint)``; returns ``condition``."""
        if condition:
            self.ok(ok)
        else:
            self.fail(fail, hint)
        return bool(condition)


#: Every exercise of the course, by id (``"02-deep"`` …), filled in by the lesson modules.
EXERCISES: dict[str, Exercise] = {}
_RESULTS: dict[str, bool] = {}  # id -> last result in this session
_LOADED = False


def exercise(
    id: str,
    *,
    notebook: str,
    title: str,
    answers: Iterable[str],
    solution: str,
    context: Callable[[], dict[str, Any]],
    mistakes: Iterable[Mistake] = (),
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated function as the checker of exercise ``id``.

    ``id`` starts with the two-digit lesson number of ``notebook`` (``"02-deep"`` for
    ``02_mnist_autoencoder``).
    """
    if not (len(id) > 3 and id[:2] == notebook[:2] and id[2] == "-"):
        raise ValueError(
            f"exercise id {id!r} must start with the lesson number of {notebook!r}, e.g. {notebook[:2]}-name"
        )

    def register(checker: Callable[..., None]) -> Callable[..., None]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id!r} is defined twice")
        EXERCISES[id] = Exercise(
            id=id,
            notebook=notebook,
            title=title,
            answers=tuple(answers),
            checker=checker,
            solution=solution.strip("\n"),
            context=context,
            mistakes=tuple(mistakes),
        )
        return checker

    return register


def _load_all() -> None:
    """Import every lesson module of this package so that :data:`EXERCISES` is complete."""
    global _LOADED
    if _LOADED:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def _get(exercise_id: Any) -> Exercise:
    _load_all()
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"unknown exercise id {exercise_id!r}; the exercises are: {known}")
    return EXERCISES[exercise_id]


def is_missing(value: Any) -> bool:
    """True for an answer the student has not written yet (``None`` or ``...``)."""
    return value is None or value is Ellipsis


def check(exercise_id: str, *answers: Any, out: TextIO | None = None) -> bool:
    """Check the student's answer(s) to ``exercise_id``; print findings; return True if all pass.

    Never raises for the answer itself (missing, wrong type, a model that crashes);
    raises ``ValueError`` only for an unknown ``exercise_id``.
    """
    ex = _get(exercise_id)
    out = out if out is not None else sys.stdout
    print(f"Exercise {ex.id} · {ex.title}", file=out)
    if len(answers) != len(ex.answers):
        expected = ", ".join(ex.answers)
        print(
            f"  ✗ check({ex.id!r}, ...) expects {len(ex.answers)} answer(s) ({expected}), got {len(answers)}", file=out
        )
        _RESULTS[ex.id] = False
        return False
    missing = [name for name, value in zip(ex.answers, answers) if is_missing(value)]
    if missing:
        print(
            f"  · not attempted yet: {', '.join(missing)} still None/...  (write your code above, then run this cell again)",
            file=out,
        )
        _RESULTS.setdefault(ex.id, False)
        return False
    fb = Feedback(ex, out)
    noise = io.StringIO()
    try:
        with redirect_stderr(noise):  # Keras/TF warnings would appear as red text
            ex.checker(fb, *answers)
    except _Stop:
        pass
    except Exception as err:  # the student's code failed inside the check: report, never raise
        where = traceback.extract_tb(err.__traceback__)[-1]
        fb.fail(
            f"running your answer raised {type(err).__name__}: {err}".rstrip(),
            hint=f"(raised in {where.name}, line {where.lineno}) — run your cell on its own to see the full error",
        )
    passed = not fb.failed and bool(fb.passed)
    if passed:
        print(f"  Passed: all {len(fb.passed)} checks. Well done!", file=out)
    else:
        print(
            f"  Not yet: {len(fb.failed)} problem(s) above. `exercises.solution({ex.id!r})` shows a worked solution.",
            file=out,
        )
    _RESULTS[ex.id] = passed
    return passed


def solution(exercise_id: str, out: TextIO | None = None) -> str:
    """Print (and return) the worked solution of ``exercise_id``. Try the exercise first!"""
    ex = _get(exercise_id)
    out = out if out is not None else sys.stdout
    print(f"# Worked solution of exercise {ex.id} · {ex.title}\n{ex.solution}", file=out)
    return ex.solution


def for_notebook(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (``"02"`` or ``"02_mnist_autoencoder"``), in id order of definition."""
    _load_all()
    return [ex for ex in EXERCISES.values() if ex.notebook.startswith(lesson[:2]) and lesson[:2].isdigit()]


def progress(lesson: str, out: TextIO | None = None) -> dict[str, bool | None]:
    """Print one line: which of the lesson's exercises passed in this session.

    Returns ``{id: True (passed) / False (tried, not passed) / None (not checked)}``.
    """
    exs = for_notebook(lesson)
    if not exs:
        raise ValueError(f"no exercises for lesson {lesson!r}")
    status = {ex.id: _RESULTS.get(ex.id) for ex in exs}
    n_ok = sum(v is True for v in status.values())
    marks = {True: "passed", False: "not passed yet", None: "not checked"}
    detail = ", ".join(f"{k} {marks[v]}" for k, v in status.items())
    print(
        f"Exercises of lesson {exs[0].lesson}: {n_ok}/{len(exs)} passed in this session ({detail})",
        file=out or sys.stdout,
    )
    return status


def run_in_context(ex: Exercise, code: str) -> Mapping[str, Any]:
    """Run ``code`` in a fresh copy of ``ex.context()`` and return the namespace (used by tests)."""
    namespace = dict(ex.context())
    exec(compile(code, f"<{ex.id}>", "exec"), namespace)
    return namespace

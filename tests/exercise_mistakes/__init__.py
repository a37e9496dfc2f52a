"""The typical mistakes of every exercise: wrong answers its check must reject, printing the hint a student needs.

They are test data, so they live here rather than in the ``course_utils`` students install: one module per
module of ``course_utils/exercises/`` (same name), each with ``MISTAKES = {exercise id: (Mistake, ...)}``.
``tests/test_exercise_mistakes.py`` runs each through its check; ``tests/test_exercises.py`` asks for at
least two per exercise.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: it must make the check fail and print ``message`` (a fragment of its output).

    Give the wrong answer either as ``answer=``, a function with the interface of the exercise's solution
    (parameters named after ``context()`` entries, returns the answer or a tuple of answers), or as ``code=``,
    a string that defines the answer variables when run after the context.
    """

    code: str = ""
    message: str = ""
    description: str = ""
    answer: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if bool(self.code) == (self.answer is not None):
            raise ValueError("a Mistake needs exactly one of code= (a string) or answer= (a function)")
        if self.answer is not None and not callable(self.answer):
            raise ValueError(f"Mistake(answer=...) must be a function, got {type(self.answer).__name__}")
        if not self.message:
            raise ValueError("a Mistake needs the message= fragment the check prints for it")

    @property
    def source(self) -> str | Callable[..., Any]:
        """The wrong answer as ``run_in_context`` takes it (the function, else the code)."""
        return self.answer if self.answer is not None else self.code


def edit(ex_id: str, *changes: tuple[str, str]) -> str:
    """The worked solution of ``ex_id`` as the student's cell, with each ``(old, new)`` change made once.

    Most typical mistakes are one small edit of a right answer, and are clearest written as that edit.
    An ``old`` text the solution does not contain is an error, so an edited solution cannot silently
    turn a mistake back into the right answer.
    """
    from course_utils import exercises

    exercises._load_all()
    text = exercises.EXERCISES[ex_id].solution_text
    for old, new in changes:
        if old not in text:
            raise ValueError(f"{ex_id}: the solution has no {old!r} to change; update this mistake")
        text = text.replace(old, new, 1)
    return text


def load() -> dict[str, tuple[Mistake, ...]]:
    """Every module's ``MISTAKES``, merged: {exercise id: its typical mistakes}."""
    found: dict[str, tuple[Mistake, ...]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for ex_id, mistakes in module.MISTAKES.items():
            if ex_id in found:
                raise ValueError(f"the mistakes of exercise {ex_id!r} are listed twice")
            found[ex_id] = tuple(mistakes)
    return found

"""A self-check of the quiz answers for students who do not have nbgrader.

Taught in: quizzes/ (the ``autoencoder_quiz`` notebook) — the quiz at the end of the course.

On Colab or in a plain JupyterLab there is no nbgrader "Validate" button, so the
quiz notebook ends with::

    from course_utils.quiz import self_check
    self_check(globals())

``self_check`` checks the *format* of the answers only, with the grader's own rule
(:mod:`course_quiz.answer_rule`): run from the quiz notebook (``self_check(globals())`` in
IPython/Jupyter) it reads each answer cell's source as the grader will -- one line
``qN = '<letter>'``, anything else in the cell ignored, two assignments or a computed value
score 0; given a plain dict it checks the values (a string that strips/lower-cases to
``'a'``–``'d'``).  For every question it names the lesson that teaches it.  It never says
whether an answer is right: this module does not contain the answer key, and its output is the
same for any set of well-formed answers.

The questions and their lesson pointers are read from the quiz notebook itself (each graded test
cell's visible ``# Taught in: ...`` line, with the course's parser :mod:`course_quiz.bank`), never
typed a second time here: the source notebook of a checkout, else the released student version,
else ``autoencoder_quiz.ipynb`` in the current folder.  Where none is found, the answers given are
checked without lesson pointers.

Importing this module needs nothing but the standard library (no nbgrader, no
TensorFlow).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from course_quiz import answer_rule, bank
from course_quiz.answer_rule import normalise_answer

__all__ = [
    "QUESTIONS",
    "LESSONS",
    "NOTEBOOK_PLACES",
    "VALID_ANSWERS",
    "read_questions",
    "normalise_answer",
    "answer_status",
    "self_check",
]

#: The four accepted answers (after stripping surrounding spaces and lower-casing).
VALID_ANSWERS: tuple[str, ...] = answer_rule.VALID_ANSWERS

_QUIZ = Path(bank.ASSIGNMENT) / f"{bank.NOTEBOOK}.ipynb"
_ROOT = Path(__file__).resolve().parents[1]
#: Where the quiz's questions are read from, the first that exists: the course's source notebook,
#: the released student version (both in a checkout), a student's copy in the current folder.
NOTEBOOK_PLACES: tuple[Path, ...] = (
    _ROOT / "quizzes" / "source" / _QUIZ,
    _ROOT / "quizzes" / "release" / _QUIZ,
    Path(_QUIZ.name),
)


def read_questions(notebook: str | Path | None = None) -> dict[str, str]:
    """``{"q1": "<lesson — topic>", ...}``: the quiz's questions in order and the lesson each one points to.

    Used by: :func:`self_check`.  Read from ``notebook`` (a quiz notebook: source or student
    version) or the first of :data:`NOTEBOOK_PLACES` that exists; only the visible ``# Taught in:``
    line of each graded test cell is kept.  Raises FileNotFoundError when there is no notebook.
    """
    if notebook is None:
        notebook = next((p for p in NOTEBOOK_PLACES if p.is_file()), None)
        if notebook is None:
            raise FileNotFoundError(f"no quiz notebook found (looked for {', '.join(map(str, NOTEBOOK_PLACES))})")
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"no quiz notebook at {path}")
    return {q.variable: q.lesson for q in bank.read_question_bank(path)}


def _questions_or_none() -> dict[str, str]:
    try:
        return read_questions()
    except FileNotFoundError:
        return {}


#: ``{"q1": "<lesson — topic>", ...}``: each question (in order) and the lesson
#: that teaches it, read from the quiz notebook when this module is imported ({} without one).
LESSONS: dict[str, str] = _questions_or_none()
#: The names of the answer variables, in order.
QUESTIONS: tuple[str, ...] = tuple(LESSONS)


_EXTRA_QUESTION = re.compile(r"^q([1-9][0-9]*)$")
_MAX_SHOWN = 40  # characters of an invalid value echoed back to the student


def answer_status(value: Any) -> str:
    """Classify one answer as ``"ok"``, ``"missing"`` (``None``) or ``"invalid"``."""
    if value is None:
        return "missing"
    return "ok" if normalise_answer(value) is not None else "invalid"


def _collect(answers: Any) -> dict[str, Any]:
    """Turn a mapping, ``globals()`` or a namespace object into a plain dict."""
    if isinstance(answers, Mapping):
        items = dict(answers)
    elif hasattr(answers, "__dict__"):
        items = dict(vars(answers))
    else:
        raise ValueError(
            "self_check expects a dict such as {'q1': <letter>, ...}, globals() or a namespace "
            f"object with attributes q1 ... q10; got {type(answers).__name__}"
        )
    return {str(key): value for key, value in items.items() if isinstance(key, str)}


def _extra_questions(items: Mapping[str, Any]) -> list[str]:
    """Names ``q11``, ``q12`` … present in ``items`` (questions an instructor added)."""
    extra = []
    for name in items:
        match = _EXTRA_QUESTION.match(name)
        if match and name not in LESSONS:
            extra.append(name)
    return sorted(extra, key=lambda name: int(name[1:]))


def _shown(value: Any) -> str:
    """A short, safe rendering of the student's own (invalid) value."""
    try:
        text = repr(value)
    except Exception:  # a student's object whose __repr__ raises
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_MISSING_REASONS = (answer_rule.REASON_NONE, answer_rule.REASON_NO_CELL)


def _is_notebook_namespace(answers: Any) -> bool:
    """Whether ``answers`` is the namespace of the running IPython kernel (``globals()`` there)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and answers is getattr(shell, "user_ns", None)


def self_check(answers: Any, *, file: TextIO | None = None) -> dict[str, str]:
    """Check the format of the quiz answers and point to the lesson for each question.

    Parameters
    ----------
    answers
        ``globals()`` of the quiz notebook (then each answer cell's source is judged with the
        grader's rule), a dict mapping ``"q1"`` … ``"q10"`` to letters or any object with
        attributes ``q1`` … ``q10`` (e.g. ``types.SimpleNamespace``): then the values are checked.
    file
        Where to print the report (default: ``sys.stdout``).

    Returns
    -------
    dict
        ``{"q1": "ok" | "missing" | "invalid", ...}`` for ``q1`` … ``q10`` and for any
        further ``q11``, ``q12`` … that are present.  Nothing in the report or the
        return value depends on which letter is right.

    Raises
    ------
    ValueError
        If ``answers`` is neither a mapping nor an object with attributes.
    """
    items = _collect(answers)
    out = sys.stdout if file is None else file
    names = list(QUESTIONS) + _extra_questions(items)
    from_cells = _is_notebook_namespace(answers)

    report: dict[str, str] = {}
    lines = ["Quiz self-check (format only: it never tells you whether an answer is right)", ""]
    for name in names:
        value = items.get(name)
        if from_cells:  # what the grader will read from the answer cell's source
            letter, reason, _ = answer_rule.judge(name, value)
            status = "ok" if letter else "missing" if reason in _MISSING_REASONS and value is None else "invalid"
        else:
            letter, reason = normalise_answer(value), ""
            status = answer_status(value)
        report[name] = status
        if status == "ok":
            verdict = f"answered, format OK (the grader reads {letter!r})" if from_cells else "answered, format OK"
        elif status == "missing":
            verdict = "MISSING: replace None by 'a', 'b', 'c' or 'd'"
        elif from_cells:
            verdict = f"SCORES 0 as it stands: {reason.replace('qN', name)}"
        else:
            verdict = (
                f"INVALID ({_shown(value)}): must be one of 'a', 'b', 'c', 'd' "
                "written as a string — as it is, it scores 0"
            )
        lesson = LESSONS.get(name, "see the question in the quiz notebook")
        lines.append(f"{name:>4}: {verdict}")
        lines.append(f"      taught in: {lesson}")

    missing = [name for name, status in report.items() if status == "missing"]
    invalid = [name for name, status in report.items() if status == "invalid"]
    lines.append("")
    if missing or invalid:
        if missing:
            lines.append("Missing: " + ", ".join(missing))
        if invalid:
            lines.append("Invalid: " + ", ".join(invalid))
    else:
        lines.append(f"All {len(names)} answers are well-formed. Submit the notebook to have it graded.")
    print("\n".join(lines), file=out)
    return report

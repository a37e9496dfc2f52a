"""The question bank: read the source notebook's questions, answers and structure (no nbgrader).

Everything here works on plain notebook dictionaries (``json.load`` of an ``.ipynb``, or an
``nbformat.NotebookNode``, which is a dict) and never executes anything.

Conventions for a question ``qN`` (quizzes/README.md, "Writing new questions"): a read-only
prompt ``qN_prompt``; an answer cell ``qN_answer`` whose solution region holds
``qN = '<letter>'`` (the student version gets ``qN = None`` in its place); a read-only format
check ``qN_format``; a read-only test cell ``qN_test`` (1 point) whose visible part contains
``# Taught in: <lesson>`` and whose hidden region holds ``# Explanation: ...`` comment lines
and ``assert qN.strip().lower() == "<letter>"``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import answer_rule
from .answer_rule import (
    MAX_ANSWER_CHARS,
    REASON_NO_CELL,
    REASON_NONE,
    REASON_OK,
    VALID_ANSWERS,
    parse_answer,
)

ASSIGNMENT = "autoencoder_quiz"
NOTEBOOK = "autoencoder_quiz"
ANSWER_SUFFIX = "_answer"
TEST_SUFFIX = "_test"
SETUP_ID = "setup"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"

_TAUGHT_IN = re.compile(r"^#\s*Taught in:\s*(?P<lesson>.+?)\s*$", re.MULTILINE)
#: The only form of an answer cell the grader ever runs (written by :func:`graded_answer_source`).
GRADED_ANSWER = re.compile(r"^(?P<var>[A-Za-z_][A-Za-z0-9_]*) = (?:'(?P<letter>[abcd])'|None  # (?P<reason>[^\n]*))$")


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


def cell_source(cell: Any) -> str | None:
    """The source of a (possibly malformed) cell as a string, or None."""
    if not isinstance(cell, dict):
        return None
    source = cell.get("source")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    return source if isinstance(source, str) else None


def grade_id(cell: Any) -> str | None:
    """The nbgrader ``grade_id`` of a (possibly malformed) cell, or None."""
    if not isinstance(cell, dict):
        return None
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    value = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return value if isinstance(value, str) else None


def _nbgrader_meta(cell: Any) -> dict:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def read_notebook(path: str | Path) -> dict:
    """A notebook file as a plain dict (no nbformat needed)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source_notebook_path(course_dir: str | Path) -> Path:
    """``<course_dir>/source/autoencoder_quiz/autoencoder_quiz.ipynb`` (must exist)."""
    path = Path(course_dir) / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"expected the quiz source notebook at {path}")
    return path


# ---------------------------------------------------------------------------
# Reading a submission's answers (the grader's side of the rule)
# ---------------------------------------------------------------------------


def extract_answer(cells: Any, variable: str) -> tuple[str | None, str]:
    """The student's answer to ``variable`` in a submitted notebook's list of cells.

    The answer cells are the cells labelled ``<variable>_answer``.  If no cell carries that
    label (e.g. a notebook whose metadata another editor stripped), the candidates are the
    unlabelled code cells that assign ``variable``.  Each candidate is read with
    :func:`~course_quiz.answer_rule.parse_answer`; the last one that gives a letter counts (as
    when the notebook is run top to bottom); if none does, the reason of the last candidate.
    """
    if not isinstance(cells, list):
        return None, REASON_NO_CELL
    wanted = variable + ANSWER_SUFFIX
    candidates = [cell for cell in cells if grade_id(cell) == wanted]
    if not candidates:
        candidates = [
            cell
            for cell in cells
            if isinstance(cell, dict)
            and cell.get("cell_type") == "code"
            and grade_id(cell) is None
            and answer_rule.assigns(cell_source(cell), variable)
        ]
    result: tuple[str | None, str] = (None, REASON_NO_CELL)
    for cell in candidates:
        letter, reason = parse_answer(cell_source(cell), variable)
        if letter is not None:
            result = (letter, reason)
        elif result[0] is None:
            result = (None, reason)
    return result


def graded_answer_source(variable: str, letter: str | None, reason: str) -> str:
    """The only code of a student's answer that the grader ever runs."""
    if letter is not None:
        return f"{variable} = {letter!r}"
    return f"{variable} = None  # {reason}"


def read_graded_answer(cells: Any, variable: str) -> tuple[str | None, str]:
    """The answer recorded in a *graded* notebook (``autograded/``): ``(letter, reason)``.

    The letter is read with the grader's parser; for an unanswered or invalid cell, the reason
    the grader wrote into the cell is returned.
    """
    letter, reason = extract_answer(cells, variable)
    if letter is None and reason == REASON_NONE:
        for cell in cells if isinstance(cells, list) else []:
            match = GRADED_ANSWER.match(cell_source(cell) or "")
            if grade_id(cell) == variable + ANSWER_SUFFIX and match and match.group("reason"):
                reason = match.group("reason")
    return letter, reason


# ---------------------------------------------------------------------------
# The question bank (parsed from the source notebook, never executed)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One question of the quiz as written in the source notebook."""

    variable: str
    lesson: str
    explanation: str
    key: str | None


def split_hidden(source: str) -> tuple[str, str]:
    """Split a test cell's source into (visible part, hidden region without its markers)."""
    visible: list[str] = []
    hidden: list[str] = []
    inside = False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), "\n".join(hidden)


def parse_test_source(source: str, variable: str) -> Question:
    """Lesson pointer, explanation and correct letter of a test cell ``<variable>_test``."""
    visible, hidden = split_hidden(source)
    match = _TAUGHT_IN.search(visible)
    lesson = match.group("lesson") if match else ""
    explanation_lines = []
    for line in hidden.split("\n"):
        stripped = line.strip()
        if stripped.startswith("#"):
            explanation_lines.append(stripped.lstrip("#").strip())
    explanation = " ".join(part for part in explanation_lines if part)
    if explanation.lower().startswith("explanation:"):
        explanation = explanation[len("explanation:") :].strip()
    return Question(variable=variable, lesson=lesson, explanation=explanation, key=_key_from_hidden(hidden, variable))


def _key_from_hidden(hidden: str, variable: str) -> str | None:
    """The letter compared against in the hidden region, e.g. ``assert q1.strip().lower() == "c"``."""
    try:
        tree = ast.parse(hidden)
    except SyntaxError:
        return None
    letters = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            names = {n.id for n in ast.walk(node.left) if isinstance(n, ast.Name)}
            right = node.comparators[0]
            if variable in names and isinstance(right, ast.Constant) and isinstance(right.value, str):
                letters.add(right.value)
    return letters.pop() if len(letters) == 1 else None


def read_question_bank(notebook: Any) -> list[Question]:
    """The questions of a source notebook (dict or path), in order, from its ``*_test`` cells."""
    if isinstance(notebook, (str, Path)):
        notebook = read_notebook(notebook)
    questions = []
    for cell in notebook["cells"]:
        gid = grade_id(cell)
        if gid and gid.endswith(TEST_SUFFIX) and _nbgrader_meta(cell).get("grade"):
            questions.append(parse_test_source(cell_source(cell) or "", gid[: -len(TEST_SUFFIX)]))
    return questions


def answer_key(notebook: Any) -> dict[str, str]:
    """``{"q1": "c", ...}`` read from a source notebook (dict or path); raises if a key is unreadable."""
    key = {}
    for question in read_question_bank(notebook):
        if question.key not in VALID_ANSWERS:
            raise ValueError(f"{question.variable}: no readable correct letter in its hidden test")
        key[question.variable] = question.key
    if not key:
        raise ValueError("no questions found in the source notebook")
    return key


def solution_region(source: str) -> str | None:
    """The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, or None."""
    match = re.search(rf"{BEGIN_SOLUTION}[^\n]*\n(.*?)\n[^\n]*{END_SOLUTION}", source, re.S)
    return match.group(1) if match else None


def student_stub(source: str, variable: str) -> str:
    """The student version of an answer cell: its solution region replaced by ``variable = None``.

    Mirrors :class:`course_quiz.nbgrader_plugins.ClearAnswerSolutions` (tests check they agree).
    """
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        if BEGIN_SOLUTION in line:
            inside = True
            out.append(re.match(r"\s*", line).group(0) + f"{variable} = None")
        elif END_SOLUTION in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def setup_cell_source() -> str:
    """What the quiz's ``setup`` cell must contain: ``course_quiz/answer_rule.py`` verbatim."""
    return Path(answer_rule.__file__).read_text(encoding="utf-8").rstrip("\n")


def check_source(notebook: Any) -> list[str]:
    """Problems in the structure of a source notebook (an empty list means it is fine)."""
    if isinstance(notebook, (str, Path)):
        notebook = read_notebook(notebook)
    cells = notebook["cells"]
    problems: list[str] = []
    ids = [grade_id(cell) for cell in cells]
    by_id = {gid: cell for gid, cell in zip(ids, cells) if gid}
    if len(by_id) != len([i for i in ids if i]):
        problems.append("duplicate grade_ids")
    setup = by_id.get(SETUP_ID)
    if setup is None or cell_source(setup) != setup_cell_source():
        problems.append(
            f"{SETUP_ID}: the first code cell must be course_quiz/answer_rule.py verbatim; "
            "run `python quizzes/manage.py sync`"
        )
    questions = read_question_bank(notebook)
    if not questions:
        problems.append("no test cells named '<variable>_test' were found")
    for question in questions:
        var = question.variable
        test_cell = by_id[var + TEST_SUFFIX]
        test_meta = _nbgrader_meta(test_cell)
        if not test_meta.get("locked"):
            problems.append(f"{var}{TEST_SUFFIX} must be read-only (locked)")
        if float(test_meta.get("points", 0)) <= 0:
            problems.append(f"{var}{TEST_SUFFIX} must be worth more than 0 points")
        if question.key not in VALID_ANSWERS:
            problems.append(
                f"{var}{TEST_SUFFIX}: the hidden region must compare {var} with one of 'a', 'b', 'c', 'd' exactly once"
            )
        if not question.lesson:
            problems.append(f"{var}{TEST_SUFFIX}: add a visible line '# Taught in: <lesson>'")
        if not question.explanation:
            problems.append(f"{var}{TEST_SUFFIX}: add '# Explanation: ...' comment lines to the hidden region")
        if f'assert answer_format_ok("{var}")' not in split_hidden(cell_source(test_cell) or "")[0]:
            problems.append(
                f"{var}{TEST_SUFFIX}: the visible part must assert "
                f'answer_format_ok("{var}") (the format rule the grader uses)'
            )
        answer = by_id.get(var + ANSWER_SUFFIX)
        if answer is None:
            problems.append(f"{var}: no answer cell with grade_id '{var}{ANSWER_SUFFIX}'")
            continue
        answer_meta = _nbgrader_meta(answer)
        if not answer_meta.get("solution") or answer_meta.get("grade") or answer.get("cell_type") != "code":
            problems.append(f"{var}{ANSWER_SUFFIX} must be an ungraded code solution cell ('Autograded answer')")
        source = cell_source(answer) or ""
        solution = solution_region(source)
        if solution is None:
            problems.append(f"{var}{ANSWER_SUFFIX}: put the correct answer in a solution region")
        elif parse_answer(source, var) != (question.key, REASON_OK):
            problems.append(
                f"{var}{ANSWER_SUFFIX}: the cell must assign the correct letter of the hidden "
                f"test once, as {var} = '<letter>' inside the solution region"
            )
        if parse_answer(student_stub(source, var), var) != (None, REASON_NONE):
            problems.append(
                f"{var}{ANSWER_SUFFIX}: the student version must read '{var} = None' "
                f"(assign {var} nowhere but in the solution region)"
            )
        if len(source) > MAX_ANSWER_CHARS // 2:
            problems.append(f"{var}{ANSWER_SUFFIX}: keep the answer cell short")
    for gid, cell in by_id.items():
        if BEGIN_HIDDEN in (cell_source(cell) or "") and not gid.endswith(TEST_SUFFIX):
            problems.append(f"{gid}: hidden tests are only allowed in '*{TEST_SUFFIX}' cells")
    for cell in cells:
        gid = grade_id(cell)
        meta = _nbgrader_meta(cell)
        if gid is None:
            problems.append(
                "every cell must be an nbgrader cell (read-only, answer or test): "
                f"found an unlabelled {cell.get('cell_type')} cell starting {(cell_source(cell) or '')[:40]!r}"
            )
        elif not meta.get("solution") and not meta.get("locked"):
            problems.append(f"{gid}: every cell except the answer cells must be read-only (locked)")
    return sorted(set(problems))

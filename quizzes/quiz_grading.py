"""Grading machinery of the quiz that students cannot game (used by nbgrader_config.py).

nbgrader normally *executes* each submitted notebook, so any code a student writes
runs inside the grading kernel: it can patch ``assert`` helpers, redefine ``==``,
read the answer key from the course folder, hang, or flood the output.  This module
closes all of that by never executing student code:

* :class:`RebuildFromSource` (first step of nbgrader's *sanitize* pass) throws the
  submitted notebook away and rebuilds it from the instructor's source notebook.
  From the submission it keeps only one thing per question: the answer, read with
  :func:`parse_answer` (``ast``, nothing is executed) from the answer cell, and
  written back as the single literal ``qN = '<letter>'`` — or ``qN = None`` when the
  cell is anything but one assignment of ``'a'``–``'d'`` (case and surrounding
  spaces tolerated) to ``qN``.  Test cells, prompts and everything else come from the
  source, so edited, deleted or re-labelled cells are restored by construction.
* :class:`TolerantNotebookExporter` reads a submission that is not a notebook at
  all (broken JSON, binary, huge) as an empty notebook: the student scores 0 and the
  other students are graded normally.
* :class:`QuizFeedback` (in ``GenerateFeedback``) replaces each test cell by
  "correct / not correct", the explanation and the lesson pointer, so the feedback
  HTML contains neither the hidden check nor a traceback that would show the key.
  ``QuizFeedback.reveal_answers = True`` (``manage.py grade --reveal-answers``) adds
  the correct letter, for use after the quiz has closed.

The question bank lives in the source notebook only; :func:`read_question_bank` and
:func:`check_source` parse and validate it (``manage.py check``).

Conventions for a question ``qN`` (see README.md, "Writing new questions"): a
read-only prompt; a solution cell ``qN_answer`` containing ``qN = None`` followed by
the solution region ``qN = '<letter>'``; a read-only format check ``qN_format``; a
read-only test cell ``qN_test`` (1 point) whose visible part contains the line
``# Taught in: <lesson>`` and whose hidden region contains ``# Explanation: …``
comment lines and ``assert qN.strip().lower() == "<letter>"``.
"""

from __future__ import annotations

import ast
import copy
import datetime
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

VALID_ANSWERS = ("a", "b", "c", "d")
ANSWER_SUFFIX = "_answer"
TEST_SUFFIX = "_test"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"

#: Answer cells longer than this are not parsed at all (scores 0).
MAX_ANSWER_CHARS = 2000

# Fixed reasons written as a comment into the graded copy of an answer cell.  They
# never echo the student's text (which could be huge or contain anything).
REASON_NO_CELL = "no answer cell found in the submission"
REASON_NONE = "not answered"
REASON_SHAPE = "an answer cell must contain exactly one assignment qN = '<letter>' and nothing else"
REASON_LETTER = "the answer is not one of 'a', 'b', 'c', 'd'"
REASON_UNREADABLE = "the answer cell could not be read"

_TAUGHT_IN = re.compile(r"^#\s*Taught in:\s*(?P<lesson>.+?)\s*$", re.MULTILINE)


# ---------------------------------------------------------------------------
# Reading answers without executing anything
# ---------------------------------------------------------------------------

def normalise_answer(value: Any) -> str | None:
    """``'a'``–``'d'`` for an exact ``str`` that strips/lower-cases to one of them, else ``None``.

    Same rule as ``course_utils.quiz.normalise_answer`` (tests check they agree).
    """
    if type(value) is not str:
        return None
    letter = value.strip().lower()
    return letter if letter in VALID_ANSWERS else None


def _cell_source(cell: Any) -> str | None:
    """The source of a (possibly malformed) cell as a string, or None."""
    if not isinstance(cell, dict):
        return None
    source = cell.get("source")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    return source if isinstance(source, str) else None


def parse_answer(source: Any, variable: str) -> tuple[str | None, str]:
    """Read the answer to ``variable`` from an answer cell's source, without running it.

    Returns ``(letter, "ok")`` if and only if the source is exactly one statement
    ``variable = <string literal>`` (comments and blank lines allowed) whose value,
    stripped and lower-cased, is one of ``'a'``–``'d'``.  Otherwise returns
    ``(None, reason)`` with one of the fixed ``REASON_*`` strings.
    """
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        return None, REASON_UNREADABLE
    if len(source) > MAX_ANSWER_CHARS:
        return None, REASON_SHAPE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for odd escapes
            tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None, REASON_SHAPE
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return None, REASON_SHAPE
    statement = tree.body[0]
    if len(statement.targets) != 1:
        return None, REASON_SHAPE
    target = statement.targets[0]
    if not isinstance(target, ast.Name) or target.id != variable:
        return None, REASON_SHAPE
    value = statement.value
    if isinstance(value, ast.Constant) and value.value is None:
        return None, REASON_NONE
    if not isinstance(value, ast.Constant) or type(value.value) is not str:
        return None, REASON_SHAPE
    letter = normalise_answer(value.value)
    if letter is None:
        return None, REASON_LETTER
    return letter, "ok"


def _grade_id(cell: Any) -> str | None:
    if not isinstance(cell, dict):
        return None
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        return None
    nbgrader = metadata.get("nbgrader")
    if not isinstance(nbgrader, dict):
        return None
    grade_id = nbgrader.get("grade_id")
    return grade_id if isinstance(grade_id, str) else None


def extract_answer(cells: Any, variable: str) -> tuple[str | None, str]:
    """The student's answer to ``variable`` in a submitted notebook's list of cells.

    The answer cells are the cells labelled ``<variable>_answer``.  If no cell carries
    that label (e.g. a notebook whose metadata was stripped by another editor), the
    candidates are the cells that consist of a single assignment to ``variable``.
    Among the candidates the last well-formed answer counts (as when the notebook is
    run top to bottom); if there is none, the reason of the last candidate is given.
    """
    if not isinstance(cells, list):
        return None, REASON_NO_CELL
    wanted = variable + ANSWER_SUFFIX
    candidates = [cell for cell in cells if _grade_id(cell) == wanted]
    if not candidates:
        candidates = [
            cell for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
            and _single_assignment_to(_cell_source(cell), variable)
        ]
    result: tuple[str | None, str] = (None, REASON_NO_CELL)
    for cell in candidates:
        letter, reason = parse_answer(_cell_source(cell), variable)
        if letter is not None:
            result = (letter, reason)
        elif result[0] is None:
            result = (None, reason)
    return result


def _single_assignment_to(source: str | None, variable: str) -> bool:
    if source is None or len(source) > MAX_ANSWER_CHARS:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return (
        len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
        and len(tree.body[0].targets) == 1 and isinstance(tree.body[0].targets[0], ast.Name)
        and tree.body[0].targets[0].id == variable
    )


def graded_answer_source(variable: str, letter: str | None, reason: str) -> str:
    """The only code of a student's answer that the grading kernel ever runs."""
    if letter is not None:
        return f"{variable} = {letter!r}"
    return f"{variable} = None  # {reason}"


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
        explanation = explanation[len("explanation:"):].strip()
    return Question(variable=variable, lesson=lesson, explanation=explanation,
                    key=_key_from_hidden(hidden, variable))


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


def read_question_bank(notebook: nbformat.NotebookNode) -> list[Question]:
    """The questions of a source notebook, in order, from its ``*_test`` cells."""
    questions = []
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id and grade_id.endswith(TEST_SUFFIX) and cell.metadata["nbgrader"].get("grade"):
            variable = grade_id[: -len(TEST_SUFFIX)]
            questions.append(parse_test_source(cell.source, variable))
    return questions


def check_source(notebook: nbformat.NotebookNode) -> list[str]:
    """Problems in the structure of a source notebook (an empty list means it is fine)."""
    problems: list[str] = []
    ids = [_grade_id(cell) for cell in notebook.cells]
    by_id = {grade_id: cell for grade_id, cell in zip(ids, notebook.cells) if grade_id}
    if len(by_id) != len([i for i in ids if i]):
        problems.append("duplicate grade_ids")
    questions = read_question_bank(notebook)
    if not questions:
        problems.append("no test cells named '<variable>_test' were found")
    for question in questions:
        var = question.variable
        test_meta = by_id[var + TEST_SUFFIX].metadata["nbgrader"]
        if not test_meta.get("locked"):
            problems.append(f"{var}{TEST_SUFFIX} must be read-only (locked)")
        if float(test_meta.get("points", 0)) <= 0:
            problems.append(f"{var}{TEST_SUFFIX} must be worth more than 0 points")
        if question.key not in VALID_ANSWERS:
            problems.append(f"{var}{TEST_SUFFIX}: the hidden region must compare {var} with one of "
                            "'a', 'b', 'c', 'd' exactly once")
        if not question.lesson:
            problems.append(f"{var}{TEST_SUFFIX}: add a visible line '# Taught in: <lesson>'")
        if not question.explanation:
            problems.append(f"{var}{TEST_SUFFIX}: add '# Explanation: ...' comment lines to the hidden region")
        answer = by_id.get(var + ANSWER_SUFFIX)
        if answer is None:
            problems.append(f"{var}: no answer cell with grade_id '{var}{ANSWER_SUFFIX}'")
        else:
            answer_meta = answer.metadata["nbgrader"]
            if not answer_meta.get("solution") or answer_meta.get("grade") or answer.cell_type != "code":
                problems.append(f"{var}{ANSWER_SUFFIX} must be an ungraded code solution cell "
                                "('Autograded answer')")
            solution = re.search(r"BEGIN SOLUTION\n(.*?)\n.*END SOLUTION", answer.source, re.S)
            if solution is None:
                problems.append(f"{var}{ANSWER_SUFFIX}: put the correct answer in a solution region")
            elif parse_answer(solution.group(1), var)[0] != question.key:
                problems.append(f"{var}{ANSWER_SUFFIX}: the solution does not match the hidden test")
            stub = re.sub(r"### BEGIN SOLUTION.*### END SOLUTION", "", answer.source, flags=re.S)
            if parse_answer(stub, var) != (None, REASON_NONE):
                problems.append(f"{var}{ANSWER_SUFFIX}: the student version must read '{var} = None'")
        for grade_id, cell in by_id.items():
            if BEGIN_HIDDEN in cell.source and not grade_id.endswith(TEST_SUFFIX):
                problems.append(f"{grade_id}: hidden tests are only allowed in '*{TEST_SUFFIX}' cells")
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            problems.append("every cell must be an nbgrader cell (read-only, answer or test): "
                            f"found an unlabelled {cell.cell_type} cell starting {cell.source[:40]!r}")
        elif not cell.metadata["nbgrader"].get("solution") and not cell.metadata["nbgrader"].get("locked"):
            problems.append(f"{grade_id}: every cell except the answer cells must be read-only (locked)")
    return sorted(set(problems))


# ---------------------------------------------------------------------------
# nbgrader plug-ins
# ---------------------------------------------------------------------------

def _find_coursedir(obj: Any) -> Any:
    """The CourseDirectory of the nbgrader converter that owns ``obj``."""
    while obj is not None:
        coursedir = getattr(obj, "coursedir", None)
        if coursedir is not None:
            return coursedir
        obj = getattr(obj, "parent", None)
    raise RuntimeError("quiz_grading plug-ins must run inside an nbgrader converter "
                       "(autograde / generate_feedback)")


class RebuildFromSource(NbGraderPreprocessor):
    """Replace a submitted notebook by the source notebook plus the literal answers.

    Runs first in ``Autograde.sanitize_preprocessors``.  The submitted file on disk is
    never modified (nbgrader writes the result into ``autograded/``).
    """

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        coursedir = _find_coursedir(self)
        assignment = resources["nbgrader"]["assignment"]
        notebook = resources["nbgrader"]["notebook"]
        source_dir = coursedir.format_path(coursedir.source_directory, ".", assignment)
        source_path = os.path.join(source_dir, notebook + ".ipynb")
        source_nb = nbformat.read(source_path, as_version=4)

        submitted_cells = nb.get("cells") if isinstance(nb, dict) else None
        rebuilt_cells = []
        for cell in source_nb.cells:
            cell = copy.deepcopy(cell)
            grade_id = _grade_id(cell)
            if grade_id and grade_id.endswith(ANSWER_SUFFIX) and cell.cell_type == "code":
                variable = grade_id[: -len(ANSWER_SUFFIX)]
                letter, reason = extract_answer(submitted_cells, variable)
                cell.source = graded_answer_source(variable, letter, reason)
                self.log.info("%s: %s", variable, "answered" if letter else reason)
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            rebuilt_cells.append(cell)
        source_nb.cells = rebuilt_cells
        return source_nb, resources


class TolerantNotebookExporter(NotebookExporter):
    """A NotebookExporter that reads an unreadable submission as an empty notebook.

    Only *reading* is made tolerant: a file that is not a notebook (broken JSON,
    binary, larger than ``max_bytes``, unknown format version, cells that are not a
    list) becomes an empty notebook, which the rebuild step fills with the source
    cells and every answer ``None`` — the student scores 0 and the others are graded
    normally.  Errors raised while *processing* a notebook, and any error reading the
    rebuilt notebook in nbgrader's second (autograde) pass, still abort, as usual.
    """

    max_bytes = Integer(50_000_000, help="Submissions larger than this are treated as empty.").tag(config=True)

    def from_filename(self, filename: str, resources: dict | None = None, **kw: Any):
        resources = ResourcesDict() if resources is None else resources
        if not isinstance(resources.get("metadata"), dict):
            resources["metadata"] = ResourcesDict()
        path, basename = os.path.split(filename)
        resources["metadata"]["name"] = os.path.splitext(basename)[0]
        resources["metadata"]["path"] = path
        modified = datetime.datetime.fromtimestamp(os.path.getmtime(filename), tz=datetime.timezone.utc)
        resources["metadata"]["modified_date"] = modified.strftime("%B %d, %Y")
        return self.from_notebook_node(self._read(filename), resources=resources, **kw)

    def _read(self, filename: str) -> nbformat.NotebookNode:
        try:
            if os.path.getsize(filename) > self.max_bytes:
                raise ValueError(f"larger than {self.max_bytes} bytes")
            with open(filename, encoding="utf-8") as handle, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = nbformat.read(handle, as_version=4)
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
            if not isinstance(nb.get("metadata"), dict):
                nb["metadata"] = nbformat.NotebookNode()
            return nb
        except Exception as error:  # reading is pure parsing: any failure means "not a notebook"
            if not getattr(self.parent, "_sanitizing", True):
                raise  # nbgrader's second pass reads our own rebuilt file: never paper over that
            self.log.warning("Unreadable submission %s (%s: %s); grading it as an empty notebook",
                             filename, type(error).__name__, str(error)[:200])
            return nbformat.v4.new_notebook()


_SANITIZED_ANSWER = re.compile(r"^(?P<var>[A-Za-z_][A-Za-z0-9_]*) = (?:'[abcd]'|None  # [^\n]*)$")


class SubprocessExecute(NbGraderPreprocessor):
    """Run the rebuilt notebook in a plain, isolated Python process (``quiz_runner.py``).

    Replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``.  Safe
    because :class:`RebuildFromSource` leaves only the instructor's cells and literal
    answers; as a second line of defence it refuses to run a notebook whose answer
    cells are not in the rebuilt form, or that has an unlocked cell that is not an
    answer cell.  Outputs follow a Jupyter kernel's (stdout/stderr streams, errors,
    the value of a last expression), so nbgrader grades them as usual.  Starting
    this process takes ~50 ms instead of ~1 s for an IPython kernel.
    """

    timeout = Integer(30, help="Seconds a single cell may run before it is interrupted.").tag(config=True)
    overall_timeout = Integer(
        300, help="Seconds the whole notebook may take before grading of the submission is aborted."
    ).tag(config=True)

    def _check_rebuilt(self, nb: nbformat.NotebookNode) -> None:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            nbgrader = cell.metadata.get("nbgrader", {})
            grade_id = nbgrader.get("grade_id", "")
            if nbgrader.get("solution"):
                match = _SANITIZED_ANSWER.match(cell.source)
                if match is None or grade_id != match.group("var") + ANSWER_SUFFIX:
                    raise RuntimeError(
                        f"refusing to execute answer cell {grade_id!r}: it was not rebuilt from the "
                        "source (is RebuildFromSource first in Autograde.sanitize_preprocessors?)")
            elif not nbgrader.get("locked"):
                raise RuntimeError("refusing to execute a code cell that is neither read-only nor an "
                                   f"answer cell: {cell.source[:60]!r}")

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        import json
        import subprocess
        import sys

        self._check_rebuilt(nb)
        code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        request = json.dumps({"cells": [cell.source for cell in code_cells], "timeout": self.timeout})
        runner = Path(__file__).resolve().with_name("quiz_runner.py")
        cwd = resources.get("metadata", {}).get("path") or None
        try:
            completed = subprocess.run(
                [sys.executable, "-I", str(runner)], input=request, capture_output=True, text=True,
                timeout=self.overall_timeout, cwd=cwd, check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"the quiz notebook did not finish within {self.overall_timeout} s") from error
        if completed.returncode != 0:
            raise RuntimeError(f"quiz_runner.py failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
        results = json.loads(completed.stdout)
        if len(results) != len(code_cells):
            raise RuntimeError("quiz_runner.py returned results for a different number of cells")
        for count, (cell, outputs) in enumerate(zip(code_cells, results), start=1):
            cell.outputs = [nbformat.from_dict(output) for output in outputs]
            cell.execution_count = count
        return nb, resources


class QuizFeedback(NbGraderPreprocessor):
    """Show right/wrong, the explanation and the lesson instead of the hidden test.

    Runs in ``GenerateFeedback.preprocessors`` after nbgrader's ``GetGrades``.
    """

    reveal_answers = Bool(
        False,
        help="Also show the correct letter (only once the quiz has closed).",
    ).tag(config=True)

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int):
        nbgrader = cell.metadata.get("nbgrader", {})
        grade_id = nbgrader.get("grade_id", "")
        if BEGIN_HIDDEN in cell.source:
            visible, _ = split_hidden(cell.source)
        else:
            visible = cell.source
        if nbgrader.get("grade") and not nbgrader.get("solution") and cell.cell_type == "code":
            variable = grade_id[: -len(TEST_SUFFIX)] if grade_id.endswith(TEST_SUFFIX) else grade_id
            question = parse_test_source(cell.source, variable)
            score, points = nbgrader.get("score"), nbgrader.get("points")
            correct = score is not None and points is not None and float(score) >= float(points) > 0
            lines = [
                f"{variable}: {'correct' if correct else 'not correct'}",
                f"Explanation: {question.explanation or '(none given)'}",
                f"Taught in: {question.lesson or '(see the question)'}",
            ]
            if self.reveal_answers and question.key:
                lines.append(f"Correct answer: ({question.key})")
            cell.source = f"# Result of the hidden check of {variable}"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
        else:
            cell.source = visible
        nbgrader.pop("checksum", None)
        return cell, resources

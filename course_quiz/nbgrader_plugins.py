"""nbgrader plug-ins that make the quiz impossible to game (used by quizzes/nbgrader_config.py).

Importing this module imports nbgrader (``pip install "course_utils[instructor]"``); nothing
else in :mod:`course_quiz` needs it.

nbgrader normally *executes* each submitted notebook, so any code a student writes runs inside
the grading kernel: it can patch ``assert`` helpers, redefine ``==``, read the answer key from
the course folder, hang, or flood the output.  These plug-ins close all of that by never
executing student code:

* :class:`RebuildFromSource` (first step of nbgrader's *sanitize* pass) throws the submitted
  notebook away and rebuilds it from the instructor's source notebook.  From the submission it
  keeps only one thing per question: the answer, read with
  :func:`course_quiz.answer_rule.parse_answer` (``ast``, nothing is executed), written back as
  the single literal ``qN = '<letter>'`` -- or ``qN = None  # <reason>``.  Test cells, prompts
  and everything else come from the source, so edited, deleted or re-labelled cells are
  restored by construction.
* :class:`TolerantNotebookExporter` reads a submission that is not a notebook at all (broken
  JSON, binary, huge) as an empty notebook: the student scores 0 and the others are graded.
* :class:`SubprocessExecute` runs the rebuilt notebook in a plain ``python -I`` process
  (:mod:`course_quiz.runner`) instead of a Jupyter kernel.
* :class:`QuizFeedback` (in ``GenerateFeedback``) replaces each test cell by "correct / not
  correct", the explanation and the lesson pointer, so the feedback HTML contains neither the
  hidden check nor a traceback that would show the key.
* :class:`ClearAnswerSolutions` (in ``GenerateAssignment``) replaces the solution region of an
  answer cell ``qN_answer`` by ``qN = None`` in the student version.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from nbconvert.exporters import HTMLExporter, NotebookExporter, TemplateExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor
from traitlets import Bool, Integer

from . import runner
from .bank import (  # noqa: F401  (re-exported for nbgrader_config.py and older callers)
    ANSWER_SUFFIX,
    BEGIN_HIDDEN,
    GRADED_ANSWER,
    TEST_SUFFIX,
    Question,
    check_source,
    extract_answer,
    grade_id,
    graded_answer_source,
    parse_test_source,
    read_question_bank,
    split_hidden,
)

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
    raise RuntimeError("course_quiz plug-ins must run inside an nbgrader converter (autograde / generate_feedback)")


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
            gid = grade_id(cell)
            if gid and gid.endswith(ANSWER_SUFFIX) and cell.cell_type == "code":
                variable = gid[: -len(ANSWER_SUFFIX)]
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
        modified = datetime.datetime.fromtimestamp(os.path.getmtime(filename), tz=datetime.UTC)
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
            self.log.warning(
                "Unreadable submission %s (%s: %s); grading it as an empty notebook",
                filename,
                type(error).__name__,
                str(error)[:200],
            )
            return nbformat.v4.new_notebook()


class SubprocessExecute(NbGraderPreprocessor):
    """Run the rebuilt notebook in a plain, isolated Python process (:mod:`course_quiz.runner`).

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
                match = GRADED_ANSWER.match(cell.source)
                if match is None or grade_id != match.group("var") + ANSWER_SUFFIX:
                    raise RuntimeError(
                        f"refusing to execute answer cell {grade_id!r}: it was not rebuilt from the "
                        "source (is RebuildFromSource first in Autograde.sanitize_preprocessors?)"
                    )
            elif not nbgrader.get("locked"):
                raise RuntimeError(
                    "refusing to execute a code cell that is neither read-only nor an "
                    f"answer cell: {cell.source[:60]!r}"
                )

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        import json
        import subprocess
        import sys

        self._check_rebuilt(nb)
        code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        request = json.dumps({"cells": [cell.source for cell in code_cells], "timeout": self.timeout})
        runner_path = Path(runner.__file__).resolve()  # run by path: -I ignores PYTHONPATH
        cwd = resources.get("metadata", {}).get("path") or None
        try:
            completed = subprocess.run(
                [sys.executable, "-I", str(runner_path)],
                input=request,
                capture_output=True,
                text=True,
                timeout=self.overall_timeout,
                cwd=cwd,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"the quiz notebook did not finish within {self.overall_timeout} s") from error
        if completed.returncode != 0:
            raise RuntimeError(f"course_quiz/runner.py failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
        results = json.loads(completed.stdout)
        if len(results) != len(code_cells):
            raise RuntimeError("course_quiz/runner.py returned results for a different number of cells")
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


class ClearAnswerSolutions(ClearSolutions):
    """nbgrader's ``ClearSolutions`` with ``qN = None`` as the stub of each answer cell ``qN_answer``.

    Used instead of ``ClearSolutions`` in ``GenerateAssignment.preprocessors``: the source's
    answer cell assigns the correct letter once (inside the solution region), so the source
    notebook passes the same format rule as a student's notebook; the student version reads
    ``qN = None`` in place of the region.  Other cells get nbgrader's configured stub.
    """

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: ResourcesDict, cell_index: int):
        gid = grade_id(cell)
        if not (gid and gid.endswith(ANSWER_SUFFIX) and cell.cell_type == "code"):
            return super().preprocess_cell(cell, resources, cell_index)
        language = resources["language"]
        saved = self.code_stub
        self.code_stub = {**saved, language: f"{gid[: -len(ANSWER_SUFFIX)]} = None"}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = saved


class QuizFeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter made cheap for many copies of one quiz (the feedback pages).

    Every feedback page holds the same instructor cells, so the code highlighting (pygments)
    and markdown rendering are remembered by source within one exporter (one nbgrader call,
    i.e. one chunk of students).  nbconvert's accessibility pass (``alt`` text on images without
    one, ``tabindex="0"`` on cell inputs and outputs) is made with regular expressions instead
    of parsing the whole page with BeautifulSoup (which cost about a third of the page's time).
    The page reads the same; ``GenerateFeedback.exporter_class`` selects it (the grading
    workers of :mod:`course_quiz.parallel` do).
    """

    _FOCUSABLE = re.compile(r'<div class="(?=[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b)([^"]*)"')
    _IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._markdown_cache: dict[str, str] = {}
        self._highlight_cache: dict[tuple, str] = {}

    @jinja2.pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        cell = context.get("cell", {})
        if cell.get("attachments"):
            return super().markdown2html(context, source)
        if source not in self._markdown_cache:
            self._markdown_cache[source] = super().markdown2html(context, source)
        return self._markdown_cache[source]

    def from_notebook_node(self, nb: nbformat.NotebookNode, resources: dict | None = None, **kw: Any):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = Highlight2HTML(pygments_lexer=lexer, parent=self)
        cache = self._highlight_cache

        def highlight_code(source: str, language: str | None = None, metadata: Any = None) -> str:
            key = (lexer, source, language, json.dumps(metadata, sort_keys=True, default=str))
            if key not in cache:
                cache[key] = highlight(source, language=language, metadata=metadata)
            return cache[key]

        resources = self._init_resources(resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        missing_alt = len(self._IMG_NO_ALT.findall(html))
        if missing_alt:
            html = self._IMG_NO_ALT.sub('<img alt="No description has been provided for this image"', html)
            self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
        html = self._FOCUSABLE.sub(r'<div class="\1" tabindex="0"', html)
        return html, resources

"""Unit tests of quizzes/quiz_grading.py and quizzes/quiz_runner.py (no nbgrader run needed)."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"
SOURCE_NB = QUIZZES / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"


def _load_grading():
    spec = importlib.util.spec_from_file_location("quiz_grading_under_test", QUIZZES / "quiz_grading.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


grading = _load_grading()


@pytest.mark.parametrize("source, expected", [
    ("q1 = 'c'", "c"),
    ('q1 = "C "', "c"),
    ("# my answer\nq1 = ' b '  # because...\n\n", "b"),
    ("q1 = ('d')", "d"),
    ("q1 = 'a';", "a"),
    ("q1 = 'A'", "a"),
])
def test_parse_answer_accepts_one_literal_letter(source, expected):
    assert grading.parse_answer(source, "q1") == (expected, "ok")


@pytest.mark.parametrize("source, reason", [
    ("q1 = None", "REASON_NONE"),
    ("q1 = 'e'", "REASON_LETTER"),
    ("q1 = ''", "REASON_LETTER"),
    ("q1 = 'cc'", "REASON_LETTER"),
    ("q1 = 3", "REASON_SHAPE"),
    ("q1 = b'c'", "REASON_SHAPE"),
    ("q1 = f'c'", "REASON_SHAPE"),
    ("q1 = 'c' + ''", "REASON_SHAPE"),
    ("q1 = str('c')", "REASON_SHAPE"),
    ("q1 = 'a'\nq1 = 'c'", "REASON_SHAPE"),
    ("q1 = q2 = 'c'", "REASON_SHAPE"),
    ("q1: str = 'c'", "REASON_SHAPE"),
    ("q1, x = 'c', 1", "REASON_SHAPE"),
    ("q2 = 'c'", "REASON_SHAPE"),
    ("import os\nq1 = 'c'", "REASON_SHAPE"),
    ("while True:\n    pass", "REASON_SHAPE"),
    ("q1 = 'c", "REASON_SHAPE"),
    ("%time q1 = 'c'", "REASON_SHAPE"),
    ("q1 = 'c'  # " + "x" * 10_000, "REASON_SHAPE"),
    ("(" * 100_000, "REASON_SHAPE"),
    ("q1 = '\x00'", "REASON_SHAPE"),
    ("", "REASON_SHAPE"),
])
def test_parse_answer_rejects_everything_else(source, reason):
    assert grading.parse_answer(source, "q1") == (None, getattr(grading, reason))


def test_parse_answer_reads_list_sources_and_rejects_non_strings():
    assert grading.parse_answer(["q1 = ", "'b'"], "q1") == ("b", "ok")
    assert grading.parse_answer(None, "q1")[0] is None
    assert grading.parse_answer({"evil": 1}, "q1")[0] is None


def _cell(source, grade_id=None, cell_type="code"):
    metadata = {"nbgrader": {"grade_id": grade_id}} if grade_id else {}
    return {"cell_type": cell_type, "metadata": metadata, "source": source}


def test_extract_answer_uses_the_labelled_cell_and_ignores_others():
    cells = [_cell("q1 = 'a'"), _cell("q1 = 'b'", "q1_answer"), _cell("q1 = 'c'")]
    assert grading.extract_answer(cells, "q1") == ("b", "ok")


def test_extract_answer_duplicates_last_wellformed_counts():
    cells = [_cell("q1 = 'a'", "q1_answer"), _cell("q1 = None", "q1_answer")]
    assert grading.extract_answer(cells, "q1") == ("a", "ok")
    cells = [_cell("q1 = 'a'", "q1_answer"), _cell("q1 = 'd'", "q1_answer")]
    assert grading.extract_answer(cells, "q1") == ("d", "ok")


def test_extract_answer_falls_back_to_unlabelled_assignments():
    cells = [_cell("print(1)"), _cell("q1 = 'c'"), _cell("x = 1\nq1 = 'a'")]
    assert grading.extract_answer(cells, "q1") == ("c", "ok")
    assert grading.extract_answer([_cell("print(1)")], "q1") == (None, grading.REASON_NO_CELL)


@pytest.mark.parametrize("cells", [None, "cells", [1, "x", None], [{"metadata": "weird", "source": 5}],
                                   [{"metadata": {"nbgrader": "x"}}]])
def test_extract_answer_survives_malformed_notebooks(cells):
    assert grading.extract_answer(cells, "q1")[0] is None


def test_graded_answer_source_never_echoes_student_text():
    assert grading.graded_answer_source("q3", "a", "ok") == "q3 = 'a'"
    source = grading.graded_answer_source("q3", None, grading.REASON_SHAPE)
    assert source.startswith("q3 = None  # ") and "\n" not in source


def _source_nb():
    return nbformat.read(SOURCE_NB, as_version=4)


def test_question_bank_and_source_structure():
    nb = _source_nb()
    questions = grading.read_question_bank(nb)
    assert [q.variable for q in questions] == [f"q{n}" for n in range(1, 11)]
    assert "".join(q.key for q in questions) == "ccacacbbcb"
    assert grading.check_source(nb) == []
    q3 = next(q for q in questions if q.variable == "q3")
    # the seed's wording of option (a) is corrected
    prompt = next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "q3_prompt")
    assert "the difference between the input and its reconstruction" in prompt.lower()
    assert "compressed data" not in prompt
    assert q3.key == "a"


@pytest.mark.parametrize("breakage, message", [
    (lambda nb: _edit(nb, "q2_test", lambda s: s.replace('== "c"', '== "e"')), "compare q2"),
    (lambda nb: _edit(nb, "q4_test", lambda s: "\n".join(l for l in s.split("\n") if "Explanation" not in l
                                                          and not l.startswith("# ") or "Taught" in l
                                                          or "Question" in l)), "Explanation"),
    (lambda nb: _edit(nb, "q5_test", lambda s: s.replace("# Taught in:", "# Lesson:")), "Taught in"),
    (lambda nb: _edit(nb, "q6_answer", lambda s: s.replace("q6 = 'c'", "q6 = 'a'")), "does not match"),
    (lambda nb: _edit(nb, "q7_answer", lambda s: s.replace("q7 = None", "q7 = 'b'")), "q7 = None"),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell("print('hi')")), "unlabelled"),
    (lambda nb: _meta(nb, "q8_prompt", locked=False), "read-only"),
    (lambda nb: _meta(nb, "q9_test", points=0), "more than 0 points"),
])
def test_check_source_reports_broken_questions(breakage, message):
    nb = _source_nb()
    breakage(nb)
    problems = grading.check_source(nb)
    assert any(message in problem for problem in problems), problems


def _edit(nb, grade_id, change):
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    cell.source = change(cell.source)


def _meta(nb, grade_id, **values):
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    cell.metadata["nbgrader"].update(values)


def test_feedback_preprocessor_hides_the_check_and_can_reveal_it():
    nb = _source_nb()
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "q1_test")
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                           traceback=["assert q1.strip().lower() == \"c\""])]
    wrong = copy.deepcopy(cell)
    wrong.metadata["nbgrader"].update(score=0.0, points=1.0)
    shown, _ = grading.QuizFeedback().preprocess_cell(wrong, {}, 0)
    text = shown.source + json.dumps(shown.outputs)
    assert "not correct" in text and "Explanation:" in text and "Taught in: 01_background" in text
    assert "assert" not in text and "HIDDEN" not in text and '"c"' not in text and "Correct answer" not in text
    assert "checksum" not in shown.metadata["nbgrader"]

    right = copy.deepcopy(cell)
    right.metadata["nbgrader"].update(score=1.0, points=1.0)
    shown, _ = grading.QuizFeedback(reveal_answers=True).preprocess_cell(right, {}, 0)
    assert "q1: correct" in shown.outputs[0]["text"] and "Correct answer: (c)" in shown.outputs[0]["text"]


def test_tolerant_reader_turns_garbage_into_an_empty_notebook(tmp_path):
    exporter = grading.TolerantNotebookExporter()
    for name, content in {"broken": b"{nope", "binary": bytes(range(256)), "list": b"[1, 2]",
                          "future": json.dumps({"nbformat": 99, "cells": []}).encode()}.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(content)
        assert exporter._read(str(path)).cells == [], name
    good = tmp_path / "good.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("q1 = 'a'")]), good)
    assert exporter._read(str(good)).cells[0].source == "q1 = 'a'"


def test_executor_refuses_notebooks_that_were_not_rebuilt():
    executor = grading.SubprocessExecute()
    nb = _source_nb()
    with pytest.raises(RuntimeError, match="not rebuilt"):
        executor._check_rebuilt(nb)  # the source's answer cells hold solution regions
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id.endswith("_answer"):
            cell.source = grading.graded_answer_source(grade_id[:-7], None, grading.REASON_NONE)
    executor._check_rebuilt(nb)
    nb.cells.append(nbformat.v4.new_code_cell("import os"))
    with pytest.raises(RuntimeError, match="neither read-only"):
        executor._check_rebuilt(nb)


def run_runner(cells, timeout=1):
    request = json.dumps({"cells": cells, "timeout": timeout})
    done = subprocess.run([sys.executable, "-I", str(QUIZZES / "quiz_runner.py")], input=request,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_runner_reports_outputs_like_a_kernel_and_cuts_off_endless_loops():
    start = time.perf_counter()
    results = run_runner([
        "x = 2\nprint('hello')",
        "import sys\nsys.stderr.write('careful')",
        "assert x == 3",
        "while True:\n    pass",
        "import os\nos.write(1, b'not json')\nx * 21",
        "raise SystemExit(3)",
        "y = x + 1",
        "y",
        "None",
    ], timeout=1)
    elapsed = time.perf_counter() - start
    assert results[0] == [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    assert results[1][0]["name"] == "stderr" and results[1][0]["text"] == "careful"
    assert results[2][-1]["output_type"] == "error" and results[2][-1]["ename"] == "AssertionError"
    assert results[3][-1]["ename"] == "CellTimeoutError"
    assert results[4] == [{"output_type": "execute_result", "execution_count": 5,
                           "data": {"text/plain": "42"}, "metadata": {}}]
    assert results[5][-1]["ename"] == "SystemExit"
    assert results[6] == []
    assert results[7][0]["data"]["text/plain"] == "3"
    assert results[8] == []
    assert elapsed < 15

"""Unit tests of the quiz machinery: course_quiz.answer_rule / bank / nbgrader_plugins / runner.

No nbgrader run needed; the answer key is read from the source notebook with the course's parser.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from quiz_cases import CASES

from course_quiz import answer_rule, bank

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")
from course_quiz import nbgrader_plugins as grading  # noqa: E402
from course_quiz import runner  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"
SOURCE_NB = QUIZZES / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
KEY = bank.answer_key(SOURCE_NB)  # never hard-coded: an instructor's private copy keeps passing


@pytest.mark.parametrize("source, letter, reason", CASES, ids=lambda v: repr(v)[:40] if isinstance(v, str) else None)
def test_parse_answer_follows_the_rule(source, letter, reason):
    assert answer_rule.parse_answer(source, "q1") == (letter, getattr(answer_rule, reason))


def test_reasons_are_single_lines_that_fit_a_graded_cell():
    reasons = [getattr(answer_rule, name) for name in dir(answer_rule) if name.startswith("REASON_")]
    assert len(reasons) == len(set(reasons)) >= 10
    for reason in reasons:
        if reason != answer_rule.REASON_OK:
            assert bank.GRADED_ANSWER.fullmatch(bank.graded_answer_source("q1", None, reason)), reason


def test_answer_rule_is_standard_library_only_and_never_imports_ipython():
    text = Path(answer_rule.__file__).read_text(encoding="utf-8")
    imports = {line.split()[1] for line in text.splitlines() if line.startswith("import ")}
    assert imports <= {"ast", "re", "sys", "warnings"}, imports
    assert "from " not in "\n".join(ln for ln in text.splitlines() if ln.startswith("from "))
    code = (
        "import sys, io, contextlib\n"
        "from course_quiz import answer_rule as r\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    r.check_answer_format('q1', 'C ')\n"
        "assert 'IPython' not in sys.modules and 'nbgrader' not in sys.modules\n"
        "assert r.judge('q1', ' c') == ('c', r.REASON_OK, 'value')\n"
        "assert r.judge('q1', 3)[:2] == (None, r.REASON_NOT_LITERAL)\n"
        "print(out.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "format OK - the grader will read 'c'" in done.stdout


def test_importing_course_quiz_does_not_import_nbgrader():
    code = (
        "import sys\nimport course_quiz, course_quiz.answer_rule, course_quiz.bank, course_quiz.report\n"
        "import course_quiz.manage, course_quiz.bench, course_quiz.runner\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('nbgrader', 'nbconvert', 'IPython')]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_parse_answer_reads_list_sources_and_rejects_non_strings():
    assert answer_rule.parse_answer(["q1 = ", "'b'"], "q1") == ("b", "ok")
    assert answer_rule.parse_answer(None, "q1")[0] is None
    assert answer_rule.parse_answer({"evil": 1}, "q1")[0] is None


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
    cells = [_cell("print(1)"), _cell("q1 = 'c'"), _cell("x = 1\nq1 = 'a'\nq1 = 'b'")]
    assert grading.extract_answer(cells, "q1") == ("c", "ok")  # the last cell assigns twice: not an answer
    cells = [_cell("q1 = 'c'"), _cell("print('checked')\nq1 = 'a'"), _cell("check_answer_format('q1', q1)")]
    assert grading.extract_answer(cells, "q1") == ("a", "ok")  # the last well-formed one, as when run in order
    assert grading.extract_answer([_cell("print(1)")], "q1") == (None, answer_rule.REASON_NO_CELL)


@pytest.mark.parametrize(
    "cells", [None, "cells", [1, "x", None], [{"metadata": "weird", "source": 5}], [{"metadata": {"nbgrader": "x"}}]]
)
def test_extract_answer_survives_malformed_notebooks(cells):
    assert grading.extract_answer(cells, "q1")[0] is None


def test_graded_answer_source_never_echoes_student_text():
    assert grading.graded_answer_source("q3", "a", "ok") == "q3 = 'a'"
    source = grading.graded_answer_source("q3", None, answer_rule.REASON_FORM)
    assert source.startswith("q3 = None  # ") and "\n" not in source
    assert bank.read_graded_answer([_cell(source, "q3_answer")], "q3") == (None, answer_rule.REASON_FORM)
    assert bank.read_graded_answer([_cell("q3 = 'b'", "q3_answer")], "q3") == ("b", "ok")


def _source_nb():
    return nbformat.read(SOURCE_NB, as_version=4)


def test_question_bank_and_source_structure():
    nb = _source_nb()
    questions = grading.read_question_bank(nb)
    assert [q.variable for q in questions] == list(KEY) and len(KEY) >= 10
    assert all(q.key in "abcd" and q.lesson and q.explanation for q in questions)
    assert grading.check_source(nb) == []
    assert bank.read_question_bank(SOURCE_NB) == questions  # a path, a dict or a NotebookNode


def test_setup_cell_is_the_answer_rule_verbatim():
    nb = bank.read_notebook(SOURCE_NB)
    setup = next(c for c in nb["cells"] if bank.grade_id(c) == "setup")
    assert bank.cell_source(setup) == Path(answer_rule.__file__).read_text(encoding="utf-8").rstrip("\n")
    assert nb["cells"].index(setup) == 1 and setup["metadata"]["jupyter"]["source_hidden"] is True


def test_quiz_text_does_not_use_internal_words():
    """Students do not know "the seed" (the course's word for the original source document)."""
    nb = bank.read_notebook(SOURCE_NB)
    for cell in nb["cells"]:
        if bank.grade_id(cell) != "setup":
            assert "seed" not in (bank.cell_source(cell) or "").lower(), bank.grade_id(cell)


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda nb: _edit(nb, "q2_test", lambda s: s.replace(f'== "{KEY["q2"]}"', '== "e"')), "compare q2"),
        (
            lambda nb: _edit(
                nb,
                "q4_test",
                lambda s: "\n".join(
                    ln
                    for ln in s.split("\n")
                    if "Explanation" not in ln and not ln.startswith("# ") or "Taught" in ln or "Question" in ln
                ),
            ),
            "Explanation",
        ),
        (lambda nb: _edit(nb, "q5_test", lambda s: s.replace("# Taught in:", "# Lesson:")), "Taught in"),
        (
            lambda nb: _edit(
                nb, "q6_answer", lambda s: s.replace(f"q6 = '{KEY['q6']}'", f"q6 = '{_other(KEY['q6'])}'")
            ),
            "correct letter of the hidden test",
        ),
        (lambda nb: _edit(nb, "q7_answer", lambda s: "q7 = None\n" + s), "nowhere but in the solution region"),
        (lambda nb: _edit(nb, "q7_answer", lambda s: s.replace("BEGIN SOLUTION", "BEGIN")), "solution region"),
        (lambda nb: _edit(nb, "setup", lambda s: s + "\nVALID_ANSWERS = ('a',)"), "answer_rule.py verbatim"),
        (lambda nb: _edit(nb, "q3_test", lambda s: s.replace("answer_format_ok", "answer_ok")), "answer_format_ok"),
        (lambda nb: nb.cells.append(nbformat.v4.new_code_cell("print('hi')")), "unlabelled"),
        (lambda nb: _meta(nb, "q8_prompt", locked=False), "read-only"),
        (lambda nb: _meta(nb, "q9_test", points=0), "more than 0 points"),
    ],
)
def test_check_source_reports_broken_questions(breakage, message):
    nb = _source_nb()
    breakage(nb)
    problems = grading.check_source(nb)
    assert any(message in problem for problem in problems), problems


def _other(letter):
    return "abcd"[("abcd".index(letter) + 1) % 4]


def _edit(nb, grade_id, change):
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    cell.source = change(cell.source)


def _meta(nb, grade_id, **values):
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    cell.metadata["nbgrader"].update(values)


def test_feedback_preprocessor_hides_the_check_and_can_reveal_it():
    nb = _source_nb()
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "q1_test")
    key, lesson = KEY["q1"], bank.read_question_bank(SOURCE_NB)[0].lesson
    cell.outputs = [
        nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="", traceback=[f'assert q1.strip().lower() == "{key}"']
        )
    ]
    wrong = copy.deepcopy(cell)
    wrong.metadata["nbgrader"].update(score=0.0, points=1.0)
    shown, _ = grading.QuizFeedback().preprocess_cell(wrong, {}, 0)
    text = shown.source + json.dumps(shown.outputs, ensure_ascii=False)
    assert "not correct" in text and "Explanation:" in text and f"Taught in: {lesson}" in text
    assert "assert" not in text and "HIDDEN" not in text and f'"{key}"' not in text and "Correct answer" not in text
    assert "checksum" not in shown.metadata["nbgrader"]

    right = copy.deepcopy(cell)
    right.metadata["nbgrader"].update(score=1.0, points=1.0)
    shown, _ = grading.QuizFeedback(reveal_answers=True).preprocess_cell(right, {}, 0)
    assert "q1: correct" in shown.outputs[0]["text"] and f"Correct answer: ({key})" in shown.outputs[0]["text"]


def test_tolerant_reader_turns_garbage_into_an_empty_notebook(tmp_path):
    exporter = grading.TolerantNotebookExporter()
    for name, content in {
        "broken": b"{nope",
        "binary": bytes(range(256)),
        "list": b"[1, 2]",
        "future": json.dumps({"nbformat": 99, "cells": []}).encode(),
    }.items():
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
            cell.source = grading.graded_answer_source(grade_id[:-7], None, answer_rule.REASON_NONE)
    executor._check_rebuilt(nb)
    nb.cells.append(nbformat.v4.new_code_cell("import os"))
    with pytest.raises(RuntimeError, match="neither read-only"):
        executor._check_rebuilt(nb)


def run_runner(cells, timeout=1):
    request = json.dumps({"cells": cells, "timeout": timeout})
    done = subprocess.run(
        [sys.executable, "-I", str(Path(runner.__file__))], input=request, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_runner_reports_outputs_like_a_kernel_and_cuts_off_endless_loops():
    """The endless loop is cut off by the cell timeout (CellTimeoutError) and the cells after it still run;
    how long grading takes is the benchmark's figure (section grading), not this test's."""
    results = run_runner(
        [
            "x = 2\nprint('hello')",
            "import sys\nsys.stderr.write('careful')",
            "assert x == 3",
            "while True:\n    pass",
            "import os\nos.write(1, b'not json')\nx * 21",
            "raise SystemExit(3)",
            "y = x + 1",
            "y",
            "None",
        ],
        timeout=1,
    )
    assert results[0] == [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    assert results[1][0]["name"] == "stderr" and results[1][0]["text"] == "careful"
    assert results[2][-1]["output_type"] == "error" and results[2][-1]["ename"] == "AssertionError"
    assert results[3][-1]["ename"] == "CellTimeoutError"
    assert results[4] == [
        {"output_type": "execute_result", "execution_count": 5, "data": {"text/plain": "42"}, "metadata": {}}
    ]
    assert results[5][-1]["ename"] == "SystemExit"
    assert results[6] == []
    assert results[7][0]["data"]["text/plain"] == "3"
    assert results[8] == []


def test_runner_outside_ipython_checks_the_value_of_the_rebuilt_answer():
    """In the grader's runner there is no IPython history: the format check and the visible test
    fall back to the value, which the rebuild has already reduced to one literal."""
    setup = bank.setup_cell_source()
    results = run_runner(
        [
            setup,
            "q1 = 'C'",
            'check_answer_format("q1")',
            'assert answer_format_ok("q1")',
            "q2 = None  # " + answer_rule.REASON_TWICE,
            'check_answer_format("q2")',
            'assert answer_format_ok("q2")',
        ],
        timeout=5,
    )
    assert results[0] == [] and results[1] == []
    assert results[2][0]["text"].startswith("q1: format OK - the grader will read 'c' (this")
    assert results[3] == []
    assert "not answered yet" in results[5][0]["text"]
    assert results[6][-1]["ename"] == "AssertionError"
    assert all(output.get("name") != "stderr" for cell in results for output in cell)


def test_clear_answer_solutions_gives_the_student_stub():
    from nbgrader.preprocessors import ClearSolutions

    nb = _source_nb()
    resources = {"language": "python"}
    clear = grading.ClearAnswerSolutions()
    for cell in nb.cells:
        gid = cell.metadata["nbgrader"]["grade_id"]
        original = cell.source
        cleared, _ = clear.preprocess_cell(copy.deepcopy(cell), resources, 0)
        if gid.endswith("_answer"):
            var = gid[: -len("_answer")]
            assert cleared.source == bank.student_stub(original, var)
            assert cleared.source.rstrip().endswith(f"{var} = None") and "SOLUTION" not in cleared.source
            assert answer_rule.parse_answer(cleared.source, var) == (None, answer_rule.REASON_NONE)
        else:
            assert cleared.source == ClearSolutions().preprocess_cell(copy.deepcopy(cell), resources, 0)[0].source
    assert clear.code_stub == ClearSolutions().code_stub  # restored after each answer cell

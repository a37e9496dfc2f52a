"""The students' format check reports exactly what the grader will do with an answer cell (issue 18.2).

Every answer cell of ``quiz_cases.CASES`` is run in a real IPython kernel (as in JupyterLab,
Colab or ``nbgrader validate``), followed by the quiz's format check; its verdict must be the
grader's (``course_quiz.answer_rule.parse_answer`` on the same source).  Then the released
notebook, filled in, is run top to bottom with nbclient and checked with nbgrader's Validator:
"format OK" and a passing Validate are never followed by a 0 for the same cell, and vice versa.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from quiz_cases import CASES, NOT_RUN_IN_KERNEL

from course_quiz import answer_rule, bank

jupyter_client = pytest.importorskip("jupyter_client")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"
SOURCE_NB = QUIZZES / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
KEY = bank.answer_key(SOURCE_NB)
COMMENT = "# Your answer to question 1 (q1): replace None by 'a', 'b', 'c' or 'd', in quotes.\n"


class Kernel:
    """A python3 kernel that runs cells as a front end does (store_history=True) and returns stdout."""

    def __init__(self, cwd: Path):
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
        self.manager = jupyter_client.KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str) -> tuple[str, list[str]]:
        out, errors = [], []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                errors.append(content["ename"])

        self.client.execute_interactive(code, store_history=True, output_hook=hook, timeout=120)
        return "".join(out), errors

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("kernel"))
    _, errors = k.run(bank.setup_cell_source())
    assert errors == []
    yield k
    k.close()


def verdict(text: str) -> str | None:
    """The letter a format check says the grader will read, or None for 'scores 0 / not answered'."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if "format OK - the grader will read '" in first:
        return first.split("the grader will read '")[1][0]
    assert "scores 0" in first or "not answered yet" in first, first
    return None


CHECK = 'check_answer_format("q1")\nprint(answer_format_ok("q1"))'  # as in the quiz's format and test cells


@pytest.mark.parametrize(
    "source, letter, reason",
    [c for c in CASES if c[0] not in NOT_RUN_IN_KERNEL],
    ids=lambda v: repr(v)[:40] if isinstance(v, str) else None,
)
def test_format_check_says_what_the_grader_reads(kernel, source, letter, reason):
    cell = COMMENT + source
    expected = answer_rule.parse_answer(cell, "q1")
    assert expected[0] == letter  # the comment the quiz puts in every answer cell changes nothing
    kernel.run(cell)
    text, errors = kernel.run(CHECK)
    assert errors == [], text
    assert verdict(text) == letter, text
    assert text.strip().splitlines()[-1] == str(letter is not None)
    if letter is None and expected[1] not in (answer_rule.REASON_NONE, answer_rule.REASON_NO_CELL):
        assert expected[1].replace("qN", "q1") in text  # the student is told why


def test_format_check_uses_the_cell_not_the_value(kernel):
    # the value says 'c', the cell assigns twice: the grader gives 0, and so does the check
    kernel.run(COMMENT + "q1 = 'a'\nq1 = 'c'")
    text, _ = kernel.run(CHECK)
    assert verdict(text) is None and answer_rule.REASON_TWICE in text
    # an earlier good answer does not hide a later answer cell with a typo in the variable
    kernel.run(COMMENT + "q1 = 'c'")
    kernel.run(COMMENT + "q = 'c'")
    text, _ = kernel.run(CHECK)
    assert verdict(text) is None
    # a dynamic assignment changes the value, never what the grader reads
    kernel.run(COMMENT + "q1 = 'a'\nglobals()['q1'] = 'c'")
    text, _ = kernel.run(CHECK)
    assert verdict(text) == "a" and "holds 'c' right now" in text
    # a check cell run in between (the test cell, another format check) is not an answer cell
    kernel.run(COMMENT + "q1 = 'b'")
    kernel.run('assert answer_format_ok("q1"), "q1: see the format check above"')
    text, _ = kernel.run('check_answer_format("q1")')
    assert verdict(text) == "b" and "Read from the last cell" not in text
    # an unrelated cell in between: the check says which cell it read
    kernel.run("x = 41 + 1")
    text, _ = kernel.run('check_answer_format("q1")')
    assert verdict(text) == "b" and "Read from the last cell you ran that uses q1" in text


def test_self_check_in_the_kernel_judges_the_cells(kernel):
    kernel.run("# Your answer to question 2 (q2)\nq2 = 'a'\nq2 = 'b'")
    kernel.run("# Your answer to question 3 (q3)\nprint('sure')\nq3 = 'D'")
    text, errors = kernel.run(
        "from course_utils.quiz import self_check\nreport = self_check(globals())\nprint(report['q2'], report['q3'])"
    )
    assert errors == []
    assert text.strip().splitlines()[-1] == "invalid ok"
    assert "the grader reads 'd'" in text and answer_rule.REASON_TWICE in text


# --------------------------------------------------------------------------- the whole notebook

nbformat = pytest.importorskip("nbformat")


def _released(tmp_path: Path) -> tuple[Path, dict]:
    from course_quiz import manage
    from course_quiz.bench import copy_course

    root = copy_course(QUIZZES, tmp_path / "course")
    release_dir = manage.release(root)
    return root, json.loads((release_dir / "autoencoder_quiz.ipynb").read_text(encoding="utf-8"))


def _fill(nb: dict, answers: dict[str, str]) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        gid = bank.grade_id(cell) or ""
        if gid.endswith("_answer") and gid[:-7] in answers:
            cell["source"] = answers[gid[:-7]]
    return nb


def test_run_all_and_validate_agree_with_the_grader(tmp_path):
    pytest.importorskip("nbgrader")
    from nbclient import NotebookClient
    from nbgrader.validator import Validator

    from course_quiz import manage

    root, release_nb = _released(tmp_path)
    wrong = {q: "abcd"[("abcd".index(k) + 1) % 4] for q, k in KEY.items()}
    comment = "# Your answer to question {n} ({q}): replace None by 'a', 'b', 'c' or 'd', in quotes.\n"
    bodies = {  # answer cell bodies: what a student might write
        "q1": "print('done')\nq1 = '{k}'",
        "q2": "import this\nq2 = '{w}'",
        "q3": "q3 = '{k}'\nq3 = '{k}'",
        "q4": "if True:\n    q4 = '{k}'",
        "q5": "import sys\nsys.stderr.write('ok')\nq5 = ' {K} '",
        "q6": "q6 = '{k}' + ''",
        "q7": "q7 = None",
        "q8": "q8 = '{k}'  # sure",
        "q9": "q = '{k}'",
        "q10": "q10 = 'e'",
    }
    answers = {
        q: comment.format(n=q[1:], q=q) + body.format(k=KEY[q], K=KEY[q].upper(), w=wrong[q])
        for q, body in bodies.items()
    }
    graded = {q: answer_rule.parse_answer(src, q)[0] for q, src in answers.items()}
    assert [q for q, letter in graded.items() if letter] == ["q1", "q2", "q5", "q8"]

    nb = nbformat.reads(json.dumps(_fill(release_nb, answers)), as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    for cell in nb.cells:
        gid = bank.grade_id(cell) or ""
        if gid.endswith("_format"):
            q = gid[: -len("_format")]
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            assert verdict(text) == graded[q], (q, text)
        if gid.endswith("_test"):  # the visible part of the test agrees too
            q = gid[: -len("_test")]
            failed = any(o.get("output_type") == "error" for o in cell.outputs)
            assert failed == (graded[q] is None), (q, cell.outputs)  # the release has no hidden part
        if gid == "self_check":
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            for q, letter in graded.items():
                line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{q}:"))
                assert ("format OK" in line) == (letter is not None), line

    # nbgrader's Validate button (visible tests only): fails exactly the cells the grader scores 0
    path = tmp_path / "filled.ipynb"
    path.write_text(json.dumps(_fill(release_nb, answers)), encoding="utf-8")
    manage.ensure_tools_on_path()
    results = Validator(config=manage.load_config(root)).validate(str(path))
    failed = {cell["source"].split('answer_format_ok("')[1].split('"')[0] for cell in results.get("failed", [])}
    assert failed == {q for q, letter in graded.items() if letter is None}
    good = {q: comment.format(n=q[1:], q=q) + f"print('checked')\n{q} = '{KEY[q]}'" for q in KEY}
    path.write_text(json.dumps(_fill(release_nb, good)), encoding="utf-8")
    assert Validator(config=manage.load_config(root)).validate(str(path)) == {}

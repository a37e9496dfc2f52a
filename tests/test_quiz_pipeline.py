"""The whole quiz pipeline in a temporary nbgrader course directory copied from quizzes/.

Release -> submissions (3 ordinary, many adversarial) -> ``manage.grade`` (nbgrader
autograde + feedback + CSV export) -> assertions on nbgrader's gradebook, the CSV,
the feedback HTML and the release.  One grading run is shared by the module.  The key is
read from the source notebook with the course's parser, so a private copy with other
questions keeps this suite passing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbgrader = pytest.importorskip("nbgrader")
# nbgrader's gradebook emits harmless SQLAlchemy "not in session" warnings.
pytestmark = [pytest.mark.filterwarnings("ignore:.*not in session:Warning"), pytest.mark.slow]

from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.validator import Validator  # noqa: E402
from quiz_submissions import ASSIGNMENT, NOTEBOOK, Builder, make_submissions  # noqa: E402

from course_quiz import answer_rule, bank  # noqa: E402
from course_quiz import manage as quiz_manage  # noqa: E402
from course_quiz.bench import copy_course  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"

CSV_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]


def _copy_course(dest: Path) -> Path:
    return copy_course(QUIZZES, dest)


# --------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    bin_dir = str(Path(sys.executable).parent)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = bin_dir + os.pathsep + old_path
    root = _copy_course(tmp_path_factory.mktemp("quiz") / "course")
    manage = quiz_manage
    grading = manage.grading_module(root)
    questions = bank.read_question_bank(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    key = "".join(q.key for q in questions)

    # the instructor commands on a fresh course directory: release, then grade with nothing submitted
    assert manage.main(["release", "--course-dir", str(root)]) == 0
    assert manage.main(["grade", "--course-dir", str(root)]) == 0
    empty_csv = (root / "grades.csv").read_text().splitlines()
    release_dir = root / "release" / ASSIGNMENT
    release_nb = json.loads((release_dir / f"{NOTEBOOK}.ipynb").read_text())
    builder = Builder(root, release_nb, key)
    n_adversarial = make_submissions(builder)
    submitted_hashes = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "submitted").rglob("*") if p.is_file()
    }
    source_hash = hashlib.sha256((root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()).hexdigest()

    start = time.perf_counter()
    report = manage.grade(root, log=lambda *a: None)
    elapsed = time.perf_counter() - start
    yield {
        "root": root,
        "manage": manage,
        "grading": grading,
        "questions": questions,
        "key": key,
        "release_dir": release_dir,
        "builder": builder,
        "report": report,
        "elapsed": elapsed,
        "n_adversarial": n_adversarial,
        "submitted_hashes": submitted_hashes,
        "source_hash": source_hash,
        "empty_csv": empty_csv,
    }
    os.environ["PATH"] = old_path


def question_scores(root: Path, student: str) -> dict[int, float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {n: gb.find_grade(f"q{n}_test", NOTEBOOK, ASSIGNMENT, student).score for n in range(1, 11)}


def feedback_text(root: Path, student: str) -> str:
    raw = (root / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
    body = raw[raw.index("<body") :]
    body = re.sub(r"<(style|script)\b.*?</\1>", "", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- tests


def test_key_is_read_from_the_source_notebook(course):
    assert course["key"] == "".join(bank.answer_key(QUIZZES / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").values())
    assert len(course["questions"]) == 10
    assert all(q.explanation and q.lesson for q in course["questions"])


def test_ordinary_scores(course):
    report = course["report"]
    assert report.max_score == 10
    assert report.scores["alice"] == 10
    assert report.scores["bob"] == 0
    assert report.scores["carol"] == 4
    assert {n for n, s in question_scores(course["root"], "carol").items() if s == 1} == {1, 4, 7, 10}


def test_at_least_twenty_adversarial_cases(course):
    assert course["n_adversarial"] >= 20


def test_every_submission_scores_exactly_its_answers(course):
    report, root = course["report"], course["root"]
    for student, expected in course["builder"].expected.items():
        assert student not in report.failures, (student, report.failures.get(student))
        scores = question_scores(root, student)
        got = {n for n, score in scores.items() if score == 1}
        assert got == expected, student
        assert set(scores.values()) <= {0.0, 1.0}, student
        assert report.scores[student] == len(expected), student


def test_renamed_notebook_is_reported_and_does_not_stop_the_others(course):
    failures = course["report"].failures
    assert set(failures) == {"x33_renamed_notebook"}
    assert "has no autoencoder_quiz.ipynb" in failures["x33_renamed_notebook"]


def test_student_code_is_never_run_and_files_are_untouched(course):
    root = course["root"]
    for path, digest in course["submitted_hashes"].items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    source = root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == course["source_hash"]
    # the endless loop, os._exit and the 10 MB print never ran: their submissions were as fast as the others
    seconds = course["report"].seconds
    assert seconds["x09_endless_loop"] < 10
    graded = json.loads(
        (root / "autograded" / "x02_patch_in_answer_cells" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text()
    )
    answer_sources = [
        c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        for c in graded["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("_answer")
    ]
    assert len(answer_sources) == 10
    # what was executed for these answer cells: the literal letters, nothing of the student's code
    assert all(re.fullmatch(r"q\d+ = '[abcd]'", s) for s in answer_sources), answer_sources
    assert "import" not in json.dumps(answer_sources) and "builtins" not in json.dumps(answer_sources)
    graded = json.loads(
        (root / "autograded" / "x35_assigned_twice_or_conditionally" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text()
    )
    sources = {bank.grade_id(c): bank.cell_source(c) for c in graded["cells"]}
    assert sources["q1_answer"] == f"q1 = None  # {answer_rule.REASON_TWICE}"
    assert sources["q2_answer"] == f"q2 = None  # {answer_rule.REASON_FORM}"
    assert sources["q8_answer"] == f"q8 = None  # {answer_rule.REASON_NOT_LITERAL}"
    assert all(bank.GRADED_ANSWER.fullmatch(s) for g, s in sources.items() if g and g.endswith("_answer"))


def test_grading_reports_a_time_for_every_submission(course):
    """How long grading takes is a benchmark figure (`make bench`, section grading), not a timed test:
    here only that every graded submission has its time and the run as a whole was measured."""
    report = course["report"]
    assert report.seconds and all(0 <= s <= course["elapsed"] for s in report.seconds.values())
    assert set(report.seconds) <= set(report.scores) | set(report.failures)


def test_grades_csv_has_nbgraders_columns_and_every_student_once(course):
    root, report = course["root"], course["report"]
    with open(root / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0].keys()) == CSV_COLUMNS
    ids = [row["student_id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(report.scores)
    for row in rows:
        assert float(row["score"]) == report.scores[row["student_id"]]
        assert float(row["max_score"]) == 10


def test_regrading_is_idempotent(course):
    root, manage, first = course["root"], course["manage"], course["report"]
    again = ["carol", "x13_deleted_test_cells", "x24_corrupt_json"]
    report = manage.grade(root, students=again, log=lambda *a: None)
    assert not report.failures
    for student in again:
        assert report.scores[student] == first.scores[student]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert sorted(s.id for s in gb.students) == sorted(first.scores)
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == len(first.scores)
    with open(root / "grades.csv", newline="") as handle:
        ids = [row["student_id"] for row in csv.DictReader(handle)]
    assert sorted(ids) == sorted(first.scores)


def test_release_has_no_answer_key(course):
    root, manage = course["root"], course["manage"]
    assert manage.scan_for_key(course["release_dir"], root, own_answers_allowed=False) == []
    nb = json.loads((course["release_dir"] / f"{NOTEBOOK}.ipynb").read_text())
    text = json.dumps(nb)
    for question in course["questions"]:
        assert question.explanation[:50] not in text
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        grade_id = cell["metadata"]["nbgrader"]["grade_id"]
        assert "HIDDEN" not in source and "SOLUTION" not in source
        if grade_id.endswith("_answer"):
            var = grade_id[: -len("_answer")]
            assert answer_rule.parse_answer(source, var) == (None, answer_rule.REASON_NONE)
            assert source.strip().endswith(f"{var} = None")
        if grade_id.endswith("_test"):
            assert "==" not in source
    assert sorted(p.name for p in course["release_dir"].iterdir()) == [f"{NOTEBOOK}.ipynb"]


def test_feedback_has_no_answer_key(course):
    root, manage = course["root"], course["manage"]
    assert manage.scan_for_key(root / "feedback", root, own_answers_allowed=True) == []
    right, wrong = feedback_text(root, "alice"), feedback_text(root, "bob")
    assert "q1: correct" in right and "q1: not correct" in wrong
    for question in course["questions"]:
        assert question.explanation[:60] in wrong
        assert question.lesson in wrong
    assert "Traceback" not in wrong and "AssertionError" not in wrong and "assert " not in wrong

    def normalise(text: str) -> str:
        text = re.sub(r"\s*=\s*", "=", text)  # syntax highlighting leaves spaces around '='
        text = re.sub(r"q(\d+)='[a-d]'", r"q\1=ANSWER", text)
        text = re.sub(r"the grader will read '[a-d]'", "the grader will read ANSWER", text)  # their own letter
        text = re.sub(r"(q\d+): (?:not correct|correct)", r"\1: MARK", text)
        return re.sub(r"Score: [0-9.]+", "Score: S", text)

    # The feedback of an all-right and an all-wrong student differ only in the
    # students' own answers and the right/wrong marks: the key cannot be read from it.
    assert normalise(right) == normalise(wrong)


def test_reveal_answers_switch(course, tmp_path):
    root, manage = course["root"], course["manage"]
    api = manage.make_api(root, reveal_answers=True)
    result = api.generate_feedback(ASSIGNMENT, "bob", force=True)
    assert result["success"], result.get("error")
    revealed = feedback_text(root, "bob")
    for n in range(1, len(course["key"]) + 1):
        assert f"q{n}: not correct" in revealed
    assert revealed.count("Correct answer: (") == 10
    assert f"Correct answer: ({course['key'][0]})" in revealed
    # back to the default: no key
    result = manage.make_api(root).generate_feedback(ASSIGNMENT, "bob", force=True)
    assert result["success"]
    assert "Correct answer" not in feedback_text(root, "bob")


def test_source_notebook_validates_and_is_well_formed(course):
    root, manage = course["root"], course["manage"]
    assert manage.check(root) == []


def test_release_fails_every_test_with_validate_invert(course):
    root, manage = course["root"], course["manage"]
    config = manage.load_config(root)
    config.Validator.invert = True
    results = Validator(config=config).validate(str(course["release_dir"] / f"{NOTEBOOK}.ipynb"))
    assert "passed" not in results and "changed" not in results and "type_changed" not in results
    assert results == {}


def test_grade_without_submissions_writes_an_empty_csv(course):
    assert course["empty_csv"] == [",".join(CSV_COLUMNS)]

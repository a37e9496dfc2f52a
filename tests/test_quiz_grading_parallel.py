"""Parallel grading (course_quiz.parallel) and the instructor's bad input (course_quiz.intake), issue 31.

One class is graded by two worker processes into scratch gradebooks merged into the real one;
the same class graded again by one process gives the same scores, question by question.  The
class holds generated students with known scores and every kind of bad input an instructor
meets: a file that is not a notebook, deleted and reordered cells, odd student ids, extra and
duplicate submissions.  Each is graded with a note or rejected with a reason, never lost.
"""

from __future__ import annotations

import copy
import io
import json
import sqlite3
from pathlib import Path

import pytest

from course_quiz import bank, intake, parallel
from course_quiz.bench import copy_course, generated_answers

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = NOTEBOOK = "autoencoder_quiz"
KEY = "".join(bank.answer_key(REPO / "quizzes" / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").values())
N = len(KEY)


# --------------------------------------------------------------------------- no nbgrader needed


@pytest.mark.parametrize("name", ["alice", "josé", "o'brien", "li.wei", "a@uni.edu", "x-1_2", "Ωmega"])
def test_ordinary_and_unicode_ids_are_accepted(name):
    assert intake.id_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a b", "' '"),
        ("alice[1]", "'['"),
        ("*", "'*'"),
        ("who?", "'?'"),
        ("tab\there", "'\\t'"),
        ("-rf", "starts with"),
    ],
)
def test_ids_nbgrader_would_misread_are_rejected_with_a_reason(name, why):
    problem = intake.id_problem(name)
    assert problem and why in problem and "rename" in problem


def test_chunks_cover_every_student_once():
    students = [f"s{i}" for i in range(103)]
    for workers in (1, 2, 3, 8):
        parts = parallel.chunks(students, workers)
        assert [s for part in parts for s in part] == students
        assert all(1 <= len(part) <= 25 for part in parts)
    assert parallel.chunks([], 2) == []


def test_default_workers_grow_with_the_class_up_to_the_cpus():
    assert parallel.default_workers(1) == 1
    assert parallel.default_workers(9) == 1
    assert parallel.default_workers(10_000) == parallel.available_cpus()


def test_progress_without_a_terminal_prints_about_ten_lines():
    stream = io.StringIO()
    bar = parallel.Progress(1000, stream=stream)
    for _ in range(100):
        bar.update(10)
    lines = stream.getvalue().splitlines()
    assert 9 <= len(lines) <= 11
    assert lines[-1].startswith("autograding 1000/1000") and "/min" in lines[-1]


# --------------------------------------------------------------------------- a graded class


def _set_answers(nb: dict, cells: dict[int, str]) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        gid = bank.grade_id(cell) or ""
        if gid.endswith("_answer") and int(gid[1:-7]) in cells:
            cell["source"] = cells[int(gid[1:-7])]
    return nb


def _write(course: Path, student: str, content: bytes | dict, name: str = f"{NOTEBOOK}.ipynb") -> Path:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    (folder / name).write_bytes(data)
    return folder / name


def _question_scores(course: Path, student: str) -> dict[int, float]:
    with sqlite3.connect(course / "gradebook.db") as con:
        rows = con.execute(
            "SELECT bc.name, g.auto_score, g.manual_score FROM grade g JOIN base_cell bc ON g.cell_id = bc.id "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "WHERE sa.student_id = ? AND bc.name LIKE 'q%_test'",
            (student,),
        ).fetchall()
    return {int(name[1:-5]): (manual if manual is not None else auto) for name, auto, manual in rows}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    pytest.importorskip("nbgrader")
    from course_quiz import manage

    course = copy_course(REPO / "quizzes", tmp_path_factory.mktemp("parallel") / "quizzes")
    manage.release(course)
    release = json.loads((course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text())
    right = {q: f"q{q} = '{KEY[q - 1]}'" for q in range(1, N + 1)}
    expected: dict[str, int] = {}
    for i in range(12):
        cells, score = generated_answers(KEY, i)
        _write(course, f"student{i:02d}", _set_answers(release, cells))
        expected[f"student{i:02d}"] = score
    # bad input that is still graded
    _write(course, "not_a_notebook", b"\x89PNG\r\n\x1a\n binary data")
    expected["not_a_notebook"] = 0
    deleted = _set_answers(release, right)
    deleted["cells"] = [c for c in deleted["cells"] if bank.grade_id(c) not in ("q3_answer", "q3_test")]
    _write(course, "cells_deleted", deleted)
    expected["cells_deleted"] = N - 1
    reordered = _set_answers(release, right)
    reordered["cells"] = list(reversed(reordered["cells"]))
    _write(course, "cells_reordered", reordered)
    expected["cells_reordered"] = N
    half = {q: (right[q] if q % 2 else f"q{q} = None") for q in right}
    for name in ("josé", "o'brien"):
        _write(course, name, _set_answers(release, half))
        expected[name] = (N + 1) // 2
    _write(course, "two_files", _set_answers(release, right))
    _write(course, "two_files", _set_answers(release, {}), name=f"{NOTEBOOK} (1).ipynb")
    expected["two_files"] = N
    copied = json.dumps(_set_answers(release, half)).encode()
    for name in ("copier1", "copier2", "Copier1"):
        _write(course, name, copied)
        expected[name] = (N + 1) // 2
    # rejected
    for name in ("a b", "alice[1]"):
        _write(course, name, _set_answers(release, right))
    (course / "submitted" / "renamed" / ASSIGNMENT).mkdir(parents=True)
    _write(course, "renamed", _set_answers(release, right), name="Copy of autoencoder_quiz.ipynb")

    report = manage.grade(course, workers=2, log=lambda *a: None)
    return {"course": course, "report": report, "expected": expected, "manage": manage}


@pytest.mark.slow
def test_two_workers_grade_every_submission_exactly(graded):
    report, expected = graded["report"], graded["expected"]
    assert report.workers == 2 and len(report.worker_peak_mb) == 2
    assert all(50 < mb < 1000 for mb in report.worker_peak_mb.values()), report.worker_peak_mb
    assert {s: report.scores.get(s) for s in expected} == expected
    assert set(report.seconds) == set(expected)
    for student in expected:
        page = graded["course"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
        assert page.is_file(), student


@pytest.mark.slow
def test_bad_input_is_graded_with_a_note_or_rejected_with_a_reason(graded):
    report = graded["report"]
    assert set(report.failures) == {"a b", "alice[1]", "renamed"}
    assert "glob" in report.failures["alice[1]"] and "rename" in report.failures["a b"]
    assert "has no autoencoder_quiz.ipynb" in report.failures["renamed"] and "Copy of" in report.failures["renamed"]
    notes = {s: " | ".join(n) for s, n in report.notes.items()}
    assert "not a notebook" in notes["not_a_notebook"] and "0 points" in notes["not_a_notebook"]
    assert "deleted (q3_answer, q3_test)" in notes["cells_deleted"]
    assert "reordered" in notes["cells_reordered"]
    assert "only autoencoder_quiz.ipynb is graded" in notes["two_files"]
    assert "byte-identical to the submission of" in notes["copier1"] and "copier2" in notes["copier1"]
    assert "'Copier1'" in notes["copier1"] and "'copier1'" in notes["Copier1"]
    assert not any(s.startswith("student") for s in notes)  # ordinary submissions get no note
    scores = _question_scores(graded["course"], "cells_deleted")
    assert scores[3] == 0 and sum(scores.values()) == N - 1


@pytest.mark.slow
def test_gradebook_holds_each_student_once_with_every_grade(graded):
    course, expected = graded["course"], graded["expected"]
    with sqlite3.connect(course / "gradebook.db") as con:
        students = [r[0] for r in con.execute("SELECT student_id FROM submitted_assignment")]
        n_grades = con.execute("SELECT count(*) FROM grade").fetchone()[0]
        n_cells = con.execute("SELECT count(*) FROM grade_cells").fetchone()[0]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every merged row points at an existing parent (nbgrader itself leaves assignment -> course dangling)
        dangling = [r for r in con.execute("PRAGMA foreign_key_check") if r[0] != "assignment"]
        assert dangling == []
    assert sorted(students) == sorted(expected)
    assert n_grades == n_cells * len(expected)
    rows = (course / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == len(expected)
    assert not list(Path(course).glob("**/worker-*.db"))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*not in session:Warning")
def test_one_worker_regrade_gives_the_same_scores_and_keeps_manual_grades(graded):
    from nbgrader.api import Gradebook

    course, manage, expected = graded["course"], graded["manage"], graded["expected"]
    again = ["student00", "student05", "cells_reordered", "josé", "student05"]
    before = {s: _question_scores(course, s) for s in again}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("q2_test", NOTEBOOK, ASSIGNMENT, "student05")
        grade.manual_score = 0.5  # an instructor's manual override survives a regrade, as with nbgrader --force
        gb.db.commit()
    report = manage.grade(course, students=again, workers=1, log=lambda *a: None)
    assert report.workers == 1 and not report.failures
    assert set(report.seconds) == set(again)  # student05 named twice, graded once
    for student in set(again):
        scores = _question_scores(course, student)
        if student == "student05":
            assert scores.pop(2) == 0.5
            before[student].pop(2)
        assert scores == before[student], student
    assert report.scores["josé"] == expected["josé"] and report.scores["student00"] == expected["student00"]
    with sqlite3.connect(course / "gradebook.db") as con:
        assert con.execute("SELECT count(*) FROM submitted_assignment").fetchone()[0] == len(expected)


@pytest.mark.slow
def test_command_line_prints_notes_and_rejects_zero_workers(graded, capsys):
    course, manage = graded["course"], graded["manage"]
    with pytest.raises(SystemExit):
        manage.main(["grade", "--course-dir", str(course), "--workers", "0"])
    stats = course / "stats.json"
    code = manage.main(
        ["grade", "--course-dir", str(course), "--student", "cells_deleted", "--student", "a b", "--stats", str(stats)]
    )
    out = capsys.readouterr().out
    assert code == 1  # 'a b' is rejected
    assert "NOTE cells_deleted: 2 cell(s) of the quiz deleted" in out
    assert f"{N - 1:g} / {N:g}" in out and "FAILED" in out
    data = json.loads(stats.read_text())
    assert data["graded"] == 1 and data["failures"] == 1 and data["workers"] == 1


def test_merge_refuses_a_gradebook_of_another_course(tmp_path):
    main, other = tmp_path / "main.db", tmp_path / "other.db"
    for path, aid in ((main, "a1"), (other, "a2")):
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE assignment (id TEXT, name TEXT)")
            con.execute("INSERT INTO assignment VALUES (?, ?)", (aid, ASSIGNMENT))
            for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment"):
                con.execute(f"CREATE TABLE {table} (id TEXT, assignment_id TEXT, student_id TEXT, notebook_id TEXT)")
    with pytest.raises(RuntimeError, match="not a copy"):
        parallel.merge_gradebook(main, other, ["alice"])
    assert parallel.merge_gradebook(main, other, []) == 0

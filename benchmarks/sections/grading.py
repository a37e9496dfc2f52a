"""Section 4 -- grading throughput: ``quizzes/manage.py grade`` on generated submissions in a
temporary copy of ``quizzes/``, and whether every submission gets exactly its expected score."""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from ..report import check, column, log, rounded, table
from ..settings import GRADING_GOAL_SECONDS, ROOT, Settings

_QUIZ_STATE = {
    "gradebook.db",
    "release",
    "submitted",
    "autograded",
    "feedback",
    "grades.csv",
    ".nbgrader.log",
    "__pycache__",
}


def _load_module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def quiz_key(course_dir: Path, manage: Any) -> str:
    """The correct letters q1..qN, read from the source notebook with the course's own parser
    (``manage`` is the course directory's ``manage.py`` module)."""
    grading = manage.grading_module(course_dir)
    nb = nbformat.read(course_dir / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb", as_version=4)
    questions = grading.read_question_bank(nb)
    key = "".join(q.key or "?" for q in questions)
    if "?" in key or not key:
        raise ValueError(f"could not read the answer key from the source notebook (got {key!r})")
    return key


def mixed_answers(key: str, student: int) -> tuple[dict[int, str], int]:
    """Answer cells for one generated student and the score they must get.

    Student 0 answers everything right, student 1 everything wrong; the others mix right answers
    (some in upper case or with spaces, which count), wrong letters, invalid answers and blanks.
    """
    rng = random.Random(student)
    cells, score = {}, 0
    for q, letter in enumerate(key, start=1):
        wrong = "abcd"[("abcd".index(letter) + rng.randint(1, 3)) % 4]
        r = 0.0 if student == 0 else 0.7 if student == 1 else rng.random()
        if r < 0.55:
            shown = rng.choice([letter, letter.upper(), f" {letter} "])
            cells[q], score = f"q{q} = '{shown}'", score + 1
        elif r < 0.85:
            cells[q] = f"q{q} = '{wrong}'"
        elif r < 0.93:
            cells[q] = f"q{q} = '{rng.choice(['e', '', 'ab'])}'"
        else:
            cells[q] = f"q{q} = None"
    return cells, score


def write_submissions(course_dir: Path, release_nb: dict[str, Any], key: str, n: int) -> dict[str, int]:
    """``n`` submitted notebooks under ``course_dir/submitted/``; returns the expected score of each student."""
    expected = {}
    for i in range(n):
        student = f"student{i:03d}"
        cells, score = mixed_answers(key, i)
        nb = copy.deepcopy(release_nb)
        for cell in nb["cells"]:
            match = re.fullmatch(r"q(\d+)_answer", cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
            if match and int(match.group(1)) in cells:
                cell["source"] = cells[int(match.group(1))]
        folder = course_dir / "submitted" / student / "autoencoder_quiz"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "autoencoder_quiz.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        expected[student] = score
    return expected


def run(s: Settings) -> dict[str, Any]:
    """Section 4: release the quiz, generate submissions, time `manage.py grade` on them and check every score."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    with tempfile.TemporaryDirectory(prefix="bench-quiz-") as tmp:
        course = Path(tmp) / "quizzes"
        shutil.copytree(ROOT / "quizzes", course, ignore=lambda d, names: [n for n in names if n in _QUIZ_STATE])
        log("grading: release ...")
        start = time.perf_counter()
        manage = _load_module("bench_quiz_manage", course / "manage.py")
        manage.release(course)
        release_s = time.perf_counter() - start
        release_nb = json.loads((course / "release" / "autoencoder_quiz" / "autoencoder_quiz.ipynb").read_text())
        key = quiz_key(course, manage)
        expected = write_submissions(course, release_nb, key, s.n_submissions)
        log(f"grading: {s.n_submissions} submissions ...")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(ROOT / "quizzes" / "manage.py"), "grade", "--course-dir", str(course)],
            env=env,
            capture_output=True,
            text=True,
        )
        grade_s = time.perf_counter() - start
        csv_path = course / "grades.csv"
        if not csv_path.is_file():
            raise RuntimeError(
                f"manage.py grade wrote no grades.csv (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-2000:]}"
            )
        with csv_path.open(newline="") as fh:
            got = {row["student_id"]: float(row["raw_score"] or 0) for row in csv.DictReader(fh)}
    correct = sum(1 for st, sc in expected.items() if got.get(st) == sc)
    per = grade_s / s.n_submissions
    projected = grade_s if s.n_submissions >= 100 else grade_s / s.n_submissions * 100
    rows = [
        {"what": "release (generate_assignment + key scan)", "value": f"{release_s:.1f} s"},
        {
            "what": f"`manage.py grade` on {s.n_submissions} submissions (autograde + feedback + CSV)",
            "value": f"{grade_s:.1f} s (exit {proc.returncode})",
        },
        {"what": "seconds per submission", "value": f"{per:.2f} s"},
        {"what": "scores equal to the expected score", "value": f"{correct} / {s.n_submissions}"},
    ]
    if s.n_submissions < 100:
        rows.append(
            {
                "what": "linear upper bound for 100 (includes the fixed start-up cost 100/n times)",
                "value": f"{projected:.0f} s",
            }
        )
    t = table(
        "Grading generated submissions in a temporary copy of quizzes/",
        [column("what", "Quantity"), column("value", "Value")],
        rows,
        note="Mixed answers: right letters (some upper-case or padded with spaces), wrong letters, "
        "invalid strings and blanks; each student's expected score is computed from the key.",
    )
    measured = (
        f"{grade_s:.0f} s for {s.n_submissions}"
        if s.n_submissions >= 100
        else f"not measured: {s.n_submissions} graded in {grade_s:.1f} s (the goal needs 100; "
        f"linear upper bound {projected:.0f} s)"
    )
    checks = [
        check(
            f"100 submissions graded in <= {GRADING_GOAL_SECONDS:.0f} s",
            measured,
            grade_s <= GRADING_GOAL_SECONDS if s.n_submissions >= 100 else None,
        ),
        check(
            "every generated submission gets exactly its expected score",
            f"{correct} / {s.n_submissions}",
            correct == s.n_submissions and proc.returncode == 0,
        ),
    ]
    return {
        "checks": checks,
        "tables": [t],
        "notes": [],
        "summary": f"{s.n_submissions} submissions graded in {grade_s:.0f} s ({per:.2f} s each); "
        f"{correct}/{s.n_submissions} scores as expected",
        "data": {
            "grade_seconds": rounded(grade_s, 2),
            "release_seconds": rounded(release_s, 2),
            "per_submission": rounded(per),
            "n": s.n_submissions,
            "scores_correct": correct,
            "projected_100": rounded(projected, 1),
            "returncode": proc.returncode,
        },
    }

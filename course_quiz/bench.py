"""Grading throughput on generated submissions (called by the benchmark's grading section).

:func:`grade_generated` copies the quiz course folder into a work folder, releases the quiz,
writes ``n`` generated submissions whose expected scores are known, runs ``manage.py grade`` (nbgrader
autograde + feedback + CSV, in a subprocess as an instructor would) and the item analysis, and
returns timings and correctness.  The key is read from the source notebook with the course's own
parser, so a private copy with other questions measures just as well.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import bank
from .bank import ASSIGNMENT, NOTEBOOK
from .manage import DEFAULT_COURSE_DIR

#: nbgrader's working state, never copied from the instructor's folder.
STATE = {
    "gradebook.db",
    "release",
    "submitted",
    "autograded",
    "feedback",
    "grades.csv",
    ".nbgrader.log",
    "__pycache__",
    "item_analysis.csv",
    "item_analysis_summary.csv",
    "item_analysis.png",
}

#: Extra lines that the grader ignores (they neither run nor cost the point).
HARMLESS_EXTRAS = (
    "print('done')\n",
    "import this\n",
    "import sys\nsys.stderr.write('checked')\n",
    "# my reasoning: see lesson 01\n",
)


def copy_course(course_dir: Path, dest: Path) -> Path:
    """A copy of an nbgrader course folder without its working state."""
    shutil.copytree(course_dir, dest, ignore=lambda d, names: [n for n in names if n in STATE])
    return dest


def generated_answers(key: str, student: int) -> tuple[dict[int, str], int]:
    """Answer cells for one generated student and the score they must get.

    Student 0 answers everything right, student 1 everything wrong; the others mix right
    answers (some in upper case, padded with spaces or next to a harmless extra line, which all
    count), wrong letters, invalid answers, answers assigned twice (0) and blanks.
    """
    rng = random.Random(student)
    cells, score = {}, 0
    for q, letter in enumerate(key, start=1):
        wrong = "abcd"[("abcd".index(letter) + rng.randint(1, 3)) % 4]
        r = 0.0 if student == 0 else 0.7 if student == 1 else rng.random()
        if r < 0.55:
            shown = rng.choice([letter, letter.upper(), f" {letter} "])
            extra = rng.choice(("",) * 3 + HARMLESS_EXTRAS)
            cells[q], score = f"{extra}q{q} = '{shown}'", score + 1
        elif r < 0.85:
            cells[q] = f"q{q} = '{wrong}'"
        elif r < 0.90:
            cells[q] = f"q{q} = '{rng.choice(['e', '', 'ab'])}'"
        elif r < 0.93:
            cells[q] = f"q{q} = '{wrong}'\nq{q} = '{letter}'"  # assigned twice: 0
        else:
            cells[q] = f"q{q} = None"
    return cells, score


def write_submissions(course_dir: Path, release_nb: dict[str, Any], key: str, n: int) -> dict[str, int]:
    """``n`` submitted notebooks under ``course_dir/submitted/``; returns each student's expected score."""
    expected = {}
    for i in range(n):
        student = f"student{i:04d}"
        cells, score = generated_answers(key, i)
        nb = copy.deepcopy(release_nb)
        for cell in nb["cells"]:
            match = re.fullmatch(r"q(\d+)_answer", bank.grade_id(cell) or "")
            if match and int(match.group(1)) in cells:
                cell["source"] = cells[int(match.group(1))]
        folder = course_dir / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{NOTEBOOK}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        expected[student] = score
    return expected


def simulate_class(key: dict[str, str], n: int, seed: int = 0) -> dict[str, dict[str, str]]:
    """A generated class with known item statistics: ``responses[student][question]``.

    Each answer is ``'a'``-``'d'``, ``'invalid'`` or ``'blank'``.  Students have an ability
    ``theta ~ N(0, 1)``; by default a question is answered right with probability
    ``1 / (1 + exp(-1.7 (theta - b)))`` (difficulty ``b`` from -1.5 to 1.5), a wrong answer picks
    a distractor (the last one half as often), and 3 % of answers are invalid or blank.  The
    first three questions are special: the 1st is answered right by everyone, the 2nd by coin
    flips between the key and one distractor, the 3rd right by everyone except the strongest
    30 %, who all choose the same distractor (negative discrimination).
    """
    import math

    rng = random.Random(seed)
    questions = list(key)
    thetas = sorted(rng.gauss(0, 1) for _ in range(n))
    strong = thetas[int(0.7 * n)] if n else 0.0
    responses: dict[str, dict[str, str]] = {}
    for i, theta in enumerate(rng.sample(thetas, n)):
        answers = {}
        for j, q in enumerate(questions):
            right = key[q]
            distractors = [c for c in "abcd" if c != right]
            if j == 0:
                answers[q] = right
            elif j == 1:
                answers[q] = right if rng.random() < 0.5 else distractors[0]
            elif j == 2:
                answers[q] = distractors[1] if theta >= strong else right
            else:
                b = -1.5 + 3.0 * (j - 3) / max(1, len(questions) - 4)
                u = rng.random()
                if u < 0.015:
                    answers[q] = "invalid"
                elif u < 0.03:
                    answers[q] = "blank"
                elif rng.random() < 1 / (1 + math.exp(-1.7 * (theta - b))):
                    answers[q] = right
                else:
                    answers[q] = rng.choices(distractors, weights=[2, 2, 1])[0]
        responses[f"student{i:04d}"] = answers
    return responses


def answer_cell_for(question: str, response: str) -> str:
    """The answer cell a student with this response writes (``invalid`` -> ``'e'``, ``blank`` -> None)."""
    if response == "blank":
        return f"{question} = None"
    if response == "invalid":
        return f"{question} = 'e'"
    return f"{question} = '{response}'"


def write_class(course_dir: Path, release_nb: dict[str, Any], responses: dict[str, dict[str, str]]) -> None:
    """Write the submissions of :func:`simulate_class` under ``course_dir/submitted/``."""
    for student, answers in responses.items():
        nb = copy.deepcopy(release_nb)
        for cell in nb["cells"]:
            gid = bank.grade_id(cell) or ""
            if gid.endswith(bank.ANSWER_SUFFIX) and gid[: -len(bank.ANSWER_SUFFIX)] in answers:
                q = gid[: -len(bank.ANSWER_SUFFIX)]
                cell["source"] = answer_cell_for(q, answers[q])
        folder = course_dir / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{NOTEBOOK}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (and theirs)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def grade_generated(
    n: int,
    workdir: str | Path,
    *,
    course_dir: str | Path | None = None,
    report: bool = True,
    timeout: float | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Grade ``n`` generated submissions in ``workdir``; return timings and correctness.

    Returns a dict with ``n``, ``release_seconds`` (generate_assignment + key scan),
    ``grade_seconds`` (``manage.py grade``: autograde + feedback + CSV, in a subprocess),
    ``per_submission``, ``grade_cpu_seconds`` (CPU time of the grading processes and
    their workers: about the wall time times the workers on an idle machine), ``correct`` (scores
    equal to the expected score), ``all_correct``,
    ``returncode``, ``report_seconds`` (item analysis, if ``report``), ``load_before`` /
    ``load_after`` (1/5/15-minute load averages), ``cpus`` and ``course_dir`` (the copy),
    ``workers`` (grading processes: ``workers`` if given, else ``manage.py grade``'s default),
    ``per_minute`` (submissions graded per minute of wall time) and ``worker_peak_mb`` (peak
    resident memory of each grading worker, MB).
    """
    from .manage import release

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    course = copy_course(Path(course_dir) if course_dir else DEFAULT_COURSE_DIR, workdir / "quizzes")
    load_before = _load()
    start = time.perf_counter()
    release(course)
    release_s = time.perf_counter() - start
    release_nb = json.loads((course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8"))
    key = "".join(bank.answer_key(bank.source_notebook_path(course)).values())
    expected = write_submissions(course, release_nb, key, n)

    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    cpu_before = _children_cpu()
    start = time.perf_counter()
    stats_path = workdir / "grade-stats.json"
    command = [
        sys.executable,
        str(course / "manage.py"),
        "grade",
        "--course-dir",
        str(course),
        "--stats",
        str(stats_path),
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    proc = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    grade_s = time.perf_counter() - start
    grade_cpu = _children_cpu() - cpu_before
    got: dict[str, float] = {}
    csv_path = course / "grades.csv"
    if csv_path.is_file():
        with csv_path.open(newline="") as handle:
            got = {row["student_id"]: float(row["raw_score"] or 0) for row in csv.DictReader(handle)}
    correct = sum(1 for student, score in expected.items() if got.get(student) == score)
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else {}
    result: dict[str, Any] = {
        "n": n,
        "release_seconds": round(release_s, 2),
        "grade_seconds": round(grade_s, 2),
        "per_submission": round(grade_s / n, 3) if n else None,
        "correct": correct,
        "grade_cpu_seconds": round(grade_cpu, 2),
        "all_correct": correct == n and proc.returncode == 0,
        "returncode": proc.returncode,
        "workers": stats.get("workers", workers),
        "per_minute": round(60 * n / grade_s, 1) if grade_s else None,
        "worker_peak_mb": stats.get("worker_peak_mb", []),
        "load_before": load_before,
        "cpus": os.cpu_count(),
        "course_dir": str(course),
        "output_tail": (proc.stdout + proc.stderr)[-2000:] if proc.returncode else "",
    }
    if report:
        from .report import write_report

        start = time.perf_counter()
        item_report = write_report(course)
        result["report_seconds"] = round(time.perf_counter() - start, 2)
        result["kr20"] = item_report.quiz.kr20
    result["load_after"] = _load()
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m course_quiz.bench [N] [WORKDIR] [--workers W] [--no-report]``: prints the JSON summary."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Grade N generated submissions and print timings as JSON.")
    parser.add_argument("n", type=int, nargs="?", default=100, help="submissions (default: %(default)s)")
    parser.add_argument(
        "workdir", type=Path, nargs="?", default=None, help="work folder (default: a new temporary one)"
    )
    parser.add_argument("--workers", type=int, default=None, help="grading processes (default: manage.py grade's)")
    parser.add_argument("--no-report", action="store_true", help="skip the item analysis")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    where = args.workdir or Path(tempfile.mkdtemp(prefix="quiz-bench-"))
    result = grade_generated(args.n, where, workers=args.workers, report=not args.no_report)
    print(json.dumps(result, indent=1))
    return 0 if result["all_correct"] else 1


if __name__ == "__main__":  # python -m course_quiz.bench N WORKDIR [--workers W]
    sys.exit(main())

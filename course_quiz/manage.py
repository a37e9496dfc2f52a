"""Instructor commands for the autoencoder quiz (an nbgrader course directory such as ``quizzes/``).

``quizzes/manage.py`` calls :func:`main` with its own folder as the default course directory::

    python quizzes/manage.py release      # student version -> quizzes/release/ (checked for the key)
    python quizzes/manage.py grade        # autograde + feedback + quizzes/grades.csv
    python quizzes/manage.py grade --reveal-answers   # after the quiz has closed
    python quizzes/manage.py report       # item analysis -> quizzes/item_analysis.csv / .png
    python quizzes/manage.py check        # lint + validate the source notebook
    python quizzes/manage.py sync         # copy course_quiz/answer_rule.py into the setup cell

Every command accepts ``--course-dir DIR``.  ``report``, ``check``'s lint and ``sync`` need no
nbgrader; ``release``, ``grade`` and ``check``'s validation import it when they run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from . import bank
from .bank import ASSIGNMENT, NOTEBOOK, source_notebook_path

#: The course's own quiz folder when course_quiz is used from a clone of the repository.
DEFAULT_COURSE_DIR = Path(__file__).resolve().parents[1] / "quizzes"

# Text that must never appear in anything a student receives.
_LEAK_MARKERS = (
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN SOLUTION",
    "END SOLUTION",
    ".strip().lower() ==",
    "Correct answer:",
)


@dataclass
class GradeReport:
    """What ``grade`` did: per-student scores and timings, failures, output paths."""

    scores: dict[str, float] = field(default_factory=dict)
    max_score: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    csv_path: Path | None = None
    feedback_dir: Path | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)  # graded, but something was odd
    workers: int = 1
    worker_peak_mb: dict[int, float] = field(default_factory=dict)


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` (and jupyter kernels) from PATH: use this interpreter's bin/."""
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bin_dir not in parts:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *parts])


def load_config(course_dir: Path, *, reveal_answers: bool = False):
    """The traitlets Config of ``course_dir/nbgrader_config.py`` (root forced to course_dir)."""
    from traitlets.config.loader import PyFileConfigLoader

    config_file = Path(course_dir) / "nbgrader_config.py"
    if not config_file.is_file():
        raise FileNotFoundError(f"expected an nbgrader course directory with nbgrader_config.py: {course_dir}")
    config = PyFileConfigLoader(config_file.name, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    config.QuizFeedback.reveal_answers = bool(reveal_answers)
    return config


def grading_module(course_dir: Path | None = None) -> ModuleType:
    """The nbgrader plug-ins module (:mod:`course_quiz.nbgrader_plugins`); ``course_dir`` is ignored.

    Kept for callers written when the plug-ins were loaded from the course folder by path.
    """
    from . import nbgrader_plugins

    return nbgrader_plugins


def make_api(course_dir: Path, *, reveal_answers: bool = False):
    """An ``nbgrader.apps.NbGraderAPI`` for ``course_dir`` with its quiz configuration."""
    ensure_tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_dir, reveal_answers=reveal_answers)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def source_notebook(course_dir: Path) -> Path:
    return source_notebook_path(course_dir)


def scan_for_key(directory: Path, course_dir: Path, *, own_answers_allowed: bool) -> list[str]:
    """Places in ``directory`` that would give away the answer key.

    Looks for the hidden-test and solution markers, the hidden check itself, the "Correct
    answer" line of ``--reveal-answers``, and -- when ``own_answers_allowed`` is False (the
    release) -- any assignment of a correct letter to its variable or an explanation.  Feedback
    may contain ``qN = '<letter>'`` because that is the student's own answer.
    """
    questions = bank.read_question_bank(source_notebook(course_dir))
    problems = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in _LEAK_MARKERS:
            if marker in text:
                problems.append(f"{path}: contains {marker!r}")
        if not own_answers_allowed:
            for question in questions:
                pattern = rf"{re.escape(question.variable)}\s*=\s*\\?['\"]{question.key}\\?['\"]"
                if re.search(pattern, text):
                    problems.append(f"{path}: assigns the correct letter to {question.variable}")
                if question.explanation and question.explanation[:60] in text:
                    problems.append(f"{path}: contains the explanation of {question.variable}")
    return problems


def release(course_dir: Path = DEFAULT_COURSE_DIR) -> Path:
    """Generate the student version into ``course_dir/release/`` and check it holds no key."""
    api = make_api(course_dir)
    result = api.generate_assignment(ASSIGNMENT, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{result.get('error') or result.get('log')}")
    release_dir = Path(api.coursedir.format_path(api.coursedir.release_directory, ".", ASSIGNMENT))
    problems = scan_for_key(release_dir, course_dir, own_answers_allowed=False)
    if problems:
        raise RuntimeError("the release would leak the answer key:\n" + "\n".join(problems))
    return release_dir


def submitted_students(course_dir: Path) -> list[str]:
    """Student ids that have a ``submitted/<id>/autoencoder_quiz/`` folder."""
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.parent.name for p in submitted.glob(f"*/{ASSIGNMENT}") if p.is_dir())


def grade(
    course_dir: Path = DEFAULT_COURSE_DIR,
    *,
    reveal_answers: bool = False,
    students: list[str] | None = None,
    log=print,
    workers: int | None = None,
    progress: bool = False,
) -> GradeReport:
    """Autograde every submission, generate feedback and write ``grades.csv``.

    Re-running it gives the same scores: each submission is re-graded from scratch
    (``--force``) and each student appears once in the gradebook and the CSV.  Submissions are
    checked first (:mod:`course_quiz.intake`: rejected ones are failures with a reason, odd ones
    get notes) and graded by ``workers`` processes (:mod:`course_quiz.parallel`; default: one
    per CPU, fewer for small classes); ``progress`` draws a progress bar on stderr.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.plugins.export import CsvExportPlugin

    from . import intake, parallel

    api = make_api(course_dir, reveal_answers=reveal_answers)
    report = GradeReport()

    # Keep the gradebook in step with source/ (creates it on a fresh clone).
    result = api.generate_assignment(ASSIGNMENT, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{result.get('error') or result.get('log')}")

    checked = intake.inspect_submissions(Path(course_dir), students)
    report.notes = checked.notes
    for student, reason in checked.rejected.items():
        report.failures[student] = reason
        log(f"autograde SKIPPED for {student}: {reason}")
    ids = list(checked.to_grade) + list(checked.rejected)

    bar = parallel.Progress(len(checked.to_grade)).update if progress else None
    pool = parallel.autograde_all(api, checked.to_grade, workers=workers, reveal_answers=reveal_answers, progress=bar)
    report.seconds.update(pool.seconds)
    report.workers, report.worker_peak_mb = pool.workers, pool.peak_rss_mb
    for student, error in pool.failures.items():
        report.failures[student] = error
        log(f"{'feedback' if error.startswith('feedback: ') else 'autograde'} FAILED for {student}:\n{error}")
    report.feedback_dir = Path(api.coursedir.root) / api.coursedir.feedback_directory

    report.csv_path = Path(api.coursedir.root) / "grades.csv"
    with Gradebook(api.coursedir.db_url) as gradebook:
        exporter = CsvExportPlugin(to=str(report.csv_path))
        exporter.export(gradebook)
        assignment = gradebook.find_assignment(ASSIGNMENT)
        report.max_score = float(assignment.max_score)
        for student in ids:
            try:
                report.scores[student] = float(gradebook.find_submission(ASSIGNMENT, student).score)
            except MissingEntry:
                continue
    return report


def check(course_dir: Path = DEFAULT_COURSE_DIR, *, validate: bool = True) -> list[str]:
    """Problems with the source notebook: structure, and (``validate``) whether its solutions pass."""
    path = source_notebook(course_dir)
    problems = bank.check_source(bank.read_notebook(path))
    if validate:
        from nbgrader.validator import Validator

        ensure_tools_on_path()
        results = Validator(config=load_config(course_dir)).validate(str(path))
        for kind in ("type_changed", "changed", "failed"):
            for item in results.get(kind, []):
                problems.append(f"nbgrader validate: {kind} cell: {item['source'][:80]!r}")
    return problems


def sync(course_dir: Path = DEFAULT_COURSE_DIR) -> bool:
    """Write ``course_quiz/answer_rule.py`` into the source notebook's setup cell; True if it changed."""
    path = source_notebook(course_dir)
    nb = bank.read_notebook(path)
    wanted = bank.setup_cell_source()
    for cell in nb["cells"]:
        if bank.grade_id(cell) == bank.SETUP_ID:
            if bank.cell_source(cell) == wanted:
                return False
            cell["source"] = wanted.splitlines(keepends=True)  # the layout nbformat writes
            cell["outputs"], cell["execution_count"] = [], None
            path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            return True
    raise ValueError(f"{path} has no cell with grade_id '{bank.SETUP_ID}'")


def main(argv: list[str] | None = None, *, default_course_dir: Path = DEFAULT_COURSE_DIR) -> int:
    parser = argparse.ArgumentParser(description="Release, grade and analyse the autoencoder quiz (nbgrader).")
    parser.add_argument("command", choices=["release", "grade", "report", "check", "sync"])
    parser.add_argument(
        "--course-dir", type=Path, default=default_course_dir, help="nbgrader course directory (default: %(default)s)"
    )
    parser.add_argument(
        "--reveal-answers",
        action="store_true",
        help="grade: also show the correct letters in the feedback (after the quiz closed)",
    )
    parser.add_argument("--student", action="append", default=None, help="grade: only this student id (repeatable)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="grade: processes grading at once (default: one per CPU, fewer for small classes)",
    )
    parser.add_argument(
        "--stats", type=Path, default=None, help="grade: also write timings and worker memory to this JSON file"
    )
    args = parser.parse_args(argv)
    course_dir = args.course_dir.resolve()
    # nbgrader's gradebook triggers harmless SQLAlchemy "not in session" warnings.
    warnings.filterwarnings("ignore", message=".*not in session.*")

    if args.command == "release":
        release_dir = release(course_dir)
        print(f"Student version written to {release_dir} (no answer key found in it).")
        print("Give students that folder, or run `nbgrader release_assignment autoencoder_quiz` for JupyterHub.")
        return 0

    if args.command == "check":
        problems = check(course_dir)
        for problem in problems:
            print("PROBLEM:", problem)
        print("Source notebook OK." if not problems else f"{len(problems)} problem(s).")
        return 0 if not problems else 1

    if args.command == "sync":
        changed = sync(course_dir)
        print("Setup cell updated from course_quiz/answer_rule.py." if changed else "Setup cell already up to date.")
        return 0

    if args.command == "report":
        from . import report as item_report

        result = item_report.write_report(course_dir)
        print(item_report.format_summary(result))
        return 0 if result.n_students else 1

    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    started = time.perf_counter()
    report = grade(
        course_dir, reveal_answers=args.reveal_answers, students=args.student, workers=args.workers, progress=True
    )
    if not report.seconds and not report.failures:
        print(f"No submissions found in {course_dir / 'submitted'}/<student>/{ASSIGNMENT}/.")
    for student in sorted(set(report.seconds) | set(report.failures)):
        score = report.scores.get(student)
        shown = "FAILED" if student in report.failures else f"{score:g} / {report.max_score:g}"
        took = f"({report.seconds[student]:.1f} s)" if student in report.seconds else ""
        print(f"{student:<30} {shown:>12}   {took}")
    for student in sorted(report.notes):
        for note in report.notes[student]:
            print(f"NOTE {student}: {note}")
    if report.seconds:
        mean = sum(report.seconds.values()) / len(report.seconds)
        print(f"Graded {len(report.seconds)} submission(s), {mean:.2f} s each on average.")
        print(
            f"Feedback: {report.feedback_dir}/<student>/{ASSIGNMENT}/{NOTEBOOK}.html"
            + (" (answers revealed)" if args.reveal_answers else "")
        )
        print(f"Item analysis: python {Path(course_dir) / 'manage.py'} report  (or make quiz-report)")
    print(f"Grades: {report.csv_path}")
    if args.stats:
        stats = {
            "workers": report.workers,
            "seconds": round(time.perf_counter() - started, 3),
            "graded": len(report.seconds),
            "failures": len(report.failures),
            "worker_peak_mb": sorted(round(mb, 1) for mb in report.worker_peak_mb.values()),
        }
        args.stats.write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    return 1 if report.failures else 0

"""Look at the submissions before grading: every odd one is graded with a note or rejected with a reason.

:func:`inspect_submissions` runs in ``manage.py grade`` before autograding (standard library only,
nothing is executed).  Nothing is silently lost:

* **rejected** (listed as a failure, the others are graded, ``grade`` exits 1): a student folder
  without ``autoencoder_quiz.ipynb``, a student id that nbgrader would misread (whitespace, the
  glob characters ``* ? [ ]``, a leading ``.`` or ``-``, control characters), a student named
  twice in ``--student``... (once is enough: repeats are dropped);
* **graded, with a note**: a file that is not a notebook (graded as an empty notebook: 0
  points), deleted or reordered cells (the grader rebuilds the notebook from the source and
  reads the answers by grade id), extra notebooks in the folder (only ``autoencoder_quiz.ipynb``
  is graded), two student ids that differ only in case or Unicode form, and byte-identical
  submissions from different students.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import bank
from .bank import ANSWER_SUFFIX, ASSIGNMENT, NOTEBOOK

#: Characters nbgrader cannot take in a student id: it globs ids (``* ? [ ]``) and strips whitespace.
_BAD_ID = re.compile(r"[\s*?\[\]\\/]|[\x00-\x1f\x7f]")


@dataclass
class Intake:
    """The students to grade, those rejected (with the reason) and notes on the graded ones."""

    to_grade: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, student: str, text: str) -> None:
        self.notes.setdefault(student, []).append(text)


def id_problem(student: str) -> str | None:
    """Why nbgrader cannot grade a student folder of this name, or None."""
    if not student:
        return "empty student id"
    if _BAD_ID.search(student):
        bad = sorted({c for c in student if _BAD_ID.match(c)})
        shown = ", ".join(repr(c) for c in bad)
        return (
            f"student id {student!r} contains {shown}: nbgrader treats ids as glob patterns and strips "
            f"whitespace, so it would grade the wrong folder or none; rename the folder "
            f"(e.g. {re.sub(_BAD_ID, '_', student)!r}) and grade again"
        )
    if student[0] in ".-":
        return f"student id {student!r} starts with {student[0]!r} (a hidden folder or a command-line option); rename the folder"
    return None


def _structure_notes(nb: dict, source_ids: list[str]) -> list[str]:
    """Deleted, reordered or duplicated graded cells of a submission (by nbgrader grade id)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    ids = [bank.grade_id(c) for c in cells] if isinstance(cells, list) else []
    ids = [i for i in ids if i in set(source_ids)]
    notes = []
    missing = [i for i in source_ids if i not in ids]
    if missing:
        answers = [i for i in missing if i.endswith(ANSWER_SUFFIX)]
        notes.append(
            f"{len(missing)} cell(s) of the quiz deleted ({', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}): "
            "graded from the source notebook"
            + (
                "; the answers of deleted answer cells are read from other cells assigning them, if any"
                if answers
                else ""
            )
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        notes.append(f"cell(s) duplicated ({', '.join(repeated[:6])}): the last well-formed answer counts")
    seen = list(dict.fromkeys(ids))
    if seen != [i for i in source_ids if i in seen]:
        notes.append("cells reordered: graded by their grade ids, the order of the source notebook restored")
    return notes


def _read(path: Path, max_bytes: int = 50_000_000) -> tuple[dict | None, str | None]:
    """The submission as a dict, or None and why it is not a notebook (the grader's tolerant reader agrees)."""
    try:
        if path.stat().st_size > max_bytes:
            return None, f"larger than {max_bytes // 1_000_000} MB"
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        return None, f"unreadable ({error.strerror})"
    except Exception as error:  # noqa: BLE001 - broken JSON, binary, nesting too deep: all "not a notebook"
        return None, f"not a notebook ({type(error).__name__}: {str(error)[:80]})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not a notebook (no list of cells)"
    return nb, None


def inspect_submissions(course_dir: Path, students: list[str] | None) -> Intake:
    """Check ``submitted/<student>/autoencoder_quiz/`` for every student (all folders if None)."""
    course_dir = Path(course_dir)
    submitted = course_dir / "submitted"
    intake = Intake()
    if students is None:
        names = sorted(p.parent.name for p in submitted.glob(f"*/{ASSIGNMENT}") if p.is_dir())
    else:
        names = list(dict.fromkeys(students))  # a student named twice is graded once
    source_nb = bank.read_notebook(bank.source_notebook_path(course_dir))
    source_ids = [i for i in (bank.grade_id(c) for c in source_nb["cells"]) if i]
    release = course_dir / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    release_hash = hashlib.sha256(release.read_bytes()).hexdigest() if release.is_file() else None
    hashes: dict[str, list[str]] = {}
    folded: dict[str, list[str]] = {}
    for student in names:
        problem = id_problem(student)
        folder = submitted / student / ASSIGNMENT
        notebook = folder / f"{NOTEBOOK}.ipynb"
        if problem is None and not notebook.is_file():
            found = sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []
            problem = (
                f"{folder} has no {NOTEBOOK}.ipynb (found: {', '.join(found) or 'nothing'}); "
                f"copy the student's notebook to that name and grade again"
            )
        if problem:
            intake.rejected[student] = problem
            continue
        intake.to_grade.append(student)
        others = sorted(p.name for p in folder.glob("*.ipynb") if p.name != notebook.name)
        if others:
            intake.note(student, f"also submitted {', '.join(others)}: only {notebook.name} is graded")
        nb, why = _read(notebook)
        if why:
            intake.note(student, f"{notebook.name} is {why}: graded as an empty notebook, 0 points")
        else:
            intake.notes.setdefault(student, []).extend(_structure_notes(nb, source_ids))
        digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
        if digest != release_hash and nb is not None:
            hashes.setdefault(digest, []).append(student)
        folded.setdefault(unicodedata.normalize("NFKC", student).casefold(), []).append(student)
    for group in hashes.values():
        for student in group if len(group) > 1 else []:
            intake.note(student, f"byte-identical to the submission of {', '.join(s for s in group if s != student)}")
    for group in folded.values():
        for student in group if len(group) > 1 else []:
            other = ", ".join(repr(s) for s in group if s != student)
            intake.note(
                student,
                f"id differs from {other} only in case or Unicode form: graded separately, check it is not the same student",
            )
    intake.notes = {s: n for s, n in intake.notes.items() if n}
    return intake

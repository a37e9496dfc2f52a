"""Section 4 -- grading throughput: ``quizzes/manage.py grade`` on generated submissions in a
temporary copy of ``quizzes/``, and whether every submission gets exactly its expected score.

The work is done by :func:`course_quiz.bench.grade_generated` (the quiz package's own generator of
submissions with known scores, the answer key read from the source notebook); this section only
times it against the goal and writes the table.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from course_quiz.bench import grade_generated

from ..report import check, log, rounded, table
from ..settings import GRADING_GOAL_SECONDS, ROOT, Settings
from . import result


def run(s: Settings) -> dict[str, Any]:
    """Section 4: release the quiz, generate submissions, time `manage.py grade` on them and check every score."""
    log(f"grading: release + {s.n_submissions} generated submissions ...")
    with tempfile.TemporaryDirectory(prefix="bench-quiz-") as tmp:
        r = grade_generated(s.n_submissions, Path(tmp), course_dir=ROOT / "quizzes", report=False)
    n, grade_s, correct = r["n"], r["grade_seconds"], r["correct"]
    per = r["per_submission"]
    projected = grade_s if n >= 100 else grade_s / max(n, 1) * 100
    rows = [
        {"what": "release (generate_assignment + key scan)", "value": f"{r['release_seconds']:.1f} s"},
        {
            "what": f"`manage.py grade` on {n} submissions (autograde + feedback + CSV)",
            "value": f"{grade_s:.1f} s (exit {r['returncode']})",
        },
        {
            "what": "CPU time of grading (about the wall time on an idle machine)",
            "value": f"{r['grade_cpu_seconds']:.1f} s",
        },
        {"what": "seconds per submission", "value": f"{per:.2f} s"},
        {"what": "scores equal to the expected score", "value": f"{correct} / {n}"},
        {
            "what": "load average before / after (1 min)",
            "value": f"{r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}",
        },
    ]
    if n < 100:
        rows.append(
            {
                "what": "linear upper bound for 100 (includes the fixed start-up cost 100/n times)",
                "value": f"{projected:.0f} s",
            }
        )
    t = table(
        "Grading generated submissions in a temporary copy of quizzes/",
        [("what", "Quantity"), ("value", "Value")],
        rows,
        note="Mixed answers (course_quiz.bench.generated_answers): right letters (some upper-case or padded with "
        "spaces), wrong letters, invalid strings and blanks; each student's expected score is computed from the key.",
    )
    measured = (
        f"{grade_s:.0f} s for {n} (CPU {r['grade_cpu_seconds']:.0f} s)"
        if n >= 100
        else f"not measured: {n} graded in {grade_s:.1f} s (the goal needs 100; linear upper bound {projected:.0f} s)"
    )
    checks = [
        check(
            f"100 submissions graded in <= {GRADING_GOAL_SECONDS:.0f} s",
            measured,
            grade_s <= GRADING_GOAL_SECONDS if n >= 100 else None,
        ),
        check("every generated submission gets exactly its expected score", f"{correct} / {n}", r["all_correct"]),
    ]
    return result(
        checks,
        [t],
        f"{n} submissions graded in {grade_s:.0f} s ({per:.2f} s each, CPU {r['grade_cpu_seconds']:.0f} s); "
        f"{correct}/{n} scores as expected",
        data={
            "grade_seconds": rounded(grade_s, 2),
            "grade_cpu_seconds": rounded(r["grade_cpu_seconds"], 2),
            "release_seconds": rounded(r["release_seconds"], 2),
            "per_submission": rounded(per),
            "n": n,
            "scores_correct": correct,
            "projected_100": rounded(projected, 1),
            "returncode": r["returncode"],
        },
    )

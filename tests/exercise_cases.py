"""What tests/test_exercises.py and tests/test_exercise_mistakes.py share: the registered exercises, their
typical mistakes (tests/exercise_mistakes/) and a check run on a namespace.  Two files so that `make test`'s
workers (--dist loadfile) can share the work of the exercise checks, which train small models (about a fifth
of the suite)."""

from __future__ import annotations

import io
from typing import Any

import exercise_mistakes

from course_utils import exercises
from course_utils.exercises import EXERCISES

exercises._load_all()
IDS = sorted(EXERCISES)
MISTAKES_OF = exercise_mistakes.load()
MISTAKES = [(i, k) for i in IDS for k in range(len(MISTAKES_OF.get(i, ())))]


def run_check(ex_id: str, namespace: dict[str, Any]) -> tuple[bool, str]:
    """Run exercise ``ex_id``'s check on the answers found in ``namespace``: (passed, what it printed)."""
    ex = EXERCISES[ex_id]
    out = io.StringIO()
    ok = exercises.check(ex_id, *[namespace.get(name) for name in ex.answers], out=out)
    return ok, out.getvalue()

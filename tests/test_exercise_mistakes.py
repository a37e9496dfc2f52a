"""Every exercise's typical mistakes fail its check with their message (the hint a student needs).

Beside tests/test_exercises.py (solutions, unattempted and junk answers) in a file of its own, so that
`make test`'s two workers share the exercise checks' training."""

from __future__ import annotations

import pytest
from exercise_cases import MISTAKES, MISTAKES_OF, run_check

from course_utils.exercises import EXERCISES, run_in_context


@pytest.mark.slow
@pytest.mark.parametrize(("ex_id", "k"), MISTAKES, ids=[f"{i}-mistake{k}" for i, k in MISTAKES])
def test_typical_mistake_fails_with_its_message(ex_id, k):
    mistake = MISTAKES_OF[ex_id][k]
    ok, text = run_check(ex_id, run_in_context(EXERCISES[ex_id], mistake.source))
    assert not ok, f"{ex_id}: the mistake {mistake.description or mistake.source!r} passed the check:\n{text}"
    assert mistake.message.lower() in text.lower(), f"expected {mistake.message!r} in:\n{text}"

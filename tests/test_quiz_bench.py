"""course_quiz.bench: the grading-throughput function the benchmark calls (issue 18.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_quiz import answer_rule, bank
from course_quiz.bench import generated_answers, grade_generated

REPO = Path(__file__).resolve().parents[1]
KEY = "".join(bank.answer_key(REPO / "quizzes" / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb").values())


def test_generated_answers_expected_scores_follow_the_rule():
    for student in range(200):
        cells, score = generated_answers(KEY, student)
        graded = sum(answer_rule.parse_answer(cells[q], f"q{q}")[0] == KEY[q - 1] for q in cells)
        assert graded == score, student
    assert generated_answers(KEY, 0)[1] == len(KEY) and generated_answers(KEY, 1)[1] == 0


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*not in session:Warning")
def test_grade_generated_reports_timing_and_correctness(tmp_path):
    pytest.importorskip("nbgrader")
    result = grade_generated(6, tmp_path)
    assert result["all_correct"], result["output_tail"]
    assert result["correct"] == result["n"] == 6 and result["returncode"] == 0
    for name in ("release_seconds", "grade_seconds", "grade_cpu_seconds", "per_submission", "report_seconds", "cpus"):
        assert result[name] > 0, name
    assert len(result["load_before"]) == 3 and len(result["load_after"]) == 3
    assert (Path(result["course_dir"]) / "item_analysis.csv").is_file()

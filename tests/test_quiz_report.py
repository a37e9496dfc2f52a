"""Item analysis (issue 18.1): statistics on generated classes, checked against values computed here.

The class of 200 has three questions with known behaviour: one everyone gets right, one
answered by coin flips, one the strongest students get wrong.  Every statistic is recomputed
independently with NumPy (``np.corrcoef``, ``np.var``, the point-biserial formula, Cronbach's
alpha from the item variances) and compared with ``course_quiz.report``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from course_quiz import bank, report
from course_quiz.bench import answer_cell_for, simulate_class

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session:Warning")  # nbgrader gradebook noise

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"
SOURCE_NB = QUIZZES / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
KEY = bank.answer_key(SOURCE_NB)
Q = list(KEY)


@pytest.fixture(scope="module")
def generated():
    responses = simulate_class(KEY, 200, seed=7)
    items, quiz, totals = report.analyse(responses, KEY)
    students = sorted(responses)
    x = np.array([[responses[s][q] == KEY[q] for q in Q] for s in students], dtype=float)
    return responses, items, quiz, totals, students, x


def test_share_correct_and_choice_counts(generated):
    responses, items, _, _, students, x = generated
    for j, item in enumerate(items):
        assert item.n == 200
        assert item.p_correct == pytest.approx(x[:, j].mean())
        column = [responses[s][Q[j]] for s in students]
        for category in report.CATEGORIES:
            assert item.counts[category] == column.count(category)
        assert sum(item.counts.values()) == 200


def test_point_biserial_with_the_rest_score(generated):
    _, items, _, _, _, x = generated
    total = x.sum(axis=1)
    for j, item in enumerate(items):
        rest = total - x[:, j]
        p = x[:, j].mean()
        if p in (0.0, 1.0):
            assert math.isnan(item.discrimination)
            continue
        # the textbook formula: (M1 - M0) / s_rest * sqrt(p q), population standard deviation
        m1, m0 = rest[x[:, j] == 1].mean(), rest[x[:, j] == 0].mean()
        formula = (m1 - m0) / rest.std() * math.sqrt(p * (1 - p))
        assert item.discrimination == pytest.approx(formula, abs=1e-9)
        assert item.discrimination == pytest.approx(np.corrcoef(x[:, j], rest)[0, 1], abs=1e-9)


def test_upper_lower_27_percent(generated):
    _, items, _, _, students, x = generated
    total = x.sum(axis=1)
    g = round(0.27 * len(students))
    for j, item in enumerate(items):
        rest = total - x[:, j]
        order = np.lexsort((np.array(students), rest))  # by rest score, ties by student id
        expected = x[order[-g:], j].mean() - x[order[:g], j].mean()
        assert item.upper_lower == pytest.approx(expected)


def test_quiz_mean_spread_and_kr20(generated):
    _, items, quiz, totals, students, x = generated
    total = x.sum(axis=1)
    assert [totals[s] for s in students] == list(total.astype(int))
    assert quiz.mean == pytest.approx(total.mean())
    assert quiz.sd == pytest.approx(total.std(ddof=1))
    assert (quiz.minimum, quiz.median, quiz.maximum) == (total.min(), np.median(total), total.max())
    k = x.shape[1]
    alpha = k / (k - 1) * (1 - x.var(axis=0).sum() / total.var())  # Cronbach's alpha = KR-20 for 0/1 items
    assert quiz.kr20 == pytest.approx(alpha)
    assert quiz.sem == pytest.approx(total.std(ddof=1) * math.sqrt(1 - alpha))


def test_the_three_known_questions_are_flagged(generated):
    _, items, _, _, _, _ = generated
    everyone, coin, misleading = items[0], items[1], items[2]
    assert everyone.p_correct == 1 and math.isnan(everyone.discrimination)
    assert "easy" in everyone.flags and "discrimination undefined (no spread)" in everyone.flags
    assert sum(f.startswith("distractor") for f in everyone.flags) == 3
    # coin flips: p about 0.5, no discrimination beyond sampling noise (standard error ~0.07 for 200)
    assert 0.4 < coin.p_correct < 0.6 and abs(coin.discrimination) < 0.21 and abs(coin.upper_lower) < 0.25
    assert bool({"low discrimination", "negative discrimination"} & set(coin.flags)) == (coin.discrimination < 0.1)
    distractor = [c for c in "abcd" if c != KEY[Q[1]]][0]
    assert coin.counts[distractor] + coin.counts[KEY[Q[1]]] == 200
    assert misleading.discrimination < -0.3 and misleading.upper_lower < -0.3
    assert "negative discrimination" in misleading.flags
    # the ordinary questions discriminate
    assert all(item.discrimination > 0.1 and "negative discrimination" not in item.flags for item in items[3:])


def test_flags_thresholds_on_a_hand_made_class():
    key = {"q1": "a", "q2": "b"}
    # q1: 9 of 10 right (p = 0.9 is not "easy": the rule is p > 0.9); q2: 2 of 10 right -> hard
    responses = {f"s{i}": {"q1": "a" if i < 9 else "blank", "q2": "b" if i in (0, 9) else "c"} for i in range(10)}
    items, quiz, _ = report.analyse(responses, key)
    assert items[0].p_correct == 0.9 and "easy" not in items[0].flags
    assert items[1].p_correct == 0.2 and "hard" in items[1].flags
    assert items[0].counts["blank"] == 1 and items[1].counts["c"] == 8
    assert "distractor d never chosen" in items[1].flags and "distractor c never chosen" not in items[1].flags
    assert quiz.n_students == 10 and quiz.n_questions == 2


def test_empty_and_single_student_classes_do_not_crash():
    items, quiz, _ = report.analyse({}, KEY)
    assert quiz.n_students == 0 and math.isnan(quiz.mean) and all(item.flags == [] for item in items)
    items, quiz, _ = report.analyse({"only": dict(KEY)}, KEY)
    assert quiz.mean == len(KEY) and math.isnan(quiz.kr20) and math.isnan(items[0].upper_lower)


def test_classify_uses_the_graders_reasons():
    from course_quiz import answer_rule

    assert report.classify("c", answer_rule.REASON_OK) == "c"
    assert report.classify(None, answer_rule.REASON_NONE) == "blank"
    assert report.classify(None, answer_rule.REASON_NO_CELL) == "blank"
    for reason in (answer_rule.REASON_LETTER, answer_rule.REASON_TWICE, answer_rule.REASON_SYNTAX):
        assert report.classify(None, reason) == "invalid"
    assert answer_cell_for("q3", "invalid") == "q3 = 'e'" and answer_cell_for("q3", "blank") == "q3 = None"


# --------------------------------------------------------------------------- after a real `grade`


@pytest.mark.slow
def test_report_after_grading_a_class(tmp_path):
    pytest.importorskip("nbgrader")
    from course_quiz import manage
    from course_quiz.bench import copy_course, write_class

    root = copy_course(QUIZZES, tmp_path / "course")
    release_dir = manage.release(root)
    release_nb = json.loads((release_dir / "autoencoder_quiz.ipynb").read_text(encoding="utf-8"))
    responses = simulate_class(KEY, 12, seed=3)
    write_class(root, release_nb, responses)
    # answer cells the grader reads with its rule: an extra print counts, a double assignment is invalid
    cells = {
        "student0000": {Q[0]: f"print('hi')\n{Q[0]} = '{KEY[Q[0]]}'"},
        "student0001": {Q[3]: f"{Q[3]} = 'a'\n{Q[3]} = 'b'"},
    }
    responses["student0001"][Q[3]] = "invalid"
    for student, answers in cells.items():
        path = root / "submitted" / student / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            q = (bank.grade_id(cell) or "").removesuffix("_answer")
            if q in answers:
                cell["source"] = answers[q]
        path.write_text(json.dumps(nb), encoding="utf-8")
    # an unreadable submission is graded (0) and counted as blank everywhere
    broken = root / "submitted" / "zz_broken" / "autoencoder_quiz"
    broken.mkdir(parents=True)
    (broken / "autoencoder_quiz.ipynb").write_bytes(b"{not json")
    responses["zz_broken"] = {q: "blank" for q in Q}

    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old_path
    try:
        graded = manage.grade(root, log=lambda *a: None)
    finally:
        os.environ["PATH"] = old_path
    assert not graded.failures
    assert manage.main(["report", "--course-dir", str(root)]) == 0

    with (root / "item_analysis.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for column in ["question", "n", "p_correct", "discrimination", "a", "b", "c", "d", "invalid", "blank", "flags"]:
        assert column in rows[0]
    assert [row["question"] for row in rows] == Q
    expected_items, expected_quiz, expected_totals = report.analyse(responses, KEY)
    for row, item in zip(rows, expected_items):
        assert int(row["n"]) == 13
        assert {c: int(row[c]) for c in report.CATEGORIES} == item.counts, row["question"]
        assert float(row["p_correct"]) == pytest.approx(item.p_correct, abs=1e-3)
        assert row["flags"] == "; ".join(item.flags)
    # the gradebook agrees with what the report read from the graded notebooks
    assert {s: graded.scores[s] for s in expected_totals} == {s: float(t) for s, t in expected_totals.items()}
    with (root / "item_analysis_summary.csv").open(newline="") as handle:
        summary = {row["statistic"]: row["value"] for row in csv.DictReader(handle)}
    assert int(summary["students"]) == 13 and float(summary["mean"]) == pytest.approx(expected_quiz.mean, abs=1e-3)
    png = (root / "item_analysis.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_report_without_graded_notebooks_says_so(tmp_path, capsys):
    from course_quiz import manage
    from course_quiz.bench import copy_course

    root = copy_course(QUIZZES, tmp_path / "course")
    assert manage.main(["report", "--course-dir", str(root)]) == 1
    assert "run `make grade`" in capsys.readouterr().out
    assert not (root / "item_analysis.csv").exists()

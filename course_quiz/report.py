"""Item analysis of a graded class: which questions were too easy, too hard or misleading.

``python quizzes/manage.py report`` (``make quiz-report``) after ``make grade``.  The answers are
read from the graded notebooks (``autograded/<student>/autoencoder_quiz/``) with the grader's own
parser (:func:`course_quiz.bank.read_graded_answer`), the key from the source notebook.  Written
next to the gradebook:

* ``item_analysis.csv`` -- one row per question: ``question, n, key, p_correct, discrimination,
  upper_lower, a, b, c, d, invalid, blank, flags, lesson``;
* ``item_analysis_summary.csv`` -- the whole quiz: students, questions, mean, sd, min, median,
  max, KR-20 (Cronbach's alpha for right/wrong items), standard error of measurement;
* ``item_analysis.png`` -- share correct, discrimination, the choices per question and the
  distribution of scores, for a report.

Definitions (classical test theory, as in Moodle's and Canvas' quiz statistics):

* ``p_correct`` -- share of the graded students who chose the key (a blank or invalid answer is
  wrong);
* ``discrimination`` -- point-biserial correlation between the item (1 right / 0 wrong) and the
  *rest* score (the total without this item), so that an item does not correlate with itself;
  undefined (empty) when everyone, or no one, got it right;
* ``upper_lower`` -- share correct in the top 27 % of students minus the share correct in the
  bottom 27 %, the students ranked by their rest score (ties broken by student id): ranking by
  the total, which contains the item, would credit even a coin-flip item with about +0.4;
* KR-20 -- ``k/(k-1) * (1 - sum p(1-p) / var(total))`` with population variances.

Flags: ``easy`` (p_correct > 0.9), ``hard`` (< 0.3), ``negative discrimination`` (< 0),
``low discrimination`` (0 <= d < 0.1), ``distractor x never chosen``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import bank
from .answer_rule import REASON_NO_CELL, REASON_NONE, VALID_ANSWERS
from .bank import ASSIGNMENT, NOTEBOOK

EASY, HARD, LOW_DISCRIMINATION, GROUP_SHARE = 0.9, 0.3, 0.1, 0.27
CATEGORIES = (*VALID_ANSWERS, "invalid", "blank")
CSV_COLUMNS = ["question", "n", "key", "p_correct", "discrimination", "upper_lower", *CATEGORIES, "flags", "lesson"]


@dataclass
class ItemStats:
    """Statistics of one question."""

    question: str
    key: str
    n: int
    p_correct: float
    discrimination: float  # NaN when undefined
    upper_lower: float
    counts: dict[str, int]
    flags: list[str]
    lesson: str = ""


@dataclass
class QuizStats:
    """Statistics of the whole quiz (scores = number of questions right)."""

    n_students: int
    n_questions: int
    mean: float
    sd: float  # sample standard deviation (n - 1)
    minimum: float
    median: float
    maximum: float
    kr20: float
    sem: float  # standard error of measurement, sd * sqrt(1 - KR-20)


@dataclass
class ItemReport:
    """What :func:`write_report` computed and wrote."""

    items: list[ItemStats]
    quiz: QuizStats
    scores: dict[str, int]
    csv_path: Path | None = None
    summary_path: Path | None = None
    png_path: Path | None = None
    mismatches: list[str] = field(default_factory=list)

    @property
    def n_students(self) -> int:
        return self.quiz.n_students


def classify(letter: str | None, reason: str) -> str:
    """``'a'``-``'d'``, ``'blank'`` (not answered, no answer cell) or ``'invalid'``."""
    if letter is not None:
        return letter
    return "blank" if reason in (REASON_NONE, REASON_NO_CELL) else "invalid"


def read_class(course_dir: Path) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    """``(key, responses, lessons)`` of a graded class.

    ``responses[student][question]`` is one of :data:`CATEGORIES`, read from
    ``autograded/<student>/autoencoder_quiz/autoencoder_quiz.ipynb`` with the grader's parser.
    """
    source = bank.read_notebook(bank.source_notebook_path(course_dir))
    questions = bank.read_question_bank(source)
    key = bank.answer_key(source)
    lessons = {q.variable: q.lesson for q in questions}
    responses: dict[str, dict[str, str]] = {}
    for path in sorted((Path(course_dir) / "autograded").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}.ipynb")):
        cells = bank.read_notebook(path).get("cells")
        student = path.parent.parent.name
        responses[student] = {q: classify(*bank.read_graded_answer(cells, q)) for q in key}
    return key, responses, lessons


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _pearson(x: list[float], y: list[float]) -> float:
    n = len(x)
    if n < 2:
        return math.nan
    mx, my = _mean(x), _mean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return math.nan
    return sxy / math.sqrt(sxx * syy)


def analyse(
    responses: Mapping[str, Mapping[str, str]], key: Mapping[str, str], lessons: Mapping[str, str] | None = None
) -> tuple[list[ItemStats], QuizStats, dict[str, int]]:
    """Item and quiz statistics of ``responses[student][question]`` (a category) against ``key``."""
    students = sorted(responses)
    questions = list(key)
    right = {s: [1.0 if responses[s].get(q) == key[q] else 0.0 for q in questions] for s in students}
    totals = {s: int(sum(right[s])) for s in students}
    n, k = len(students), len(questions)
    group = max(1, round(GROUP_SHARE * n)) if n >= 2 else 0

    items = []
    for j, q in enumerate(questions):
        x = [right[s][j] for s in students]
        rest = [totals[s] - right[s][j] for s in students]
        counts = {c: sum(1 for s in students if responses[s].get(q, "blank") == c) for c in CATEGORIES}
        p = _mean(x)
        disc = _pearson(x, rest)
        ranked = sorted(range(n), key=lambda i: (rest[i], students[i]))  # by the rest score, ties by id
        lower, upper = ranked[:group], ranked[n - group :]
        ul = (_mean([x[i] for i in upper]) - _mean([x[i] for i in lower])) if group else math.nan
        flags = []
        if n:
            if p > EASY:
                flags.append("easy")
            if p < HARD:
                flags.append("hard")
            if math.isnan(disc):
                flags.append("discrimination undefined (no spread)")
            elif disc < 0:
                flags.append("negative discrimination")
            elif disc < LOW_DISCRIMINATION:
                flags.append("low discrimination")
            flags += [f"distractor {c} never chosen" for c in VALID_ANSWERS if c != key[q] and counts[c] == 0]
        items.append(
            ItemStats(
                question=q,
                key=key[q],
                n=n,
                p_correct=p,
                discrimination=disc,
                upper_lower=ul,
                counts=counts,
                flags=flags,
                lesson=(lessons or {}).get(q, ""),
            )
        )

    scores = [float(totals[s]) for s in students]
    mean = _mean(scores)
    var_pop = _mean([(t - mean) ** 2 for t in scores]) if n else math.nan
    sd = math.sqrt(var_pop * n / (n - 1)) if n >= 2 else math.nan
    pq = sum(item.p_correct * (1 - item.p_correct) for item in items)
    kr20 = k / (k - 1) * (1 - pq / var_pop) if n >= 2 and k >= 2 and var_pop > 0 else math.nan
    ordered = sorted(scores)
    median = ((ordered[(n - 1) // 2] + ordered[n // 2]) / 2) if n else math.nan
    sem = sd * math.sqrt(1 - kr20) if not math.isnan(kr20) and kr20 <= 1 else math.nan
    quiz = QuizStats(
        n_students=n,
        n_questions=k,
        mean=mean,
        sd=sd,
        minimum=min(scores, default=math.nan),
        median=median,
        maximum=max(scores, default=math.nan),
        kr20=kr20,
        sem=sem,
    )
    return items, quiz, totals


def _fmt(value: float) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.3f}"


def _read_raw_scores(csv_path: Path) -> dict[str, float]:
    if not csv_path.is_file():
        return {}
    with csv_path.open(newline="") as handle:
        return {
            row["student_id"]: float(row["raw_score"] or 0)
            for row in csv.DictReader(handle)
            if row.get("assignment") == ASSIGNMENT
        }


def write_report(course_dir: Path, out_dir: Path | None = None, *, figure: bool = True) -> ItemReport:
    """Analyse the graded class of ``course_dir`` and write the CSV files and the figure."""
    course_dir = Path(course_dir)
    out_dir = Path(out_dir) if out_dir is not None else course_dir
    key, responses, lessons = read_class(course_dir)
    items, quiz, totals = analyse(responses, key, lessons)
    report = ItemReport(items=items, quiz=quiz, scores=totals)
    if not responses:
        return report
    out_dir.mkdir(parents=True, exist_ok=True)
    report.csv_path = out_dir / "item_analysis.csv"
    with report.csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for item in items:
            writer.writerow(
                [
                    item.question,
                    item.n,
                    item.key,
                    _fmt(item.p_correct),
                    _fmt(item.discrimination),
                    _fmt(item.upper_lower),
                    *(item.counts[c] for c in CATEGORIES),
                    "; ".join(item.flags),
                    item.lesson,
                ]
            )
    report.summary_path = out_dir / "item_analysis_summary.csv"
    with report.summary_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["statistic", "value"])
        for name, value in [
            ("students", quiz.n_students),
            ("questions", quiz.n_questions),
            ("mean", quiz.mean),
            ("sd", quiz.sd),
            ("min", quiz.minimum),
            ("median", quiz.median),
            ("max", quiz.maximum),
            ("kr20", quiz.kr20),
            ("sem", quiz.sem),
        ]:
            writer.writerow([name, value if isinstance(value, int) else _fmt(value)])
    # the gradebook's totals must equal what we read (1 point per question)
    for student, raw in _read_raw_scores(course_dir / "grades.csv").items():
        if student in totals and abs(raw - totals[student]) > 1e-9:
            report.mismatches.append(f"{student}: gradebook {raw:g}, graded notebook {totals[student]}")
    if figure:
        report.png_path = out_dir / "item_analysis.png"
        plot(report, report.png_path)
    return report


def plot(report: ItemReport, path: Path) -> Path:
    """The four-panel figure of an item analysis (PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    items, quiz = report.items, report.quiz
    names = [item.question for item in items]
    xs = list(range(len(items)))
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)

    ax = axes[0, 0]
    colours = ["tab:red" if (item.p_correct > EASY or item.p_correct < HARD) else "tab:blue" for item in items]
    ax.bar(xs, [item.p_correct for item in items], color=colours)
    for level in (HARD, EASY):
        ax.axhline(level, color="grey", linestyle="--", linewidth=1)
    ax.set(
        xticks=xs,
        xticklabels=names,
        ylim=(0, 1.05),
        ylabel="share correct",
        title=f"Share correct (red: > {EASY} or < {HARD})",
    )

    ax = axes[0, 1]
    disc = [0.0 if math.isnan(item.discrimination) else item.discrimination for item in items]
    colours = [
        "lightgrey"
        if math.isnan(item.discrimination)
        else "tab:red"
        if item.discrimination < LOW_DISCRIMINATION
        else "tab:green"
        for item in items
    ]
    ax.bar(xs, disc, color=colours)
    ax.axhline(LOW_DISCRIMINATION, color="grey", linestyle="--", linewidth=1)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(
        xticks=xs,
        xticklabels=names,
        ylim=(min(-0.3, min(disc, default=0) - 0.05), 1.0),
        ylabel="point-biserial r (item vs rest)",
        title=f"Discrimination (red: < {LOW_DISCRIMINATION}; grey: undefined)",
    )

    ax = axes[1, 0]
    palette = {"a": "#4e79a7", "b": "#f28e2b", "c": "#59a14f", "d": "#b07aa1", "invalid": "#e15759", "blank": "#bab0ac"}
    bottom = [0.0] * len(items)
    for category in CATEGORIES:
        shares = [item.counts[category] / item.n if item.n else 0.0 for item in items]
        bars = ax.bar(xs, shares, bottom=bottom, color=palette[category])
        for bar, item in zip(bars, items):
            if item.key == category:
                bar.set_edgecolor("black")
                bar.set_linewidth(2)
        bottom = [b + s for b, s in zip(bottom, shares)]
    ax.set(
        xticks=xs,
        xticklabels=names,
        ylim=(0, 1),
        ylabel="share of students",
        title="Choices per question (the key is outlined in black)",
    )
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=palette[c], label=c) for c in CATEGORIES]
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=2, label="key"))
    ax.legend(handles=handles, ncol=7, fontsize="small", loc="lower center", bbox_to_anchor=(0.5, -0.28))

    ax = axes[1, 1]
    scores = list(report.scores.values())
    ax.hist(scores, bins=[b - 0.5 for b in range(quiz.n_questions + 2)], color="tab:blue", edgecolor="white")
    ax.axvline(quiz.mean, color="black", linestyle="--", linewidth=1)
    ax.set(
        xlabel="score (questions right)",
        ylabel="students",
        title=f"{quiz.n_students} students: mean {quiz.mean:.2f}, sd {quiz.sd:.2f}, KR-20 {_fmt(quiz.kr20) or 'n/a'}",
    )
    fig.suptitle("Quiz item analysis")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def format_summary(report: ItemReport) -> str:
    """The console summary of :func:`write_report`."""
    if not report.n_students:
        return "No graded notebooks found in autograded/: run `make grade` (manage.py grade) first."
    quiz = report.quiz
    lines = [
        f"{'question':<9}{'n':>5}{'key':>4}{'p':>7}{'disc':>7}{'U-L':>7}"
        + "".join(f"{c:>8}" for c in CATEGORIES)
        + "  flags"
    ]
    for item in report.items:
        lines.append(
            f"{item.question:<9}{item.n:>5}{item.key:>4}{_fmt(item.p_correct):>7}"
            f"{_fmt(item.discrimination) or '-':>7}{_fmt(item.upper_lower):>7}"
            + "".join(f"{item.counts[c]:>8}" for c in CATEGORIES)
            + "  "
            + "; ".join(item.flags)
        )
    lines.append("")
    lines.append(
        f"{quiz.n_students} students, {quiz.n_questions} questions: mean {quiz.mean:.2f}, "
        f"sd {quiz.sd:.2f}, min {quiz.minimum:g}, median {quiz.median:g}, max {quiz.maximum:g}, "
        f"KR-20 {_fmt(quiz.kr20) or 'n/a'}, SEM {_fmt(quiz.sem) or 'n/a'}"
    )
    for mismatch in report.mismatches:
        lines.append(f"WARNING: score differs from the gradebook: {mismatch}")
    lines.append(
        f"Written: {report.csv_path}, {report.summary_path}" + (f", {report.png_path}" if report.png_path else "")
    )
    return "\n".join(lines)

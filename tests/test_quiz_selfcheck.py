"""course_utils.quiz: the students' format self-check (no nbgrader needed, never the key)."""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from course_quiz import answer_rule, bank
from course_utils import quiz

REPO = Path(__file__).resolve().parents[1]
SOURCE_NB = REPO / "quizzes" / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
KEY = "".join(bank.answer_key(SOURCE_NB).values())  # read with the course's parser, never hard-coded
LESSON_NOTEBOOKS = (
    "01_background",
    "02_mnist_autoencoder",
    "03_breast_cancer_autoencoder",
    "04_medical_image_denoising",
    "05_variational_autoencoders",
    "06_project_ideas",
)


def run(answers) -> tuple[dict[str, str], str]:
    out = io.StringIO()
    report = quiz.self_check(answers, file=out)
    return report, out.getvalue()


def test_all_valid_answers_with_tolerated_case_and_spaces():
    answers = {
        f"q{n}": letter for n, letter in zip(range(1, 11), ["a", "B", " c", "d ", "A", " b ", "C", "D", "a", "b"])
    }
    report, text = run(answers)
    assert report == {f"q{n}": "ok" for n in range(1, 11)}
    assert "All 10 answers are well-formed" in text


def test_missing_and_invalid_answers_are_named():
    answers = {
        "q1": "a",
        "q2": None,
        "q3": "e",
        "q4": "",
        "q5": "cc",
        "q6": 3,
        "q7": ["a"],
        "q8": "a",
        "q9": "b",
    }  # q10 absent
    report, text = run(answers)
    assert report["q1"] == report["q8"] == report["q9"] == "ok"
    assert report["q2"] == report["q10"] == "missing"
    assert {report[q] for q in ("q3", "q4", "q5", "q6", "q7")} == {"invalid"}
    assert "Missing: q2, q10" in text
    assert "Invalid: q3, q4, q5, q6, q7" in text
    assert "'e'" in text  # the student's own value is echoed back, truncated if long


def test_str_subclass_is_not_a_valid_answer():
    class Sneaky(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    report, _ = run({**{f"q{n}": "a" for n in range(1, 11)}, "q1": Sneaky("a")})
    assert report["q1"] == "invalid"


def test_accepts_globals_namespaces_and_modules():
    namespace = types.SimpleNamespace(**{f"q{n}": "a" for n in range(1, 11)})
    assert set(run(namespace)[0].values()) == {"ok"}
    module = types.ModuleType("answers")
    module.q1 = "b"
    report, _ = run(module)
    assert report["q1"] == "ok" and report["q2"] == "missing"
    glob = {"__name__": "__main__", "np": object(), **{f"q{n}": "c" for n in range(1, 11)}}
    assert set(run(glob)[0].values()) == {"ok"}


def test_extra_questions_written_by_an_instructor_are_checked_too():
    report, text = run({**{f"q{n}": "a" for n in range(1, 11)}, "q11": "z", "q12": "d", "question": "x"})
    assert report["q11"] == "invalid" and report["q12"] == "ok"
    assert "question" not in report
    assert "q11" in text


def test_bad_input_raises_valueerror():
    with pytest.raises(ValueError, match="dict"):
        quiz.self_check(42)
    with pytest.raises(ValueError, match="dict"):
        quiz.self_check("q1 = 'a'")


def test_output_never_depends_on_which_letters_were_chosen():
    """The same report for every well-formed set of answers: nothing derived from the key."""
    outputs = set()
    for letters in ["a" * 10, "b" * 10, "c" * 10, "d" * 10, "abcdabcdab", KEY[:10], "dcbadcbadc"]:
        report, text = run({f"q{n}": letter for n, letter in zip(range(1, 11), letters)})
        outputs.add(text)
        assert set(report.values()) == {"ok"}
    assert len(outputs) == 1


def test_every_single_question_answer_gives_the_same_report():
    for n, letter in itertools.product(range(1, 11), "abcd"):
        answers = {f"q{m}": "a" for m in range(1, 11)}
        answers[f"q{n}"] = letter
        assert run(answers)[1] == run({f"q{m}": "a" for m in range(1, 11)})[1]


def test_module_holds_no_key_material():
    text = Path(quiz.__file__).read_text(encoding="utf-8")
    assert KEY not in text
    assert not re.search(r"['\"]q\d+['\"]\s*:\s*['\"][abcd]['\"]", text)  # no {"q1": "c"} mapping
    assert "hashlib" not in text and "sha" not in text.lower()


def test_lessons_point_to_real_lessons_and_match_the_notebook():
    nb = json.loads(SOURCE_NB.read_text(encoding="utf-8"))
    taught_in_tests, taught_in_prompts = {}, {}
    for cell in nb["cells"]:
        grade_id = cell["metadata"]["nbgrader"]["grade_id"]
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if grade_id.endswith("_test"):
            taught_in_tests[grade_id[:-5]] = re.search(r"# Taught in: (.+)", source).group(1).strip()
        if grade_id.endswith("_prompt"):
            taught_in_prompts[grade_id[:-7]] = re.search(r"\*Taught in:\* (.+)\.\s*$", source).group(1)
    assert taught_in_tests == quiz.LESSONS
    assert taught_in_prompts == quiz.LESSONS
    for lesson in quiz.LESSONS.values():
        assert lesson.split(" ")[0] in LESSON_NOTEBOOKS


def test_same_normalisation_as_the_grader():
    """One rule: course_utils.quiz uses the grader's own normalisation (course_quiz.answer_rule)."""
    assert quiz.normalise_answer is answer_rule.normalise_answer
    assert quiz.VALID_ANSWERS == answer_rule.VALID_ANSWERS

    class S(str):
        pass

    for value in ["a", "C", " d ", "\tb\n", "e", "", "cc", None, 3, S("a"), b"a", ["a"], "A B"]:
        expected = answer_rule.parse_answer(f"q1 = {value!r}", "q1")[0] if type(value) is str else None
        assert quiz.normalise_answer(value) == expected, value


def test_importable_without_nbgrader_or_tensorflow():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('nbgrader', 'tensorflow', 'keras', 'numpy'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from course_utils.quiz import self_check\n"
        "r = self_check({'q1': 'a'})\n"
        "assert r['q1'] == 'ok' and r['q2'] == 'missing'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "taught in: 01_background" in result.stdout


def _stems(text: str) -> set[str]:
    return {word[:6] for word in re.findall(r"[a-z]{4,}", text.lower())}


def test_lesson_pointers_do_not_hint_at_the_right_option():
    """No word that only the correct option uses (and the question does not) appears in its pointer."""
    nb = json.loads(SOURCE_NB.read_text(encoding="utf-8"))
    cells = {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
    }
    for n in range(1, 11):
        key = KEY[n - 1]
        prompt = cells[f"q{n}_prompt"]
        options = dict(re.findall(r"- \*\*\(([abcd])\)\*\* (.+)", prompt))
        question = prompt.split("- **(a)**")[0]
        giveaway = _stems(options[key]) - set().union(*(_stems(v) for k, v in options.items() if k != key))
        giveaway -= _stems(question)
        pointer = _stems(quiz.LESSONS[f"q{n}"].split("—", 1)[1])
        assert not giveaway & pointer, (n, giveaway & pointer)


def test_questions_are_read_from_the_notebook_not_typed_twice(tmp_path):
    """The self-check's questions and lesson pointers come from the quiz notebook (any wording, any number
    of questions): a copy with one more question is read as such; the module types no pointer itself."""
    text = Path(quiz.__file__).read_text(encoding="utf-8")
    assert not re.search(r"\b0\d_[a-z_]+ — ", text) and "Taught in: 0" not in text
    assert quiz.read_questions(SOURCE_NB) == quiz.LESSONS and list(quiz.LESSONS) == list(quiz.QUESTIONS)
    nb = json.loads(SOURCE_NB.read_text(encoding="utf-8"))
    last_test = max(i for i, c in enumerate(nb["cells"]) if c["metadata"]["nbgrader"]["grade_id"].endswith("_test"))
    extra = json.loads(json.dumps(nb["cells"][last_test]))
    old = extra["metadata"]["nbgrader"]["grade_id"][: -len("_test")]
    extra["metadata"]["nbgrader"]["grade_id"] = "q99_test"
    source = "".join(extra["source"]) if isinstance(extra["source"], list) else extra["source"]
    source = re.sub(r"# Taught in: .+", "# Taught in: 99_new_lesson — a new topic", source).replace(old, "q99")
    extra["source"] = source
    nb["cells"].append(extra)
    copy = tmp_path / "autoencoder_quiz.ipynb"
    copy.write_text(json.dumps(nb), encoding="utf-8")
    read = quiz.read_questions(copy)
    assert list(read) == [*quiz.QUESTIONS, "q99"] and read["q99"] == "99_new_lesson — a new topic"
    with pytest.raises(FileNotFoundError):
        quiz.read_questions(tmp_path / "missing.ipynb")

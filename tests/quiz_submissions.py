"""The quiz pipeline's submissions (tests/test_quiz_pipeline.py): 3 ordinary students and many adversarial
notebooks, each with the questions that must score, built from the released student version."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

ASSIGNMENT = "autoencoder_quiz"
NOTEBOOK = "autoencoder_quiz"


def _wrong(letter: str) -> str:
    return "abcd"[("abcd".index(letter) + 1) % 4]


class Builder:
    """Makes submitted notebooks from the released student version."""

    def __init__(self, course: Path, release_nb: dict, key: str):
        self.course = course
        self.release_nb = release_nb
        self.key = key
        self.expected: dict[str, set[int]] = {}  # student -> questions that must score 1

    def answers(self, correct: set[int]) -> dict[int, str]:
        return {n: f"q{n} = '{self.key[n - 1] if n in correct else _wrong(self.key[n - 1])}'" for n in range(1, 11)}

    def notebook(self, answers: dict[int, str]) -> dict:
        nb = copy.deepcopy(self.release_nb)
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
            match = re.fullmatch(r"q(\d+)_answer", grade_id)
            if match and int(match.group(1)) in answers:
                cell["source"] = answers[int(match.group(1))]
        return nb

    def folder(self, student: str) -> Path:
        folder = self.course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def submit(self, student: str, nb: dict, expected: set[int]) -> None:
        (self.folder(student) / f"{NOTEBOOK}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        self.expected[student] = set(expected)

    def submit_raw(self, student: str, content: bytes, expected: set[int]) -> None:
        (self.folder(student) / f"{NOTEBOOK}.ipynb").write_bytes(content)
        self.expected[student] = set(expected)


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def with_answers_replaced(builder: Builder, base_correct: set[int], replaced: dict[int, str]) -> dict:
    answers = builder.answers(base_correct)
    answers.update(replaced)
    return builder.notebook(answers)


ALL = set(range(1, 11))


def make_submissions(b: Builder) -> int:
    """Ordinary and adversarial submissions; returns the number of adversarial ones."""
    key = b.key
    # --- ordinary
    b.submit("alice", b.notebook(b.answers(ALL)), ALL)
    b.submit("bob", b.notebook(b.answers(set())), set())
    b.submit("carol", b.notebook(b.answers({1, 4, 7, 10})), {1, 4, 7, 10})

    adversarial = []

    def adv(student, nb, expected):
        adversarial.append(student)
        b.submit(student, nb, expected)

    # 1. patch builtins and the assert machinery in an added cell, answers wrong
    nb = b.notebook(b.answers(set()))
    nb["cells"].insert(
        0,
        code_cell(
            "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
            "builtins.isinstance = lambda *a: True\nbuiltins.type = lambda *a: str\n"
            "import sys\nsys.excepthook = lambda *a: None"
        ),
    )
    adv("x01_patch_builtins", nb, set())

    # 2. the same patches inside every answer cell, next to a wrong letter
    patch = (
        "import builtins\nbuiltins.type = lambda *a: str\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
    )
    adv(
        "x02_patch_in_answer_cells",
        with_answers_replaced(b, set(), {n: patch + f"q{n} = '{_wrong(key[n - 1])}'" for n in range(1, 11)}),
        set(),
    )

    # 3. redefine the helpers the visible cells call (format check, str methods)
    nb = b.notebook(b.answers(set()))
    nb["cells"].insert(
        3, code_cell("def check_answer_format(*a):\n    return True\nVALID_LETTERS = ('a', 'b', 'c', 'd', 'anything')")
    )
    adv("x03_patch_test_helpers", nb, set())

    # 4. an object whose __eq__ is always True (and strip/lower return itself)
    obj = (
        "class Always:\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
        "    def strip(self): return self\n    def lower(self): return self\n    __hash__ = object.__hash__\n"
    )
    adv(
        "x04_eq_always_true",
        with_answers_replaced(b, set(), {n: obj + f"q{n} = Always()" for n in range(1, 11)}),
        set(),
    )

    # 5. a str subclass that equals everything
    sub = (
        "class S(str):\n    def __eq__(self, other): return True\n    def strip(self): return self\n"
        "    def lower(self): return self\n    __hash__ = str.__hash__\n"
    )
    adv("x05_str_subclass", with_answers_replaced(b, set(), {n: sub + f"q{n} = S('z')" for n in range(1, 11)}), set())

    # 6. read the key from the source notebook in the course folder
    steal_source = (
        "import glob, json, re\n"
        "src = glob.glob('../../../source/*/*.ipynb') + glob.glob('../../../../source/*/*.ipynb')\n"
        "text = open(src[0]).read()\n"
        'q{n} = re.findall(r"q{n}\\.strip\\(\\)\\.lower\\(\\) == \\\\"(.)", text)[0]'
    )
    adv(
        "x06_read_source_notebook",
        with_answers_replaced(b, set(), {n: steal_source.format(n=n) for n in range(1, 11)}),
        set(),
    )

    # 7. read the key from gradebook.db
    steal_db = (
        "import sqlite3, re, glob\n"
        "db = (glob.glob('../../../gradebook.db') + glob.glob('../../../../gradebook.db'))[0]\n"
        "rows = sqlite3.connect(db).execute(\"select source from source_cell where name='q{n}_test'\")\n"
        "q{n} = re.findall(r'== \"(.)\"', rows.fetchone()[0])[0]"
    )
    adv(
        "x07_read_gradebook_db", with_answers_replaced(b, set(), {n: steal_db.format(n=n) for n in range(1, 11)}), set()
    )

    # 8. copy the answers of another student (alice) from the submitted folder
    steal_peer = (
        "import json, glob\n"
        "nb = json.load(open(glob.glob('../../*/autoencoder_quiz/*.ipynb')[0]))\n"
        "q{n} = [c['source'] for c in nb['cells'] if 'q{n} = ' in ''.join(c['source'])][0][-2]"
    )
    adv(
        "x08_read_other_students",
        with_answers_replaced(b, set(), {n: steal_peer.format(n=n) for n in range(1, 11)}),
        set(),
    )

    # 9. an endless loop in one answer cell next to the right letter: never run, costs nothing
    adv("x09_endless_loop", with_answers_replaced(b, ALL, {3: f"while True:\n    pass\nq3 = '{key[2]}'"}), ALL)
    adv("x09b_endless_loop_no_answer", with_answers_replaced(b, ALL, {3: "while True:\n    pass"}), ALL - {3})

    # 10. an exception in one answer cell before the right letter
    adv("x10_raises", with_answers_replaced(b, ALL, {2: f"raise RuntimeError('boom')\nq2 = '{key[1]}'"}), ALL)

    # 11. stderr in one answer cell and in an added cell
    nb = with_answers_replaced(b, ALL, {4: f"import sys\nsys.stderr.write('noise')\nq4 = '{key[3]}'"})
    nb["cells"].append(code_cell("import sys, warnings\nsys.stderr.write('x' * 1000)\nwarnings.warn('w')"))
    adv("x11_stderr", nb, ALL)

    # 12. 10 MB of output, printed by an answer cell and saved in the submitted file
    nb = with_answers_replaced(b, ALL, {5: f"print('x' * 10_000_000)\nq5 = '{key[4]}'"})
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "q5_answer":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 10_000_000}]
    adv("x12_huge_output", nb, ALL)

    # 13. every test cell deleted; answers right -> the tests are restored and graded
    nb = b.notebook(b.answers(ALL))
    nb["cells"] = [
        c for c in nb["cells"] if not c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("_test")
    ]
    adv("x13_deleted_test_cells", nb, ALL)

    # 14. every test cell edited to pass; answers wrong
    nb = b.notebook(b.answers(set()))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("_test"):
            cell["source"] = "pass"
    adv("x14_edited_test_cells", nb, set())

    # 15. grade_ids and points of the test cells changed, cell types flipped; answers wrong
    nb = b.notebook(b.answers(set()))
    for i, cell in enumerate(nb["cells"]):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id", "").endswith("_test"):
            meta["grade_id"] = meta["grade_id"] + "_renamed"
            meta["points"] = 100
            if i % 2:
                cell["cell_type"] = "markdown"
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
    adv("x15_changed_metadata", nb, set())

    # 16. answer cells relabelled as locked 5-point grade cells; answers wrong
    nb = b.notebook(b.answers(set()))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id", "").endswith("_answer"):
            meta.update(grade=True, points=5, locked=True, solution=False)
    adv("x16_answer_cells_as_grade_cells", nb, set())

    # 17. os._exit in one answer cell
    adv("x17_os_exit", with_answers_replaced(b, ALL, {6: "import os\nos._exit(0)"}), ALL - {6})

    # 18. sys.exit in one answer cell (never run) before the right letter
    adv("x18_sys_exit", with_answers_replaced(b, ALL, {7: f"import sys\nsys.exit(0)\nq7 = '{key[6]}'"}), ALL)

    # 19. importing a module in one answer cell
    adv("x19_import", with_answers_replaced(b, ALL, {8: f"import course_utils\nq8 = '{key[7]}'"}), ALL)

    # 20. case and whitespace are tolerated
    shapes = ["{} ", "  {}", "{}", "\t{}\n", " {} ", "{}", "{}  ", "\n{}", "  {}  ", "{}"]
    adv(
        "x20_case_whitespace",
        with_answers_replaced(
            b,
            set(),
            {
                n: f"q{n} = {repr(shape.format(key[n - 1].upper() if n % 2 else key[n - 1]))}"
                for n, shape in zip(range(1, 11), shapes)
            },
        ),
        ALL,
    )

    # 21. values that are not one of the four letters
    adv(
        "x21_invalid_values",
        with_answers_replaced(
            b,
            ALL,
            {
                1: "q1 = 'e'",
                2: "q2 = ''",
                3: "q3 = 'cc'",
                4: "q4 = None",
                5: "q5 = 3",
                6: f"q6 = ['{key[5]}']",
                7: f"q7 = b'{key[6]}'",
                8: f"q8 = f'{key[7]}'",
                9: f"q9 = '{key[8]}' + ''",
            },
        ),
        {10},
    )

    # 22. several assignments / unusual forms
    adv(
        "x22_multiple_assignments",
        with_answers_replaced(
            b,
            ALL,
            {
                1: f"q1 = '{_wrong(key[0])}'\nq1 = '{key[0]}'",
                2: f"q2 = q2b = '{key[1]}'",
                3: f"q3: str = '{key[2]}'",
                4: f"q4, x = '{key[3]}', 1",
                5: f"q5 = '{key[4]}'; print(q5)",
            },
        ),
        ALL - {1, 2, 3, 4},
    )

    # 23. added cells after the answer cells assign the right letters; answer cells wrong
    nb = b.notebook(b.answers(set()))
    nb["cells"].extend(code_cell(f"q{n} = '{key[n - 1]}'") for n in range(1, 11))
    adv("x23_added_cells_ignored", nb, set())

    # 24. not JSON at all
    adv("x24_corrupt_json", None, set())
    b.submit_raw("x24_corrupt_json", b'{"cells": [ this is not json', set())

    # 25. binary garbage
    adv("x25_binary_garbage", None, set())
    b.submit_raw("x25_binary_garbage", bytes(range(256)) * 64, set())

    # 26. deeply nested JSON (a parser bomb)
    adv("x26_nested_json", None, set())
    b.submit_raw("x26_nested_json", b"[" * 200_000 + b"]" * 200_000, set())

    # 27. an answer cell of 5 MB, a syntax error and an IPython magic
    adv(
        "x27_huge_and_broken_cells",
        with_answers_replaced(
            b,
            ALL,
            {
                1: f"q1 = '{key[0]}'  # " + "x" * 5_000_000,
                2: f"q2 = '{key[1]}",
                3: "%%bash\ncat ../../../source/*/*.ipynb",
            },
        ),
        ALL - {1, 2, 3},
    )

    # 28. metadata stripped (e.g. edited on Colab): answers found by their assignment
    nb = b.notebook(b.answers({2, 3, 5}))
    for cell in nb["cells"]:
        cell["metadata"] = {}
    adv("x28_metadata_stripped", nb, {2, 3, 5})

    # 29. the answer cell duplicated with different letters: one letter counts, never more
    nb = b.notebook(b.answers(ALL - {1}))
    idx = next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == "q1_answer")
    nb["cells"].insert(idx, copy.deepcopy(nb["cells"][idx]))
    nb["cells"][idx]["source"] = f"q1 = '{key[0]}'"  # earlier copy right, later copy wrong: last one counts
    adv("x29_duplicated_answer_cell", nb, ALL - {1})

    # 30. the test cells moved above the answer cells and the notebook reordered
    nb = b.notebook(b.answers({1, 2, 3}))
    nb["cells"].reverse()
    adv("x30_reordered_cells", nb, {1, 2, 3})

    # 31. tries to overwrite the key and the other submissions (never executed)
    vandal = (
        "import glob\nfor p in glob.glob('../../../**/*.ipynb', recursive=True):\n"
        "    open(p, 'w').write('{}')\nopen('../../../gradebook.db', 'w').write('')\n" + f"q1 = '{key[0]}'"
    )
    adv("x31_vandalise_files", with_answers_replaced(b, ALL, {1: vandal}), ALL)  # never run: files untouched

    # 32. a notebook in nbformat 3 claiming an unknown future format
    nb = b.notebook(b.answers(ALL))
    nb["nbformat"] = 99
    adv("x32_unknown_nbformat", nb, set())

    # 33. a renamed notebook next to nothing else: reported as a failure, others graded
    adversarial.append("x33_renamed_notebook")
    folder = b.folder("x33_renamed_notebook")
    (folder / "my quiz.ipynb").write_text(json.dumps(b.notebook(b.answers(ALL))), encoding="utf-8")

    # 34. issue 18.2: prints, imports, comments, stderr writes and huge output next to the right
    #     letter neither run nor cost the point
    extras = [
        "print('done')\n",
        "import this\n",
        "# I think so\n",
        "import sys\nsys.stderr.write('x')\n",
        "print('y' * 5_000_000)\n",
        "import warnings\nwarnings.warn('w')\n",
        "",
        "x = 1\n",
        "def f():\n    return 1\n",
        "assert False\n",
    ]
    adv(
        "x34_extra_statements_ignored",
        with_answers_replaced(
            b,
            set(),
            {
                n: extras[n - 1] + f"q{n} = '{key[n - 1]}'" + (f"\nprint(q{n})" if n % 3 == 0 else "")
                for n in range(1, 11)
            },
        ),
        ALL,
    )

    # 35. the right letter assigned twice, conditionally, in a loop, in a function, by an
    #     augmented assignment or a walrus: 0 (question 10 answered normally)
    forms = [
        "q1 = '{k}'\nq1 = '{k}'",
        "if True:\n    q2 = '{k}'",
        "for _ in range(1):\n    q3 = '{k}'",
        "def f():\n    global q4\n    q4 = '{k}'\nf()",
        "q5 = '{k}'\nq5 += ''",
        "(q6 := '{k}')",
        "try:\n    q7 = '{k}'\nexcept Exception:\n    pass",
        "q8 = '{k}' if True else 'a'",
        "q9 = '{k}'\ndel q9",
    ]
    adv(
        "x35_assigned_twice_or_conditionally",
        with_answers_replaced(b, ALL, {n: form.format(k=key[n - 1]) for n, form in enumerate(forms, start=1)}),
        {10},
    )

    # 36. a dynamic assignment is never run: the grader reads the literal (here a wrong one) or nothing
    adv(
        "x36_dynamic_assignment",
        with_answers_replaced(
            b,
            ALL,
            {
                1: f"q1 = '{_wrong(key[0])}'\nglobals()['q1'] = '{key[0]}'",
                2: f"globals()['q2'] = '{key[1]}'",
                3: f"exec(\"q3 = '{key[2]}'\")",
            },
        ),
        ALL - {1, 2, 3},
    )
    return len(adversarial)

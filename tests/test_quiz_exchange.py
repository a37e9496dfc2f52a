"""nbgrader's exchange round trip for a class, with nbgrader's own commands (issue 18.3).

release_assignment -> fetch_assignment -> submit (two students: every nbgrader command is a process of
several seconds, so the class is as small as the cases need) -> collect -> autograde ->
generate_feedback -> release_feedback -> fetch_feedback, in a temporary exchange folder, with
the global configuration that quizzes/README.md gives for a single-machine JupyterHub (read
from the README itself, so the documented configuration is the tested one).

Every command is ``nbgrader <command>`` run as a separate process.  The students are told apart
the way nbgrader does on Zero to JupyterHub, where every user's server runs as ``jovyan``: the
OS user name reads ``jovyan`` and ``JUPYTERHUB_USER`` names the student.  What this does not
cover: a real hub, separate Unix users and their file permissions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_quiz import bank

pytest.importorskip("nbgrader")
# A class's exchange: run by `make test-hub` (CI) with the JupyterHub round trip that covers the same
# commands on a real hub; `make test` skips it (tests/test_quiz_pipeline.py covers one course's pipeline).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.classroom,
    pytest.mark.filterwarnings("ignore:.*not in session:Warning"),
]

REPO = Path(__file__).resolve().parents[1]
QUIZZES = REPO / "quizzes"
SOURCE_NB = QUIZZES / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
ASSIGNMENT = "autoencoder_quiz"
KEY = bank.answer_key(SOURCE_NB)
DOC_EXCHANGE = "/srv/nbgrader/exchange"

# `nbgrader ...` as a user of a Zero-to-JupyterHub server: OS user jovyan, JUPYTERHUB_USER = the student
LAUNCH = (
    "import sys, nbgrader.utils as u\n"
    "u.get_osusername = lambda: 'jovyan'\n"
    "from nbgrader.apps.nbgraderapp import main\n"
    "sys.argv[0] = 'nbgrader'\n"
    "sys.exit(main())\n"
)


DOC_COURSE = "/home/jupyter-teacher/autoencoder-course/quizzes"


def documented_block(first_line: str, language: str = "python") -> str:
    """The fenced block of quizzes/README.md that starts with ``first_line``."""
    readme = (QUIZZES / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)
    found = [b for b in blocks if b.startswith(first_line)]
    assert len(found) == 1, f"quizzes/README.md must hold one {language} block starting {first_line!r}"
    return found[0]


def test_documented_kubernetes_values_parse():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load(documented_block("singleuser:", "yaml"))
    single = values["singleuser"]
    assert single["storage"]["extraVolumeMounts"][0]["mountPath"] == DOC_EXCHANGE
    config = single["extraFiles"]["nbgrader-config"]["stringData"]
    assert f'c.Exchange.root = "{DOC_EXCHANGE}"' in config and "course_id" in config
    assert "formgrader-autoencoders" in values["hub"]["services"]


class Class:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.exchange = tmp / "srv" / "exchange"
        self.exchange.mkdir(parents=True)
        self.exchange.chmod(0o777)  # as the guide says: world-writable (students write to inbound/)
        etc = tmp / "etc" / "jupyter"
        etc.mkdir(parents=True)
        config = documented_block("# nbgrader_config.py for every user")
        assert DOC_EXCHANGE in config
        (etc / "nbgrader_config.py").write_text(config.replace(DOC_EXCHANGE, str(self.exchange)), encoding="utf-8")
        # the instructor: a private copy of the course in their home, their ~/.jupyter config as documented
        self.instructor_home = tmp / "home" / "teacher"
        self.course = self.instructor_home / "autoencoder-course" / "quizzes"
        from course_quiz.bench import copy_course

        copy_course(QUIZZES, self.course)
        user_config = documented_block("# ~/.jupyter/nbgrader_config.py of each instructor")
        assert DOC_COURSE in user_config
        (self.instructor_home / ".jupyter").mkdir()
        (self.instructor_home / ".jupyter" / "nbgrader_config.py").write_text(
            user_config.replace(DOC_COURSE, str(self.course)), encoding="utf-8"
        )
        self.env = dict(
            os.environ,
            PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
            JUPYTER_CONFIG_PATH=str(etc),
            JUPYTER_CONFIG_DIR=str(tmp / "no-user-config"),
        )
        self.env.pop("JUPYTERHUB_USER", None)

    def nbgrader(self, user: str, *args: str, cwd: Path, config_dir: Path | None = None) -> str:
        env = dict(self.env, HOME=str(cwd), JUPYTERHUB_USER=user)
        if config_dir is not None:
            env["JUPYTER_CONFIG_DIR"] = str(config_dir)
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        log = done.stdout + done.stderr
        assert done.returncode == 0, f"nbgrader {' '.join(args)} as {user} failed:\n{log[-3000:]}"
        return log

    def instructor(self, *args: str) -> str:
        """As the instructor, from their home folder (not quizzes/): the quiz configuration comes
        in through their ~/.jupyter/nbgrader_config.py, as for the formgrader."""
        return self.nbgrader("teacher", *args, cwd=self.instructor_home, config_dir=self.instructor_home / ".jupyter")

    def home(self, student: str) -> Path:
        home = self.tmp / "home" / student
        home.mkdir(parents=True, exist_ok=True)
        return home


def _answer(nb: dict, answers: dict[str, str]) -> dict:
    for cell in nb["cells"]:
        q = (bank.grade_id(cell) or "").removesuffix("_answer")
        if q in answers:
            cell["source"] = f"# my answer\n{answers[q]}"
    return nb


def _other(letter: str) -> str:
    return "abcd"[("abcd".index(letter) + 1) % 4]


def test_exchange_round_trip_for_a_class(tmp_path):
    klass = Class(tmp_path)
    right_half = list(KEY)[: len(KEY) // 2]
    first = list(KEY)[0]
    pwned = tmp_path / "PWNED"
    plans = {  # student -> (answer cells, expected score)
        # wrong letters everywhere score 0 (bob in tests/test_quiz_pipeline.py): a wrong one here suffices
        "alice": (
            {q: (f"{q} = '{_other(k)}'" if q == list(KEY)[-1] else f"{q} = '{k}'") for q, k in KEY.items()},
            len(KEY) - 1,
        ),
        # extra lines next to the right letter count; the first one tries to write a file (never run)
        "carol": (
            {q: (f"print('sure')\n{q} = '{k.upper()}'" if q in right_half else f"{q} = None") for q, k in KEY.items()},
            len(right_half),
        ),
    }
    plans["carol"][0][first] = f"open({str(pwned)!r}, 'w').write('x')\n{first} = '{KEY[first]}'"

    klass.instructor("generate_assignment", ASSIGNMENT, "--force")
    log = klass.instructor("release_assignment", ASSIGNMENT)
    assert "Released as" in log
    released = list(klass.exchange.rglob(f"outbound/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
    assert len(released) == 1 and "autoencoders" in released[0].parts  # the documented course id

    assert ASSIGNMENT in klass.nbgrader("alice", "list", cwd=klass.home("alice"))
    for student, (answers, _) in plans.items():
        home = klass.home(student)
        klass.nbgrader(student, "fetch_assignment", ASSIGNMENT, cwd=home)
        path = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert "BEGIN SOLUTION" not in json.dumps(nb) and "HIDDEN" not in json.dumps(nb)
        path.write_text(json.dumps(_answer(nb, answers)), encoding="utf-8")
        klass.nbgrader(student, "submit", ASSIGNMENT, cwd=home)
    inbound = sorted(p.name.split("+")[0] for p in klass.exchange.rglob("inbound/*") if p.is_dir())
    assert inbound == sorted(plans)

    klass.instructor("collect", ASSIGNMENT)
    assert sorted(p.name for p in (klass.course / "submitted").iterdir()) == sorted(plans)
    klass.instructor("autograde", ASSIGNMENT)
    klass.instructor("generate_feedback", ASSIGNMENT)
    klass.instructor("release_feedback", ASSIGNMENT)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{klass.course / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT, s).score for s in plans}
    assert scores == {s: float(expected) for s, (_, expected) in plans.items()}
    assert not pwned.exists()  # carol's extra line never ran
    # the instructor's run used the quiz configuration: answer cells were rebuilt, not executed
    graded = json.loads((klass.course / "autograded" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    cell = next(c for c in graded["cells"] if bank.grade_id(c) == first + "_answer")
    assert bank.cell_source(cell) == f"{first} = '{KEY[first]}'"

    from course_quiz import manage

    for student, (_, expected) in plans.items():
        home = klass.home(student)
        klass.nbgrader(student, "fetch_feedback", ASSIGNMENT, cwd=home)
        pages = list((home / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
        assert len(pages) == 1, student
        text = pages[0].read_text(encoding="utf-8")
        assert (
            f"Score: {expected:g}" in re.sub(r"<[^>]+>", " ", text).replace("\n", " ") or f"{float(expected)}" in text
        )
        assert text.count(": correct") == expected and text.count(": not correct") == len(KEY) - expected
        # the feedback a student fetched holds no key: no hidden check, no correct letter
        assert manage.scan_for_key(pages[0].parent, klass.course, own_answers_allowed=True) == []
        assert "Correct answer" not in text and ".strip().lower() ==" not in text

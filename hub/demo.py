"""A class on a real JupyterHub, end to end: ``python -m hub.demo run`` (``make hub-demo``).

Starts JupyterHub (hub/jupyterhub_config.py) on 127.0.0.1 with an instructor and three students,
and drives the quiz through it:

1. the instructor (``teacher``) releases the quiz to the nbgrader exchange;
2. each student's single-user server lists it, fetches it, the student answers in their server
   (Jupyter's contents API) — ``alice`` all right, ``bob`` half right, ``carol`` with a broken
   answer cell — and submits it, all through the server's nbgrader endpoints behind the hub;
3. the instructor collects, autogrades (``quizzes/manage.py grade``) and releases feedback;
4. each student fetches their feedback through their server.

The instructor's steps run as nbgrader commands with the instructor's identity and
configuration (``HOME`` = their hub home, ``JUPYTERHUB_USER=teacher``), exactly what a terminal
in their JupyterLab runs.  ``python -m hub.demo serve`` starts the same hub for a person to log
in (any demo user, password ``autoencoders``) and stops it by itself after ``--minutes``.
Everything is written under ``build/hub/`` and every process is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from course_quiz import answer_rule, bank  # installed with the course (pip install -e .)
from course_quiz.bench import copy_course
from course_quiz.manage import scan_for_key

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STATE = REPO / "build" / "hub"
COURSE_ID = "autoencoders"
ASSIGNMENT = NOTEBOOK = "autoencoder_quiz"
TEACHER, STUDENTS = "teacher", ("alice", "bob", "carol")
LOOPBACK = "127.0.0.1"


def proxy_path(state: Path = STATE) -> Path:
    return Path(os.environ.get("HUB_PROXY", state / "node_modules" / ".bin" / "configurable-http-proxy"))


def missing_tools(state: Path = STATE) -> list[str]:
    """What the demo needs and does not find (empty: ready)."""
    missing = []
    if shutil.which("jupyterhub", path=str(BIN)) is None:
        missing.append("jupyterhub (pip install -r requirements/hub.txt)")
    if not proxy_path(state).exists():
        missing.append(
            f"configurable-http-proxy ({proxy_path(state)}; npm install --prefix {state} configurable-http-proxy)"
        )
    if shutil.which("node") is None:
        missing.append("node (Node.js, for configurable-http-proxy)")
    return missing


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind((LOOPBACK, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# --------------------------------------------------------------------------- the users' files

STUDENT_CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{course}"
c.Exchange.root = "{exchange}"
"""
TEACHER_CONFIG = STUDENT_CONFIG + 'load_subconfig("{course_dir}/nbgrader_config.py")  # noqa: F821\n'
# nbgrader names a submission after the Unix account (TLJH: one per student) or, for the account
# jovyan (Zero to JupyterHub), after JUPYTERHUB_USER.  The demo's servers all run as this machine's
# one account, so each student's configuration names the student: the demo's only addition.
DEMO_IDENTITY = 'c.CourseDirectory.student_id = "{user}"  # demo only: all servers share one Unix account\n'


def prepare(state: Path) -> dict[str, Path]:
    """Fresh homes, exchange and hub state under ``state`` (node_modules is kept)."""
    for name in ("home", "exchange", "state"):
        shutil.rmtree(state / name, ignore_errors=True)
    (state / "state").mkdir(parents=True)
    exchange = state / "exchange"
    exchange.mkdir(parents=True)
    exchange.chmod(0o1777)  # world-writable with the sticky bit, as nbgrader's exchange expects
    homes = {user: state / "home" / user for user in (TEACHER, *STUDENTS)}
    course_dir = homes[TEACHER] / "autoencoder-course" / "quizzes"
    copy_course(REPO / "quizzes", course_dir)
    for user, home in homes.items():
        (home / ".jupyter").mkdir(parents=True, exist_ok=True)
        text = (TEACHER_CONFIG if user == TEACHER else STUDENT_CONFIG).format(
            course=COURSE_ID, exchange=exchange, course_dir=course_dir
        )
        if user != TEACHER:
            text += DEMO_IDENTITY.format(user=user)
        (home / ".jupyter" / "nbgrader_config.py").write_text(text, encoding="utf-8")
    # the instructor's tools for the instructor only (students keep the student view)
    server = {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": True}}}
    (homes[TEACHER] / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps(server), encoding="utf-8")
    labconfig = homes[TEACHER] / ".jupyter" / "labconfig"
    labconfig.mkdir()
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyter/nbgrader:formgrader": False}}), encoding="utf-8"
    )
    return {"exchange": exchange, "course_dir": course_dir, **{f"home:{u}": h for u, h in homes.items()}}


# --------------------------------------------------------------------------- the hub


class Hub:
    """A running JupyterHub (context manager: stops it and checks nothing is left)."""

    def __init__(self, state: Path = STATE, log=print):
        self.state, self.log = Path(state), log
        self.token = secrets.token_hex(32)
        self.port, self.api_port, self.proxy_api_port = free_ports(3)
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process: subprocess.Popen | None = None
        self.pids: set[int] = set()

    def __enter__(self) -> Hub:
        self.paths = prepare(self.state)
        env = dict(
            os.environ,
            HUB_STATE=str(self.state),
            HUB_PORT=str(self.port),
            HUB_API_PORT=str(self.api_port),
            HUB_PROXY_API_PORT=str(self.proxy_api_port),
            HUB_DRIVER_TOKEN=self.token,
            HUB_PROXY=str(proxy_path(self.state)),
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.logfile = (self.state / "state" / "jupyterhub.log").open("w")
        self.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(REPO / "hub" / "jupyterhub_config.py")],
            cwd=self.state / "state",
            env=env,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        try:
            self.wait(lambda: self.api("GET", "/hub/api/")["version"], 90, "the hub's REST API")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- HTTP through the proxy, as a browser or the REST API client would
    def request(self, method: str, path: str, data: Any = None, params: dict | None = None) -> tuple[int, bytes]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        body = json.dumps(data).encode() if data is not None else (b"" if method in ("POST", "PUT") else None)
        req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"token {self.token}"})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method: str, path: str, data: Any = None, params: dict | None = None, ok=(200, 201, 202, 204)) -> Any:
        status, body = self.request(method, path, data, params)
        if status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {body[:500]!r}")
        return json.loads(body) if body else None

    def wait(self, probe, seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited ({self.process.returncode}); see {self.logfile.name}")
            try:
                value = probe()
                if value:
                    return value
            except (OSError, RuntimeError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not ready after {seconds:.0f} s; see {self.logfile.name}")
            time.sleep(0.5)

    def start_server(self, user: str) -> None:
        self.api("POST", f"/hub/api/users/{user}/server", ok=(201, 202, 400))  # 400: already running
        self.wait(lambda: self.api("GET", f"/hub/api/users/{user}")["servers"][""]["ready"], 150, f"{user}'s server")
        self.pids |= self.tree_pids()

    def tree_pids(self) -> set[int]:
        import psutil

        if self.process is None:
            return set()
        try:
            parent = psutil.Process(self.process.pid)
            return {parent.pid, *(p.pid for p in parent.children(recursive=True))}
        except psutil.NoSuchProcess:
            return set()

    def listening(self) -> list[tuple[str, int]]:
        """(address, port) of every socket that the hub's processes listen on."""
        import psutil

        found = []
        for pid in self.tree_pids():
            try:
                for conn in psutil.Process(pid).net_connections(kind="inet"):
                    if conn.status == psutil.CONN_LISTEN:
                        found.append((conn.laddr.ip, conn.laddr.port))
            except psutil.NoSuchProcess:
                continue
        return found

    def stop(self) -> list[int]:
        """Stop the hub (it stops the proxy and the servers); return processes still alive (should be none)."""
        import psutil

        if self.process is None:
            return []
        self.pids |= self.tree_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        deadline = time.monotonic() + 20
        alive = [p for p in self.pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        while alive and time.monotonic() < deadline:
            time.sleep(0.5)
            alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        for pid in alive:  # a server the hub did not stop: ours, stopped here, and reported
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.logfile.close()
        self.process = None
        self.left_behind = alive
        return alive


# --------------------------------------------------------------------------- the class


def as_teacher(hub: Hub, *command: str) -> str:
    """Run a command as the instructor: their home, their nbgrader configuration, from their course folder."""
    env = dict(
        os.environ,
        HOME=str(hub.paths[f"home:{TEACHER}"]),
        JUPYTERHUB_USER=TEACHER,
        JUPYTER_PREFER_ENV_PATH="0",  # as the hub's servers (hub/jupyterhub_config.py)
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("JUPYTER_CONFIG_DIR", None)
    done = subprocess.run(
        list(command), cwd=hub.paths["course_dir"], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout + done.stderr


def answers_for(student: str, key: str) -> tuple[dict[int, str], int]:
    """The answer cells each demo student writes, and the score they must get."""
    wrong = {q: "abcd"[("abcd".index(k) + 1) % 4] for q, k in enumerate(key, start=1)}
    if student == "alice":  # all right
        return {q: f"q{q} = '{k}'" for q, k in enumerate(key, start=1)}, len(key)
    if student == "bob":  # half right
        return {q: f"q{q} = '{k if q % 2 else wrong[q]}'" for q, k in enumerate(key, start=1)}, (len(key) + 1) // 2
    cells = {q: f"q{q} = '{k}'" for q, k in enumerate(key, start=1)}  # carol: a broken answer cell
    cells[1] = f"q1 = '{key[0]}\nprint(q1"
    return cells, len(key) - 1


def student_action(hub: Hub, student: str, action: str) -> Any:
    return hub.api(
        "POST", f"/user/{student}/assignments/{action}", params={"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}
    )


def listed(hub: Hub, student: str) -> list[dict]:
    return hub.api("GET", f"/user/{student}/assignments", params={"course_id": COURSE_ID})["value"]


def round_trip(hub: Hub, log=print) -> dict[str, Any]:
    """The whole class through the hub; returns what happened (scores, times, checks)."""
    t0 = time.perf_counter()
    times: dict[str, float] = {}
    key = "".join(bank.answer_key(bank.source_notebook_path(hub.paths["course_dir"])).values())
    for user in (TEACHER, *STUDENTS):
        hub.start_server(user)
    times["servers"] = time.perf_counter() - t0
    log(f"servers of {TEACHER}, {', '.join(STUDENTS)} ready ({times['servers']:.0f} s)")

    python = str(BIN / "python")
    as_teacher(hub, python, "manage.py", "release")
    as_teacher(hub, str(BIN / "nbgrader"), "release_assignment", ASSIGNMENT)
    log("teacher: quiz generated (no key in it) and released to the exchange")

    expected, seen = {}, {}
    for student in STUDENTS:
        seen[student] = [a["status"] for a in listed(hub, student) if a["assignment_id"] == ASSIGNMENT]
        student_action(hub, student, "fetch")
        path = f"/user/{student}/api/contents/{ASSIGNMENT}/{NOTEBOOK}.ipynb"
        model = hub.api("GET", path)
        cells, expected[student] = answers_for(student, key)
        for cell in model["content"]["cells"]:
            gid = bank.grade_id(cell) or ""
            if gid.endswith(bank.ANSWER_SUFFIX) and int(gid[1 : -len(bank.ANSWER_SUFFIX)]) in cells:
                cell["source"] = cells[int(gid[1 : -len(bank.ANSWER_SUFFIX)])]
        hub.api("PUT", path, {"type": "notebook", "format": "json", "content": model["content"]})
        student_action(hub, student, "submit")
    times["students"] = time.perf_counter() - t0
    log(f"students: listed {seen}, fetched, answered and submitted through their servers")

    as_teacher(hub, str(BIN / "nbgrader"), "collect", ASSIGNMENT)
    grade_output = as_teacher(hub, python, "manage.py", "grade")
    as_teacher(hub, str(BIN / "nbgrader"), "release_feedback", ASSIGNMENT)
    times["grading"] = time.perf_counter() - t0
    log("teacher: collected, graded, feedback released")

    feedback = {}
    for student in STUDENTS:
        student_action(hub, student, "fetch_feedback")
        pages = sorted((hub.paths[f"home:{student}"] / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK}.html"))
        feedback[student] = [str(p) for p in pages]
    import csv

    with (hub.paths["course_dir"] / "grades.csv").open(newline="") as handle:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(handle)}
    leaks = []
    for student in STUDENTS:
        home = hub.paths[f"home:{student}"]
        leaks += scan_for_key(home, hub.paths["course_dir"], own_answers_allowed=True)
        leaks += [str(p) for p in home.rglob("*") if p.name == "gradebook.db" or p.parent.name == "source"]
    times["total"] = time.perf_counter() - t0
    return {
        "expected": expected,
        "scores": {s: scores.get(s) for s in STUDENTS},
        "exact": all(scores.get(s) == expected[s] for s in STUDENTS),
        "listed_before_fetch": seen,
        "feedback": feedback,
        "key_leaks": leaks,
        "listening": sorted(set(hub.listening())),
        "grade_output": grade_output,
        "seconds": {k: round(v, 1) for k, v in times.items()},
        "answer_rule_reason_carol_q1": answer_rule.parse_answer(answers_for("carol", key)[0][1], "q1")[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The course's JupyterHub demo (127.0.0.1 only).")
    parser.add_argument("command", choices=["run", "serve", "check"])
    parser.add_argument("--minutes", type=float, default=30, help="serve: stop by itself after this long")
    parser.add_argument("--json", type=Path, default=None, help="run: write the summary here")
    args = parser.parse_args(argv)
    missing = missing_tools()
    if args.command == "check" or missing:
        print("missing: " + "; ".join(missing) if missing else "jupyterhub and configurable-http-proxy found")
        return 1 if missing else 0
    start = time.perf_counter()
    with Hub() as hub:
        if args.command == "serve":
            print(f"JupyterHub at {hub.url}/ : log in as {TEACHER}, {', '.join(STUDENTS)} (password autoencoders).")
            print(f"It stops by itself in {args.minutes:g} min (or press Ctrl-C).")
            try:
                time.sleep(args.minutes * 60)
            except KeyboardInterrupt:
                pass
            return 0
        summary = round_trip(hub)
    summary["left_behind"] = hub.left_behind
    summary["wall_seconds"] = round(time.perf_counter() - start, 1)
    text = json.dumps({k: v for k, v in summary.items() if k != "grade_output"}, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    ok = summary["exact"] and not summary["key_leaks"] and not summary["left_behind"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

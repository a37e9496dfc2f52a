"""A class on a real JupyterHub (hub/demo.py), issue 31.

The round trip needs ``jupyterhub`` (requirements/hub.txt) and ``configurable-http-proxy`` (npm)
and takes a few minutes, so it runs when ``COURSE_HUB_TESTS=1`` (``make test-hub`` installs both
and sets it; a named CI step).  Without them it is skipped with the reason.  The configuration
checks at the top need neither.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from hub import demo  # the repository root is on pytest's pythonpath (pyproject.toml)

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "hub" / "jupyterhub_config.py"


def hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("HUB_STATE", str(tmp_path))
    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def test_hub_listens_on_loopback_only_and_admits_the_demo_users_only(tmp_path, monkeypatch):
    c = hub_config(tmp_path, monkeypatch)
    assert c.JupyterHub.ip == c.JupyterHub.hub_ip == c.Spawner.ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.Authenticator.allowed_users == {"teacher", "alice", "bob", "carol"}
    assert c.Authenticator.admin_users == {"teacher"}
    assert c.JupyterHub.spawner_class == "simple" and c.JupyterHub.authenticator_class == "dummy"
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "home" / "{username}")
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'state' / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cleanup_servers is True and "services" not in c.JupyterHub  # no token unless asked


def test_users_get_the_documented_nbgrader_configuration(tmp_path):
    paths = demo.prepare(tmp_path)
    exchange = paths["exchange"]
    assert oct(exchange.stat().st_mode & 0o7777) == "0o1777"
    for student in demo.STUDENTS:
        text = (paths[f"home:{student}"] / ".jupyter" / "nbgrader_config.py").read_text()
        assert f'c.Exchange.root = "{exchange}"' in text and 'course_id = "autoencoders"' in text
        assert f'student_id = "{student}"' in text and "load_subconfig" not in text
        assert not list(paths[f"home:{student}"].rglob("*.ipynb"))  # nothing of the quiz before the release
    teacher = (paths["home:teacher"] / ".jupyter" / "nbgrader_config.py").read_text()
    assert f'load_subconfig("{paths["course_dir"]}/nbgrader_config.py")' in teacher and "student_id" not in teacher
    assert (paths["course_dir"] / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb").is_file()


def _skip_reason() -> str | None:
    if os.environ.get("COURSE_HUB_TESTS") != "1":
        return "the JupyterHub round trip runs with COURSE_HUB_TESTS=1 (make test-hub installs jupyterhub and configurable-http-proxy)"
    missing = demo.missing_tools()
    return f"missing: {'; '.join(missing)} (make test-hub installs them)" if missing else None


@pytest.mark.slow
@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_a_class_on_jupyterhub_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_PROXY", str(demo.proxy_path()))  # installed under build/hub by make test-hub
    hub = demo.Hub(state=tmp_path / "hub", log=lambda *a: print(*a, file=sys.stderr))
    with hub:
        summary = demo.round_trip(hub)
        pids = hub.tree_pids()
    assert hub.left_behind == []
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    # the students saw the released quiz in their servers' assignment list before fetching it
    assert summary["listed_before_fetch"] == {s: ["released"] for s in demo.STUDENTS}
    # grades exact: all right, half right, one broken answer cell
    assert summary["exact"], summary["scores"]
    assert summary["scores"] == {"alice": 10.0, "bob": 5.0, "carol": 9.0}
    for student in demo.STUDENTS:
        assert len(summary["feedback"][student]) == 1, student
        page = Path(summary["feedback"][student][0]).read_text(encoding="utf-8")
        assert "q1: correct" in page or "q1: not correct" in page
    assert "q1: not correct" in Path(summary["feedback"]["carol"][0]).read_text(encoding="utf-8")
    assert summary["key_leaks"] == []
    # hub, proxy and four servers, all on the loopback interface
    assert len(summary["listening"]) >= 6
    assert {address for address, _ in summary["listening"]} == {"127.0.0.1"}
    assert summary["seconds"]["total"] < 300


def _documented_block(first_line: str) -> str:
    import re

    readme = (REPO / "quizzes" / "README.md").read_text(encoding="utf-8")
    found = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if b.startswith(first_line)]
    assert len(found) == 1, first_line
    return found[0]


def test_the_demo_uses_the_guides_nbgrader_configuration():
    """quizzes/README.md section 8's two blocks are the demo's files, paths aside (plus the demo's identity line)."""
    students = _documented_block("# nbgrader_config.py for every user").splitlines()[1:]
    assert students == demo.STUDENT_CONFIG.format(course="autoencoders", exchange="/srv/nbgrader/exchange").splitlines()
    teacher = _documented_block("# ~/.jupyter/nbgrader_config.py of each instructor").splitlines()[1:]
    load = [line for line in teacher if line.startswith("load_subconfig(")]
    course_dir = "/home/jupyter-teacher/autoencoder-course/quizzes"
    assert load == [demo.TEACHER_CONFIG.format(course="x", exchange="y", course_dir=course_dir).splitlines()[-1]]
    assert demo.DEMO_IDENTITY.startswith("c.CourseDirectory.student_id") and "demo only" in demo.DEMO_IDENTITY


def browser_sees_the_released_quiz(hub, student: str = "alice", shots: Path = REPO / "build" / "screenshots") -> None:
    """Headless Chromium logs in at the hub as ``student``, opens JupyterLab and the nbgrader Assignment List."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"), headless=True
        )
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", student)
            page.fill("#password_input", os.environ.get("HUB_PASSWORD", "autoencoders"))
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{student}/**")
            page.goto(f"{hub.url}/user/{student}/lab")
            menu = page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
            menu.wait_for(state="visible")
            for _ in range(5):
                menu.click()
                try:
                    page.wait_for_selector(".lm-Menu .lm-Menu-item", state="visible", timeout=3000)
                    break
                except Exception:  # noqa: BLE001 - a pop-up took the click: close it, try again
                    page.keyboard.press("Escape")
            page.click(".lm-Menu .lm-Menu-itemLabel:text-is('Assignment List')")
            released = page.locator("#released_assignments_list")
            released.get_by_text("autoencoder_quiz").first.wait_for(state="visible", timeout=60_000)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"hub-{student}-assignment-list.png"))
        finally:
            chromium.close()


@pytest.mark.slow
@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_a_student_sees_the_quiz_in_jupyterlab_through_the_hub(tmp_path, monkeypatch):
    pytest.importorskip("playwright", reason="Playwright's client: tools/install_browser.sh (make test-browser)")
    if not Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")).exists():
        pytest.skip("no Chromium: tools/install_browser.sh installs Debian's chromium")
    monkeypatch.setenv("HUB_PROXY", str(demo.proxy_path()))
    hub = demo.Hub(state=tmp_path / "hub", log=lambda *a: print(*a, file=sys.stderr))
    with hub:
        for user in (demo.TEACHER, "alice"):
            hub.start_server(user)
        demo.as_teacher(hub, str(demo.BIN / "python"), "manage.py", "release")
        demo.as_teacher(hub, str(demo.BIN / "nbgrader"), "release_assignment", demo.ASSIGNMENT)
        browser_sees_the_released_quiz(hub, "alice")
    assert hub.left_behind == []

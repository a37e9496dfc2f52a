"""JupyterLab in a real browser: a token-protected `jupyter lab` + headless Debian Chromium.

These tests are collected only when ``COURSE_BROWSER_TESTS=1`` (``make test-browser`` sets it and
first runs ``tools/install_browser.sh``, which installs Chromium and Playwright), so the default
``pytest tests`` run (``make test``) does not need a browser.

The server is started like ``make lab`` starts it — the venv's ``jupyter lab``, the repository as
root directory, the sys-prefix configuration written by ``binder/postBuild`` (nbgrader's student
view) — with three differences that change nothing a student sees: a random port and token, user
configuration/settings/workspace folders that are empty temporary folders (so a developer's own
``~/.jupyter`` cannot change the result), and autosave switched off and news notifications
disabled, so that running the lessons never writes outputs into the committed notebooks and no
pop-up covers the page. ``--LabApp.expose_app_in_browser`` lets the test read the notebook model
(the outputs the browser received) to tell tracebacks from warnings printed on stderr.
Kernels inherit ``COURSE_FAST=1`` and ``COURSE_OFFLINE=1`` from the server's environment.

Environment knobs: ``COURSE_CHROMIUM`` (default ``/usr/bin/chromium``),
``COURSE_BROWSER_TIMEOUT`` (seconds allowed for one notebook's Run All, default 900).
Screenshots go to ``build/screenshots/``; the executed notebooks (as the browser holds them) to
``build/browser-executed/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.procs import free_port

if os.environ.get("COURSE_BROWSER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "build" / "screenshots"
EXECUTED = ROOT / "build" / "browser-executed"
RUN_TIMEOUT_S = float(os.environ.get("COURSE_BROWSER_TIMEOUT", "900"))
TOKEN = "course-browser-test-" + os.urandom(8).hex()

# User settings a fresh JupyterLab would otherwise prompt for or act on by itself.
USER_SETTINGS = {
    # never write the outputs of the test run into the committed notebooks
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # no "Would you like to get notified about official Jupyter news?" toast over the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class LabServer:
    """A running `jupyter lab`: where it answers and how to talk to its REST API."""

    base: str
    token: str
    process: subprocess.Popen
    log: Path

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(self.url(f"/api/{path}"), method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session (and so its kernel): lessons hold hundreds of MB each."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings"
    for rel, value in USER_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the Makefile exports Agg; students' kernels use the inline backend
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        COURSE_FAST="1",
        COURSE_OFFLINE="1",
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    port = free_port()
    cmd = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--ServerApp.root_dir={ROOT}",
        "--LabApp.default_url=/lab/tree/notebooks",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        "--LabApp.expose_app_in_browser=True",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = home / "server.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)
    server = LabServer(f"http://127.0.0.1:{port}", TOKEN, proc, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                server.api("status")
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within 120 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run tools/install_browser.sh (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class CellError:
    index: int
    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"cell {self.index}: {self.ename}: {self.evalue}"


class Lab:
    """One browser page on the Lab server, with the steps a student takes."""

    def __init__(self, server: LabServer, page: Any) -> None:
        self.server = server
        self.page = page
        self.console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    # ------------------------------------------------------------------ navigation
    def open(self, relpath: str) -> None:
        """Open ``relpath`` (relative to the repository) in a fresh Lab page and wait for its kernel."""
        self.page.goto(self.server.url(f"/lab/tree/{relpath}?reset"))
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        # JupyterLab may ask which kernel to start (e.g. while it is still loading the kernel
        # specs); a student accepts the preselected "Python 3 (ipykernel)".
        deadline = time.monotonic() + 180
        while True:
            dialog = self.page.locator(".jp-Dialog:has-text('Select Kernel')")
            if dialog.count():
                dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
            sessions = [s for s in self.server.api("sessions") if s.get("path") == relpath]
            if sessions and sessions[0]["kernel"]["execution_state"] == "idle" and self._kernel_idle():
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"no idle kernel for {relpath} after 180 s (sessions: {sessions})")
            self.page.wait_for_timeout(500)

    def _open_menu(self, top: str) -> None:
        """Open menu ``top`` of the menu bar (retrying: a click may only close a pop-up first)."""
        for _ in range(5):
            self.page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
            try:
                self.page.wait_for_selector(".lm-Menu .lm-Menu-item", state="visible", timeout=3000)
                return
            except Exception:  # noqa: BLE001 - the menu did not open: close whatever is in front, try again
                self.page.keyboard.press("Escape")
        raise AssertionError(f"menu {top!r} does not open")

    def menu(self, top: str, item: str) -> None:
        """Click ``top`` in the menu bar, then the menu entry labelled ``item``."""
        self._open_menu(top)
        self.page.click(f".lm-Menu .lm-Menu-itemLabel:text-is('{item}')")

    def menu_labels(self, top: str) -> list[str]:
        """The visible entries of menu ``top`` (the menu is closed again afterwards)."""
        self._open_menu(top)
        labels = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('.lm-Menu .lm-Menu-item'))
                     .filter(e => e.offsetParent !== null && !e.classList.contains('lm-mod-hidden'))
                     .map(e => e.querySelector('.lm-Menu-itemLabel').textContent.trim())
                     .filter(t => t.length > 0)"""
        )
        self.page.keyboard.press("Escape")
        return labels

    # ------------------------------------------------------------------ running
    def run_all(self, timeout_s: float = RUN_TIMEOUT_S) -> float:
        """Run → Run All Cells, then wait until nothing is queued or running; return the seconds taken."""
        start = time.monotonic()
        self.menu("Run", "Run All Cells")
        # the first cell turns to [*] at once; then wait for a quiet notebook, seen twice in a row
        quiet_since = None
        while True:
            busy = self.page.evaluate(
                """() => {
                    const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                    const ind = nb.querySelector('.jp-Notebook-ExecutionIndicator');
                    const running = Array.from(nb.querySelectorAll('.jp-InputPrompt'))
                        .some(p => p.textContent.includes('*'));
                    return running || (ind && ind.getAttribute('data-status') !== 'idle');
                }"""
            )
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= 3:
                return now - start
            if now - start > timeout_s:
                raise AssertionError(f"Run All Cells still running after {timeout_s:.0f} s")
            self.page.wait_for_timeout(500)

    def notebook_json(self) -> dict:
        """The notebook as the browser holds it (outputs included), via the exposed app."""
        return self.page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")

    def errors(self, nb: dict) -> list[CellError]:
        """Error outputs (exceptions) in ``nb``; warnings printed on stderr are not errors."""
        found = []
        for i, cell in enumerate(nb["cells"]):
            for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
                if out["output_type"] == "error":
                    found.append(CellError(i, out.get("ename", ""), out.get("evalue", "")))
        return found

    def unexecuted_code_cells(self) -> list[int]:
        """Indices (among code cells) whose visible prompt is not ``[n]:`` — not run, or stopped by an error."""
        prompts = self.page.eval_on_selector_all(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent)"
        )
        return [i for i, p in enumerate(prompts) if not re.fullmatch(r"\s*\[\d+\]:\s*", p)]

    def widget_render_failures(self) -> list[str]:
        """Texts JupyterLab shows when a widget or an output cannot be displayed."""
        return self.page.eval_on_selector_all(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output",
            """els => els.map(e => e.textContent).filter(t =>
                 /Error displaying widget|Error rendering output|Failed to load model class|model not found/.test(t))
                 .map(t => t.slice(0, 200))""",
        )

    # ------------------------------------------------------------------ widgets
    def sliders_with_output(self) -> Any:
        """Slider handles of the widgets that have an output to redraw (explorers, ``interact``)."""
        return self.page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .widget-box:has(.widget-output) .widget-slider .noUi-handle"
        )

    def widget_view(self, handle: Any) -> str:
        """What the widget around ``handle`` shows: its output area(s) and HTML summary, not the slider."""
        box = handle.locator(
            "xpath=ancestor::div[contains(@class,'widget-box')][.//div[contains(@class,'widget-output')]][1]"
        )
        return box.evaluate(
            """b => Array.from(b.querySelectorAll('.widget-output, .widget-html-content'))
                     .map(e => e.innerHTML).join('\\n')"""
        )

    def _position(self, handle: Any) -> tuple[str | None, str]:
        readout = handle.locator(
            "xpath=ancestor::div[contains(@class,'widget-slider')][1]//div[contains(@class,'widget-readout')]"
        )
        return handle.get_attribute("aria-valuenow"), readout.first.inner_text() if readout.count() else ""

    def nudge(self, handle: Any, key: str = "ArrowRight", timeout_s: float = 120) -> tuple[str, str]:
        """Focus a slider handle, press ``key`` and wait until the widget's view changes; return (before, after).

        If one step changes nothing visible (a fine float slider), a few PageUp/PageDown presses
        follow (five steps each), then End/Home. At the maximum the direction is reversed.
        """
        handle.scroll_into_view_if_needed()
        if handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax"):
            key = "ArrowLeft"
        keys = [key] + (["PageUp"] * 3 + ["End"] if key == "ArrowRight" else ["PageDown"] * 3 + ["Home"])
        self.wait_kernel_idle()
        start_position = self._position(handle)
        before = after = self.widget_view(handle)
        for press in keys:
            handle.focus()
            self.page.keyboard.press(press)
            deadline = time.monotonic() + timeout_s
            quiet = 0
            while time.monotonic() < deadline and quiet < 6:
                self.page.wait_for_timeout(500)
                after = self.widget_view(handle)
                if after != before and self._kernel_idle():
                    self.page.wait_for_timeout(300)
                    return before, self.widget_view(handle)
                quiet = quiet + 1 if self._kernel_idle() else 0
        assert self._position(handle) != start_position, f"the slider did not move on {keys}"
        return before, after

    def _kernel_idle(self) -> bool:
        return bool(
            self.page.evaluate(
                """() => { const i = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
                       return i && i.getAttribute('data-status') === 'idle'; }"""
            )
        )

    def wait_kernel_idle(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._kernel_idle():
            if time.monotonic() > deadline:
                raise AssertionError(f"kernel still busy after {timeout_s:.0f} s")
            self.page.wait_for_timeout(250)

    # ------------------------------------------------------------------ evidence
    def screenshot(self, name: str, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def save_executed(self, name: str, nb: dict) -> Path:
        EXECUTED.mkdir(parents=True, exist_ok=True)
        path = EXECUTED / name
        path.write_text(json.dumps(nb, indent=1))
        return path


@pytest.fixture
def lab(lab_server: LabServer, browser: Any) -> Iterator[Lab]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield Lab(lab_server, page)
    finally:
        context.close()
        lab_server.shutdown_kernels()


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A folder inside the server's root (under the git-ignored build/) for notebooks made by a test."""
    path = ROOT / "build" / "browser-scratch" / os.urandom(4).hex()
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if os.environ.get("COURSE_BROWSER_TESTS") != "1":
        return []
    try:
        version = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        version = f"{CHROMIUM} missing"
    return [f"browser: {version}", f"screenshots: {SCREENSHOTS}"]

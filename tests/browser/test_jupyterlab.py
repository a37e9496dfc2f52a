"""The course as a student meets it: JupyterLab in headless Chromium (run by `make test-browser`).

For every lesson notebook present in ``notebooks/``: open it, Run → Run All Cells (fast mode),
wait until the kernel is idle, and check that no cell raised, that every code cell ran, that the
ipywidgets explorers render, and that pressing an arrow key on a slider makes the widget redraw.
Then the student view of nbgrader: the Assignment List opens and answers, the instructor tools
(Formgrader, Course List, Create Assignment) are nowhere. A self-test first proves on small
notebooks of its own that the harness sees widgets move and catches errors.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Lessons whose design (shared COURSE_DESIGN.md) includes an ipywidgets explorer; any other lesson
# that creates widgets is held to the same checks.
WIDGET_LESSONS = {"01", "02", "03", "04", "05"}
INSTRUCTOR_TOOLS = ("Formgrader", "Course List", "Create Assignment")
TIMINGS = ROOT / "build" / "screenshots" / "timings.json"


def _record_timing(name: str, seconds: float) -> None:
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[name] = round(seconds, 1)
    TIMINGS.write_text(json.dumps(data, indent=1, sort_keys=True))


def _write_notebook(path: Path, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Harness self-test")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


SLIDER_CELL = """\
import ipywidgets as widgets
from IPython.display import display

slider = widgets.IntSlider(value=3, min=0, max=10, description="n", continuous_update=False)

def show(n):
    print(f"n squared is {n * n}")

out = widgets.interactive_output(show, {"n": slider})
display(widgets.VBox([slider, out]))
"""


# --------------------------------------------------------------------------- harness self-test
def test_harness_sees_a_slider_redraw_and_tolerates_warnings(lab, scratch_dir):
    path = _write_notebook(
        scratch_dir / "good.ipynb",
        [
            "import sys, warnings\nwarnings.warn('only a warning')\nprint('a line on stderr', file=sys.stderr)",
            "import os\nprint('fast', os.environ.get('COURSE_FAST'), 'offline', os.environ.get('COURSE_OFFLINE'))",
            SLIDER_CELL,
        ],
    )
    lab.open(path.relative_to(ROOT).as_posix())
    lab.run_all(timeout_s=120)
    lab.screenshot("harness-after-run-all")
    nb = lab.notebook_json()
    assert lab.errors(nb) == []
    assert lab.unexecuted_code_cells() == []
    assert "fast 1 offline 1" in "".join(o.get("text", "") for o in nb["cells"][2]["outputs"]), (
        "kernel env lacks fast/offline"
    )
    handles = lab.sliders_with_output()
    assert handles.count() == 1
    before, after = lab.nudge(handles.first)
    assert "n squared is 9" in before and "n squared is 16" in after
    before, after = lab.nudge(handles.first, key="ArrowLeft")
    assert "n squared is 9" in after
    assert lab.widget_render_failures() == []


def test_harness_catches_errors_that_stop_run_all(lab, scratch_dir):
    path = _write_notebook(
        scratch_dir / "bad.ipynb",
        [
            "x = 1",
            "raise ValueError('deliberate failure')",
            "print('never runs')",
        ],
    )
    lab.open(path.relative_to(ROOT).as_posix())
    lab.run_all(timeout_s=120)
    errors = lab.errors(lab.notebook_json())
    assert [(e.index, e.ename, e.evalue) for e in errors] == [(2, "ValueError", "deliberate failure")]
    assert lab.unexecuted_code_cells() == [2], "the cell after the failure must be reported as not run"


# --------------------------------------------------------------------------- lessons
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_in_jupyterlab_with_working_widgets(lab, path):
    committed = path.read_bytes()
    stem = path.stem
    lab.open(path.relative_to(ROOT).as_posix())
    lab.screenshot(f"{stem}-0-opened")
    seconds = lab.run_all()
    _record_timing(stem, seconds)
    nb = lab.notebook_json()
    lab.save_executed(path.name, nb)
    lab.screenshot(f"{stem}-1-after-run-all")

    errors = lab.errors(nb)
    assert not errors, f"{path.name}: cells raised in JupyterLab:\n" + "\n".join(map(str, errors))
    assert lab.unexecuted_code_cells() == [], f"{path.name}: some code cells did not run"
    failures = lab.widget_render_failures()
    assert not failures, f"{path.name}: outputs/widgets failed to render: {failures}"

    source = "\n".join(
        c.source for c in nbformat.reads(committed.decode(), as_version=4).cells if c.cell_type == "code"
    )
    if stem[:2] not in WIDGET_LESSONS and not re.search(r"ipywidgets|_explorer\(|interact", source):
        return
    widgets = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output .jupyter-widgets")
    assert widgets.count() >= 1, f"{path.name}: no ipywidgets widget rendered"
    handles = lab.sliders_with_output()
    n = handles.count()
    assert n >= 1, f"{path.name}: no slider with an output (explorer) rendered"
    for i in range(n):
        handle = handles.nth(i)
        before, after = lab.nudge(handle)
        lab.screenshot(f"{stem}-2-slider{i + 1}-moved")
        assert after != before, f"{path.name}: slider {i + 1} moved but its widget did not redraw"
        assert "Traceback" not in after, f"{path.name}: slider {i + 1}'s widget shows a traceback"
    assert lab.errors(lab.notebook_json()) == []
    # autosave is off: the run's outputs never reach the file (others may edit it meanwhile)
    on_disk = nbformat.read(path, as_version=4)
    saved = [i for i, c in enumerate(on_disk.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not saved, f"{path.name}: the browser run wrote outputs into cells {saved}"


# --------------------------------------------------------------------------- nbgrader, student view
def test_student_sees_the_assignment_list_and_no_instructor_tools(lab):
    page = lab.page
    page.goto(lab.server.url("/lab?reset"))
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=120_000)

    labels = lab.menu_labels("Nbgrader")
    assert "Assignment List" in labels, labels
    for tool in INSTRUCTOR_TOOLS:
        assert not any(tool.lower() in label.lower() for label in labels), f"Nbgrader menu offers {tool}: {labels}"
    # commands registered by nbgrader's front end (a disabled plug-in registers none)
    ids = [c for c in page.evaluate("() => window.jupyterapp.commands.listCommands()") if "nbgrader" in c.lower()]
    assert any("assignment" in c.lower() and "list" in c.lower() for c in ids), ids
    for tool in ("formgrader", "create-assignment", "course-list"):
        assert not any(tool in c.lower() for c in ids), f"instructor command registered: {ids}"

    with page.expect_response(
        lambda r: re.search(r"/(courses|assignments)(\?|$)", r.url) is not None, timeout=60_000
    ) as info:
        lab.menu("Nbgrader", "Assignment List")
    response = info.value
    assert response.status == 200, f"nbgrader student server extension answered {response.status}"
    answer = response.json()
    assert "success" in answer and "value" in answer, answer
    panel = page.locator("#assignments")
    panel.wait_for(state="visible")
    for heading in ("Released assignments", "Downloaded assignments", "Submitted assignments"):
        assert panel.locator(".panel-heading", has_text=heading).is_visible(), heading
    deadline = time.monotonic() + 30
    while panel.locator(".list_loading:visible").count() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert panel.locator(".list_loading:visible").count() == 0, "assignment list still says 'Loading'"
    lab.screenshot("nbgrader-assignment-list")

    # nothing of the instructor tools anywhere on the page: side panels, tabs, toolbars
    titles = page.eval_on_selector_all(
        ".lm-TabBar-tab, .jp-SideBar .lm-TabBar-tab, .jp-Toolbar-item",
        "els => els.map(e => (e.getAttribute('title') || '') + ' ' + e.textContent)",
    )
    for tool in INSTRUCTOR_TOOLS:
        assert not any(tool.lower() in t.lower() for t in titles), f"{tool} appears in the interface: {titles}"
    assert not page.locator("#formgrader, .nbgrader-CreateAssignmentWidget, #course_list_panel").count()


def test_assignment_list_is_usable_without_an_exchange_error(lab):
    """A student opening Nbgrader → Assignment List sees lists, not nbgrader's exchange error."""
    page = lab.page
    page.goto(lab.server.url("/lab?reset"))
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=120_000)
    with page.expect_response(
        lambda r: re.search(r"/(courses|assignments)(\?|$)", r.url) is not None, timeout=60_000
    ) as info:
        lab.menu("Nbgrader", "Assignment List")
    answer = info.value.json()
    page.locator("#assignments").wait_for(state="visible")
    page.wait_for_timeout(1000)
    lab.screenshot("nbgrader-assignment-list-errors")
    shown = [t.strip() for t in page.locator("#assignments .list_error:visible").all_inner_texts() if t.strip()]
    assert answer.get("success") is True and not shown, (
        "the student's Assignment List shows an error (configure an nbgrader exchange for the student "
        f"setup): {answer.get('value')!r} / {shown}"
    )
    assert page.locator("#course_list_default").inner_text().strip() != "Error fetching courses!"

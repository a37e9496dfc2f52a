"""The headless runner behind `make run-all`, and the JupyterLab server behind `make lab`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _notebook(path: Path, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_run_notebooks_reports_time_memory_and_failures(tmp_path):
    good = _notebook(
        tmp_path / "01_good.ipynb", ["import numpy as np\nx = np.ones(30_000_000)  # ~240 MB\nprint(x.sum())"]
    )
    bad = _notebook(tmp_path / "02_bad.ipynb", ["raise ValueError('boom')", "print('never')"])
    out, js = tmp_path / "out", tmp_path / "r.json"
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "run_notebooks.py"),
            str(good),
            str(bad),
            "--out",
            str(out),
            "--json",
            str(js),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = {r["notebook"]: r for r in json.loads(js.read_text())["results"]}
    good_result = results["01_good.ipynb"]
    assert good_result["ok"] and good_result["peak_rss_mb"] >= 240  # MB = 10**6 bytes: the array alone is 240 MB
    # the kernel's own high-water mark (course_utils.runtime.peak_rss_mb) was read after the last cell
    assert good_result["kernel_peak_mb"] >= 240 and good_result["peak_rss_mb"] >= good_result["polled_peak_mb"]
    assert not results["02_bad.ipynb"]["ok"] and "boom" in results["02_bad.ipynb"]["error"]
    executed = nbformat.read(out / "01_good.ipynb", as_version=4)
    assert "30000000.0" in executed.cells[0].outputs[0]["text"]
    assert len(executed.cells) == 1, "the memory probe must not end up in the executed notebook"
    assert "peak kernel RSS" in proc.stdout


@pytest.mark.parametrize("value", ["ture"])
def test_tools_reject_a_mistyped_course_fast_like_the_kernels(tmp_path, monkeypatch, value):
    """COURSE_FAST=ture used to run student mode in run_notebooks.py while the kernels raised."""
    nb = _notebook(tmp_path / "01_x.ipynb", ["print(1)"])
    env = dict(os.environ, COURSE_FAST=value)
    for tool in ("run_notebooks.py", "two_kernels.py"):
        args = [str(nb)] if tool == "run_notebooks.py" else [str(nb), str(nb)]
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tools" / tool), *args, "--json", str(tmp_path / "r.json")],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert proc.returncode == 2, f"{tool}: {proc.stdout}{proc.stderr}"
        assert f"COURSE_FAST={value!r} is not understood" in proc.stderr, proc.stderr
    from course_utils import runtime

    monkeypatch.setenv("COURSE_FAST", value)
    with pytest.raises(ValueError, match=f"COURSE_FAST={value!r} is not understood"):
        runtime.fast_mode()  # what a lesson's first cell calls


@pytest.mark.slow
def test_two_lessons_in_two_live_kernels_fit_in_binders_memory(tmp_path):
    """Issue 16: finish lesson 01 (its kernel stays alive and idle), open lesson 02 in a second kernel:
    the Jupyter server and both kernels together stay under Binder's 2 GB (fast mode here; `make
    two-kernels` measures student mode)."""
    js = tmp_path / "two.json"
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", COURSE_FAST="1")
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[:2]
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "two_kernels.py"),
            *map(str, lessons),
            "--json",
            str(js),
            "--limit-mb",
            "2000",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=3000,
    )
    report = json.loads(js.read_text())
    assert report["errors"] == [], report["errors"]
    assert (
        report["mode"] == "fast"
        and report["first_kernel"]["peak_mb"] > 300
        and report["second_kernel"]["peak_mb"] > 300
    )
    assert report["server_alone_mb"] < report["idle_total_mb"] < report["peak_total_mb"]
    assert report["peak_total_mb"] <= 2000, f"server + two kernels peaked at {report['peak_total_mb']} MB"
    assert proc.returncode == 0 and "peak of server + both kernels" in proc.stdout, proc.stdout + proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_server_starts_on_the_lessons_in_student_configuration(tmp_path):
    """What `make lab` starts answers on 127.0.0.1, opens notebooks/, and hides nbgrader's instructor tools."""
    port, token = _free_port(), "course-test-token"
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", JUPYTER_RUNTIME_DIR=str(tmp_path))
    cmd = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--ServerApp.root_dir={ROOT}",
        "--LabApp.default_url=/lab/tree/notebooks",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    status = json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {proc.stderr.read()[-2000:]}")
                time.sleep(0.5)
        assert status is not None, "jupyter lab did not answer within 90 s"
        with urllib.request.urlopen(f"{base}/api/contents/notebooks?token={token}", timeout=10) as r:
            listing = {item["name"] for item in json.loads(r.read())["content"]}
        assert any(re.fullmatch(r"\d\d_.+\.ipynb", n) for n in listing)
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as r:
            page = r.read().decode()
        config = json.loads(
            re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S).group(1)
        )
        disabled = set(config.get("disabledExtensions", []))
        assert {
            "@jupyter/nbgrader:formgrader",
            "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:course-list",
        } <= disabled
        assert "@jupyter/nbgrader:assignment-list" not in disabled
        # a request without the token is refused
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/api/contents/notebooks", timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

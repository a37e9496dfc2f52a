"""The notebook runs behind sections 2 (memory) and 5 (course): ``python -m tools.run_notebooks``, the
runner behind ``make run-all``, once per mode, shared by both sections within one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from course_utils import config

from ..machine import uncommitted_notebooks
from ..report import log
from ..settings import ROOT, Settings

_RUNS: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}


def lesson_notebooks(s: Settings) -> list[Path]:
    if s.notebooks is not None:
        return [Path(p) for p in s.notebooks]
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_notebooks(mode: str, s: Settings, out_dir: Path, limit_mb: float | None = None) -> dict[str, Any]:
    """Run ``python -m tools.run_notebooks`` from the repository root (as ``make run-all`` does) in
    ``mode``; its JSON plus the wall time.  With ``limit_mb`` each kernel runs under that real memory
    limit where the machine allows it."""
    paths = lesson_notebooks(s)
    if not paths:
        return {
            "mode": mode,
            "results": [],
            "wall_seconds": None,
            "returncode": None,
            "problem": "no lesson notebooks found in notebooks/",
        }
    tag = f"{mode}-limit-{limit_mb:.0f}mb" if limit_mb else mode
    js = out_dir / f"run-all-{tag}.json"
    env = dict(os.environ)
    env.update(
        {config.FAST_ENV: "1" if mode == "fast" else "0", config.OFFLINE_ENV: "1"},
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    )
    cmd = [
        sys.executable,
        "-m",
        "tools.run_notebooks",  # cwd=ROOT below: -m finds the tools package there
        *map(str, paths),
        "--out",
        str(out_dir / f"executed-{tag}"),
        "--json",
        str(js),
        "--timeout",
        str(s.notebook_timeout),
        *(["--memory-limit-mb", str(limit_mb)] if limit_mb else []),
    ]
    log(
        f"notebooks: {len(paths)} in {mode} mode"
        + (f", each under a {limit_mb:.0f} MB memory limit" if limit_mb else "")
        + " ..."
    )
    js.unlink(missing_ok=True)
    start = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # one line per notebook, shown as it finishes
            lines.append(line.rstrip())
            if line.startswith(("  ", "Executing")):  # the runner's own lines, not kernel chatter on stderr
                log(f"  {line.strip()}")
    wall = time.perf_counter() - start
    if not js.is_file():
        return {
            "mode": mode,
            "results": [],
            "wall_seconds": round(wall, 1),
            "returncode": proc.returncode,
            "problem": f"run_notebooks.py wrote no results (exit {proc.returncode}): "
            + (lines[-1] if lines else "no output"),
        }
    out = json.loads(js.read_text())
    out.update(
        wall_seconds=round(wall, 1),
        returncode=proc.returncode,
        problem=None,
        uncommitted_notebooks=uncommitted_notebooks(),
    )
    return out


def runs(s: Settings, limit_mb: float | None = None) -> dict[str, dict[str, Any]]:
    """Every mode of ``s.notebook_modes`` run once (the first caller runs them, later ones reuse them);
    with ``limit_mb``, the runs with each kernel under that memory limit."""
    key = (tuple(map(str, lesson_notebooks(s))), s.notebook_modes, s.notebook_timeout, s.work_dir, limit_mb)
    if key not in _RUNS:
        out_dir = Path(s.work_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        _RUNS[key] = {mode: run_notebooks(mode, s, out_dir, limit_mb) for mode in s.notebook_modes}
    return _RUNS[key]


def seconds(all_runs: dict[str, dict[str, Any]]) -> float:
    """Wall time of the notebook runs (what sections 2 and 5 report as their own time)."""
    return float(sum(run.get("wall_seconds") or 0.0 for run in all_runs.values()))

"""Facts for the report's header: the machine, its load, package versions and the git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psutil

from .settings import ROOT


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and load average of this machine."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "load_average_1_5_15": [round(v, 2) for v in load],
    }


def versions() -> dict[str, str | None]:
    """Versions of Python and of the packages the benchmark exercises."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    dists = {
        "tensorflow": ("tensorflow", "tensorflow-cpu"),
        "keras": ("keras",),
        "numpy": ("numpy",),
        "scikit-learn": ("scikit-learn",),
        "scikit-image": ("scikit-image",),
        "nbgrader": ("nbgrader",),
        "nbclient": ("nbclient",),
        "course_utils": ("course_utils",),
    }
    for name, candidates in dists.items():
        out[name] = None
        for dist in candidates:
            try:
                out[name] = version(dist)
                break
            except PackageNotFoundError:
                continue
    return out


def git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None


def uncommitted_notebooks() -> list[str]:
    """Lesson notebooks that differ from the commit (sections 2 and 5 run the working tree)."""
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--", "notebooks"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line[3:].strip() for line in proc.stdout.splitlines() if line.strip().endswith(".ipynb"))


def busy_note(machine: dict[str, Any], load_end: Sequence[float] | None = None) -> str | None:
    """A warning when the machine was shared (load average above its core count)."""
    cores = machine.get("usable_cores") or machine.get("logical_cores") or 1
    loads = [machine["load_average_1_5_15"][0]] + ([load_end[0]] if load_end else [])
    worst = max(v for v in loads if v == v) if any(v == v for v in loads) else 0.0
    if worst > cores:
        return (
            f"The machine was shared while this ran (1-min load average up to {worst:.1f} on {cores} cores): "
            "absolute times are inflated and noisy; ratios measured side by side are more reliable."
        )
    return None

"""The benchmark's sections, one module each, each behind one ``run(settings) -> dict`` function.

``run`` returns ``checks`` (goal / measured / met), ``tables``, ``notes``, ``data`` (raw numbers
for results.json) and a one-line ``summary``; optionally ``sources`` (the data each loader used)
and ``seconds`` (when the section's own time is not its wall time, e.g. shared notebook runs).
Modules are imported when their section runs, so ``--sections grading`` never imports TensorFlow.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

MODULES = {
    "speed": "speed",
    "memory": "memory",
    "quality": "quality",
    "grading": "grading",
    "course": "course",
    "denoising": "denoising",
}


def result(
    checks: list[dict[str, Any]],
    tables: list[dict[str, Any]],
    summary: str,
    *,
    notes: Iterable[str] = (),
    data: dict[str, Any] | None = None,
    sources: dict[str, str] | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """What a section's ``run`` returns (the keys above); ``sources`` and ``seconds`` only when given."""
    out: dict[str, Any] = {
        "checks": checks,
        "tables": tables,
        "notes": list(notes),
        "data": data if data is not None else {},
        "summary": summary,
    }
    if sources is not None:
        out["sources"] = sources
    if seconds is not None:
        out["seconds"] = seconds
    return out


def module(section: str) -> ModuleType:
    """The module of ``section`` (one of settings.SECTION_ORDER)."""
    return importlib.import_module(f"{__name__}.{MODULES[section]}")

"""The benchmark's sections, one module each, each behind one ``run(settings) -> dict`` function.

``run`` returns ``checks`` (goal / measured / met), ``tables``, ``notes``, ``data`` (raw numbers
for results.json) and a one-line ``summary``; optionally ``sources`` (the data each loader used)
and ``seconds`` (when the section's own time is not its wall time, e.g. shared notebook runs).
Modules are imported when their section runs, so ``--sections grading`` never imports TensorFlow.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "speed": "speed",
    "memory": "memory",
    "quality": "quality",
    "grading": "grading",
    "course": "course",
    "denoising": "denoising",
}


def module(section: str) -> ModuleType:
    """The module of ``section`` (one of settings.SECTION_ORDER)."""
    return importlib.import_module(f"{__name__}.{MODULES[section]}")

"""The #@save export: course_utils/lessons/ equals the notebooks' tagged cells, and the rules hold."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tools import export_lessons

ROOT = Path(__file__).resolve().parents[1]


def test_lesson_modules_match_their_notebooks():
    problems = export_lessons.export(check=True)
    assert not problems, "\n".join(problems)


def test_every_lesson_module_imports_without_doing_work():
    for path in sorted((ROOT / "course_utils" / "lessons").glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"course_utils.lessons.{path.stem}")
        assert module.__all__, f"{path.name} exports nothing"
        for name in module.__all__:
            assert getattr(module, name).__doc__, f"{path.stem}.{name} needs a docstring naming what it teaches"


def _notebook(tmp_path: Path, *cells: str, name: str = "07_demo.ipynb") -> Path:
    nb = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "## Part one"}]
        + [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    folder = tmp_path / "notebooks"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(nb))
    return path


def test_export_writes_checks_and_removes_stale(tmp_path):
    _notebook(
        tmp_path,
        "#@save\nimport math\n\ndef area(r):\n    'Area.'\n    return math.pi * r * r",
        "x = area(2)\nprint(x)",
    )
    out = tmp_path / "lessons"
    out.mkdir()
    assert export_lessons.export(check=True, notebooks=tmp_path / "notebooks", out=out)  # missing module
    assert export_lessons.export(notebooks=tmp_path / "notebooks", out=out) == []
    text = (out / "demo.py").read_text()
    assert "import math" in text and "def area(r):" in text and '"Part one"' in text
    assert "print(x)" not in text  # untagged cells stay in the notebook
    assert export_lessons.export(check=True, notebooks=tmp_path / "notebooks", out=out) == []
    (out / "demo.py").write_text(text.replace("math.pi", "3.14"))
    (problem,) = export_lessons.export(check=True, notebooks=tmp_path / "notebooks", out=out)
    assert "demo.py differs" in problem and "3.14" in problem
    (tmp_path / "notebooks" / "07_demo.ipynb").unlink()
    _notebook(tmp_path, "y = 1", name="08_other.ipynb")
    assert export_lessons.export(notebooks=tmp_path / "notebooks", out=out) == []
    assert not (out / "demo.py").exists()


@pytest.mark.parametrize(
    "code",
    ["#@save\nmodel.fit(x, x)", "#@save\nx = load()", "#@save\n%pip install x", "#@save\nfor i in range(3):\n    pass"],
)
def test_tagged_cells_may_only_define(tmp_path, code):
    path = _notebook(tmp_path, code)
    with pytest.raises(export_lessons.ExportError, match="07_demo.ipynb cell 1"):
        export_lessons.tagged_cells(path)


def test_constants_and_imports_are_allowed(tmp_path):
    path = _notebook(tmp_path, "#@save\nfrom keras import layers\nSIGMAS = (0.1, 0.2)\nclass A:\n    'A.'")
    ((heading, code),) = export_lessons.tagged_cells(path)
    assert heading == "Part one" and code.startswith("from keras")

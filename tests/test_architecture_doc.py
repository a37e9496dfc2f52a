"""ARCHITECTURE.md stays true: every file, folder, module and make target it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
# Outputs of make targets (not in a checkout) and URLs are not repository paths.
NOT_IN_THE_REPOSITORY = ("build/", "http", "//")
EXTENSIONS = ("py", "ipynb", "md", "txt", "in", "toml", "json", "sh", "yml", "yaml", "cfg")


def _text_without_urls() -> str:
    return re.sub(r"https?://\S+", "", DOC)


def _code() -> str:
    """What the page writes as code: the ``` blocks but the layer list (module names), `spans`, link targets."""
    text = _text_without_urls()
    blocks = re.findall(r"```\n(.*?)```", text, flags=re.S)
    blocks = [b for b in blocks if not b.startswith("config ")]
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    links = re.findall(r"\]\(([^)]+)\)", text)
    return "\n".join([*blocks, *spans, *links])


def _paths() -> set[str]:
    """Every path-like word: with a slash (relative to the root) or a file name with a known extension."""
    words = re.findall(r"[\w./<>{}*,-]+", _code())
    found = set()
    for word in words:
        word = word.rstrip(".,;:)").lstrip("(")
        if word == "/" or any(c in word for c in "<>{}*,") or "NN" in word or word.startswith(NOT_IN_THE_REPOSITORY):
            continue  # a pattern (notebooks/NN_topic.ipynb, lessons/<topic>.py), not one file
        if "/" in word or re.fullmatch(rf"[\w.-]+\.(?:{'|'.join(EXTENSIONS)})", word):
            if re.fullmatch(r"[\w.-]+\.\w+", word) and word.split(".")[-1] not in EXTENSIONS:
                continue  # a dotted name (course_utils.quiz), checked as a module below
            found.add(word)
    return found


def _tracked_names() -> set[str]:
    skip = {".venv", "build", ".git", "node_modules", "__pycache__"}
    return {p.name for p in ROOT.rglob("*") if not skip & set(p.relative_to(ROOT).parts)}


def test_every_path_the_page_names_exists():
    assert len(_paths()) > 20  # the parser finds the page's paths
    names = _tracked_names()
    missing = []
    for path in sorted(_paths()):
        if "/" in path:
            if not (ROOT / path).exists():
                missing.append(path)
        elif path not in names:  # a bare file name (run_notebooks.py in tools/): somewhere in the tree
            missing.append(path)
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_make_target_the_page_names_exists():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", _code()))
    assert named, "the parser finds the page's make targets"
    assert named <= targets, f"ARCHITECTURE.md names make targets the Makefile lacks: {sorted(named - targets)}"


def _module_exists(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def test_every_module_the_page_names_exists():
    named = set(re.findall(r"\b((?:course_utils|course_quiz|benchmarks|tools)(?:\.\w+)+)", _text_without_urls()))
    # a function after a module (course_utils.metrics.mean_ci) is fine: the longest existing prefix counts
    missing = [m for m in sorted(named) if not any(_module_exists(m.rsplit(".", k)[0]) for k in range(0, 2))]
    assert not missing, f"ARCHITECTURE.md names modules that do not exist: {missing}"


def test_every_layer_is_a_module_of_course_utils():
    block = DOC.split("## Layers inside `course_utils`", 1)[1].split("```", 2)[1]
    layers = []
    for line in block.splitlines():
        if line and not line.startswith(" "):
            head = re.split(r"\s{2,}", line, maxsplit=1)[0]
            layers += [name.strip(" /") for name in re.split(r",|→", head)]
    assert "config" in layers and "runtime" in layers
    missing = [name for name in layers if not _module_exists(f"course_utils.{name}")]
    assert not missing, f"ARCHITECTURE.md's layers name modules that do not exist: {missing}"

"""What the course website must never contain, and a scanner that finds it in a folder.

* the quiz's answer key: ``qN = '<letter>'`` for the correct letter, read from the solution cells
  of the source notebook ``quizzes/source/autoencoder_quiz/autoencoder_quiz.ipynb``;
* the quiz's hidden tests: every line between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
  (the explanations and the checks themselves), and nbgrader's markers on the quiz's pages;
* the exercises' worked solutions: the lines of ``course_utils.exercises`` ``solution_text`` that
  the lesson notebooks do not show anyway (a line that is also lesson code is public).

Files are compared as raw text and, for HTML, as the text a reader sees (tags removed, entities
decoded, so a leak split into syntax-highlighting spans is found), and for JSON as its strings;
whitespace is collapsed everywhere. Used by tests/site/test_site_files.py.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUIZ_SOURCE = ROOT / "quizzes" / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# nbgrader's markers mean an unstripped cell in the quiz's pages; the instructors' guide documents them.
MARKER_FOLDERS = ("quiz",)
MIN_SECRET_CHARS = 12  # shorter lines (`)`, `return x`) say nothing on their own


@dataclass(frozen=True)
class Secrets:
    answer_key: dict[str, str]  # "q1" -> "c"
    hidden_lines: tuple[str, ...]
    solution_lines: dict[str, tuple[str, ...]]  # exercise id -> its secret lines


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _between(source: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def read_quiz_secrets(source: Path = QUIZ_SOURCE) -> tuple[dict[str, str], tuple[str, ...]]:
    nb = json.loads(source.read_text(encoding="utf-8"))
    key: dict[str, str] = {}
    hidden: list[str] = []
    for cell in nb["cells"]:
        src = _cell_source(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            for line in _between(src, "### BEGIN SOLUTION", "### END SOLUTION"):
                m = re.fullmatch(r"\s*(q\d+)\s*=\s*['\"]([a-d])['\"]\s*", line)
                if m:
                    key[m.group(1)] = m.group(2)
        hidden += [squash(x) for x in _between(src, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS") if squash(x)]
    return key, tuple(h for h in dict.fromkeys(hidden) if len(h) >= MIN_SECRET_CHARS)


def _code_line(line: str) -> str:
    """A line of code without its comment (comments may repeat the task's wording)."""
    return squash(line) if not line.lstrip().startswith("#") else ""


def read_solution_secrets(notebooks: list[Path]) -> dict[str, tuple[str, ...]]:
    import importlib
    import pkgutil

    from course_utils import exercises

    for info in pkgutil.iter_modules(exercises.__path__):  # each lesson's module registers its exercises
        if not info.name.startswith("_"):
            importlib.import_module(f"{exercises.__name__}.{info.name}")
    # what the lessons show anyway (scaffolds, lesson code) is public, wherever it stands in a line
    public = " \n ".join(
        squash(line)
        for nb in notebooks
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for line in _cell_source(cell).splitlines()
    )
    secrets = {}
    for ex_id, ex in sorted(exercises.EXERCISES.items()):
        lines = [_code_line(line) for line in ex.solution_text.splitlines()]
        secrets[ex_id] = tuple(x for x in lines if len(x) >= MIN_SECRET_CHARS and x not in public)
    return secrets


def read_secrets() -> Secrets:
    key, hidden = read_quiz_secrets()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    return Secrets(key, hidden, read_solution_secrets(notebooks))


def _json_strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _json_strings(v)]
    if isinstance(obj, list):
        if all(isinstance(x, str) for x in obj):  # a notebook's source/text: the lines joined
            return ["".join(obj)]
        return [s for v in obj for s in _json_strings(v)]
    return []


def views(path: Path) -> list[str]:
    """The texts of one file to search: raw; for HTML what a reader sees; for JSON its strings."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    out = [raw]
    if path.suffix in (".html", ".htm", ".js", ".txt", ".xml", ".svg"):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I) if path.suffix != ".js" else raw
        out.append(html.unescape(re.sub(r"<[^>]+>", "", text)))
        if path.suffix in (".html", ".htm"):
            out.append(html.unescape(re.sub(r"<[^>]+>", "", raw)))  # scripts too (e.g. embedded JSON)
    if path.suffix in (".ipynb", ".json"):
        try:
            out.append("\n".join(_json_strings(json.loads(raw))))
        except ValueError:
            pass
    return [squash(v) for v in out]


def scan(folder: Path, secrets: Secrets) -> list[str]:
    """Every leak in the files under ``folder``, as ``"path: what"``."""
    key_patterns = {q: re.compile(rf"\b{q}\s*=\s*\\?['\"]{a}\\?['\"]") for q, a in secrets.answer_key.items()}
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in (".png", ".jpg", ".jpeg", ".gif", ".woff", ".woff2", ".ttf", ".eot", ".ico", ".pickle"):
            continue
        rel = path.relative_to(folder)
        texts = views(path)
        for marker in MARKERS if rel.parts[0] in MARKER_FOLDERS or rel.parts[:2] == ("_sources", "quiz") else ():
            if any(marker in t for t in texts):
                problems.append(f"{rel}: nbgrader marker {marker!r}")
        for q, pattern in key_patterns.items():
            if any(pattern.search(t) for t in texts):
                problems.append(f"{rel}: the answer key of {q}")
        for line in secrets.hidden_lines:
            if any(line in t for t in texts):
                problems.append(f"{rel}: hidden test line {line[:60]!r}")
        for ex_id, lines in secrets.solution_lines.items():
            for line in lines:
                if any(line in t for t in texts):
                    problems.append(f"{rel}: solution of exercise {ex_id}: {line[:60]!r}")
    return problems

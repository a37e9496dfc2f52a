"""Build the course website into build/site/ (``make site``; ``make site-fast`` with COURSE_FAST=1).

1. Stage the sources into ``build/site-src/`` (a file is rewritten only when its content changed,
   so Sphinx re-reads only what changed): the pages of ``site/pages/``, the lessons as
   ``notebooks/NN_*.ipynb``, the quiz's student version (nbgrader's own release, made in
   ``build/site-quiz/`` and checked there by ``course_quiz.manage.release`` for a leaked key),
   the instructors' guide (``quizzes/README.md``) and the API reference's module list.
2. ``sphinx-build -c site build/site-src build/site``: MyST-NB executes each lesson through
   jupyter-cache, so a lesson whose code did not change is not executed again.

Usage: ``python site/build.py [--clean] [--sphinx-opts ...]``. Writes ``build/site-build.json``
(mode, seconds, lessons executed). Needs requirements/site.txt (``make site`` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build"
SRC = BUILD / "site-src"
OUT = BUILD / "site"
DOCTREES = BUILD / "site-doctrees"
QUIZ_COURSE = BUILD / "site-quiz"
REPO_BLOB = "https://github.com/autoencoder-course/autoencoder-course/blob/main/"
# exercise modules hold the worked solutions: never in the API reference
API_EXCLUDE = re.compile(r"^course_utils\.(exercises\.[a-z_]+|_\w+|.*\._\w+)$")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True when written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def rewrite_repo_links(text: str, base: str) -> str:
    """Relative Markdown links of a repository file (``base``: its folder) -> links on GitHub."""

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^(https?:|mailto:|#)", target):
            return match.group(0)
        path, _, fragment = target.partition("#")
        return (
            f"{match.group(1)}({REPO_BLOB}{os.path.normpath(os.path.join(base, path))}{'#' * bool(fragment)}{fragment})"
        )

    return re.sub(r"(\[[^\]]*\])\(([^)\s]+)\)", fix, text)


def hide_answer_key(text: str) -> str:
    """The instructors' guide illustrates the answer rule with real questions (``q4 = 'c'``): on the
    website, an inline-code example that assigns a question its correct letter names ``qN`` instead."""
    from course_quiz import bank

    key = {
        q.variable: q.key
        for q in bank.read_question_bank(ROOT / "quizzes" / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb")
        if q.key
    }
    leaking = [v for v, k in key.items() if re.search(rf"\b{v}\s*=\s*['\"]{k}['\"]", text)]
    if not leaking:
        return text
    names = re.compile(r"\b(" + "|".join(map(re.escape, leaking)) + r")\b")
    return re.sub(r"`[^`\n]+`", lambda m: names.sub("qN", m.group(0)), text)


def quiz_release() -> Path:
    """The student version of the quiz, made by nbgrader from a copy of the course folder."""
    release_nb = QUIZ_COURSE / "release" / "autoencoder_quiz" / "autoencoder_quiz.ipynb"
    sources = [ROOT / "quizzes" / "nbgrader_config.py", *sorted((ROOT / "quizzes" / "source").rglob("*.ipynb"))]
    if release_nb.exists() and all(p.stat().st_mtime <= release_nb.stat().st_mtime for p in sources):
        return release_nb
    shutil.rmtree(QUIZ_COURSE, ignore_errors=True)
    QUIZ_COURSE.mkdir(parents=True)
    shutil.copy2(ROOT / "quizzes" / "nbgrader_config.py", QUIZ_COURSE)
    shutil.copytree(ROOT / "quizzes" / "source", QUIZ_COURSE / "source")
    from course_quiz.manage import release

    release(QUIZ_COURSE)  # raises when the release would leak the key
    if not release_nb.exists():
        raise FileNotFoundError(f"nbgrader did not write {release_nb}")
    return release_nb


def api_modules() -> list[str]:
    import course_utils

    names = ["course_utils"] + [
        m.name for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.") if not API_EXCLUDE.match(m.name)
    ]
    return sorted(set(names))


def api_page(modules: list[str]) -> str:
    lines = [
        "# API reference: `course_utils`",
        "",
        "Generated from the docstrings of the helper package every lesson imports. Each function's",
        "docstring names the lesson that teaches it (*Taught in:*) or the module that uses it (*Used by:*).",
        "The exercise checkers (`course_utils.exercises.<lesson>`) are left out: they hold the worked solutions.",
        "",
        "```{eval-rst}",
        ".. autosummary::",
        "   :toctree: generated",
        "",
    ]
    lines += [f"   {m}" for m in modules]
    lines += ["```", ""]
    return "\n".join(lines)


def stage() -> dict[str, int]:
    """Write build/site-src/; returns how many files of each kind were (re)written."""
    counts = {"pages": 0, "lessons": 0, "quiz": 0, "guide": 0, "api": 0}
    for page in sorted((HERE / "pages").rglob("*")):
        if page.is_file():
            counts["pages"] += write_if_changed(SRC / page.relative_to(HERE / "pages"), page.read_bytes())
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise FileNotFoundError(f"no lesson notebooks in {ROOT / 'notebooks'}")
    wanted = {nb.name for nb in lessons}
    for old in (SRC / "notebooks").glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for nb in lessons:
        counts["lessons"] += write_if_changed(SRC / "notebooks" / nb.name, nb.read_bytes())
    counts["quiz"] += write_if_changed(SRC / "quiz" / "autoencoder_quiz.ipynb", quiz_release().read_bytes())
    guide = hide_answer_key(rewrite_repo_links((ROOT / "quizzes" / "README.md").read_text(encoding="utf-8"), "quizzes"))
    counts["guide"] += write_if_changed(SRC / "instructors.md", guide.encode())
    counts["api"] += write_if_changed(SRC / "api.md", api_page(api_modules()).encode())
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="remove build/site and the doctrees first (not the cache)")
    parser.add_argument("--sphinx-opts", default="", help="extra sphinx-build options, e.g. '-W'")
    args = parser.parse_args(argv)
    fast = os.environ.get("COURSE_FAST", "0") not in ("", "0")
    start = time.perf_counter()
    if args.clean:
        shutil.rmtree(OUT, ignore_errors=True)
        shutil.rmtree(DOCTREES, ignore_errors=True)
    counts = stage()
    staged_s = time.perf_counter() - start
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernels must draw inline figures (the Makefile exports Agg)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # conf.py imports site_links from this folder, found on PYTHONPATH: site/ cannot be a package (its
    # name is the standard library's `site`) and conf.py edits no sys.path. Only site/ is needed: the
    # course's packages are installed (editable). The lesson kernels inherit it; they import none of
    # its modules (build, conf, screenshot, site_links).
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(HERE), "-d", str(DOCTREES)]
    cmd += args.sphinx_opts.split() + [str(SRC), str(OUT)]
    print(f"site: staged in {staged_s:.1f} s ({counts}); building ({'fast' if fast else 'student'} mode) …", flush=True)
    proc = subprocess.run(cmd, env=env, cwd=ROOT)
    total = time.perf_counter() - start
    report = {
        "mode": "fast" if fast else "student",
        "seconds": round(total, 1),
        "staged": counts,
        "rc": proc.returncode,
    }
    BUILD.mkdir(exist_ok=True)
    (BUILD / "site-build.json").write_text(json.dumps(report, indent=1))
    print(f"site: {'built' if proc.returncode == 0 else 'FAILED'} in {total:.0f} s -> {OUT / 'index.html'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

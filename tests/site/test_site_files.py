"""The built website, read as files: pages, links, buttons, downloads, and no answers anywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from site_leaks import read_secrets, scan, squash
from site_paths import LESSONS, ROOT, html_pages


class _Page(HTMLParser):
    """The links, ids and elements (tag, attributes) of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []  # (tag.attr, value)
        self.ids: set[str] = set()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        for attr in ("href", "src"):
            if attr in a and tag in ("a", "img", "link", "script", "source", "iframe"):
                self.refs.append((f"{tag}.{attr}", a[attr]))


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def lesson_page(site: Path, lesson: str) -> Path:
    return site / "notebooks" / f"{lesson}.html"


def broken_links(site: Path, pages: list[Path]) -> list[str]:
    """Relative links (href/src) in ``pages`` whose file, or #fragment in it, does not exist."""
    ids: dict[Path, set[str]] = {}
    problems = []
    for page in pages:
        for kind, ref in parse(page).refs:
            url = urlparse(ref)
            if url.scheme or ref.startswith("//") or not ref:
                continue  # external (http:, https:, mailto:, data:, javascript:): not ours
            path_part, fragment = urldefrag(ref)
            target = (page.parent / unquote(path_part.split("?")[0])).resolve() if path_part else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists() or site.resolve() not in (target, *target.parents):
                problems.append(f"{page.relative_to(site)}: {kind}={ref!r}: no such file")
                continue
            if fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = parse(target).ids
                if unquote(fragment) not in ids[target]:
                    problems.append(f"{page.relative_to(site)}: {kind}={ref!r}: no #{fragment} in the target")
    return problems


# --------------------------------------------------------------------------------------- pages


def test_every_lesson_has_a_page_with_its_outputs(site: Path) -> None:
    assert len(LESSONS) >= 6, LESSONS
    for lesson in LESSONS:
        page = lesson_page(site, lesson)
        assert page.exists(), f"no page for notebooks/{lesson}.ipynb"
        text = page.read_text(encoding="utf-8")
        outputs = text.count('class="cell_output')
        images = len(re.findall(r"<img [^>]*src=\"[^\"]*_images/", text))
        assert outputs >= 5, f"{lesson}: {outputs} cell outputs: was the lesson executed?"
        assert images >= 1, f"{lesson}: no figure on the page"
        assert "Traceback (most recent call last)" not in text, f"{lesson}: a traceback is on the page"


def test_landing_quiz_guide_api_and_search_pages_exist(site: Path) -> None:
    for rel in ("index.html", "quiz/autoencoder_quiz.html", "instructors.html", "api.html", "search.html"):
        assert (site / rel).exists(), rel
    assert (site / "searchindex.js").stat().st_size > 10_000
    landing = (site / "index.html").read_text(encoding="utf-8")
    for words in ("For whom", "Binder", "Colab", "laptop", "Run time"):
        assert words in landing, f"the landing page does not say {words!r}"
    api = list((site / "generated").glob("course_utils.*.html"))
    assert len(api) >= 10, f"API reference: only {len(api)} module pages"
    assert not [p for p in api if re.match(r"course_utils\.exercises\.[a-z_]+\.html$", p.name)], (
        "the API reference documents an exercise module (they hold the solutions)"
    )


def test_quiz_page_shows_every_question_and_blank_answers(site: Path) -> None:
    text = squash(re.sub(r"<[^>]+>", "", (site / "quiz" / "autoencoder_quiz.html").read_text(encoding="utf-8")))
    for n in range(1, 11):
        assert f"Question {n}" in text
        assert f"q{n} = None" in text, f"the answer cell of q{n} is not the blank student version"


# --------------------------------------------------------------------------------------- links


def test_every_internal_link_resolves(site: Path) -> None:
    pages = html_pages()
    assert len(pages) >= 15, f"only {len(pages)} pages"
    problems = broken_links(site, pages)
    assert not problems, f"{len(problems)} broken internal links:\n" + "\n".join(problems[:40])


def test_the_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a href="a.html#here">ok</a> <a href="a.html#gone">bad fragment</a> <img src="_images/none.png">'
    )
    (tmp_path / "a.html").write_text('<h1 id="here">A</h1> <a href="../../outside.html">out of the site</a>')
    problems = broken_links(tmp_path, [tmp_path / "index.html", tmp_path / "a.html"])
    assert len(problems) == 3, problems


# --------------------------------------------------------------------------------------- buttons


def readme_badges() -> dict[str, dict[str, str]]:
    """For each lesson of the README's table: {"colab": url, "binder": url}."""
    rows: dict[str, dict[str, str]] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.search(r"\]\(notebooks/(\d\d_[a-z0-9_]+)\.ipynb\)", line)
        if not m or not line.startswith("|"):
            continue
        colab = re.search(r"\]\((https://colab\.research\.google\.com/github/[^)\s]+)\)", line)
        binder = re.search(r"\]\((https://mybinder\.org/v2/[^)\s]+)\)", line)
        rows[m.group(1)] = {"colab": colab.group(1) if colab else "", "binder": binder.group(1) if binder else ""}
    return rows


def test_binder_colab_and_download_buttons_point_at_the_lesson(site: Path) -> None:
    badges = readme_badges()
    assert set(badges) == set(LESSONS), f"README table {sorted(badges)} vs notebooks {LESSONS}"
    for lesson in LESSONS:
        page = lesson_page(site, lesson)
        anchors = {a.get("class", ""): a for tag, a in parse(page).elements if tag == "a"}
        by_kind = {
            kind: [a["href"] for cls, a in anchors.items() if f"course-{kind}" in cls.split()]
            for kind in ("open-binder", "open-colab", "download")
        }
        assert by_kind["open-binder"] == [badges[lesson]["binder"]], (lesson, by_kind)
        assert by_kind["open-colab"] == [badges[lesson]["colab"]], (lesson, by_kind)
        assert by_kind["open-colab"][0].endswith(f"/notebooks/{lesson}.ipynb")
        assert by_kind["open-binder"][0].endswith(f"labpath=notebooks%2F{lesson}.ipynb")
        (download,) = by_kind["download"]
        target = (page.parent / download).resolve()
        assert target.exists(), f"{lesson}: download link {download} leads nowhere"
        assert json.loads(target.read_text()) == json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text()), (
            f"{lesson}: the downloaded notebook is not notebooks/{lesson}.ipynb as committed"
        )


# --------------------------------------------------------------------------------------- no answers


@pytest.fixture(scope="module")
def secrets():
    found = read_secrets()
    assert len(found.answer_key) == 10, found.answer_key
    assert len(found.hidden_lines) >= 10, found.hidden_lines
    assert sum(map(len, found.solution_lines.values())) >= 50, found.solution_lines
    return found


def test_no_file_of_the_site_contains_an_answer(site: Path, secrets) -> None:
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 50
    problems = scan(site, secrets)
    assert not problems, f"{len(problems)} leaks:\n" + "\n".join(problems[:40])


def test_the_leak_scanner_finds_each_kind_of_leak(tmp_path: Path, secrets) -> None:
    """Plant one leak of each kind, written as Sphinx would write it; the scanner must report all."""
    q, letter = next(iter(secrets.answer_key.items()))
    ex_id, lines = next((k, v) for k, v in secrets.solution_lines.items() if v)
    highlighted = (
        f'<div class="highlight"><pre><span class="n">{q}</span> <span class="o">=</span> '
        f'<span class="s1">&#39;{letter}&#39;</span></pre></div>'
    )
    (tmp_path / "key.html").write_text(f"<html><body>{highlighted}</body></html>")
    (tmp_path / "hidden.ipynb").write_text(
        json.dumps({"cells": [{"source": [w + " " for w in secrets.hidden_lines[0].split()]}]})
    )
    (tmp_path / "solution.txt").write_text("  ".join(lines[0].split(" ")))
    (tmp_path / "clean.html").write_text(f"<p>{q} = None</p>")
    problems = scan(tmp_path, secrets)
    assert any(p.startswith("key.html: the answer key") for p in problems), problems
    assert any(p.startswith("hidden.ipynb: hidden test line") for p in problems), problems
    assert any(p.startswith(f"solution.txt: solution of exercise {ex_id}") for p in problems), problems
    assert not [p for p in problems if p.startswith("clean.html")], problems
    shutil.rmtree(tmp_path)


# --------------------------------------------------------------------------------------- the build script


def _build_script(*calls: tuple[str, ...]) -> list[Any]:
    """The values of site/build.py's names for ``calls``, each ``(name, *args)`` (a function is called
    with the args), computed in a child Python that has site/ on PYTHONPATH, as build.py gives it to
    Sphinx. In this process site/ cannot be imported as a package (``site`` is the standard library's
    module) and is not put on sys.path (its build.py and conf.py would shadow any ``build``/``conf``)."""
    code = (
        "import json, sys\n"
        "import build\n"
        "calls = json.load(sys.stdin)\n"
        "values = [(getattr(build, name), args) for name, *args in calls]\n"
        "print(json.dumps([v(*args) if callable(v) else v for v, args in values]))\n"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "site"), *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(calls),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_guide_on_the_website_names_no_correct_letter(secrets) -> None:
    guide = (ROOT / "quizzes" / "README.md").read_text(encoding="utf-8")
    q, letter = next(iter(secrets.answer_key.items()))
    shown, kept, hidden = _build_script(
        ("hide_answer_key", guide),
        ("hide_answer_key", "`q1 = 'a'` and `q4_test`"),
        ("hide_answer_key", f"e.g. `{q} = '{letter}'`"),
    )
    for question, correct in secrets.answer_key.items():
        assert not re.search(rf"\b{question}\s*=\s*['\"]{correct}['\"]", shown), question
    assert kept == "`q1 = 'a'` and `q4_test`"  # not the key: kept
    assert hidden == f"e.g. `qN = '{letter}'`"


def test_repository_links_of_the_guide_point_at_github() -> None:
    text = "[config](nbgrader_config.py), [top](../README.md#quiz), [web](https://x.org/a), [here](#part)"
    blob, rewritten = _build_script(("REPO_BLOB",), ("rewrite_repo_links", text, "quizzes"))
    assert rewritten == (
        f"[config]({blob}quizzes/nbgrader_config.py), [top]({blob}README.md#quiz), "
        "[web](https://x.org/a), [here](#part)"
    )

"""The built website in headless Chromium, served from 127.0.0.1: no console error on any page, every
figure of a lesson loaded, and the search finds lesson 05 by a word of its text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from site_paths import LESSONS, ROOT, SITE, html_pages

pytestmark = pytest.mark.slow

SEARCH_TERM = "reparameterisation"  # lesson 05's word for z = mean + sigma * eps
LESSON_05 = next((lesson for lesson in LESSONS if lesson.startswith("05_")), "05_missing")


def visit(page: Any, url: str) -> list[str]:
    """Open ``url``; return its console errors, uncaught exceptions and failed requests."""
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # scripts that run after load (search, MathJax) report now
    return problems


@pytest.mark.parametrize("rel", [p.relative_to(SITE).as_posix() for p in html_pages()] or ["index.html"])
def test_page_loads_without_console_errors(site_url: str, page: Any, rel: str) -> None:
    problems = visit(page, f"{site_url}/{rel}")
    assert page.title(), f"{rel}: no title"
    assert not problems, f"{rel}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_image_of_a_lesson_has_loaded(site_url: str, page: Any, lesson: str) -> None:
    problems = visit(page, f"{site_url}/notebooks/{lesson}.html")
    images = page.evaluate(
        """async () => {
            const imgs = Array.from(document.querySelectorAll('article img, main img'));
            for (const img of imgs) { img.loading = 'eager'; img.scrollIntoView(); }
            await Promise.all(imgs.map(i => i.decode().catch(() => null)));
            return imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight}));
        }"""
    )
    assert images, f"{lesson}: no image on the page"
    broken = [i["src"] for i in images if not (i["w"] > 0 and i["h"] > 0)]
    assert not broken, f"{lesson}: {len(broken)}/{len(images)} images did not load: {broken[:10]}"
    assert not problems, "\n".join(problems)


def test_search_finds_lesson_05(site_url: str, page: Any) -> None:
    nb = json.loads((ROOT / "notebooks" / f"{LESSON_05}.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert SEARCH_TERM in text.lower(), f"lesson 05 no longer says {SEARCH_TERM!r}: choose another word of it"
    problems = visit(page, f"{site_url}/search.html?q={SEARCH_TERM}")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results'); return s && s.querySelector('li, p'); }",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    hits = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
    assert any(f"notebooks/{LESSON_05}" in (h or "") for h in hits), f"search {SEARCH_TERM!r}: {hits}"
    assert not problems, "\n".join(problems)


def test_search_finds_nothing_for_a_word_no_page_has(site_url: str, page: Any) -> None:
    """The search test above can fail: a word that is nowhere gives no hit."""
    visit(page, f"{site_url}/search.html?q=zqxjvw")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results'); return s && s.querySelector('li, p'); }",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    assert page.eval_on_selector_all("#search-results li a", "els => els.length") == 0


def test_a_missing_image_is_reported(site_url: str, page: Any, site: Path) -> None:
    """The image check can fail: an <img> whose file is missing has naturalWidth 0."""
    probe = site / "_probe_missing_image.html"
    probe.write_text(
        '<html><head><title>probe</title></head><body><main><img src="_images/none.png"></main></body></html>'
    )
    try:
        problems = visit(page, f"{site_url}/{probe.name}")
        width = page.evaluate("() => document.querySelector('main img').naturalWidth")
    finally:
        probe.unlink()
    assert width == 0
    assert any("404" in p for p in problems), problems

"""The course website (``make site`` / ``make site-fast`` -> build/site/), tested as built.

They run when ``COURSE_SITE_TESTS=1`` (``make test-site`` sets it; otherwise they are skipped, saying
so). Every test here is skipped, with the reason, when build/site/ has not been built; the browser
tests are also skipped when Debian's Chromium or Playwright is missing (``make test-site`` installs
both through tools/install_browser.sh, then runs these tests). The site is served by a local
``http.server`` on 127.0.0.1, as GitHub Pages would serve it (no network is used).

Environment knobs: ``COURSE_SITE_DIR`` (default ``build/site``), ``COURSE_CHROMIUM`` (default
``/usr/bin/chromium``).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_paths import CHROMIUM, NOT_BUILT, SITE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only when asked (``make test-site`` sets COURSE_SITE_TESTS=1): a site built from older
    notebooks would fail `make test` for a reason that is not a test failure of the code."""
    if os.environ.get("COURSE_SITE_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="tests of the built website: run `make site-fast test-site` (COURSE_SITE_TESTS=1)")
    here = Path(__file__).parent
    for item in items:
        uses_site = {"site", "site_url", "browser", "page"} & set(getattr(item, "fixturenames", ()))
        if here in Path(item.fspath).parents and uses_site:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.skip(NOT_BUILT)
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 (a free port) for the browser."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(site: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: `make test-site` installs Debian's chromium (tools/install_browser.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: `make test-site` installs it (tools/install_browser.sh)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        yield pg
    finally:
        context.close()

"""Where the built website is, which pages it has (shared by tests/site's conftest and tests)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "build" / "site"))
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOT_BUILT = f"the website is not built ({SITE / 'index.html'} missing): run `make site-fast` or `make site` first"


def html_pages() -> list[Path]:
    """Every page of the site (not Sphinx's copies of the sources, not the theme's assets)."""
    if not (SITE / "index.html").exists():
        return []
    return sorted(
        p for p in SITE.rglob("*.html") if p.relative_to(SITE).parts[0] not in ("_sources", "_static", "_images")
    )

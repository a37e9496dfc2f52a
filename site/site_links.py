"""Where a lesson page's buttons point: Binder, Colab and the notebook download.

The URLs are the ones of the README's lesson table (tests/site checks that they agree).
Used by: site/conf.py (the buttons) and tests/site (what they must be).
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

ORG_REPO = "autoencoder-course/autoencoder-course"
REPOSITORY = f"https://github.com/{ORG_REPO}"
LESSON_PAGE = re.compile(r"^notebooks/(\d\d_[a-z0-9_]+)$")

# The notebooks' own badge images, served from the site (a reader's browser asks no third party).
BADGES = {
    "https://colab.research.google.com/assets/colab-badge.svg": "badge-colab.svg",
    "https://mybinder.org/badge_logo.svg": "badge-binder.svg",
}

WIDGET_NOTE = (
    '<div class="admonition note course-widget-note"><p class="admonition-title">Interactive widget</p>'
    "<p>This output is an interactive widget (sliders): it needs a running kernel. Open the lesson on "
    "Binder or Colab (buttons at the top of the page) to use it.</p></div>"
)


def lesson_of_page(pagename: str) -> str | None:
    """``"notebooks/05_variational_autoencoders"`` -> ``"05_variational_autoencoders"``; other pages: None."""
    match = LESSON_PAGE.match(pagename)
    return match.group(1) if match else None


def colab_url(lesson: str) -> str:
    """The Colab badge's target in the README for ``notebooks/<lesson>.ipynb``."""
    return f"https://colab.research.google.com/github/{ORG_REPO}/blob/main/notebooks/{lesson}.ipynb"


def binder_url(lesson: str) -> str:
    """The Binder badge's target in the README for ``notebooks/<lesson>.ipynb``."""
    return f"https://mybinder.org/v2/gh/{ORG_REPO}/HEAD?labpath={quote(f'notebooks/{lesson}.ipynb', safe='')}"


def download_href(lesson: str, prefix: str) -> str:
    """Relative link from a lesson page to its notebook as committed (Sphinx's copy in _sources/)."""
    return f"{prefix}_sources/notebooks/{lesson}.ipynb"


def buttons_html(lesson: str, prefix: str) -> str:
    """The button bar on top of a lesson page (``prefix``: the way back to the site's root)."""
    links = [
        ("course-open-binder", binder_url(lesson), "Open in Binder", "https://mybinder.org", True),
        ("course-open-colab", colab_url(lesson), "Open in Colab", "https://colab.research.google.com", True),
        ("course-download", download_href(lesson, prefix), f"Download {lesson}.ipynb", None, False),
    ]
    parts = []
    for cls, href, label, _site, external in links:
        extra = ' target="_blank" rel="noopener"' if external else f' download="{lesson}.ipynb"'
        parts.append(f'<a class="course-button {cls}" href="{html.escape(href)}"{extra}>{html.escape(label)}</a>')
    return '<div class="course-buttons">' + " ".join(parts) + "</div>\n"

"""Sphinx configuration of the course website (``make site``; see site/README.md).

The sources are not read from this folder directly: ``site/build.py`` stages them into
``build/site-src/`` (the pages of ``site/pages/``, the lesson notebooks as ``notebooks/NN_*.ipynb``,
the quiz's student version made by nbgrader, the instructors' guide) and runs
``sphinx-build -c site build/site-src build/site``.

Lessons are executed by MyST-NB through jupyter-cache (``nb_execution_mode = "cache"``): a lesson
whose code cells did not change is not executed again. Fast-mode and student-mode runs are cached
apart (``build/site-cache/fast`` and ``build/site-cache/student``), because the cache key is the
code only, not the environment.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

# site/site_links.py: Binder/Colab/download URLs. site/ is on PYTHONPATH, put there by build.py for
# Sphinx's process (this folder cannot be a package: its name is the standard library's ``site``).
import site_links

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FAST = os.environ.get("COURSE_FAST", "0") not in ("", "0")
MODE = "fast" if FAST else "student"
BUILD = ROOT / "build"

project = "Autoencoders, from first principles to medical imaging"
author = "The autoencoder course contributors"
copyright = "the autoencoder course contributors, MIT licence"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "generated/*.rst.bak"]
templates_path = ["_templates"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# ----------------------------------------------------------------------------- MyST / MyST-NB
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = str(BUILD / "site-cache" / MODE)
nb_execution_timeout = int(os.environ.get("COURSE_SITE_CELL_TIMEOUT", "1200"))
# A lesson that fails to run stops the build; COURSE_SITE_KEEP_GOING=1 shows its traceback on the page
# instead (tests/site then fails on that page, and only there).
nb_execution_raise_on_error = os.environ.get("COURSE_SITE_KEEP_GOING", "0") in ("", "0")
nb_execution_show_tb = True
nb_execution_excludepatterns = ["quiz/*"]  # the quiz is shown, never run (it has no outputs to show)
# e.g. COURSE_SITE_NO_EXECUTE="notebooks/04_*": pages shown without running them (while a lesson is being rewritten)
nb_execution_excludepatterns += os.environ.get("COURSE_SITE_NO_EXECUTE", "").split()
nb_merge_streams = True
# ipywidgets need a live kernel: MyST-NB would load require.js and the widget manager from a CDN
# and show an empty box. No widget JavaScript; the widget's text view is replaced by a note
# (site_links.WIDGET_NOTE, in html-page-context below).
nb_ipywidgets_js: dict = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

# ----------------------------------------------------------------------------- API reference
autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True, "no-value": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = True
suppress_warnings = ["myst.header", "autosummary.import_cycle", "mystnb.unknown_mime_type"]

# ----------------------------------------------------------------------------- HTML
html_theme = "sphinx_book_theme"
html_title = "Autoencoders course"
html_static_path = ["_static", str(BUILD / "site-vendor")]
html_css_files = ["course.css"]
# without a default mode the theme's script logs "Got invalid theme mode" on every page
html_context = {"default_mode": "auto"}
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico (a 404 in the console)
html_copy_source = True
html_sourcelink_suffix = ""  # _sources/notebooks/NN_x.ipynb is the notebook itself (the download link)
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": site_links.REPOSITORY,
    "repository_branch": "main",
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # Binder/Colab buttons are ours (site_links): the URLs of the README's lesson table.
    "launch_buttons": {},
    "announcement": (
        "Fast-mode build: a test of the website; the numbers on these pages are not meant to be read." if FAST else ""
    ),
}
# MathJax 2 from the jupyter-server-mathjax wheel, served from _static: no CDN at build or read time.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
    # the wheel ships the STIX-Web fonts only (as Jupyter Notebook 6 used them)
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "SVG": {"font": "STIX-Web"},
}


def _vendor_mathjax() -> None:
    """Copy the MathJax of the jupyter-server-mathjax wheel to build/site-vendor/mathjax/."""
    import jupyter_server_mathjax

    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    dest = BUILD / "site-vendor" / "mathjax"
    if not (dest / "MathJax.js").exists():
        shutil.copytree(src, dest, dirs_exist_ok=True)


_vendor_mathjax()  # before Sphinx checks html_static_path


_WIDGET_TEXT = re.compile(  # a widget's text/plain view, e.g. "Explorer(children=(SelectionSlider(..."
    r'<div class="output text_plain highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>'
    r"[A-Za-z_]\w*\(children=.*?</pre></div>\s*</div>",
    re.S,
)


def _page_context(app, pagename, templatename, context, doctree) -> None:
    """Lesson pages: Binder/Colab/download buttons on top; widget reprs become a note."""
    body = context.get("body")
    if body is None:
        return
    lesson = site_links.lesson_of_page(pagename)
    if lesson is not None:
        depth = pagename.count("/")
        context["body"] = site_links.buttons_html(lesson, "../" * depth) + body
        body = context["body"]
    for remote, local in site_links.BADGES.items():
        body = body.replace(f'src="{remote}"', f'src="{"../" * pagename.count("/")}_static/{local}"')
    context["body"] = body
    if "(children=" in body:
        context["body"] = _WIDGET_TEXT.sub(lambda m: site_links.WIDGET_NOTE, body)


def setup(app) -> None:
    # a change of mode re-reads every page (the lessons then come from the other mode's cache)
    app.add_config_value("course_site_mode", MODE, "env")
    app.connect("html-page-context", _page_context)


course_site_mode = MODE

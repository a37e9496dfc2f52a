"""The course's configuration: every environment variable it reads, parsed in one place.

Used by every notebook's first (setup) cell, through ``runtime.setup`` and ``runtime.pick``.

This module is a leaf: it imports nothing from ``course_utils`` (and nothing heavy), so the
package's modules, ``tools/`` and ``benchmarks/`` can all ask it without import cycles.

==========================  ==============================================================
``COURSE_FAST``             ``1``/``true``/``yes``/``on``: the small, fast configuration used
                            by CI; unset, empty, ``0``/``false``/``no``/``off``: student mode
                            (the default, which gives the numbers the lessons talk about).
``COURSE_OFFLINE``          the same values: forbid every download (CI and the tests set it).
``COURSE_DATA_DIR``         an optional folder the data loaders search first (``mnist/`` IDX
                            files, ``pneumoniamnist.npz`` ...); ignored when it does not exist.
``COURSE_CACHE_DIR``        where downloads are cached (default ``~/.cache/course_utils``).
``COURSE_BROWSER_TESTS``    a true value runs the browser tests (``make test-browser``).
==========================  ==============================================================

Any other value of a flag (say ``COURSE_FAST=ture``) is an error with one message, wherever
it is read: a typo must not silently run the hour-long student mode.
"""

from __future__ import annotations

import os
from pathlib import Path

FAST_ENV = "COURSE_FAST"
OFFLINE_ENV = "COURSE_OFFLINE"
DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"
BROWSER_TESTS_ENV = "COURSE_BROWSER_TESTS"

FLAGS = (FAST_ENV, OFFLINE_ENV, BROWSER_TESTS_ENV)
FOLDERS = (DATA_DIR_ENV, CACHE_DIR_ENV)

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"", "0", "false", "no", "off"})

# TensorFlow's C++ log lines go to stderr, which a notebook shows in red: the start-up lines
# (oneDNN notice, CPU-feature and CUDA probes, INFO/WARNING) in the setup cell, and, with op
# determinism on (runtime.set_seed), an ERROR-level "NodeDef mentions attribute
# use_unbounded_threadpool" line under every fit/predict on NumPy arrays (a harmless tf.data
# graph-rewrite message of TF 2.21).  Level 3 hides them all; real failures still raise Python
# exceptions with their message.  Set before TensorFlow is imported; a value the user chose is kept.
TENSORFLOW_LOG_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def parse_flag(name: str, raw: str | None) -> bool:
    """``raw`` (the text of environment variable ``name``) as a bool; ``ValueError`` if unclear."""
    value = (raw or "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValueError(f"{name}={raw!r} is not understood: use 1/true/yes/on or 0/false/no/off (or leave it unset)")


def flag(name: str) -> bool:
    """The environment flag ``name`` (unset = False), parsed by :func:`parse_flag`."""
    return parse_flag(name, os.environ.get(name))


def fast_mode() -> bool:
    """True when ``COURSE_FAST`` asks for the small CI configuration (an unclear value raises)."""
    return flag(FAST_ENV)


def mode_name() -> str:
    """``"fast"`` or ``"student"``: the mode ``COURSE_FAST`` selects."""
    return "fast" if fast_mode() else "student"


def offline() -> bool:
    """True when ``COURSE_OFFLINE`` forbids network access (CI and the tests set it)."""
    return flag(OFFLINE_ENV)


def data_dir() -> Path | None:
    """The folder named by ``COURSE_DATA_DIR`` if it is set and exists, else None."""
    raw = os.environ.get(DATA_DIR_ENV, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_dir() else None


def cache_dir(create: bool = True) -> Path:
    """Where downloads are cached: ``COURSE_CACHE_DIR`` or ``~/.cache/course_utils``."""
    raw = os.environ.get(CACHE_DIR_ENV, "").strip()
    path = Path(raw).expanduser() if raw else Path.home() / ".cache" / "course_utils"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def check_environment() -> dict[str, bool]:
    """Parse every course flag now (raising for the first unclear one); returns their values."""
    return {name: flag(name) for name in FLAGS}


def quiet_tensorflow_startup() -> None:
    """Set TensorFlow's log-level variables (unless already set) before TensorFlow is imported.

    Hides the INFO/WARNING lines TensorFlow's C++ core prints to stderr on import; errors still
    show.  Without effect once TensorFlow has been imported.
    """
    for name, value in TENSORFLOW_LOG_ENV.items():
        os.environ.setdefault(name, value)

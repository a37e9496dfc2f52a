"""Runtime settings shared by every lesson: fast mode, seeding, environment report.

Taught in: every notebook's first (setup) cell.

* ``COURSE_FAST=1`` switches every notebook to a small, fast configuration
  (few epochs, small subsets) used by CI.  Unset, ``0``, ``false`` or ``no`` means
  student mode, the default, which produces the numbers the lessons discuss.
* ``COURSE_DATA_DIR`` names an optional folder that the data loaders search
  first (``mnist/`` IDX files, ``pneumoniamnist.npz`` ...).
* ``COURSE_CACHE_DIR`` overrides where downloads are cached
  (default ``~/.cache/course_utils``).
"""

from __future__ import annotations

import os
import platform
import random
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FAST_ENV = "COURSE_FAST"
DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"

_FALSE = {"", "0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when ``COURSE_FAST`` asks for the small CI configuration.

    Raises ``ValueError`` for a value that is neither true-ish nor false-ish, so
    that a typo such as ``COURSE_FAST=ture`` does not silently run for an hour.
    """
    raw = os.environ.get(FAST_ENV, "").strip().lower()
    if raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise ValueError(
        f"{FAST_ENV}={os.environ[FAST_ENV]!r} is not understood: use 1/true/yes for fast mode "
        "or 0/false/no (or leave it unset) for student mode"
    )


def pick(student: T, fast: T) -> T:
    """Return ``student`` in student mode and ``fast`` in fast mode.

    Lessons use it for every size that fast mode shrinks, e.g.
    ``EPOCHS = pick(student=50, fast=2)``.
    """
    return fast if fast_mode() else student


def data_dir() -> Path | None:
    """The folder named by ``COURSE_DATA_DIR`` if it is set and exists, else None."""
    raw = os.environ.get(DATA_DIR_ENV, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    return path if path.is_dir() else None


def cache_dir(create: bool = True) -> Path:
    """Where downloaded data is cached (``COURSE_CACHE_DIR`` or ``~/.cache/course_utils``)."""
    raw = os.environ.get(CACHE_DIR_ENV, "").strip()
    path = Path(raw).expanduser() if raw else Path.home() / ".cache" / "course_utils"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def in_binder() -> bool:
    """True on mybinder.org (repo2docker sets ``BINDER_LAUNCH_HOST``/``BINDER_REQUEST``)."""
    return any(k in os.environ for k in ("BINDER_LAUNCH_HOST", "BINDER_REQUEST", "BINDER_REPO_URL"))


def platform_name() -> str:
    """'colab', 'binder' or 'local'."""
    if in_colab():
        return "colab"
    if in_binder():
        return "binder"
    return "local"


def set_seed(seed: int = 42, deterministic: bool = True) -> int:
    """Seed Python, NumPy and Keras/TensorFlow; optionally enable op determinism.

    With ``deterministic=True`` TensorFlow's op determinism is switched on, so
    that the same seed gives the same weights and the same losses on the same
    machine.  TensorFlow is only touched if it is installed.
    Returns the seed so a setup cell can print it.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    try:
        import keras
    except ImportError:  # pragma: no cover - TensorFlow/Keras are in the lock file
        return seed
    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _devices() -> str:
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover
        return "TensorFlow not installed"
    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else "CPU only"


def environment_report() -> dict[str, Any]:
    """Facts a setup cell prints: versions, hardware, platform, mode, data sources."""
    from . import __version__

    report: dict[str, Any] = {
        "course_utils": __version__,
        "python": platform.python_version(),
        "platform": platform_name(),
        "mode": "fast (COURSE_FAST=1)" if fast_mode() else "student",
        "cpus": os.cpu_count(),
    }
    for dist in ("tensorflow", "tensorflow-cpu", "keras", "numpy", "scikit-learn", "scikit-image"):
        v = _version(dist)
        if v is not None:
            report[dist] = v
    report["devices"] = _devices()
    from .data import available_sources

    report["data"] = available_sources()
    return report


def print_environment() -> dict[str, Any]:
    """Print :func:`environment_report` in a few readable lines and return it."""
    rep = environment_report()
    data = rep.pop("data")
    versions = ", ".join(f"{k} {v}" for k, v in rep.items() if k not in {"platform", "mode", "cpus", "devices"})
    print(f"Versions: {versions}")
    print(f"Running on: {rep['platform']} · {rep['cpus']} CPU cores · {rep['devices']} · mode: {rep['mode']}")
    print("Data: " + "; ".join(f"{k}: {v}" for k, v in data.items()))
    rep["data"] = data
    return rep


def setup(seed: int = 42) -> dict[str, Any]:
    """The one call of every setup cell: seed everything and print the environment."""
    set_seed(seed)
    rep = print_environment()
    print(f"Seed: {seed}")
    return rep


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (10**6 bytes), on Linux and macOS.

    ``resource.getrusage`` reports ``ru_maxrss`` in KiB on Linux but in bytes on macOS.
    """
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB (psutil when installed, else /proc)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except ImportError:  # pragma: no cover - psutil is in the lock file
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def release_memory(namespace: dict[str, Any] | None = None, verbose: bool = True) -> float:
    """End of a lesson: free models and large arrays so that an idle kernel holds little memory.

    Deletes the large NumPy arrays and Keras models in ``namespace`` (pass ``globals()``),
    clears the Keras session, runs the garbage collector and asks the C allocator to give
    freed memory back to the system.  Returns the process' resident memory afterwards (MB).
    On Binder (2 GB for everything) a student can then open the next lesson safely.
    """
    import gc

    if namespace is not None:
        big = []
        for name, value in list(namespace.items()):
            if name.startswith("_"):
                continue
            nbytes = getattr(value, "nbytes", 0)
            kind = type(value).__module__
            if (isinstance(nbytes, int) and nbytes > 1_000_000) or kind.startswith(("keras", "tensorflow")):
                big.append(name)
        for name in big:
            del namespace[name]
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # pragma: no cover - not glibc
            pass
    rss = current_rss_mb()
    if verbose:
        print(f"Lesson finished: models and data released; this kernel now holds {rss:.0f} MB.")
        if in_binder():
            print("On Binder, shut this kernel down (Kernel → Shut Down Kernel) before opening the next lesson.")
    return rss

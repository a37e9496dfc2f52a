"""Runtime settings shared by every lesson: fast mode, seeding, environment report, memory.

Taught in: every notebook's first (setup) cell (``setup``, ``pick``) and last code cell
(``release_memory``).

The environment variables (``COURSE_FAST``, ``COURSE_DATA_DIR``, ``COURSE_CACHE_DIR`` ...) are
read by :mod:`course_utils.config`; ``fast_mode``, ``data_dir`` and ``cache_dir`` are re-exported
here because the lessons know them as ``runtime.*``.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import re
import sys
import tempfile
from importlib import metadata
from typing import Any, TypeVar

from . import config
from ._checks import seed as _check_seed
from .config import CACHE_DIR_ENV, DATA_DIR_ENV, FAST_ENV, cache_dir, data_dir, fast_mode

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "FAST_ENV",
    "cache_dir",
    "current_rss_mb",
    "data_dir",
    "environment_report",
    "fast_mode",
    "forget_traced_steps",
    "import_tensorflow_quietly",
    "in_binder",
    "in_colab",
    "peak_rss_mb",
    "pick",
    "platform_name",
    "print_environment",
    "release_memory",
    "run_ops_one_at_a_time",
    "set_seed",
    "setup",
]

T = TypeVar("T")

config.quiet_tensorflow_startup()


# TensorFlow 2.21 writes some start-up lines through absl before any log level applies, straight to file
# descriptor 2: on CPUs with AVX-512 (Colab's among them) "oneDNN custom operations are on", twice, after
# absl's own preamble.  import_tensorflow_quietly() filters them by TF_CPP_MIN_LOG_LEVEL.
_ABSL_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ [^\]\s]+\] ")  # I0000 00:00:1796.95  2033 port.cc:153]
_ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_HIDDEN_FROM_LEVEL = {"I": 1, "W": 2, "E": 3}  # TF_CPP_MIN_LOG_LEVEL from which each severity is hidden


def _visible_lines(text: str, level: int) -> str:
    """The lines of ``text`` that TensorFlow log level ``level`` does not hide: a log line of a hidden
    severity goes, with the lines that continue its message; other text stays."""
    kept, hiding = [], False
    for line in text.splitlines(keepends=True):
        match = _ABSL_LINE.match(line)
        if match is not None:
            hiding = level >= _HIDDEN_FROM_LEVEL.get(match.group(1), 99)
        elif line.startswith(_ABSL_PREAMBLE):
            hiding = level >= 1
        if not hiding:
            kept.append(line)
    return "".join(kept)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (once) with its C++ start-up lines filtered by ``TF_CPP_MIN_LOG_LEVEL``.

    ``config.quiet_tensorflow_startup`` is not enough for lines absl writes before any log level applies:
    they go straight to file descriptor 2, which a notebook shows in red under the setup cell.  So the
    import runs with descriptor 2 sent to a temporary file; afterwards every line the log level does not
    hide is passed on to ``sys.stderr`` (text that is not a log line, a crash report say, too, unless it
    follows a hidden log line: a multi-line message's continuation goes with its first line).
    """
    if "tensorflow" in sys.modules:
        return
    config.quiet_tensorflow_startup()
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = _visible_lines(captured.read().decode(errors="replace"), level)
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def pick(student: T, fast: T) -> T:
    """Return ``student`` in student mode and ``fast`` in fast mode.

    Lessons use it for every size that fast mode shrinks, e.g.
    ``EPOCHS = pick(student=50, fast=2)``.
    """
    return fast if fast_mode() else student


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
    checked = _check_seed(seed, allow_none=False)
    assert checked is not None
    seed = checked
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
        "mode": f"fast ({FAST_ENV}=1)" if fast_mode() else "student",
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


def setup(seed: int = 42, onednn: bool = True) -> dict[str, Any]:
    """The one call of every setup cell: keep the kernel's memory small, seed everything, print the
    environment and, in a notebook, install :func:`forget_finished_trainings` after every cell.

    ``onednn=False`` runs TensorFlow's own CPU kernels instead of oneDNN's (:func:`_use_plain_cpu_kernels`):
    ~50 MB less memory for a lesson of dense layers, but convolutions take 2-3 times longer.
    """
    _return_freed_blocks_promptly()
    if not onednn:
        _use_plain_cpu_kernels()  # before TensorFlow is imported: it reads the setting once
    import_tensorflow_quietly()  # no red start-up lines under the setup cell
    run_ops_one_at_a_time()
    set_seed(seed)
    rep = print_environment()
    print(f"Seed: {seed}")
    _install_training_cleanup()
    return rep


def forget_finished_trainings(*_: Any) -> int:
    """Free what finished trainings left behind; returns how many gradient registrations were dropped.

    Every ``fit`` traces a training function whose ops register a ``CustomGradient-<n>`` entry in
    TensorFlow's gradient registry (two per model with Keras 3 on TensorFlow 2.21). The entries are never
    removed and each keeps its traced graph alive: a lesson that trains twenty models grows by
    ~100-150 MB. They are only needed while a function is being traced, so once a cell has finished
    they can go. The same holds for the traced training step every model keeps (``train_function``:
    forward pass, gradients and optimizer update); both are released after a cell that trained something,
    and after every cell the memory glibc keeps once it has been freed goes back to the system (in lesson 01 this lowered the peak by
    ~35 MB and kept the kernel ~40 MB smaller throughout). The trained models still predict and
    evaluate; a later ``fit`` traces its step again (a second or so).
    """
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry
    except (ImportError, AttributeError):  # another backend, or TensorFlow moved its internals
        return 0
    names = [name for name in registry if name.startswith("CustomGradient-")]
    for name in names:
        del registry[name]
    if _drop_traced_training_steps() or names:  # something was trained: its graphs are garbage now
        gc.collect()
    _return_freed_memory()  # after every cell: a few milliseconds
    return len(names)


def forget_traced_steps(*models: Any) -> None:
    """Drop the traced training, evaluation and prediction steps of trained Keras ``models``.

    Used by: :func:`course_utils.generative.train_digit_classifier` (a classifier that only classifies
    afterwards) and, after every cell, :func:`forget_finished_trainings` (training steps only).  The
    models still predict; Keras traces a step again when it is needed.  The one place that knows which
    traced functions a Keras model keeps.
    """
    for model in models:
        model.train_function = model.test_function = model.predict_function = None


def _drop_traced_training_steps() -> int:
    """Set ``train_function`` to None on every Keras model the notebook's variables hold (also in
    dicts, lists and tuples, two levels deep); a later ``fit`` traces it again."""
    if "keras" not in sys.modules:
        return 0
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every Jupyter kernel
        return 0
    shell = get_ipython()
    if shell is None:
        return 0
    import keras

    dropped, seen = 0, set[int]()
    stack = [(value, 0) for name, value in list(shell.user_ns.items()) if not name.startswith("_")]
    while stack:
        value, level = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, keras.Model):
            if getattr(value, "train_function", None) is not None:
                value.train_function = None
                dropped += 1
        elif level < 2 and isinstance(value, (dict, list, tuple)):
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, level + 1) for child in children)
    return dropped


def run_ops_one_at_a_time() -> bool:
    """Let TensorFlow run one operation at a time (each still uses every core); True if it could.

    By default TensorFlow runs independent operations of a training step side by side, each with its
    own scratch memory. For lesson 02's convolutional autoencoder (batches of 128 images) those buffers
    are ~60 MB each, and running them one after another lowered the training's peak by ~90 MB at a
    cost of ~25 % more time on our 2-core machines — the difference between staying under Binder's
    memory limit and not. Must run before TensorFlow executes its first operation (:func:`setup` does);
    afterwards TensorFlow refuses and this returns False.
    """
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow is in the lock file
        return False
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow is already running: keep its setting
        return tf.config.threading.get_inter_op_parallelism_threads() == 1
    return True


def _return_freed_memory() -> None:
    """Hand memory that Python and TensorFlow have freed back to the operating system (Linux/glibc).

    glibc keeps freed blocks for reuse, so a kernel that trained and dropped a few models keeps their
    memory resident; ``malloc_trim(0)`` returns it, which is what keeps an idle kernel small on Binder.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to do
        pass


# glibc's mallopt() parameters (<malloc.h>)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MALLOC_SETTINGS = {_M_MMAP_THRESHOLD: 128 * 1024, _M_TRIM_THRESHOLD: 1024 * 1024, _M_ARENA_MAX: 2}


def _use_plain_cpu_kernels() -> bool:
    """Ask TensorFlow for its own CPU kernels instead of oneDNN's (``TF_ENABLE_ONEDNN_OPTS=0``); True if
    the setting applies, False if TensorFlow is already imported or the environment already chooses.

    oneDNN keeps, per thread, a cache of up to 1,024 prepared operations with their buffers (TensorFlow's
    ``MklPrimitiveFactory``; no setting bounds it) that grows with every new layer and batch shape. Measured
    on our 2-core machines in student mode with MALLOC_ARENA_MAX=2 (a shared machine, so times are rough):
    lesson 05 peaked at 1,050-1,074 MB with oneDNN and 1,018-1,027 MB without it, 972 MB with
    :func:`_return_freed_blocks_promptly` as well, in about the same time (136-144 s against 127-140 s;
    its one convolutional training, 14 s, took 24 s). Lesson 02 peaked at 925 MB (twice) instead of 1,011-1,019 MB,
    but its convolutional autoencoders train 2-3 times slower (one training 35 s -> 96 s) and the lesson
    took 233-265 s instead of 138-183 s: hence an option of :func:`setup`, not the default.
    """
    if "tensorflow" in sys.modules or "TF_ENABLE_ONEDNN_OPTS" in os.environ:
        return False
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    return True


def _return_freed_blocks_promptly() -> bool:
    """Make glibc's malloc give freed memory back to the system at once instead of keeping it (Linux/glibc
    only; True if the settings applied).

    glibc serves a request of more than 128 KiB with its own ``mmap`` and returns it on ``free``, but
    each such free raises that threshold to the freed size (up to 32 MiB): after TensorFlow's first
    training steps its megabyte-sized tensors come from the heap and, once freed between blocks still in
    use, stay resident; ``malloc_trim`` after a cell comes too late for the peak inside ``fit``. Fixing
    the threshold at 128 KiB (which switches that adjustment off) and trimming the heap's top beyond 1 MiB
    keeps them out, at the cost of an ``mmap``/``munmap`` pair per large tensor; at most two arenas is
    what ``MALLOC_ARENA_MAX=2`` (Makefile, ``binder/start``) sets, which Colab cannot: its kernel is
    already running. Lesson 05 in student mode: with oneDNN (the default) no measurable change
    (1,060 MB against 1,050-1,074 MB, 136 s against 127-140 s); without oneDNN 972 MB against
    1,018-1,027 MB.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in _MALLOC_SETTINGS.items())


def _install_training_cleanup() -> bool:
    """Register :func:`forget_finished_trainings` to run after every cell of this IPython kernel (once)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every Jupyter kernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    callbacks = shell.events.callbacks.get("post_run_cell", [])
    if forget_finished_trainings not in callbacks:
        shell.events.register("post_run_cell", forget_finished_trainings)
    return True


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (10**6 bytes).

    ``resource.getrusage`` reports ``ru_maxrss`` in KiB on Linux but in bytes on macOS; Windows
    has no ``resource`` module, where psutil's peak working set is used.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        import psutil

        info = psutil.Process().memory_info()
        return float(getattr(info, "peak_wset", info.rss)) / 1e6
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


_BIG_BYTES = 1_000_000  # objects holding more than this are released


def _footprint(value: Any, depth: int = 0) -> int:
    """Bytes of array data ``value`` holds (arrays, pandas objects, containers, dataclass-like
    objects up to three levels deep); Keras/TensorFlow objects count as big."""
    kind = type(value).__module__ or ""
    if any((cls.__module__ or "").startswith(("keras", "tensorflow")) for cls in type(value).__mro__):
        return _BIG_BYTES + 1  # also a keras.Model subclass defined in a notebook
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int) and not isinstance(value, type):
        return nbytes
    if kind.startswith("pandas"):
        return sys.getsizeof(value)  # pandas' __sizeof__ counts the data
    if depth >= 3 or isinstance(value, (str, bytes, type)):
        return 0
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    elif hasattr(value, "__dict__") and not kind.startswith(("builtins", "types")):
        items = vars(value).values()
    else:
        return 0
    total = 0
    for item in list(items)[:1000]:
        total += _footprint(item, depth + 1)
        if total > _BIG_BYTES:
            break
    return total


def _clear_ipython_output_cache() -> None:
    """Forget IPython's ``Out``/``_``/``__``/``___`` history, which keeps displayed results alive."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    displayhook = getattr(shell, "displayhook", None)
    if displayhook is not None and hasattr(displayhook, "flush"):
        displayhook.flush()


def _names_live_widgets_use(namespace: dict[str, Any]) -> set[str]:
    """Global names that the notebook's functions reachable from its widgets refer to.

    An explorer built with ``lambda z: decoder.predict(z)`` looks ``decoder`` up when its slider moves:
    :func:`release_memory` keeps such names so that the lesson's widgets still work after it ran.
    """
    import types

    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - ipywidgets is a course dependency
        return set()
    stack: list[tuple[Any, int]] = [(v, 0) for v in namespace.values() if isinstance(v, ipywidgets.Widget)]
    seen: set[int] = set()
    names: set[str] = set()

    def code_names(code: types.CodeType) -> set[str]:
        found = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                found |= code_names(const)
        return found

    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > 8 or isinstance(obj, (str, bytes, int, float)):
            continue
        if (type(obj).__module__ or "").startswith(("numpy", "pandas")):  # data: nothing to look inside
            continue
        seen.add(id(obj))
        children: list[Any] = []
        if isinstance(obj, types.FunctionType):
            if obj.__globals__ is namespace:  # defined in the notebook: follow the globals it looks up
                used = code_names(obj.__code__) & set(namespace)
                names.update(used)
                children += [namespace[name] for name in used]
            children += [c.cell_contents for c in obj.__closure__ or () if c.cell_contents is not None]
            children += list(obj.__defaults__ or ())
        elif isinstance(obj, types.MethodType):
            children += [obj.__func__, obj.__self__]
        elif isinstance(obj, dict):
            children += list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += list(obj)
        elif isinstance(obj, ipywidgets.Widget):
            children += list(vars(obj).values())
            children += [cb for by_name in obj._trait_notifiers.values() for cbs in by_name.values() for cb in cbs]
        elif hasattr(obj, "__dict__") and not type(obj).__module__.startswith(("keras", "tensorflow")):
            children += list(vars(obj).values())
        stack.extend((child, depth + 1) for child in children)
    return names & set(namespace)


def release_memory(namespace: dict[str, Any] | None = None, verbose: bool = True) -> float:
    """End of a lesson: free models and large data so that an idle kernel holds little memory.

    Deletes from ``namespace`` (pass ``globals()``) every name bound to a Keras/TensorFlow object
    or to data larger than 1 MB (NumPy arrays, pandas tables, and lists, dicts or dataclasses
    such as ``ImageData`` that hold them) — except the names the lesson's live widgets still use,
    so that its explorers keep working — forgets IPython's output history and the last error's
    traceback (whose frames keep their locals alive), closes Matplotlib figures, clears the Keras session, runs the garbage collector and asks the C allocator to
    return freed memory to the system.  Returns the process' resident memory afterwards (MB).
    TensorFlow itself (~600 MB once imported) stays loaded: only shutting the kernel down frees
    it.  On Binder (2 GB for everything) a student can then open the next lesson safely.
    """
    if namespace is not None:
        needed = _names_live_widgets_use(namespace)
        big = [
            name
            for name, value in list(namespace.items())
            if not name.startswith("_") and name not in needed and _footprint(value) > _BIG_BYTES
        ]
        for name in big:
            del namespace[name]
    _clear_ipython_output_cache()
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):  # a failed cell's frames and locals
        if getattr(sys, name, None) is not None:
            setattr(sys, name, None)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
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

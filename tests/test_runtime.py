"""Tests for course_utils.runtime: fast/student mode, seeding, paths, the setup report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_utils import runtime

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_op_determinism():
    """set_seed() switches TensorFlow's op determinism on for the whole process, which makes
    Keras silently refuse XLA; switch it off again so later test modules see the default."""
    yield
    from tensorflow.python.framework import config as tf_config

    tf_config.disable_op_determinism()


@pytest.mark.parametrize(
    "value, fast",
    [("", False), ("0", False), ("false", False), ("No", False), ("1", True), ("TRUE", True), (" yes ", True)],
)
def test_fast_mode_values(monkeypatch, value, fast):
    monkeypatch.setenv("COURSE_FAST", value)
    assert runtime.fast_mode() is fast
    assert runtime.pick(student=50, fast=2) == (2 if fast else 50)


def test_fast_mode_unset_is_student_mode(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert runtime.fast_mode() is False
    assert runtime.pick("student", "fast") == "student"


def test_fast_mode_typo_is_an_error(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "ture")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.fast_mode()


def test_data_and_cache_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert runtime.data_dir() == tmp_path
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "missing"))
    assert runtime.data_dir() is None
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert runtime.data_dir() is None
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "c" / "d"))
    assert runtime.cache_dir() == tmp_path / "c" / "d" and (tmp_path / "c" / "d").is_dir()


def test_platform_detection(monkeypatch):
    for var in ("COLAB_RELEASE_TAG", "BINDER_LAUNCH_HOST", "BINDER_REQUEST", "BINDER_REPO_URL"):
        monkeypatch.delenv(var, raising=False)
    assert runtime.platform_name() == "local"
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    assert runtime.platform_name() == "binder"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_2026")
    assert runtime.platform_name() == "colab"


def test_set_seed_makes_numpy_and_keras_repeatable():
    import keras

    runtime.set_seed(7)
    a, ka = np.random.rand(3), keras.random.uniform((3,), seed=None)
    runtime.set_seed(7)
    b, kb = np.random.rand(3), keras.random.uniform((3,), seed=None)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.asarray(ka), np.asarray(kb))
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="seed"):
            runtime.set_seed(bad)


def test_setup_prints_versions_mode_and_data(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)  # setup sets it: restored afterwards
    monkeypatch.setattr(runtime, "_return_freed_blocks_promptly", lambda: False)  # leave pytest's malloc alone
    rep = runtime.setup(seed=3)
    from tensorflow.python.framework import config as tf_config

    assert tf_config.is_op_determinism_enabled()
    out = capsys.readouterr().out
    assert "Versions:" in out and "tensorflow" in out.lower() and "mode: fast" in out
    assert "Data:" in out and "mnist" in out and "Seed: 3" in out
    assert rep["mode"].startswith("fast") and set(rep["data"]) == {"mnist", "medical", "breast_cancer"}


def _run_in_kernel(code: str, tmp_path) -> tuple[str, str]:
    """(stdout, stderr) of ``code`` executed in a fresh Jupyter kernel, as a lesson's cell is."""
    import nbformat
    from nbclient import NotebookClient

    # ipykernel forwards what C code writes to file descriptor 2 from a background thread: wait a
    # little inside the cell so that those lines arrive before the cell counts as finished.
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code + "\nimport time as _t\n_t.sleep(3)")])
    # ipykernel does not forward file-descriptor output when it sees PYTEST_CURRENT_TEST: hide it, so the
    # kernel behaves as in JupyterLab.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    streams = {"stdout": "", "stderr": ""}
    for out in nb.cells[0].outputs:
        if out["output_type"] == "stream":
            streams[out["name"]] += out["text"]
    return streams["stdout"], streams["stderr"]


@pytest.mark.slow
def test_the_setup_cell_shows_no_tensorflow_log_lines(tmp_path, monkeypatch):
    """Issue 14: TensorFlow's start-up lines must not reach the student as red stderr in the first cell.

    The kernel starts without TF_CPP_MIN_LOG_LEVEL (as on Binder, Colab or a laptop); the lesson's
    own setup cell must print its report on stdout and nothing on stderr.  The control shows that
    TensorFlow does print start-up lines on stderr when nothing quiets it.
    """
    import nbformat

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setenv("COURSE_FAST", "1")
    lesson = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    setup_cell = next(c.source for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "code")
    # ... and training afterwards (with op determinism on, TF 2.21 logs an ERROR-level line under fit)
    fit = (
        "\nimport keras, numpy as np\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
        "m.compile('adam', 'mse')\nm.fit(np.zeros((256, 4)), np.zeros((256, 2)), epochs=2, verbose=0, "
        "validation_data=(np.zeros((32, 4)), np.zeros((32, 2))))\nm.predict(np.zeros((8, 4)), verbose=0)"
        "\nfrom course_utils import runtime as _r\n"
        "print('cleanup hooked:', _r.forget_finished_trainings in get_ipython().events.callbacks['post_run_cell'])"
        "\nimport tensorflow as _tf\nprint('ops at a time:', _tf.config.threading.get_inter_op_parallelism_threads())"
    )
    out, err = _run_in_kernel(setup_cell + fit, tmp_path)
    assert "Versions:" in out and "Seed:" in out, out
    assert "cleanup hooked: True" in out, out  # runtime.setup installs forget_finished_trainings
    assert "ops at a time: 1" in out, out  # ... and runs TensorFlow's operations one at a time
    assert err == "", f"the setup cell of {lesson.name} wrote to stderr:\n{err}"
    # the control in a plain Python process (a kernel adds only its start-up time): nothing quiets TensorFlow
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    control = subprocess.run(
        [sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, env=env, timeout=300
    ).stderr
    if not control:
        pytest.skip("this TensorFlow build prints no start-up line on this CPU: the control cannot show one")
    assert "tensorflow" in control.lower() or "I0000" in control or "absl" in control, control


FAKE_TENSORFLOW = """import os
os.write(2, b"a line that is not a log line\\n")
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
os.write(2, b"I0000 00:00:1796095966.814653    2033 port.cc:153] oneDNN custom operations are on.\\n")
os.write(2, b"I0000 00:00:1796095966.9    2033 cpu_feature_guard.cc:227] This binary is optimized\\n")
os.write(2, b"To enable the following instructions: AVX2 AVX512F, rebuild TensorFlow.\\n")
os.write(2, b"W0000 00:00:1796095967.1    2033 something.cc:1] a warning\\n")
os.write(2, b"E0000 00:00:1796095967.2    2033 something.cc:2] an error\\n")
"""


@pytest.mark.parametrize(
    "level, shown",
    [
        ("3", ["a line"]),
        ("2", ["a line", "E0000"]),
        ("1", ["a line", "W0000", "E0000"]),
        ("0", ["a line", "WARNING: All log", "I0000", "I0000", "To enable", "W0000", "E0000"]),
    ],
)
def test_import_tensorflow_quietly_filters_absl_start_up_lines_by_log_level(tmp_path, level, shown):
    """TensorFlow 2.21 on AVX-512 CPUs writes "oneDNN custom operations are on" through absl straight to
    file descriptor 2, whatever TF_CPP_MIN_LOG_LEVEL says: the setup cell must not show it.  A stand-in
    ``tensorflow`` module writes such lines here; a hidden message's continuation line goes with it."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text(FAKE_TENSORFLOW)
    code = "from course_utils import runtime\nruntime.import_tensorflow_quietly()\nruntime.import_tensorflow_quietly()"
    env = dict(os.environ, PYTHONPATH=str(tmp_path), TF_CPP_MIN_LOG_LEVEL=level)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 0 and len(lines) == len(shown), proc.stderr
    assert all(line.startswith(prefix) for line, prefix in zip(lines, shown)), proc.stderr


def test_quiet_tensorflow_startup_keeps_a_chosen_level(monkeypatch):
    from course_utils import config

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    config.quiet_tensorflow_startup()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"  # C++ log lines hidden; Python exceptions still raise
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    config.quiet_tensorflow_startup()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_peak_and_current_memory_are_in_megabytes():
    import resource

    peak, now = runtime.peak_rss_mb(), runtime.current_rss_mb()
    assert 10 < now <= peak * 1.05 + 5 < 100_000
    raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak == pytest.approx(raw * (1 if sys.platform == "darwin" else 1024) / 1e6)


def test_release_memory_frees_models_and_large_data_and_keeps_the_rest(capsys):
    import keras

    from course_utils.data import ImageData

    class NotebookVAE(keras.Model):  # a model class a lesson defines (its __module__ is __main__)
        pass

    NotebookVAE.__module__ = "__main__"
    big = np.ones((2_000_000,), dtype=np.float32)  # 8 MB
    small = np.ones(10)
    ns = {
        "big": big,
        "small": small,
        "data": ImageData(big, np.zeros(1), big, np.zeros(1)),  # holds arrays: released
        "models": [keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])],  # a list of models: released
        "table": {"x": big},
        "vae": NotebookVAE(),
        "EPOCHS": 50,
        "np": np,
        "_hidden": big,
        "f": runtime.pick,
    }
    rss = runtime.release_memory(ns)
    assert set(ns) == {"small", "EPOCHS", "np", "_hidden", "f"}
    assert rss > 0 and "this kernel now holds" in capsys.readouterr().out
    assert runtime.release_memory(None, verbose=False) > 0


def test_forget_finished_trainings_drops_the_registrations_fit_leaves_behind():
    """Every fit leaves CustomGradient entries (each holding a traced graph) in TensorFlow's registry."""
    import keras
    from tensorflow.python.framework import ops as tf_ops

    from course_utils import runtime

    registry = tf_ops._gradient_registry._registry
    runtime.forget_finished_trainings()
    x = np.random.default_rng(0).random((64, 6)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2), keras.layers.Dense(6)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, epochs=1, verbose=0)
    left = [name for name in registry if name.startswith("CustomGradient-")]
    assert left, "fit no longer registers custom gradients: forget_finished_trainings may be unnecessary"
    assert runtime.forget_finished_trainings() == len(left)
    assert not [name for name in registry if name.startswith("CustomGradient-")]
    before = model.evaluate(x, x, verbose=0)
    model.fit(x, x, epochs=3, verbose=0)  # the model still trains after the clean-up
    assert model.evaluate(x, x, verbose=0) < before


def test_setup_installs_the_cleanup_only_inside_ipython():
    from course_utils import runtime

    assert runtime._install_training_cleanup() is False  # plain Python (pytest): nothing to hook
    # inside a kernel it is installed: see test_the_setup_cell_shows_no_tensorflow_log_lines


def test_forget_finished_trainings_also_returns_freed_memory_to_the_system(monkeypatch):
    """After a cell, glibc's freed blocks go back to the OS (malloc_trim): an idle kernel stays small."""
    import ctypes

    from course_utils import runtime

    if not sys.platform.startswith("linux"):
        pytest.skip("malloc_trim is glibc's")
    calls = []

    class FakeLibc:
        def malloc_trim(self, pad):
            calls.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    runtime.forget_finished_trainings()  # after every cell, whether or not something was trained
    assert calls == [0]
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((8, 3)), np.zeros((8, 3)), epochs=1, verbose=0)
    runtime.forget_finished_trainings()
    assert calls == [0, 0]


@pytest.mark.slow  # a subprocess that imports TensorFlow or starts a kernel: `make test`, not test-quick
def test_setup_runs_tensorflow_ops_one_at_a_time_when_it_still_can():
    """runtime.setup asks TensorFlow for one operation at a time (less scratch memory at once); once
    TensorFlow has run an operation the setting is fixed, and the call says so instead of failing."""
    script = (
        "import tensorflow as tf\n"
        "from course_utils import runtime\n"
        "print(runtime.run_ops_one_at_a_time(), tf.config.threading.get_inter_op_parallelism_threads())\n"
        "tf.constant(1.0) + 1.0\n"
        "print(runtime.run_ops_one_at_a_time())\n"
    )
    late = "import tensorflow as tf\ntf.constant(1.0) + 1.0\nfrom course_utils import runtime\nprint(runtime.run_ops_one_at_a_time())\n"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.split() == ["True", "1", "True"], first.stderr  # set before TF ran: kept afterwards
    second = subprocess.run([sys.executable, "-c", late], capture_output=True, text=True, env=env, check=True)
    assert second.stdout.split() == ["False"], second.stderr  # too late: TensorFlow keeps its default


def test_after_a_cell_trained_models_lose_their_traced_step_but_still_work(monkeypatch):
    import keras

    from course_utils import runtime

    x = np.random.default_rng(1).random((32, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, epochs=1, verbose=0)
    assert model.train_function is not None

    class Shell:
        user_ns = {"model": None, "kinds": {"a": [model]}}  # also found inside containers

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert runtime._drop_traced_training_steps() == 1
    assert model.train_function is None
    assert model.predict(x, verbose=0).shape == (32, 4)
    model.fit(x, x, epochs=1, verbose=0)  # traced again
    assert model.train_function is not None


def test_release_memory_keeps_what_the_lessons_widgets_still_use():
    """A slider moved after the lesson's last cell must still redraw (the browser test moves them)."""
    from course_utils import widgets

    namespace: dict = {"widgets": widgets}
    exec(
        "import numpy as np\n"
        "shift = np.zeros((784, 400), dtype=np.float32)    # 1.25 MB that the explorer's lambda looks up\n"
        "unused = np.ones((784, 400), dtype=np.float32)    # 1.25 MB that nothing uses\n"
        "images = np.full((3, 784), 0.5, dtype=np.float32)\n"
        "def reconstruct(x):\n"
        "    return x + shift[0, 0]        # a notebook function the lambda calls, which looks `shift` up\n"
        "models = {'identity': lambda x: reconstruct(x)}\n"
        "box = widgets.digit_explorer(images, models)\n",
        namespace,
    )
    runtime.release_memory(namespace, verbose=False)
    assert "shift" in namespace, "the explorer's lambda looks `shift` up when the slider moves"
    assert "unused" not in namespace
    box = namespace["box"]
    before = box.renders
    box.controls["index"].value = 1
    assert box.renders == before + 1 and box.state["index"] == 1


FREE_50_BLOCKS = """import ctypes, sys
from course_utils import runtime
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
if sys.argv[1] == "tuned":
    assert runtime._return_freed_blocks_promptly()
def block(size):
    address = libc.malloc(size)
    ctypes.memset(address, 1, size)  # touched: resident
    return address
libc.free(block(8 << 20))  # TensorFlow's first big tensors, freed: glibc raises its mmap threshold to 8 MiB
blocks, pins = [], []
for _ in range(50):
    blocks.append(block(1 << 20))
    pins.append(libc.malloc(64))  # a small block still in use after each one: the heap cannot shrink at its top
before = runtime.current_rss_mb()
for address in blocks:
    libc.free(address)
print(before - runtime.current_rss_mb())
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or __import__("platform").libc_ver()[0] != "glibc", reason="glibc only"
)
def test_after_setup_freed_megabyte_blocks_go_back_to_the_system():
    """The malloc settings of setup(): 50 MB of freed 1 MiB blocks leave the process at once.

    Without them (glibc's defaults, MALLOC_* unset), in a fresh process these blocks come from the heap
    once a larger block has been freed, and stay resident after ``free``: 0 MB came back. That control is
    not asserted here: glibc serves the first large block from the heap, with no threshold raised, when
    the heap happens to have room, which depends on what ran before (it did under pytest).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # glibc's defaults
    proc = subprocess.run(
        [sys.executable, "-c", FREE_50_BLOCKS, "tuned"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) > 45, proc.stdout  # 52 MB


@pytest.mark.slow  # two subprocesses that import TensorFlow
def test_setup_can_switch_onednn_off_unless_the_environment_chooses():
    """setup(onednn=False) sets TF_ENABLE_ONEDNN_OPTS=0 before it imports TensorFlow (whose oneDNN caches
    grow lesson 05's kernel by ~50 MB); a value the student set is kept."""
    script = (
        "from course_utils import runtime\n"
        "runtime.setup(seed=1, onednn=False)\n"
        "from tensorflow.python.util import _pywrap_util_port\n"
        "print('oneDNN:', _pywrap_util_port.IsMklEnabled())\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    base.update(COURSE_FAST="1", TF_CPP_MIN_LOG_LEVEL="3")
    for env, expected in ((base, "oneDNN: False"), ({**base, "TF_ENABLE_ONEDNN_OPTS": "1"}, "oneDNN: True")):
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert expected in proc.stdout, proc.stdout

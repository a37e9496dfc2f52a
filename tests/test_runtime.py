"""Tests for course_utils.runtime: fast/student mode, seeding, paths, the setup report."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import runtime


@pytest.fixture(autouse=True)
def _restore_op_determinism():
    """set_seed() switches TensorFlow's op determinism on for the whole process, which makes
    Keras silently refuse XLA; switch it off again so later test modules see the default."""
    yield
    from tensorflow.python.framework import config as tf_config

    tf_config.disable_op_determinism()


@pytest.mark.parametrize("value, fast", [("", False), ("0", False), ("false", False), ("No", False), ("1", True), ("TRUE", True), (" yes ", True)])
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
    rep = runtime.setup(seed=3)
    from tensorflow.python.framework import config as tf_config

    assert tf_config.is_op_determinism_enabled()
    out = capsys.readouterr().out
    assert "Versions:" in out and "tensorflow" in out.lower() and "mode: fast" in out
    assert "Data:" in out and "mnist" in out and "Seed: 3" in out
    assert rep["mode"].startswith("fast") and set(rep["data"]) == {"mnist", "medical", "breast_cancer"}

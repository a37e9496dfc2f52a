"""Tests for course_utils.training: the streaming pipeline, the per-epoch logger, time_to_loss."""

from __future__ import annotations

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import training


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    basis = rng.random((3, 16))
    codes = rng.random((200, 3))
    x = (codes @ basis / 3.0).astype("float32")
    return x[:160], x[160:]


def _model(seed: int = 0) -> keras.Model:
    """A 16-3-16 autoencoder in plain Keras, as the lessons write it."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(3), keras.layers.Dense(16)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


# --------------------------------------------------------------------------------------
# ArrayBatches / make_dataset
# --------------------------------------------------------------------------------------
def _epoch(batches: training.ArrayBatches) -> list[tuple[np.ndarray, np.ndarray]]:
    """One pass as Keras makes it over a PyDataset: batches[0 … n-1], then on_epoch_end()."""
    out = [batches[i] for i in range(len(batches))]
    batches.on_epoch_end()
    return out


def test_array_batches_cover_every_sample_once_and_reshuffle() -> None:
    x = np.arange(10, dtype=np.float64).reshape(10, 1)
    batches = training.ArrayBatches(x, batch_size=4, seed=3)
    assert len(batches) == 3
    epoch1 = _epoch(batches)
    epoch2 = _epoch(batches)
    assert [len(b[0]) for b in epoch1] == [4, 4, 2]
    assert epoch1[0][0].dtype == np.float32  # floats are cast per batch
    assert all(xb is yb for xb, yb in epoch1)  # y=None: the target is the input
    seen1 = np.concatenate([b[0] for b in epoch1]).ravel()
    seen2 = np.concatenate([b[0] for b in epoch2]).ravel()
    assert sorted(seen1) == sorted(seen2) == list(range(10))
    assert not np.array_equal(seen1, seen2)  # a new order every epoch
    again = _epoch(training.ArrayBatches(x, batch_size=4, seed=3))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in again]), np.concatenate([b[0] for b in epoch1]))


def test_array_batches_order_targets_and_transform() -> None:
    x = np.arange(6).reshape(6, 1)  # integers stay integers
    y = np.arange(6, 12, dtype=np.float32).reshape(6, 1)
    ordered = _epoch(training.ArrayBatches(x, y, batch_size=4, shuffle=False))
    np.testing.assert_array_equal(ordered[0][0].ravel(), [0, 1, 2, 3])
    np.testing.assert_array_equal(ordered[1][1].ravel(), [10, 11])
    assert ordered[0][0].dtype == x.dtype

    def add_noise(xb, yb, rng):
        return xb + rng.normal(0, 1, xb.shape), yb

    noisy = training.ArrayBatches(y, batch_size=6, shuffle=False, seed=0, transform=add_noise)
    xb, yb = noisy[0]
    assert xb.dtype == np.float32
    np.testing.assert_array_equal(yb, y)
    assert not np.allclose(xb, y)
    # make_dataset reads its (inputs, targets) specs from batch 0, after the transform
    spec = training.make_dataset(y, batch_size=6, shuffle=False, seed=0, transform=add_noise).element_spec
    assert spec[0].shape.as_list() == [None, 1] and spec[0].dtype == tf.float32
    assert spec[1].shape.as_list() == [None, 1] and spec[1].dtype == tf.float32


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.zeros((0, 3)),), {}, "x is empty"),
        ((np.zeros((4, 3)), np.zeros((5, 3))), {}, "same number of samples"),
        ((np.zeros((4, 3)),), {"batch_size": 0}, "batch_size must be a positive integer"),
        ((np.zeros((4, 3)),), {"seed": -2}, "seed must be a non-negative integer"),
        ((np.zeros((4, 3)),), {"transform": "noise"}, "transform must be a callable"),
        ((np.float32(3.0),), {}, "x must be an array of samples"),
        (([{"a": 1}, 2],), {}, "x must be an array of samples"),
    ],
)
def test_array_batches_bad_input(args, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.ArrayBatches(*args, **kwargs)


def test_make_dataset_is_batched_with_known_length() -> None:
    ds = training.make_dataset(np.ones((10, 2), "float32"), batch_size=3, seed=0)
    assert int(ds.cardinality()) == 4
    sizes = [int(xb.shape[0]) for xb, _ in ds]
    assert sizes == [3, 3, 3, 1]


def test_array_batches_index_like_a_py_dataset() -> None:
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    batches = training.ArrayBatches(x, batch_size=4, seed=3)
    by_index = [batches[i] for i in range(len(batches))]
    for i, (a, _) in enumerate(by_index):
        np.testing.assert_array_equal(a, training.ArrayBatches(x, batch_size=4, seed=3).batch(0, i)[0])
        np.testing.assert_array_equal(a, batches[i][0])  # asking again gives the same batch (make_dataset relies on it)
    batches.on_epoch_end()
    assert not np.array_equal(batches[0][0], by_index[0][0])  # the next epoch, a new order
    with pytest.raises(IndexError, match="batch index must be in"):
        batches[3]


class _CountingPairs(keras.utils.PyDataset):
    """A PyDataset whose batch i of epoch e is filled with the number i + 10 e."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []
        self.epochs_ended = 0

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i):
        self.asked.append(i)
        xb = np.full((2, 4), float(i + 10 * self.epochs_ended), np.float32)
        return xb, xb

    def on_epoch_end(self) -> None:
        self.epochs_ended += 1


def test_as_dataset_asks_a_py_dataset_in_order_and_ends_its_epochs() -> None:
    pairs = _CountingPairs()
    ds = training.as_dataset(pairs)
    assert int(ds.cardinality()) == 3
    assert ds.element_spec[0].shape.as_list() == [None, 4]
    pairs.asked.clear()  # as_dataset read batches[0] once for the shapes
    seen = [[float(xb[0, 0]) for xb, _ in ds] for _ in range(2)]
    assert pairs.asked == [0, 1, 2, 0, 1, 2]
    assert seen == [[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]]  # on_epoch_end ran after each pass
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2 and pairs.epochs_ended == 4


def test_as_dataset_bad_input() -> None:
    class Empty(keras.utils.PyDataset):
        def __len__(self) -> int:
            return 0

    with pytest.raises(ValueError, match="at least one batch"):
        training.as_dataset(Empty())

    class NotPairs(_CountingPairs):
        def __getitem__(self, i):
            return np.zeros((2, 4), np.float32)

    with pytest.raises(ValueError, match=r"\(inputs, targets\) pair"):
        training.as_dataset(NotPairs())


# --------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------


def test_epoch_logger_prints_one_line_per_epoch_and_records_time(data, capsys) -> None:
    x, xv = data
    hist = _model().fit(
        training.make_dataset(x, batch_size=32, seed=0),
        shuffle=False,  # the dataset reshuffles every epoch itself
        validation_data=(xv, xv),
        epochs=3,
        verbose=0,
        callbacks=[training.EpochLogger(3)],
    )
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) == 3
    for i, line in enumerate(lines, start=1):
        assert re.match(
            rf"^epoch {i}/3  loss \d\.\d{{4}}  val_loss \d\.\d{{4}}  \d+\.\d s \(total \d+\.\d s\)$", line
        ), line
    h = hist.history
    assert len(h["loss"]) == len(h["val_loss"]) == len(h["time"]) == 3
    assert all(t2 > t1 > 0 for t1, t2 in zip(h["time"], h["time"][1:]))
    assert h["loss"][-1] < h["loss"][0]
    assert training.time_to_loss(hist, h["val_loss"][0]) == h["time"][0]


def test_epoch_logger_can_stay_silent(data, capsys) -> None:
    x, _ = data
    hist = _model().fit(x, x, epochs=2, verbose=0, callbacks=[training.EpochLogger(2, print_lines=False)])
    assert capsys.readouterr().out == ""
    assert len(hist.history["time"]) == 2


def test_epoch_logger_number_format() -> None:
    assert training._fmt(0.12345) == "0.1235"
    assert training._fmt(123456.0) == "1.235e+05"
    assert training._fmt(0.0) == "0.0000"
    assert training._fmt(2e-5) == "2.000e-05"


# --------------------------------------------------------------------------------------
# time_to_loss
# --------------------------------------------------------------------------------------
def test_time_to_loss() -> None:
    hist = {"val_loss": [0.5, 0.3, 0.2], "loss": [0.6, 0.4, 0.1], "time": [1.0, 2.5, 4.0]}
    assert training.time_to_loss(hist, 0.3) == 2.5
    assert training.time_to_loss(hist, 0.6) == 1.0
    assert training.time_to_loss(hist, 0.1) is None
    assert training.time_to_loss(hist, 0.15, key="loss") == 4.0
    history = keras.callbacks.History()
    history.history = hist
    assert training.time_to_loss(history, 0.25) == 4.0


@pytest.mark.parametrize(
    "hist, target, match",
    [
        ({"val_loss": [0.5]}, 0.1, "history has no 'time' entry"),
        ({"time": [1.0]}, 0.1, "history has no 'val_loss' entry"),
        ({"val_loss": [0.5, 0.4], "time": [1.0]}, 0.1, "different lengths"),
        ({"val_loss": [0.5], "time": [1.0]}, float("nan"), "target must be a finite number"),
        ([0.5, 0.4], 0.1, "history must be a keras History"),
    ],
)
def test_time_to_loss_bad_input(hist, target, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.time_to_loss(hist, target)

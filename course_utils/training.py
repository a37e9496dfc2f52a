"""Small Keras utilities the lessons use once they have written their training code themselves.

Taught in: 02_mnist_autoencoder.  The lessons build, compile and ``fit`` every model in plain Keras;
these helpers only make that output readable and comparable:

* :class:`EpochLogger` prints one line per epoch (epoch, losses, validation losses, seconds) instead of
  Keras' progress bar, and records the cumulative wall time in ``history.history["time"]``;
* :func:`time_to_loss` reads from such a history how long training took to reach a loss;
* :func:`make_dataset` feeds arrays batch by batch through a ``tf.data`` pipeline (reshuffled every
  epoch, never copied into one big tensor), with an optional per-batch ``transform``;
* :func:`as_dataset` feeds a ``keras.utils.PyDataset`` to ``fit`` the same way (used by :func:`make_dataset`).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np

from ._checks import positive_int
from ._checks import seed as check_seed

__all__ = ["ArrayBatches", "EpochLogger", "as_dataset", "make_dataset", "time_to_loss"]


# --------------------------------------------------------------------------------------
# data pipeline
# --------------------------------------------------------------------------------------
class ArrayBatches:
    """Deterministic mini-batches ``(x[idx], y[idx])`` sliced from arrays without copying them.

    Used by :func:`make_dataset`.  Indexable like a ``keras.utils.PyDataset``: ``batches[i]`` is batch
    ``i`` of the current epoch and ``on_epoch_end()`` moves on to the next epoch.  With
    ``shuffle=True`` epoch ``e`` uses the permutation drawn from ``numpy.random.default_rng(
    [seed, e])``, so a given seed always gives the same batch order.  ``y=None`` means the target
    is ``x`` itself (an autoencoder).  ``transform(x_batch, y_batch, rng) -> (x_batch, y_batch)``,
    if given, is applied to every batch -- e.g. to add fresh noise to the inputs each epoch.
    Floating-point batches are cast to float32.
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 128,
        shuffle: bool = True,
        seed: int | None = None,
        transform: Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.x = _as_array("x", x)
        self.y = self.x if y is None else _as_array("y", y)
        if len(self.x) == 0:
            raise ValueError("x is empty: expected at least one sample")
        if len(self.y) != len(self.x):
            raise ValueError(f"x and y must have the same number of samples, got {len(self.x)} and {len(self.y)}")
        self.batch_size = positive_int("batch_size", batch_size)
        self.shuffle = bool(shuffle)
        checked = check_seed(seed)
        self.seed = int(np.random.randint(0, 2**31 - 1)) if checked is None else checked
        if transform is not None and not callable(transform):
            raise ValueError(f"transform must be a callable (x_batch, y_batch, rng) -> (x, y), got {transform!r}")
        self.transform = transform
        self.epoch = 0
        self._order: tuple[int, Any] = (-1, None)

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def _cast(self, a: np.ndarray) -> np.ndarray:
        return a.astype("float32", copy=False) if np.issubdtype(a.dtype, np.floating) else a

    def batch(self, epoch: int, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``i`` of epoch ``epoch`` (both counted from 0); the same arguments give the same batch.

        Epoch ``e`` orders the samples by the permutation of ``numpy.random.default_rng([seed, e])``;
        the ``transform`` of batch ``i`` draws from ``numpy.random.default_rng([seed, e, i])``.
        """
        if not 0 <= i < len(self):
            raise IndexError(f"batch index must be in [0, {len(self)}), got {i}")
        start = i * self.batch_size
        if self.shuffle:
            if self._order[0] != epoch:  # one permutation per epoch, drawn when its first batch is asked for
                self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.x)))
            order = self._order[1]
            sl: Any = np.sort(order[start : start + self.batch_size])
        else:
            sl = slice(start, start + self.batch_size)
        xb = self._cast(self.x[sl])
        yb = xb if self.y is self.x else self._cast(self.y[sl])
        if self.transform is not None:
            xb, yb = self.transform(xb, yb, np.random.default_rng([self.seed, epoch, i]))
            xb, yb = self._cast(np.asarray(xb)), self._cast(np.asarray(yb))
        return xb, yb

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``i`` of the current epoch (the interface of ``keras.utils.PyDataset``)."""
        return self.batch(self.epoch, int(i))

    def on_epoch_end(self) -> None:
        """Move on to the next epoch (a new order when ``shuffle``)."""
        self.epoch += 1


def _as_array(name: str, a: Any) -> np.ndarray:
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except Exception as exc:
            raise ValueError(f"{name} must be an array of samples, got {type(a).__name__}") from exc
    if arr.ndim == 0 or arr.dtype == object:
        raise ValueError(
            f"{name} must be an array of samples (first axis = samples), got {type(a).__name__} {arr.shape}"
        )
    return arr


def make_dataset(
    x: Any,
    y: Any = None,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int | None = None,
    transform: Callable[..., Any] | None = None,
) -> Any:
    """A ``tf.data.Dataset`` of ``(x_batch, y_batch)`` built on :class:`ArrayBatches`.

    Taught in: 02_mnist_autoencoder.  Each iteration (epoch) re-shuffles; the arrays are
    sliced one batch at a time, never converted to one big tensor.
    """
    batches = ArrayBatches(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, transform=transform)
    return as_dataset(batches)


def as_dataset(batches: Any, element_spec: Any = None, prefetch: int = 2) -> Any:
    """Feed a ``keras.utils.PyDataset`` (or :class:`ArrayBatches`) to ``fit`` through ``tf.data``.

    Used by: :func:`make_dataset`.  Every pass over the dataset asks ``batches[i]`` for
    ``i = 0 … len(batches) − 1`` in order, then calls ``batches.on_epoch_end()`` (if it has one) — what
    Keras does with a PyDataset.  Why not pass the PyDataset itself?  Keras then wraps it in
    ``tf.data.Dataset.from_generator``, and on our 2-core CPU machines training ran two to three times
    slower that way (millions of page faults per epoch in TensorFlow's kernels, measured with
    ``getrusage``); calling the same ``__getitem__`` from ``tf.numpy_function`` does not have that cost.

    ``element_spec``: a pair of ``tf.TensorSpec`` for (inputs, targets); by default it is read from
    ``batches[0]`` (a PyDataset that draws random numbers then draws once more; :class:`ArrayBatches`
    gives the same batch every time it is asked).
    """
    import tensorflow as tf

    n = len(batches)
    if n < 1:
        raise ValueError(f"batches must have at least one batch, got len(batches) == {n}")
    if element_spec is None:
        first = batches[0]
        if not (isinstance(first, tuple) and len(first) == 2):
            raise ValueError(f"batches[i] must be an (inputs, targets) pair, got {type(first).__name__}")
        element_spec = tuple(tf.TensorSpec((None, *np.shape(a)[1:]), tf.as_dtype(np.asarray(a).dtype)) for a in first)
    end_of_epoch = getattr(batches, "on_epoch_end", None)

    def get(i: Any) -> tuple[np.ndarray, np.ndarray]:
        i = int(i)
        xb, yb = batches[i]
        if i == n - 1 and end_of_epoch is not None:
            end_of_epoch()
        return np.asarray(xb, dtype=element_spec[0].dtype.as_numpy_dtype), np.asarray(
            yb, dtype=element_spec[1].dtype.as_numpy_dtype
        )

    def load(i: Any) -> tuple[Any, Any]:
        xb, yb = tf.numpy_function(get, [i], (element_spec[0].dtype, element_spec[1].dtype), stateful=True)
        return tf.ensure_shape(xb, element_spec[0].shape), tf.ensure_shape(yb, element_spec[1].shape)

    return tf.data.Dataset.range(n).map(load).prefetch(prefetch)


# --------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    v = float(value)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return f"{v:.3e}"
    return f"{v:.4f}"


class EpochLogger(keras.callbacks.Callback):
    """Records cumulative wall time per epoch (``logs["time"]``) and prints one line per epoch.

    Taught in: 02_mnist_autoencoder.  Line format::

        epoch  3/50  loss 0.1234  val_loss 0.1250  1.2 s (total 3.6 s)
    """

    def __init__(self, epochs: int, print_lines: bool = True) -> None:
        super().__init__()
        self.epochs = epochs
        self.print_lines = print_lines
        self.times: list[float] = []
        self._start = 0.0
        self._epoch_start = 0.0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._start = time.perf_counter()
        self.times = []

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.perf_counter()
        total = now - self._start
        self.times.append(total)
        if logs is not None:
            logs["time"] = total
        if self.print_lines:
            logs = logs or {}
            width = len(str(self.epochs))
            keys = sorted(
                (k for k in logs if k not in ("time", "learning_rate")),
                key=lambda k: (k.startswith("val_"), k not in ("loss", "val_loss")),
            )
            train_part = [f"{k} {_fmt(logs[k])}" for k in keys if not k.startswith("val_")]
            val_part = [f"{k} {_fmt(logs[k])}" for k in keys if k.startswith("val_")]
            parts = [
                f"epoch {epoch + 1:>{width}}/{self.epochs}",
                *train_part,
                *val_part,
                f"{now - self._epoch_start:.1f} s (total {total:.1f} s)",
            ]
            print("  ".join(parts), flush=True)


def time_to_loss(history: Any, target: float, key: str = "val_loss") -> float | None:
    """Seconds of training until ``history[key]`` first reached ``target`` (``None`` if never).

    Taught in: 02_mnist_autoencoder (comparing recipes by time-to-loss).  ``history`` is the
    ``History`` returned by ``fit`` with an :class:`EpochLogger` callback (or its ``.history`` dict); it must contain ``key``
    and ``"time"``.
    """
    hist = history.history if isinstance(history, keras.callbacks.History) else history
    if not isinstance(hist, Mapping):
        raise ValueError(f"history must be a keras History or its .history dict, got {type(history).__name__}")
    if not isinstance(target, numbers.Real) or isinstance(target, bool) or not math.isfinite(target):
        raise ValueError(f"target must be a finite number, got {target!r}")
    for k in (key, "time"):
        if k not in hist:
            raise ValueError(
                f"history has no {k!r} entry (keys: {sorted(hist)}); pass callbacks=[EpochLogger(epochs)] to fit"
                + (" and validation_data" if k.startswith("val_") else "")
            )
    if len(hist[key]) != len(hist["time"]):
        raise ValueError(f"history[{key!r}] and history['time'] have different lengths")
    for loss, t in zip(hist[key], hist["time"]):
        if loss <= target:
            return float(t)
    return None

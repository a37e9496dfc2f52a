"""The shared training helper and the fast training recipe.

Taught in: 02_mnist_autoencoder (``train`` replaces the seed's ``fit`` call; the fast recipe
and ``time_to_loss``), and used by every lesson that trains a model.

``train(model, x, ...)`` differs from ``model.fit(x, x, ...)`` in three ways:

* **Memory.**  Arrays are fed batch by batch through a ``tf.data`` pipeline built on a
  Python generator, so the array is never copied into one huge tensor.  A 3-epoch run of
  the seed's model on 60k x 784 float32 inputs peaked at 1.50 GiB of process memory with
  ``model.fit(x, x)`` but at 0.82 GiB through ``train`` (``tools/memcheck_train.py``
  measures it; TensorFlow itself accounts for ~0.6 GiB).
* **Output.**  One readable line per epoch (epoch, losses, validation losses, seconds)
  instead of Keras' progress bar, which floods notebooks and CI logs.
* **Time.**  ``history.history["time"]`` holds the cumulative wall time (s) at the end of
  each epoch, so lessons can compare recipes by time-to-loss (``time_to_loss``).

The fast recipe (``fast_recipe`` / ``train_fast``) keeps the seed's model, loss, optimizer
(Adam) and batch size but (1) initialises the output layer's bias to the data's mean
(as a logit for a sigmoid output), (2) raises Adam's learning rate 10x after a linear
warm-up that keeps ReLU code units from dying, holds it, then decays it linearly to zero
over the last epochs (warm-up / stable / decay), and (3) runs 16 steps per TensorFlow call.
On 8000 real MNIST digits, run for 9 epochs (2 warm-up, 4 decay), it reached the validation
loss of the seed's 50-epoch recipe after 7 epochs, in under a fifth of the wall time
(``benchmarks/results.md``, section 1).  Larger batches do *not* help this small model:
it is limited by how far the weights must travel, not by gradient noise.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from ._checks import flag, number_in, positive_float, positive_int
from ._checks import seed as check_seed
from .schedules import WarmupStableDecay

__all__ = [
    "ArrayBatches",
    "EpochLogger",
    "FastRecipe",
    "WarmupStableDecay",
    "fast_recipe",
    "init_output_bias",
    "make_dataset",
    "time_to_loss",
    "train",
    "train_fast",
]


# --------------------------------------------------------------------------------------
# data pipeline
# --------------------------------------------------------------------------------------
class ArrayBatches:
    """Deterministic mini-batches ``(x[idx], y[idx])`` sliced from arrays without copying them.

    Used by :func:`make_dataset`: why ``train`` does not feed the whole array at once.

    Each call of the object starts a new epoch and returns a generator of batches.  With
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

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def _cast(self, a: np.ndarray) -> np.ndarray:
        return a.astype("float32", copy=False) if np.issubdtype(a.dtype, np.floating) else a

    def __call__(self) -> Any:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        n = len(self.x)
        order = rng.permutation(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                sl: Any = slice(start, start + self.batch_size)
            else:
                sl = np.sort(order[start : start + self.batch_size])
            xb = self._cast(self.x[sl])
            yb = xb if self.y is self.x else self._cast(self.y[sl])
            if self.transform is not None:
                xb, yb = self.transform(xb, yb, rng)
                xb, yb = self._cast(np.asarray(xb)), self._cast(np.asarray(yb))
            yield xb, yb

    def element_spec(self) -> tuple[Any, Any]:
        """``tf.TensorSpec``s of one batch (first dimension unknown)."""
        import tensorflow as tf

        xb, yb = next(
            iter(ArrayBatches(self.x[:1], None if self.y is self.x else self.y[:1], 1, False, 0, self.transform)())
        )
        return (
            tf.TensorSpec((None, *xb.shape[1:]), tf.as_dtype(xb.dtype)),
            tf.TensorSpec((None, *yb.shape[1:]), tf.as_dtype(yb.dtype)),
        )


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

    Used by :func:`train`.  Each iteration (epoch) re-shuffles; the arrays are
    sliced one batch at a time, never converted to one big tensor.
    """
    import tensorflow as tf

    batches = ArrayBatches(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, transform=transform)
    ds = tf.data.Dataset.from_generator(batches, output_signature=batches.element_spec())
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return ds.prefetch(2)


def _is_dataset(obj: Any) -> bool:
    if isinstance(obj, keras.utils.PyDataset):
        return True
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow is the backend
        return False
    return isinstance(obj, tf.data.Dataset)


def _validation(validation_data: Any, batch_size: int) -> Any:
    if validation_data is None or _is_dataset(validation_data):
        return validation_data
    if isinstance(validation_data, (tuple, list)) and not isinstance(validation_data, np.ndarray):
        if len(validation_data) == 1:
            xv, yv = validation_data[0], None
        elif len(validation_data) == 2:
            xv, yv = validation_data
        else:
            raise ValueError(
                "validation_data must be x_val, (x_val,), (x_val, y_val) or a tf.data.Dataset/PyDataset, "
                f"got a sequence of length {len(validation_data)}"
            )
    else:
        xv, yv = validation_data, None
    return make_dataset(xv, yv, batch_size=max(batch_size, 256), shuffle=False, seed=0)


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

    Used by :func:`train`.  Line format::

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


# --------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------
def _set_schedule(model: keras.Model, schedule: keras.optimizers.schedules.LearningRateSchedule) -> None:
    """Recompile ``model`` with a copy of its optimizer whose learning rate follows ``schedule``."""
    opt = model.optimizer
    config = opt.get_config()
    config["learning_rate"] = schedule
    new_opt = opt.__class__.from_config(config)
    compile_config = model._compile_config.config if hasattr(model, "_compile_config") else {}
    kwargs = {k: v for k, v in compile_config.items() if k != "optimizer"}
    model.compile(optimizer=new_opt, **kwargs)


def train(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    epochs: int,
    batch_size: int = 128,
    validation_data: Any = None,
    shuffle: bool = True,
    seed: int | None = None,
    early_stopping: int | None = None,
    jit_compile: bool = False,
    learning_rate_schedule: Any = None,
    verbose: str | int | bool = "auto",
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    transform: Callable[..., Any] | None = None,
    steps_per_execution: int | None = None,
) -> keras.callbacks.History:
    """Train a compiled model on arrays (``y=None``: the target is ``x``) and return its History.

    Taught in: 02_mnist_autoencoder; used by every lesson that trains a model.

    * ``x``/``y``: NumPy arrays (fed batch by batch, never copied whole into a tensor), or a
      ready ``tf.data.Dataset`` / ``keras.utils.PyDataset`` as ``x`` (then ``y``,
      ``batch_size``, ``shuffle`` and ``transform`` must be left at their defaults / are unused).
    * ``validation_data``: ``x_val`` (target = ``x_val``), ``(x_val,)``, ``(x_val, y_val)`` or a
      dataset.
    * ``seed``: calls ``keras.utils.set_random_seed(seed)`` and fixes the batch order, so the
      same seed, model and data give the same losses.
    * ``early_stopping=k``: stop when ``val_loss`` has not improved for ``k`` epochs and restore
      the best weights (needs ``validation_data``).
    * ``jit_compile=True``: XLA-compile the train step.
    * ``learning_rate_schedule``: a ``keras.optimizers.schedules.LearningRateSchedule`` (per step;
      the model is recompiled with a copy of its optimizer following it) or a function
      ``f(epoch, lr) -> lr`` (per epoch, via ``keras.callbacks.LearningRateScheduler``).
    * ``verbose``: ``"auto"``/1/2/True -> one line per epoch; 0/False -> silent; ``"bar"`` ->
      Keras' own progress bar.
    * ``transform(x_batch, y_batch, rng) -> (x_batch, y_batch)``: applied to each training batch
      (e.g. fresh noise every epoch for a denoiser).
    * ``steps_per_execution=n``: run ``n`` batches per TensorFlow call (less Python overhead for
      small models); ``None`` keeps the model's compile setting.

    ``history.history["time"]`` holds the cumulative wall time (seconds) after each epoch.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before training: call model.compile(optimizer=..., loss=...)")
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    if early_stopping is not None:
        early_stopping = positive_int("early_stopping", early_stopping)
        if validation_data is None:
            raise ValueError("early_stopping monitors val_loss, so it needs validation_data")
    if not (
        (isinstance(verbose, str) and verbose in ("auto", "bar"))
        or (isinstance(verbose, (bool, numbers.Integral)) and verbose in (0, 1, 2))
    ):
        raise ValueError(f"verbose must be 'auto', 0, 1, 2 or 'bar', got {verbose!r}")
    flag("jit_compile", jit_compile)
    seed = check_seed(seed)
    if seed is not None:
        keras.utils.set_random_seed(seed)

    if _is_dataset(x):
        if y is not None or transform is not None:
            raise ValueError("when x is a tf.data.Dataset or PyDataset, y and transform must be None")
        train_data = x
    else:
        train_data = make_dataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, transform=transform)
    val_data = _validation(validation_data, batch_size)

    cbs: list[keras.callbacks.Callback] = []
    if learning_rate_schedule is not None:
        if isinstance(learning_rate_schedule, keras.optimizers.schedules.LearningRateSchedule):
            _set_schedule(model, learning_rate_schedule)
        elif callable(learning_rate_schedule):
            cbs.append(keras.callbacks.LearningRateScheduler(learning_rate_schedule))
        else:
            raise ValueError(
                "learning_rate_schedule must be a keras LearningRateSchedule or a function (epoch, lr) -> lr, "
                f"got {learning_rate_schedule!r}"
            )
    reset = False
    if bool(model.jit_compile) != jit_compile:
        model.jit_compile = jit_compile
        reset = True
    if steps_per_execution is not None:
        steps_per_execution = positive_int("steps_per_execution", steps_per_execution)
        if steps_per_execution != model.steps_per_execution:
            model.steps_per_execution = steps_per_execution
            reset = True
    if reset:
        model.train_function = model.test_function = model.predict_function = None

    logger = EpochLogger(epochs, print_lines=verbose not in (0, False, "bar"))
    cbs.append(logger)
    if early_stopping is not None:
        cbs.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=early_stopping, restore_best_weights=True)
        )
    if callbacks is not None:
        if isinstance(callbacks, keras.callbacks.Callback) or not all(
            isinstance(c, keras.callbacks.Callback) for c in callbacks
        ):
            raise ValueError("callbacks must be a list of keras.callbacks.Callback instances")
        cbs.extend(callbacks)

    history = model.fit(
        train_data,
        epochs=epochs,
        validation_data=val_data,
        callbacks=cbs,
        shuffle=False,  # the pipeline shuffles (seeded) itself
        verbose=1 if verbose == "bar" else 0,
    )
    history.history["time"] = list(logger.times)
    return history


# --------------------------------------------------------------------------------------
# the fast recipe
# --------------------------------------------------------------------------------------
_BIAS_FREE = ("Reshape", "Flatten", "Activation", "Dropout", "GaussianNoise")


def _output_layer(model: keras.Model) -> Any:
    """The last layer with weights of ``model`` (looking inside ``model.decoder`` if present)."""
    net = getattr(model, "decoder", None) or model
    for layer in reversed(getattr(net, "layers", [])):
        if type(layer).__name__ in _BIAS_FREE or type(layer).__name__ == "InputLayer":
            continue
        return layer
    return None


def init_output_bias(model: keras.Model, y: Any, eps: float = 1e-3) -> bool:
    """Set the output layer's bias to the mean target (a logit for a sigmoid output).

    Part of the fast recipe (:func:`train_fast`).  A freshly initialised
    sigmoid output predicts 0.5 for every pixel, although most MNIST pixels are always 0; the
    optimizer then spends hundreds of steps just learning the average image.  Starting from
    ``bias = logit(mean pixel)`` (``mean`` for a linear output; per channel for a convolution)
    skips that phase.  Returns False, changing nothing, when the output layer has no bias, an
    activation other than sigmoid/linear, or a bias whose shape does not match the targets.
    """
    arr = _as_array("y", y)
    layer = _output_layer(model)
    bias = getattr(layer, "bias", None) if layer is not None else None
    if bias is None:
        return False
    act = getattr(getattr(layer, "activation", None), "__name__", "")
    if act not in ("sigmoid", "linear"):
        return False
    shape = tuple(bias.shape)
    flat = arr.reshape(len(arr), -1) if arr.ndim > 1 and shape == (int(np.prod(arr.shape[1:])),) else arr
    axes = tuple(range(flat.ndim - len(shape))) if flat.ndim > len(shape) else None
    if axes is None:
        return False
    mean = flat.mean(axis=axes, dtype=np.float64)
    if mean.shape != shape:
        return False
    if act == "sigmoid":
        p = np.clip(mean, eps, 1 - eps)
        mean = np.log(p / (1 - p))
    bias.assign(mean.astype(bias.dtype))
    return True


@dataclass(frozen=True)
class FastRecipe:
    """Settings of the fast recipe (see :func:`fast_recipe`).

    Returned by :func:`fast_recipe`.
    """

    batch_size: int
    epochs: int
    peak_learning_rate: float
    warmup_epochs: float
    decay_epochs: float
    steps_per_epoch: int
    learning_rate_schedule: keras.optimizers.schedules.LearningRateSchedule
    steps_per_execution: int
    init_output_bias: bool
    jit_compile: bool

    def describe(self) -> str:
        """One line for a notebook."""
        return (
            f"batch {self.batch_size}, {self.epochs} epochs ({self.steps_per_epoch} steps each); Adam learning rate "
            f"warm-up to {self.peak_learning_rate:g} over {self.warmup_epochs:g} epochs, hold, linear decay over the "
            f"last {self.decay_epochs:g}; {self.steps_per_execution} steps per call"
            + ("; output bias = mean target" if self.init_output_bias else "")
            + ("; XLA" if self.jit_compile else "")
        )


def fast_recipe(
    n_samples: int,
    epochs: int = 8,
    batch_size: int = 128,
    peak_learning_rate: float = 0.01,
    warmup_epochs: float = 2.0,
    decay_epochs: float = 3.0,
    final_fraction: float = 0.0,
    steps_per_execution: int = 16,
    init_output_bias: bool = True,
    jit_compile: bool = False,
) -> FastRecipe:
    """The fast recipe for ``n_samples`` training samples.

    Taught in: 02_mnist_autoencoder.

    * ``init_output_bias``: start the output bias at the mean target (see
      :func:`init_output_bias`) instead of predicting 0.5 everywhere.
    * Adam's learning rate rises linearly to ``peak_learning_rate`` (10x Keras' default) over
      ``warmup_epochs`` -- jumping straight to it kills ReLU code units, which never recover --
      stays there, and falls linearly to ``final_fraction * peak`` over the last
      ``decay_epochs``; the decay removes the noise of the large steps and gives most of the
      final gain (:class:`WarmupStableDecay`).  A cosine decay from the start is worse here:
      it lowers the learning rate while the weights still have far to go.
    * ``steps_per_execution`` batches per TensorFlow call cut Python overhead.
    * ``batch_size`` stays at the seed's 128 (capped at ``n_samples``): larger batches with a
      proportionally larger learning rate were slower per epoch of progress for this model.
    * ``jit_compile=True`` (XLA) saves a little per step but costs seconds of compilation,
      which only pays off for long runs.
    """
    n_samples = positive_int("n_samples", n_samples)
    epochs = positive_int("epochs", epochs)
    batch_size = min(positive_int("batch_size", batch_size), n_samples)
    peak = positive_float("peak_learning_rate", peak_learning_rate)
    warmup_epochs = number_in("warmup_epochs", warmup_epochs, 0, epochs)
    decay_epochs = number_in("decay_epochs", decay_epochs, 0, epochs)
    if warmup_epochs + decay_epochs > epochs:
        raise ValueError(
            f"warmup_epochs + decay_epochs ({warmup_epochs} + {decay_epochs}) must not exceed epochs ({epochs})"
        )
    steps_per_execution = positive_int("steps_per_execution", steps_per_execution)
    flag("init_output_bias", init_output_bias)
    flag("jit_compile", jit_compile)
    steps = math.ceil(n_samples / batch_size)
    total = epochs * steps
    schedule = WarmupStableDecay(
        peak,
        total_steps=total,
        warmup_steps=int(round(warmup_epochs * steps)),
        decay_steps=min(int(round(decay_epochs * steps)), total - int(round(warmup_epochs * steps))),
        final_fraction=final_fraction,
    )
    return FastRecipe(
        batch_size=batch_size,
        epochs=epochs,
        peak_learning_rate=peak,
        warmup_epochs=float(warmup_epochs),
        decay_epochs=float(decay_epochs),
        steps_per_epoch=steps,
        learning_rate_schedule=schedule,
        steps_per_execution=steps_per_execution,
        init_output_bias=init_output_bias,
        jit_compile=jit_compile,
    )


def train_fast(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    recipe: FastRecipe | None = None,
    validation_data: Any = None,
    seed: int | None = None,
    early_stopping: int | None = None,
    verbose: str | int | bool = "auto",
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    **recipe_kwargs: Any,
) -> keras.callbacks.History:
    """Train with the fast recipe (see :func:`fast_recipe`) and return the History.

    Taught in: 02_mnist_autoencoder.  Pass ``recipe=fast_recipe(...)`` or the keyword arguments
    of :func:`fast_recipe` (``epochs=``, ``peak_learning_rate=`` ...).  The model keeps its
    loss; its optimizer is replaced by a copy that follows the recipe's schedule.
    """
    if _is_dataset(x):
        raise ValueError("train_fast needs arrays x (and y), not a dataset: it sizes the schedule from len(x)")
    arr = _as_array("x", x)
    if recipe is None:
        recipe = fast_recipe(len(arr), **recipe_kwargs)
    elif recipe_kwargs:
        raise ValueError(f"give either recipe= or fast_recipe keyword arguments, not both: {sorted(recipe_kwargs)}")
    if not isinstance(recipe, FastRecipe):
        raise ValueError(f"recipe must be a FastRecipe from fast_recipe(), got {type(recipe).__name__}")
    seed = check_seed(seed)
    if seed is not None:
        keras.utils.set_random_seed(seed)  # before touching the model: the whole run is reproducible
    if recipe.init_output_bias:
        init_output_bias(model, arr if y is None else y)
    return train(
        model,
        arr,
        y,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        validation_data=validation_data,
        seed=seed,
        early_stopping=early_stopping,
        jit_compile=recipe.jit_compile,
        learning_rate_schedule=recipe.learning_rate_schedule,
        verbose=verbose,
        callbacks=callbacks,
        steps_per_execution=recipe.steps_per_execution,
    )


def time_to_loss(history: Any, target: float, key: str = "val_loss") -> float | None:
    """Seconds of training until ``history[key]`` first reached ``target`` (``None`` if never).

    Taught in: 02_mnist_autoencoder (comparing recipes by time-to-loss).  ``history`` is the
    ``History`` returned by :func:`train` (or its ``.history`` dict); it must contain ``key``
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
                f"history has no {k!r} entry (keys: {sorted(hist)}); train with course_utils.training.train"
                + (" and validation_data" if k.startswith("val_") else "")
            )
    if len(hist[key]) != len(hist["time"]):
        raise ValueError(f"history[{key!r}] and history['time'] have different lengths")
    for loss, t in zip(hist[key], hist["time"]):
        if loss <= target:
            return float(t)
    return None

"""Section 1 -- training speed: the syllabus' MNIST code as written vs lesson 02's faster recipe.

Wall time to the syllabus' final validation loss, and the syllabus' epoch time against the machine's
compute bound (FLOPs per epoch / measured matmul throughput).  The models come from lesson 02's
exported code (``course_utils.lessons.mnist_autoencoder``); the compile/fit lines below are the
lesson's, in plain Keras.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils import data
from course_utils.lessons.mnist_autoencoder import build_syllabus_autoencoder, fast_schedule, mean_pixel_bias
from course_utils.training import EpochLogger, make_dataset, time_to_loss

from ..report import check, log, rounded, table
from ..settings import SPEED_RATIO_GOAL, Settings
from . import result

# The speed run's syllabus-recipe model (and its data sizes), reused by the quality section as the first
# row of the MNIST table when both sections run in one process on the same data.
LAST_SEED_RUN: dict[str, Any] = {}
BATCH_SIZE = 128  # lesson 02's BATCH_SIZE


# --------------------------------------------------------------------------------------
# Lesson 02's data split and its two recipes, as the lesson's cells write them (plain Keras
# around the lesson's exported builders).
# --------------------------------------------------------------------------------------
def lesson02_split(n_train: int | None, n_test: int | None) -> tuple[Any, Any, Any, Any]:
    """Lesson 02's split: one training image in eight (a seeded permutation) held out for validation;
    the test images are kept for the final table.  Returns (x_train, x_val, x_test, source)."""
    mnist = data.load_mnist(flatten=True, n_train=n_train, n_test=n_test, verbose=False)
    order = np.random.default_rng(0).permutation(len(mnist.x_train))
    n_val = len(order) // 8
    return mnist.x_train[order[n_val:]], mnist.x_train[order[:n_val]], mnist.x_test, mnist.source


def syllabus_recipe(x_train: Any, x_val: Any, epochs: int, seed: int = 42) -> tuple[Any, Any]:
    """The syllabus' model and recipe (lesson 02, part 1): Adam, BCE, batch 128, ``fit`` on the arrays
    with ``shuffle=True`` and the validation images; returns (History with per-epoch "time", encoder)."""
    keras.utils.set_random_seed(seed)
    autoencoder, encoder, _ = build_syllabus_autoencoder()
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return fit_arrays(autoencoder, x_train, x_val, epochs), encoder


def fit_arrays(autoencoder: Any, x_train: Any, x_val: Any, epochs: int) -> Any:
    """Lesson 02's ``fit`` on the arrays: batch 128, shuffled, the validation images, a per-epoch clock."""
    return autoencoder.fit(
        x_train,
        x_train,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        shuffle=True,
        validation_data=(x_val, x_val),
        verbose=0,
        callbacks=[EpochLogger(epochs, print_lines=False)],
    )


def faster_recipe(autoencoder: Any, x_train: Any, x_val: Any, recipe: dict[str, Any], batches: bool = False) -> Any:
    """Lesson 02's faster recipe (part 3) for a model built with ``output_bias=mean_pixel_bias(x_train)``:
    Adam on ``fast_schedule(len(x_train), **recipe)``, BCE, 16 steps per call; ``fit`` on the arrays
    (``batches=False``, the syllabus' model) or on ``training.make_dataset`` batches (the variants)."""
    autoencoder.compile(
        optimizer=keras.optimizers.Adam(learning_rate=fast_schedule(len(x_train), **recipe)),
        loss="binary_crossentropy",
        steps_per_execution=16,
    )
    epochs = recipe["epochs"]
    if not batches:
        return fit_arrays(autoencoder, x_train, x_val, epochs)
    clock = EpochLogger(epochs, print_lines=False)
    train_ds = make_dataset(x_train, batch_size=BATCH_SIZE, shuffle=True, seed=0)
    val_ds = make_dataset(x_val, batch_size=BATCH_SIZE, shuffle=False)
    return autoencoder.fit(train_ds, epochs=epochs, validation_data=val_ds, shuffle=False, verbose=0, callbacks=[clock])


def describe(recipe: dict[str, Any]) -> str:
    """The faster recipe in words (lesson 02, part 3)."""
    return (
        f"{recipe['epochs']} epochs, output bias = mean image, Adam warm-up over {recipe['warmup_epochs']} "
        f"epochs to 1e-2, hold, linear decay over the last {recipe['decay_epochs']}, 16 steps per call"
    )


# --------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------
def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Best measured single-precision throughput (GFLOP/s) of an ``n x n`` ``tf.matmul`` on this machine."""
    a = tf.random.stateless_uniform((n, n), seed=(1, 2), dtype=tf.float32)
    b = tf.random.stateless_uniform((n, n), seed=(3, 4), dtype=tf.float32)
    _ = tf.matmul(a, b).numpy()  # warm-up
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            c = tf.matmul(a, b)
        _ = c.numpy()
        best = min(best, (time.perf_counter() - start) / repeats)
    return 2.0 * n**3 / best / 1e9


def dense_ae_flops_per_epoch(n_train: int, n_val: int, sizes: Sequence[int] = (784, 32, 784)) -> float:
    """FLOPs of one epoch of a dense autoencoder: 3x the forward matmuls per training sample
    (forward, gradient w.r.t. inputs, gradient w.r.t. weights) + one forward pass per validation sample."""
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    forward = 2.0 * macs
    return 3.0 * forward * n_train + forward * n_val


def _epoch_times(cumulative: Sequence[float]) -> list[float]:
    return [b - a for a, b in zip([0.0, *cumulative[:-1]], cumulative)]


def run(s: Settings) -> dict[str, Any]:
    """Section 1: the syllabus' MNIST recipe as written vs lesson 02's faster recipe, and the compute bound."""
    tf.get_logger().setLevel("ERROR")  # retracing warnings of every new small model stay out of the log
    x_tr, x_va, _, source = lesson02_split(s.speed_n_train, None)
    log(f"speed: MNIST {len(x_tr)} train / {len(x_va)} validation ({source})")

    gflops = matmul_gflops(s.matmul_size, s.matmul_repeats)
    log(f"speed: matmul {s.matmul_size}^2 float32: {gflops:.1f} GFLOP/s")

    log(f"speed: the syllabus' recipe, {s.seed_epochs} epochs ...")
    seed_hist, seed_encoder = syllabus_recipe(x_tr, x_va, s.seed_epochs)
    seed_times = [float(t) for t in seed_hist.history["time"]]
    LAST_SEED_RUN.update(
        model=seed_hist.model,
        encoder=seed_encoder,
        n_train=len(x_tr),
        n_val=len(x_va),
        epochs=s.seed_epochs,
        seconds=seed_times[-1],
    )
    seed_val = [float(v) for v in seed_hist.history["val_loss"]]
    target = seed_val[-1]
    seed_total = seed_times[-1]
    seed_to_target = time_to_loss(seed_hist, target)
    seed_epochs_to_target = next(i + 1 for i, v in enumerate(seed_val) if v <= target)

    recipe = dict(s.speed_recipe)
    log(f"speed: lesson 02's faster recipe ({describe(recipe)}) ...")
    keras.utils.set_random_seed(42)
    fast_ae, _, _ = build_syllabus_autoencoder(output_bias=mean_pixel_bias(x_tr))
    fast_hist = faster_recipe(fast_ae, x_tr, x_va, recipe)
    fast_val = [float(v) for v in fast_hist.history["val_loss"]]
    fast_times = [float(t) for t in fast_hist.history["time"]]
    fast_to_target = time_to_loss(fast_hist, target)
    fast_epochs_to_target = next((i + 1 for i, v in enumerate(fast_val) if v <= target), None)
    ratio = None if fast_to_target is None or not seed_to_target else fast_to_target / seed_to_target

    seed_ep = _epoch_times(seed_times)
    fast_ep = _epoch_times(fast_times)
    steady_seed = seed_ep[1:] or seed_ep  # the first epoch includes tracing
    steady_fast = fast_ep[1:] or fast_ep
    seed_epoch_s = sorted(steady_seed)[len(steady_seed) // 2]
    fast_epoch_s = sorted(steady_fast)[len(steady_fast) // 2]
    flops = dense_ae_flops_per_epoch(len(x_tr), len(x_va))
    bound_s = flops / (gflops * 1e9)

    rows = [
        {
            "recipe": f"the syllabus' model and recipe as written ({s.seed_epochs} epochs, Adam 1e-3, batch 128, "
            "model.fit)",
            "epochs_run": len(seed_val),
            "final_val_bce": seed_val[-1],
            "epochs_to_target": seed_epochs_to_target,
            "seconds_to_target": seed_to_target,
            "total_seconds": seed_total,
            "epoch_seconds": seed_epoch_s,
        },
        {
            "recipe": f"the syllabus' model, lesson 02's faster recipe ({describe(recipe)})",
            "epochs_run": len(fast_val),
            "final_val_bce": fast_val[-1],
            "epochs_to_target": fast_epochs_to_target,
            "seconds_to_target": fast_to_target,
            "total_seconds": fast_times[-1],
            "epoch_seconds": fast_epoch_s,
        },
    ]
    t1 = table(
        "Time to the syllabus' final validation loss (BCE)",
        [
            ("recipe", "Recipe"),
            ("epochs_run", "Epochs run"),
            ("final_val_bce", "Final val BCE", ".4f"),
            ("epochs_to_target", "Epochs to target"),
            ("seconds_to_target", "Seconds to target", ".1f"),
            ("total_seconds", "Total s", ".1f"),
            ("epoch_seconds", "s / epoch (median)", ".2f"),
        ],
        rows,
        note=f"Target = the syllabus' recipe's validation BCE after {s.seed_epochs} epochs: {target:.4f}. "
        "Validation = one training image in eight, held out as lesson 02 does. "
        "Wall time includes the per-epoch validation pass for both recipes. Models: lesson 02's "
        "build_syllabus_autoencoder (course_utils.lessons.mnist_autoencoder).",
    )
    t2 = table(
        "Epoch time against the compute bound",
        [("what", "Quantity"), ("value", "Value")],
        [
            {
                "what": f"single-precision matmul throughput ({s.matmul_size}x{s.matmul_size} tf.matmul, best of 3)",
                "value": f"{gflops:.1f} GFLOP/s",
            },
            {
                "what": f"FLOPs per epoch (3 x forward on {len(x_tr)} train + forward on {len(x_va)} val samples)",
                "value": f"{flops / 1e9:.2f} GFLOP",
            },
            {"what": "compute bound per epoch", "value": f"{bound_s * 1000:.0f} ms"},
            {
                "what": "the syllabus' recipe, measured per epoch",
                "value": f"{seed_epoch_s * 1000:.0f} ms ({seed_epoch_s / bound_s:.1f}x the bound)",
            },
            {
                "what": "the faster recipe, measured per epoch",
                "value": f"{fast_epoch_s * 1000:.0f} ms ({fast_epoch_s / bound_s:.1f}x the bound)",
            },
        ],
        note="The model is tiny (50k weights): both recipes are limited by per-step overhead, not arithmetic; "
        "the faster recipe wins by needing fewer epochs, and by running 16 steps per TensorFlow call.",
    )
    measured = (
        "did not reach the target"
        if ratio is None
        else f"{ratio:.3f} ({fast_to_target:.1f} s vs {seed_to_target:.1f} s)"
    )
    checks = [
        check(
            f"faster recipe's time to target / the syllabus' time to target <= {SPEED_RATIO_GOAL}",
            measured,
            ratio is not None and ratio <= SPEED_RATIO_GOAL,
        )
    ]
    data_out = {
        "n_train": len(x_tr),
        "n_val": len(x_va),
        "data_source": source,
        "target_val_loss": target,
        "ratio": rounded(ratio),
        "seed_val_loss": seed_val,
        "seed_times": seed_times,
        "fast_val_loss": fast_val,
        "fast_times": fast_times,
        "matmul_gflops": rounded(gflops, 2),
        "flops_per_epoch": flops,
        "compute_bound_epoch_seconds": rounded(bound_s, 5),
        "seed_epoch_seconds": rounded(seed_epoch_s),
        "fast_epoch_seconds": rounded(fast_epoch_s),
        "recipe": describe(recipe),
    }
    notes = [f"Data: {source}."]
    summary = (
        f"faster recipe {measured} to the syllabus' {s.seed_epochs}-epoch val BCE {target:.4f}; syllabus epoch "
        f"{seed_epoch_s:.2f} s = {seed_epoch_s / bound_s:.0f}x the compute bound ({gflops:.0f} GFLOP/s matmul)"
    )
    return result(checks, [t1, t2], summary, notes=notes, data=data_out, sources={"mnist": source})

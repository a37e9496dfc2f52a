"""Section 1 -- training speed: the seed's MNIST code as written vs the course's fast recipe.

Wall time to the seed's final validation loss, and the seed's epoch time against the machine's
compute bound (FLOPs per epoch / measured matmul throughput).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf
from keras.layers import Dense, Input
from keras.models import Model

from course_utils import data, models, training
from course_utils.training import EpochLogger

from ..report import check, column, log, rounded, table
from ..settings import SPEED_RATIO_GOAL, Settings

# The speed run's seed-recipe model (and its data sizes), reused by the quality section as the first
# row of the MNIST table when both sections run in one process on the same data.
LAST_SEED_RUN: dict[str, Any] = {}


# --------------------------------------------------------------------------------------
# Lesson code, copied (lesson 02's first model, exactly as the original example writes it).
# To be replaced by an import from course_utils.lessons when the lesson exports it.
# --------------------------------------------------------------------------------------
def seed_mnist_as_written(x_train: Any, x_test: Any, epochs: int, seed: int = 0) -> tuple[Any, list[float]]:
    """The seed's MNIST code (784 -> Dense 32 relu -> Dense 784 sigmoid, Adam, BCE, batch 128,
    ``fit`` on the arrays with ``shuffle=True`` and the test set as validation), timed per epoch."""
    keras.utils.set_random_seed(seed)
    input_img = Input(shape=(784,))
    encoded = Dense(32, activation="relu")(input_img)
    decoded = Dense(784, activation="sigmoid")(encoded)
    autoencoder = Model(input_img, decoded)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    clock = EpochLogger(epochs, print_lines=False)
    history = autoencoder.fit(
        x_train,
        x_train,
        epochs=epochs,
        batch_size=128,
        shuffle=True,
        validation_data=(x_test, x_test),
        callbacks=[clock],
        verbose=0,
    )
    return history, list(clock.times)


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
    """Section 1: the seed's MNIST recipe as written vs the course's fast recipe, and the compute bound."""
    tf.get_logger().setLevel("ERROR")  # retracing warnings of every new small model stay out of the log
    d = data.load_mnist(n_train=s.speed_n_train, n_test=s.speed_n_val, verbose=False)
    x_tr, x_va = d.x_train, d.x_test
    log(f"speed: MNIST {len(x_tr)} train / {len(x_va)} validation ({d.source})")

    gflops = matmul_gflops(s.matmul_size, s.matmul_repeats)
    log(f"speed: matmul {s.matmul_size}^2 float32: {gflops:.1f} GFLOP/s")

    log(f"speed: seed recipe, {s.seed_epochs} epochs ...")
    seed_hist, seed_times = seed_mnist_as_written(x_tr, x_va, s.seed_epochs)
    LAST_SEED_RUN.update(
        model=seed_hist.model, n_train=len(x_tr), n_test=len(x_va), epochs=s.seed_epochs, seconds=seed_times[-1]
    )
    seed_val = [float(v) for v in seed_hist.history["val_loss"]]
    target = seed_val[-1]
    seed_total = seed_times[-1]
    seed_to_target = training.time_to_loss({"val_loss": seed_val, "time": seed_times}, target)
    seed_epochs_to_target = next(i + 1 for i, v in enumerate(seed_val) if v <= target)

    recipe = training.fast_recipe(len(x_tr), **s.fast_recipe)
    log(f"speed: fast recipe ({recipe.describe()}) ...")
    model = models.build_dense_autoencoder(seed=0)
    fast_hist = training.train_fast(model, x_tr, recipe=recipe, validation_data=x_va, seed=0, verbose=0)
    fast_val = [float(v) for v in fast_hist.history["val_loss"]]
    fast_times = [float(t) for t in fast_hist.history["time"]]
    fast_to_target = training.time_to_loss(fast_hist, target)
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
            "recipe": f"seed as written ({s.seed_epochs} epochs, Adam 1e-3, batch 128, model.fit)",
            "epochs_run": len(seed_val),
            "final_val_bce": seed_val[-1],
            "epochs_to_target": seed_epochs_to_target,
            "seconds_to_target": seed_to_target,
            "total_seconds": seed_total,
            "epoch_seconds": seed_epoch_s,
        },
        {
            "recipe": f"course fast recipe ({recipe.describe()})",
            "epochs_run": len(fast_val),
            "final_val_bce": fast_val[-1],
            "epochs_to_target": fast_epochs_to_target,
            "seconds_to_target": fast_to_target,
            "total_seconds": fast_times[-1],
            "epoch_seconds": fast_epoch_s,
        },
    ]
    t1 = table(
        "Time to the seed's final validation loss (BCE)",
        [
            column("recipe", "Recipe"),
            column("epochs_run", "Epochs run"),
            column("final_val_bce", "Final val BCE", ".4f"),
            column("epochs_to_target", "Epochs to target"),
            column("seconds_to_target", "Seconds to target", ".1f"),
            column("total_seconds", "Total s", ".1f"),
            column("epoch_seconds", "s / epoch (median)", ".2f"),
        ],
        rows,
        note=f"Target = the seed recipe's validation BCE after {s.seed_epochs} epochs: {target:.4f}. "
        "Wall time includes the per-epoch validation pass for both recipes.",
    )
    t2 = table(
        "Epoch time against the compute bound",
        [column("what", "Quantity"), column("value", "Value")],
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
                "what": "seed recipe, measured per epoch",
                "value": f"{seed_epoch_s * 1000:.0f} ms ({seed_epoch_s / bound_s:.1f}x the bound)",
            },
            {
                "what": "fast recipe, measured per epoch",
                "value": f"{fast_epoch_s * 1000:.0f} ms ({fast_epoch_s / bound_s:.1f}x the bound)",
            },
        ],
        note="The model is tiny (50k weights): both recipes are limited by per-step overhead, not arithmetic; "
        "the fast recipe wins by needing fewer epochs, and by running 16 steps per TensorFlow call.",
    )
    measured = (
        "did not reach the target"
        if ratio is None
        else f"{ratio:.3f} ({fast_to_target:.1f} s vs {seed_to_target:.1f} s)"
    )
    checks = [
        check(
            f"fast recipe time to target / seed time to target <= {SPEED_RATIO_GOAL}",
            measured,
            ratio is not None and ratio <= SPEED_RATIO_GOAL,
        )
    ]
    data_out = {
        "n_train": len(x_tr),
        "n_val": len(x_va),
        "data_source": d.source,
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
        "recipe": recipe.describe(),
    }
    notes = [f"Data: {d.source}."]
    summary = (
        f"fast recipe {measured} to the seed's {s.seed_epochs}-epoch val BCE {target:.4f}; seed epoch "
        f"{seed_epoch_s:.2f} s = {seed_epoch_s / bound_s:.0f}x the compute bound ({gflops:.0f} GFLOP/s matmul)"
    )
    return {
        "checks": checks,
        "tables": [t1, t2],
        "notes": notes,
        "data": data_out,
        "summary": summary,
        "sources": {"mnist": d.source},
    }

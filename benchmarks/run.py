"""The course measures itself: speed, memory, quality and grading throughput in one report.

Usage (from the repository root; ``make bench`` / ``make bench-quick`` call exactly this)::

    .venv/bin/python benchmarks/run.py             # full benchmark  -> benchmarks/results.{md,json}
    .venv/bin/python benchmarks/run.py --quick     # minutes, tiny epochs/subsets -> build/bench-quick/results.{md,json}
    .venv/bin/python benchmarks/run.py --sections grading,quality --update   # re-run some sections

Sections (each states its goal and whether it is met; see benchmarks/README.md):

1. ``speed``   -- the seed's MNIST code as written vs the course's fast recipe: wall time to
                  reach the seed's final validation loss, and the seed's epoch time against the
                  machine's compute bound (FLOPs per epoch / measured matmul throughput).
2. ``memory``  -- peak kernel memory of every lesson notebook in fast and student mode
                  (``tools/run_notebooks.py``, the runner behind ``make run-all``).
3. ``quality`` -- MNIST variants vs PCA-32, breast cancer seed/fixed model vs PCA-7, anomaly ROC
                  AUC over repeated splits, denoising PSNR/SSIM per noise level, VAE vs plain-AE
                  sample quality -- all computed here with ``course_utils``.
4. ``grading`` -- ``quizzes/manage.py grade`` on generated submissions in a copy of ``quizzes/``.
5. ``course``  -- ``make run-all`` wall time in fast and in student mode (same runs as section 2).

Nothing is downloaded: ``COURSE_OFFLINE=1`` is set for the run; ``COURSE_DATA_DIR`` (e.g.
``/work/shared/data`` with the real MNIST test set) is used when set and named in the report.
Exit status: 0 when every section ran (whether or not its goals are met), 1 if a section failed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
GIB_MB = 1024  # run_notebooks reports MiB; the memory goal is 1.0 GiB = 1024 MiB

SECTION_ORDER = ("speed", "memory", "quality", "grading", "course")
SECTION_TITLES = {
    "speed": "1. Training speed: the seed's MNIST code vs the course's fast recipe",
    "memory": "2. Peak memory of every lesson notebook's kernel",
    "quality": "3. Quality: autoencoders against their classical baselines",
    "grading": "4. Grading throughput",
    "course": "5. Whole course: `make run-all` wall time",
}
GOALS = {
    "speed": "course recipe's time to the seed's 50-epoch validation loss <= 0.25 x the seed's",
    "memory": "peak kernel RSS <= 1.0 GiB for every notebook, in student and in fast mode",
    "quality": "each lesson's claim holds (see the checks: AE beats PCA where the course says so, "
               "the fixed breast-cancer model beats PCA-7, the denoiser beats tuned filters, "
               "VAE samples are more digit-like than plain-AE samples)",
    "grading": "100 submissions graded in <= 180 s (3 min) on this machine",
    "course": "`make run-all` <= 180 s in fast mode and <= 600 s in student mode",
}
SPEED_RATIO_GOAL = 0.25
GRADING_GOAL_SECONDS = 180.0
RUNALL_GOALS = {"fast": 180.0, "student": 600.0}
MNIST_VARIANTS = ("deep", "conv", "sparse", "overcomplete", "overcomplete_noise", "overcomplete_l1")


# ======================================================================================
# settings
# ======================================================================================
@dataclass
class Settings:
    """Sizes and epochs of one benchmark run (see :func:`full_settings`, :func:`quick_settings`)."""

    mode: str = "full"
    # 1. speed
    speed_n_train: int | None = None          # None: every training image load_mnist gives
    speed_n_val: int | None = None
    seed_epochs: int = 50                     # the seed's recipe
    fast_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 9, "warmup_epochs": 2, "decay_epochs": 4})
    matmul_size: int = 2048
    matmul_repeats: int = 10
    # 2./5. notebooks
    notebooks: list[str] | None = None        # None: notebooks/[0-9][0-9]_*.ipynb
    notebook_modes: tuple[str, ...] = ("fast", "student")
    notebook_timeout: int = 1800              # seconds per cell
    # 3. quality
    mnist_n_train: int | None = None
    mnist_n_test: int | None = None
    mnist_variants: tuple[str, ...] = MNIST_VARIANTS   # besides the seed model (always trained)
    variant_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 9, "warmup_epochs": 2, "decay_epochs": 4})
    bc_seed_epochs: int = 50                  # the seed's epochs (and passes of the seed-recipe anomaly AE)
    bc_passes: int = 300                      # lesson 03's repaired recipe
    anomaly_splits: int = 6                   # random_state 42, then 1 .. n-1 (lesson 03)
    denoise_size: int = 28
    denoise_conditions: tuple[str, ...] = ("Gaussian σ=0.1", "Gaussian σ=0.2", "Gaussian σ=0.3",
                                           "Poisson 25 photons", "Salt & pepper 10%")
    denoise_epochs: int = 16
    denoise_repeats: int = 4                  # copies of the training images per epoch, each with new noise
    denoise_filters: tuple[int, ...] = (16, 32)
    denoise_setups: tuple[str, ...] = ("same", "clean", "n2n")
    filter_grid: str = "default"              # "default" (baselines.DEFAULT_GRIDS) or "small"
    filter_max_images: int = 64
    gen_n_train: int | None = 10_000          # lesson 05 asks for 10k (fewer if the source has fewer)
    gen_n_test: int | None = 2_000
    gen_ae_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 8, "warmup_epochs": 2, "decay_epochs": 3})
    vae_latents: tuple[int, ...] = (2, 8)
    vae_epochs: int = 25
    classifier_epochs: int = 6
    n_generated: int = 1000
    # 4. grading
    n_submissions: int = 100

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["denoise_conditions"] = list(self.denoise_conditions)
        out["vae_latents"] = list(self.vae_latents)
        out["denoise_filters"] = list(self.denoise_filters)
        out["notebook_modes"] = list(self.notebook_modes)
        out["mnist_variants"] = list(self.mnist_variants)
        out["denoise_setups"] = list(self.denoise_setups)
        return out


def full_settings() -> Settings:
    """``make bench``: the seed's 50 epochs, every notebook in both modes, 100 submissions."""
    return Settings()


def quick_settings() -> Settings:
    """``make bench-quick``: minutes, not a measurement -- tiny epochs/subsets, fast-mode notebooks only."""
    return Settings(
        mode="quick",
        speed_n_train=2000,
        speed_n_val=500,
        seed_epochs=6,
        fast_recipe={"epochs": 3, "warmup_epochs": 0.5, "decay_epochs": 1.0},
        matmul_size=1024,
        matmul_repeats=5,
        notebook_modes=("fast",),
        mnist_n_train=2000,
        mnist_n_test=500,
        variant_recipe={"epochs": 2, "warmup_epochs": 1, "decay_epochs": 1},
        bc_seed_epochs=5,
        bc_passes=20,
        anomaly_splits=2,
        denoise_epochs=2,
        denoise_repeats=1,
        filter_grid="small",
        filter_max_images=8,
        gen_n_train=1500,
        gen_n_test=300,
        gen_ae_recipe={"epochs": 2, "warmup_epochs": 0.5, "decay_epochs": 1},
        vae_epochs=2,
        classifier_epochs=1,
        n_generated=150,
        n_submissions=5,
    )


# ======================================================================================
# report building blocks
# ======================================================================================
def column(key: str, label: str, fmt: str = "") -> dict[str, str]:
    """A table column: ``key`` in each row dict, header ``label``, Python format spec ``fmt``."""
    return {"key": key, "label": label, "fmt": fmt}


def table(title: str, columns: list[dict[str, str]], rows: list[dict[str, Any]], note: str = "") -> dict[str, Any]:
    """A results table; rows are dicts of raw values (numbers stay numbers in the JSON)."""
    return {"title": title, "columns": columns, "rows": rows, "note": note}


def check(goal: str, measured: str, met: bool | None) -> dict[str, Any]:
    """One goal of a section: what was wanted, what was measured, and whether it was met (None: not measured)."""
    return {"goal": goal, "measured": measured, "met": met}


def combine(mets: Sequence[bool | None]) -> bool | None:
    """A section's verdict: False if any check failed, None if any was not measured, else True."""
    if any(m is False for m in mets):
        return False
    if not mets or any(m is None for m in mets):
        return None
    return True


def make_section(sid: str, checks: list[dict[str, Any]], tables: list[dict[str, Any]],
                 notes: list[str] | None = None, data: dict[str, Any] | None = None,
                 seconds: float = 0.0, error: str | None = None, summary: str = "") -> dict[str, Any]:
    met = False if error else combine([c["met"] for c in checks])
    if error and not summary:
        summary = "the section failed: " + error.strip().splitlines()[0]
    return {
        "summary": summary,
        "id": sid,
        "title": SECTION_TITLES[sid],
        "goal": GOALS[sid],
        "met": met,
        "status": met_text(met),
        "checks": checks,
        "tables": tables,
        "notes": list(notes or []),
        "data": data or {},
        "seconds": round(seconds, 1),
        "measured_at": _now(),
        "error": error,
    }


def met_text(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), nd)


# ======================================================================================
# header: machine, versions, data
# ======================================================================================
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and load average of this machine."""
    import psutil

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "load_average_1_5_15": [round(v, 2) for v in load],
    }


def versions() -> dict[str, str | None]:
    """Versions of Python and of the packages the benchmark exercises."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    dists = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "keras": ("keras",), "numpy": ("numpy",),
             "scikit-learn": ("scikit-learn",), "scikit-image": ("scikit-image",), "nbgrader": ("nbgrader",),
             "nbclient": ("nbclient",), "course_utils": ("course_utils",)}
    for name, candidates in dists.items():
        out[name] = None
        for dist in candidates:
            try:
                out[name] = version(dist)
                break
            except PackageNotFoundError:
                continue
    return out


def git_commit() -> str | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None


def uncommitted_notebooks() -> list[str]:
    """Lesson notebooks that differ from the commit (sections 2 and 5 run the working tree)."""
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line[3:].strip() for line in proc.stdout.splitlines() if line.strip().endswith(".ipynb"))


def busy_note(machine: dict[str, Any], load_end: Sequence[float] | None = None) -> str | None:
    """A warning when the machine was shared (load average above its core count)."""
    cores = machine.get("usable_cores") or machine.get("logical_cores") or 1
    loads = [machine["load_average_1_5_15"][0]] + ([load_end[0]] if load_end else [])
    worst = max(v for v in loads if v == v) if any(v == v for v in loads) else 0.0
    if worst > cores:
        return (f"The machine was shared while this ran (1-min load average up to {worst:.1f} on {cores} cores): "
                "absolute times are inflated and noisy; ratios measured side by side are more reliable.")
    return None


# ======================================================================================
# 1. training speed
# ======================================================================================
def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Best measured single-precision throughput (GFLOP/s) of an ``n x n`` ``tf.matmul`` on this machine."""
    import tensorflow as tf

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


def seed_mnist_as_written(x_train: Any, x_test: Any, epochs: int, seed: int = 0) -> tuple[Any, list[float]]:
    """The seed's MNIST code (784 -> Dense 32 relu -> Dense 784 sigmoid, Adam, BCE, batch 128,
    ``fit`` on the arrays with ``shuffle=True`` and the test set as validation), timed per epoch."""
    import keras
    from keras.layers import Dense, Input
    from keras.models import Model

    from course_utils.training import EpochLogger

    keras.utils.set_random_seed(seed)
    input_img = Input(shape=(784,))
    encoded = Dense(32, activation="relu")(input_img)
    decoded = Dense(784, activation="sigmoid")(encoded)
    autoencoder = Model(input_img, decoded)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    clock = EpochLogger(epochs, print_lines=False)
    history = autoencoder.fit(x_train, x_train, epochs=epochs, batch_size=128, shuffle=True,
                              validation_data=(x_test, x_test), callbacks=[clock], verbose=0)
    return history, list(clock.times)


def quiet_tensorflow() -> None:
    """Keep TensorFlow's retracing warnings (every new small model retraces) out of the report's log."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def bench_speed(s: Settings, sources: dict[str, str]) -> dict[str, Any]:
    from course_utils import data, models, training

    quiet_tensorflow()
    d = data.load_mnist(n_train=s.speed_n_train, n_test=s.speed_n_val, verbose=False)
    sources["mnist"] = d.source
    x_tr, x_va = d.x_train, d.x_test
    log(f"speed: MNIST {len(x_tr)} train / {len(x_va)} validation ({d.source})")

    gflops = matmul_gflops(s.matmul_size, s.matmul_repeats)
    log(f"speed: matmul {s.matmul_size}^2 float32: {gflops:.1f} GFLOP/s")

    log(f"speed: seed recipe, {s.seed_epochs} epochs ...")
    seed_hist, seed_times = seed_mnist_as_written(x_tr, x_va, s.seed_epochs)
    _SEED_RUN["run"] = {"model": seed_hist.model, "n_train": len(x_tr), "n_test": len(x_va),
                        "epochs": s.seed_epochs, "seconds": seed_times[-1]}
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
        {"recipe": f"seed as written ({s.seed_epochs} epochs, Adam 1e-3, batch 128, model.fit)",
         "epochs_run": len(seed_val), "final_val_bce": seed_val[-1], "epochs_to_target": seed_epochs_to_target,
         "seconds_to_target": seed_to_target, "total_seconds": seed_total, "epoch_seconds": seed_epoch_s},
        {"recipe": f"course fast recipe ({recipe.describe()})",
         "epochs_run": len(fast_val), "final_val_bce": fast_val[-1], "epochs_to_target": fast_epochs_to_target,
         "seconds_to_target": fast_to_target, "total_seconds": fast_times[-1], "epoch_seconds": fast_epoch_s},
    ]
    t1 = table(
        "Time to the seed's final validation loss (BCE)",
        [column("recipe", "Recipe"), column("epochs_run", "Epochs run"), column("final_val_bce", "Final val BCE", ".4f"),
         column("epochs_to_target", "Epochs to target"), column("seconds_to_target", "Seconds to target", ".1f"),
         column("total_seconds", "Total s", ".1f"), column("epoch_seconds", "s / epoch (median)", ".2f")],
        rows,
        note=f"Target = the seed recipe's validation BCE after {s.seed_epochs} epochs: {target:.4f}. "
             "Wall time includes the per-epoch validation pass for both recipes.",
    )
    t2 = table(
        "Epoch time against the compute bound",
        [column("what", "Quantity"), column("value", "Value")],
        [
            {"what": f"single-precision matmul throughput ({s.matmul_size}x{s.matmul_size} tf.matmul, best of 3)",
             "value": f"{gflops:.1f} GFLOP/s"},
            {"what": f"FLOPs per epoch (3 x forward on {len(x_tr)} train + forward on {len(x_va)} val samples)",
             "value": f"{flops / 1e9:.2f} GFLOP"},
            {"what": "compute bound per epoch", "value": f"{bound_s * 1000:.0f} ms"},
            {"what": "seed recipe, measured per epoch", "value": f"{seed_epoch_s * 1000:.0f} ms "
                                                                  f"({seed_epoch_s / bound_s:.1f}x the bound)"},
            {"what": "fast recipe, measured per epoch", "value": f"{fast_epoch_s * 1000:.0f} ms "
                                                                  f"({fast_epoch_s / bound_s:.1f}x the bound)"},
        ],
        note="The model is tiny (50k weights): both recipes are limited by per-step overhead, not arithmetic; "
             "the fast recipe wins by needing fewer epochs, and by running 16 steps per TensorFlow call.",
    )
    measured = ("did not reach the target" if ratio is None else
                f"{ratio:.3f} ({fast_to_target:.1f} s vs {seed_to_target:.1f} s)")
    checks = [check(f"fast recipe time to target / seed time to target <= {SPEED_RATIO_GOAL}", measured,
                    ratio is not None and ratio <= SPEED_RATIO_GOAL)]
    data_out = {
        "n_train": len(x_tr), "n_val": len(x_va), "data_source": d.source, "target_val_loss": target,
        "ratio": _r(ratio), "seed_val_loss": seed_val, "seed_times": seed_times, "fast_val_loss": fast_val,
        "fast_times": fast_times, "matmul_gflops": _r(gflops, 2), "flops_per_epoch": flops,
        "compute_bound_epoch_seconds": _r(bound_s, 5), "seed_epoch_seconds": _r(seed_epoch_s),
        "fast_epoch_seconds": _r(fast_epoch_s), "recipe": recipe.describe(),
    }
    notes = [f"Data: {d.source}."]
    summary = (f"fast recipe {measured} to the seed's {s.seed_epochs}-epoch val BCE {target:.4f}; seed epoch "
               f"{seed_epoch_s:.2f} s = {seed_epoch_s / bound_s:.0f}x the compute bound ({gflops:.0f} GFLOP/s matmul)")
    return {"checks": checks, "tables": [t1, t2], "notes": notes, "data": data_out, "summary": summary}


# ======================================================================================
# 2. and 5. notebooks (tools/run_notebooks.py, the runner behind `make run-all`)
# ======================================================================================
def lesson_notebooks(s: Settings) -> list[Path]:
    if s.notebooks is not None:
        return [Path(p) for p in s.notebooks]
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_notebooks(mode: str, s: Settings, out_dir: Path) -> dict[str, Any]:
    """Run ``tools/run_notebooks.py`` (as ``make run-all`` does) in ``mode``; its JSON plus the wall time."""
    paths = lesson_notebooks(s)
    if not paths:
        return {"mode": mode, "results": [], "wall_seconds": None, "returncode": None,
                "problem": "no lesson notebooks found in notebooks/"}
    js = out_dir / f"run-all-{mode}.json"
    env = dict(os.environ)
    env.update(COURSE_FAST="1" if mode == "fast" else "0", COURSE_OFFLINE="1", MPLBACKEND="Agg",
               TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""))
    cmd = [sys.executable, str(ROOT / "tools" / "run_notebooks.py"), *map(str, paths),
           "--out", str(out_dir / f"executed-{mode}"), "--json", str(js), "--timeout", str(s.notebook_timeout)]
    log(f"notebooks: {len(paths)} in {mode} mode ...")
    js.unlink(missing_ok=True)
    start = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # one line per notebook, shown as it finishes
            lines.append(line.rstrip())
            if line.startswith(("  ", "Executing")):  # the runner's own lines, not kernel chatter on stderr
                log(f"  {line.strip()}")
    wall = time.perf_counter() - start
    if not js.is_file():
        return {"mode": mode, "results": [], "wall_seconds": round(wall, 1), "returncode": proc.returncode,
                "problem": f"run_notebooks.py wrote no results (exit {proc.returncode}): "
                           + (lines[-1] if lines else "no output")}
    out = json.loads(js.read_text())
    out.update(wall_seconds=round(wall, 1), returncode=proc.returncode, problem=None,
               uncommitted_notebooks=uncommitted_notebooks())
    return out


def bench_memory(runs: dict[str, dict[str, Any]], s: Settings) -> dict[str, Any]:
    names: list[str] = []
    for run in runs.values():
        for r in run["results"]:
            if r["notebook"] not in names:
                names.append(r["notebook"])
    rows = []
    for name in names:
        row: dict[str, Any] = {"notebook": name}
        for mode, run in runs.items():
            r = next((r for r in run["results"] if r["notebook"] == name), None)
            if r is not None:
                row[f"{mode}_mb"] = r["peak_rss_mb"]
                row[f"{mode}_ok"] = "ok" if r["ok"] else f"FAILED: {r['error']}"
        rows.append(row)
    cols = [column("notebook", "Notebook")]
    checks = []
    for mode in ("student", "fast"):
        cols += [column(f"{mode}_mb", f"{mode} mode peak MiB"), column(f"{mode}_ok", f"{mode} run")]
        run = runs.get(mode)
        if run is None:
            checks.append(check(f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB",
                                f"not measured ({s.mode} mode skips {mode}-mode notebook runs)", None))
        elif run.get("problem"):
            checks.append(check(f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB",
                                f"not measured: {run['problem']}", None))
        else:
            worst = max(run["results"], key=lambda r: r["peak_rss_mb"])
            failed = [r["notebook"] for r in run["results"] if not r["ok"]]
            met = worst["peak_rss_mb"] <= GIB_MB
            measured = f"max {worst['peak_rss_mb']} MiB ({worst['notebook']})"
            if failed:
                measured += f"; FAILED to run: {', '.join(failed)}"
            checks.append(check(f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB", measured, met))
    t = table("Peak resident memory of the notebook's kernel process tree (MiB, polled every 0.2 s)", cols, rows)
    parts = []
    for mode in ("student", "fast"):
        run = runs.get(mode)
        if run and run["results"]:
            worst = max(run["results"], key=lambda r: r["peak_rss_mb"])
            parts.append(f"{mode} mode max {worst['peak_rss_mb']} MiB ({worst['notebook'].split('_')[0]})")
        else:
            parts.append(f"{mode} mode not measured")
    notes = ["Measured by tools/run_notebooks.py (the `make run-all` runner): the kernel and its children, "
             "1.0 GiB = 1024 MiB."]
    dirty = sorted({n for run in runs.values() for n in run.get("uncommitted_notebooks", [])})
    if dirty:
        notes.append("The working tree was run; these notebooks had uncommitted changes at the time: "
                     + ", ".join(dirty) + ".")
    return {"summary": "; ".join(parts), "checks": checks, "tables": [t], "notes": notes,
            "data": {mode: run for mode, run in runs.items()}}


def bench_course(runs: dict[str, dict[str, Any]], s: Settings) -> dict[str, Any]:
    rows, checks = [], []
    for mode in ("fast", "student"):
        goal = RUNALL_GOALS[mode]
        run = runs.get(mode)
        text = f"`make run-all` in {mode} mode <= {goal:.0f} s"
        if run is None:
            checks.append(check(text, f"not measured ({s.mode} mode skips {mode}-mode notebook runs)", None))
            continue
        if run.get("problem"):
            checks.append(check(text, f"not measured: {run['problem']}", None))
            continue
        ok = all(r["ok"] for r in run["results"])
        wall = run["wall_seconds"]
        rows.append({"mode": mode, "notebooks": len(run["results"]), "wall_seconds": wall,
                     "sum_seconds": run.get("total_seconds"), "all_ok": "yes" if ok else "NO",
                     "goal_seconds": goal})
        measured = f"{wall:.0f} s for {len(run['results'])} notebooks" + ("" if ok else " (some notebooks FAILED)")
        checks.append(check(text, measured, bool(ok and wall <= goal)))
    t = table("Executing every lesson notebook headless (tools/run_notebooks.py)",
              [column("mode", "Mode"), column("notebooks", "Notebooks"), column("wall_seconds", "Wall s", ".0f"),
               column("sum_seconds", "Sum of notebooks s", ".0f"), column("all_ok", "All ran"),
               column("goal_seconds", "Goal s", ".0f")], rows,
              note="Wall time of the whole command (Python start-up, one fresh kernel per notebook); "
                   "the per-notebook times are in section 2's JSON.")
    summary = "; ".join(f"{r['mode']} mode {r['wall_seconds']:.0f} s ({r['notebooks']} notebooks"
                        + ("" if r["all_ok"] == "yes" else ", some FAILED") + ")" for r in rows) or "not measured"
    return {"checks": checks, "tables": [t], "notes": [], "data": {}, "summary": summary}


# ======================================================================================
# 3. quality
# ======================================================================================
def _predict(model: Any, x: Any) -> Any:
    import numpy as np

    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def _recipe_kwargs(epochs: int) -> dict[str, Any]:
    """fast_recipe arguments for ``epochs`` (its default 2-epoch warm-up / 3-epoch decay, scaled down for short runs)."""
    if epochs >= 8:
        return {"epochs": epochs}
    return {"epochs": epochs, "warmup_epochs": 0.25 * epochs, "decay_epochs": 0.4 * epochs}


def _mnist_variant(key: str) -> tuple[str, Any, bool]:
    """Lesson 02's variants: (name, model, needs 28x28x1 images)."""
    from course_utils import models

    builders: dict[str, tuple[str, Callable[[], Any], bool]] = {
        "seed": ("seed model 784-32-784, fast recipe", lambda: models.build_dense_autoencoder(seed=42), False),
        "deep": ("deep 128-64-32", lambda: models.build_dense_autoencoder(hidden=(128, 64), seed=42), False),
        "conv": ("convolutional 16-32 -> 32",
                 lambda: models.build_conv_autoencoder((28, 28, 1), filters=(16, 32), code_dim=32, seed=42), True),
        "sparse": ("sparse (L1 1e-4)", lambda: models.build_dense_autoencoder(l1=1e-4, seed=42), False),
        "overcomplete": ("overcomplete 1024", lambda: models.build_dense_autoencoder(code_dim=1024, seed=42), False),
        "overcomplete_noise": ("overcomplete 1024 + input noise 0.3",
                               lambda: models.build_dense_autoencoder(code_dim=1024, input_noise=0.3, seed=42), False),
        "overcomplete_l1": ("overcomplete 1024 + L1 1e-4",
                            lambda: models.build_dense_autoencoder(code_dim=1024, l1=1e-4, seed=42), False),
    }
    if key not in builders:
        raise ValueError(f"unknown MNIST variant {key!r}: expected one of {sorted(builders)}")
    name, build, conv = builders[key]
    return name, build(), conv


# The speed section's seed-recipe model, reused as the first row of the MNIST table when the data match.
_SEED_RUN: dict[str, Any] = {}


def quality_mnist(s: Settings, sources: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    """Test MSE/BCE of lesson 02's MNIST autoencoders (fast recipe) against PCA-32."""
    import numpy as np

    from course_utils import baselines, data, metrics, models, training

    flat = data.load_mnist(n_train=s.mnist_n_train, n_test=s.mnist_n_test, verbose=False)
    sources.setdefault("mnist", flat.source)
    x_tr, x_te = flat.x_train, flat.x_test
    rows = []

    def score(key: str, name: str, model: Any, rec: Any, code_size: int, seconds: float | None,
              codes: Any | None = None) -> None:
        rows.append({"variant": key, "model": name, "code_size": code_size,
                     "params": models.count_params(model) if model is not None else None,
                     "mse": metrics.mean_reconstruction_error(x_te, rec, "mse"),
                     "bce": metrics.mean_reconstruction_error(x_te, rec, "bce"),
                     "mean_code": None if codes is None else float(np.mean(codes)), "train_seconds": seconds})

    seed_run = _SEED_RUN.get("run")
    if seed_run is not None and seed_run["n_train"] == len(x_tr) and seed_run["n_test"] == len(x_te):
        model = seed_run["model"]
        score("seed_recipe", f"seed model, seed recipe as written ({seed_run['epochs']} epochs, section 1)", model,
              _predict(model, x_te), 32, seed_run["seconds"])
    start = time.perf_counter()
    pca = baselines.PCAReconstructor(32, clip=True).fit(x_tr)
    pca_s = time.perf_counter() - start
    score("pca", "PCA-32 (clipped to [0, 1])", None, pca.reconstruct(x_te), 32, pca_s)
    rows[-1]["params"] = int(pca.pca.components_.size + pca.pca.mean_.size)
    for key in ("seed", *s.mnist_variants):
        name, model, conv = _mnist_variant(key)
        log(f"quality/mnist: {name} ...")
        xin, xval = (x_tr.reshape(-1, 28, 28, 1), x_te.reshape(-1, 28, 28, 1)) if conv else (x_tr, x_te)
        hist = training.train_fast(model, xin, validation_data=xval, seed=42, verbose=0,
                                   recipe=training.fast_recipe(len(xin), **s.variant_recipe))
        codes = _predict(model.encoder, xval)
        score(key, name, model, _predict(model, xval).reshape(len(x_te), -1), int(np.prod(codes.shape[1:])),
              float(hist.history["time"][-1]), codes)
    by_key = {r["variant"]: r for r in rows}
    pca_mse = by_key["pca"]["mse"]
    for r in rows:
        r["vs_pca"] = r["mse"] / pca_mse
    under = [r for r in rows if r["code_size"] == 32 and r["variant"] != "pca"]
    best = min(under, key=lambda r: r["mse"])
    recipe = training.fast_recipe(len(x_tr), **s.variant_recipe)
    t = table(
        f"MNIST test reconstruction error ({len(x_tr)} train / {len(x_te)} test images)",
        [column("model", "Model"), column("code_size", "Code size"), column("params", "Parameters"),
         column("mse", "Test MSE", ".5f"), column("vs_pca", "MSE / PCA-32", ".2f"), column("bce", "Test BCE", ".4f"),
         column("mean_code", "Mean code activation", ".3f"), column("train_seconds", "Train s", ".1f")],
        rows,
        note=f"Recipe of lesson 02: every variant trained with the fast recipe ({recipe.describe()}), seed 42, "
             f"BCE loss. Data: {flat.source}.",
    )
    checks = [check("lesson 02: the best model with a 32-number code has test MSE <= 0.5 x PCA-32's",
                    f"{best['model']}: {best['mse']:.5f} = {best['vs_pca']:.2f} x PCA-32 ({pca_mse:.5f})",
                    best["vs_pca"] <= 0.5)]
    if "seed_recipe" in by_key:
        sr = by_key["seed_recipe"]
        checks.append(check("the seed's model and recipe beat PCA-32 on test MSE",
                            f"{sr['mse']:.5f} = {sr['vs_pca']:.2f} x PCA-32", sr["mse"] < pca_mse))
    if "sparse" in by_key:
        sp, plain = by_key["sparse"], by_key["seed"]
        checks.append(check("the L1 penalty lowers the mean code activation (sparse vs the plain seed model)",
                            f"{sp['mean_code']:.3f} vs {plain['mean_code']:.3f}", sp["mean_code"] < plain["mean_code"]))
    return t, checks, {"mnist_rows": rows, "summary": f"best 32-d MNIST AE {best['vs_pca']:.2f}x PCA-32's MSE"}


def bc_seed_model(seed: int = 42) -> Any:
    """Lesson 03's copy of the seed's model: 30 -> 15 -> 7 -> 15 -> 30, ReLU, sigmoid output, MSE, Adam 1e-3."""
    from course_utils import models

    return models.build_dense_autoencoder(input_dim=30, code_dim=7, hidden=(15,), activation="relu",
                                          output_activation="sigmoid", loss="mse", optimizer="adam",
                                          learning_rate=1e-3, seed=seed, name="seed_autoencoder")


def bc_fixed_model(seed: int = 42) -> Any:
    """Lesson 03's repaired model: 30 -> 32 ELU -> 7 linear code -> 32 ELU -> 30 linear, MSE, Adam."""
    from course_utils import models

    return models.build_dense_autoencoder(input_dim=30, code_dim=7, hidden=(32,), activation="elu",
                                          code_activation="linear", output_activation="linear", loss="mse",
                                          optimizer="adam", seed=seed, name="fixed_autoencoder")


def fit_rows(ae: Any, x: Any, *, passes: int, batch_size: int = 32, peak_lr: float = 1e-3,
             schedule: str = "constant", seed: int = 0) -> Any:
    """Lesson 03's trainer: ``passes`` shuffled passes over the rows as one Keras epoch; ``schedule="wsd"``
    warms up over 5 % of the steps and decays linearly to 0 over the last half, ``"constant"`` keeps peak_lr."""
    import numpy as np
    import tensorflow as tf

    from course_utils import training

    x = np.asarray(x, dtype="float32")
    steps = math.ceil(len(x) * passes / batch_size)
    rows = tf.data.Dataset.from_tensor_slices((x, x)).shuffle(len(x), seed=seed).repeat(passes).batch(batch_size)
    if schedule == "constant":
        lr = training.WarmupStableDecay(peak_lr, total_steps=steps)
    elif schedule == "wsd":
        lr = training.WarmupStableDecay(peak_lr, total_steps=steps, warmup_steps=steps // 20, decay_steps=steps // 2)
    else:
        raise ValueError(f"schedule must be 'constant' or 'wsd', got {schedule!r}")
    return training.train(ae, rows, epochs=1, seed=seed, verbose=0, learning_rate_schedule=lr)


def _fix_recipe(s: Settings) -> dict[str, Any]:
    return {"passes": s.bc_passes, "batch_size": 64, "peak_lr": 1e-2, "schedule": "wsd"}


def _reconstruct(ae: Any, x: Any) -> Any:
    import numpy as np

    return np.asarray(ae.decode(ae.encode(x)))


def quality_breast_cancer(s: Settings, sources: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    """Validation MSE of the seed's breast-cancer model, the repaired model and PCA-7 (lesson 03)."""
    from course_utils import baselines, data, metrics, training

    seed_split = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="all", verbose=False)
    honest = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="train", verbose=False)
    sources["breast_cancer"] = honest.source.split(",")[0] + " (bundled with scikit-learn)"
    rows = []

    def add(model: str, scaling: str, mse: float, seconds: float | None) -> float:
        rows.append({"model": model, "scaling": scaling, "val_mse": mse, "train_seconds": seconds})
        return mse

    log("quality/breast cancer: the seed's model ...")
    seed_ae = bc_seed_model()
    start = time.perf_counter()
    training.train(seed_ae, seed_split.x_train, epochs=s.bc_seed_epochs, batch_size=32,
                   validation_data=(seed_split.x_test,), seed=42, verbose=0)
    seed_mse = add(f"seed model (ReLU 15-7-15, sigmoid output, {s.bc_seed_epochs} epochs, batch 32, Adam 1e-3)",
                   "all rows (seed)", metrics.mean_reconstruction_error(seed_split.x_test, _reconstruct(seed_ae, seed_split.x_test)),
                   time.perf_counter() - start)
    fixed_name = (f"repaired model (ELU 32, linear 7-d code and output; {s.bc_passes} passes, batch 64, "
                  "Adam warm-up to 1e-2 / hold / decay)")
    pca_mse, fixed_mse = {}, {}
    for scaling, split in (("all rows (seed)", seed_split), ("training rows", honest)):
        start = time.perf_counter()
        pca = baselines.PCAReconstructor(7).fit(split.x_train)
        pca_mse[scaling] = add("PCA-7", scaling, metrics.mean_reconstruction_error(split.x_test, pca.reconstruct(split.x_test)),
                               time.perf_counter() - start)
        log(f"quality/breast cancer: the repaired model (scaler fitted on {scaling}) ...")
        fixed = bc_fixed_model()
        start = time.perf_counter()
        fit_rows(fixed, split.x_train, seed=42, **_fix_recipe(s))
        fixed_mse[scaling] = add(fixed_name, scaling,
                                 metrics.mean_reconstruction_error(split.x_test, _reconstruct(fixed, split.x_test)),
                                 time.perf_counter() - start)
    pca_seed, pca_honest = pca_mse["all rows (seed)"], pca_mse["training rows"]
    fixed_seed, fixed_honest = fixed_mse["all rows (seed)"], fixed_mse["training rows"]
    for r in rows:
        r["vs_pca7"] = r["val_mse"] / (pca_seed if r["scaling"].startswith("all") else pca_honest)
    t = table("Breast cancer: validation MSE (80/20 split, random_state 42, MinMax scaling)",
              [column("model", "Model"), column("scaling", "Scaler fitted on"), column("val_mse", "Val MSE", ".5f"),
               column("vs_pca7", "x PCA-7's MSE", ".2f"), column("train_seconds", "Train s", ".1f")], rows,
              note="Recipe of lesson 03 (seed's scaling = the scaler fitted on every row before the split, as the "
                   "seed does; honest = fitted on the training rows only).")
    checks = [
        check("the repaired model is at or below PCA-7's val MSE (seed's scaling)",
              f"{fixed_seed:.5f} vs {pca_seed:.5f} ({fixed_seed / pca_seed:.2f}x)", fixed_seed <= pca_seed),
        check("the repaired model is at or below PCA-7's val MSE (honest scaling)",
              f"{fixed_honest:.5f} vs {pca_honest:.5f} ({fixed_honest / pca_honest:.2f}x)", fixed_honest <= pca_honest),
        check("the seed's model loses to PCA-7, as lesson 03 says (about six times worse)",
              f"{seed_mse / pca_seed:.1f}x PCA-7's MSE", seed_mse > pca_seed),
    ]
    return t, checks, {"breast_cancer_rows": rows,
                       "summary": f"breast cancer: seed {seed_mse / pca_seed:.1f}x, repaired {fixed_honest / pca_honest:.2f}x PCA-7"}


def quality_anomaly(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    """ROC AUC of malignant-vs-benign scores over repeated splits (lesson 03): two autoencoders vs
    PCA-7 error, IsolationForest and One-Class SVM, all fitted on benign training rows only."""
    import numpy as np

    from course_utils import baselines, data, metrics

    detectors = ["AE (seed recipe)", "AE (repaired)", "PCA-7 error", "IsolationForest", "One-Class SVM"]
    aucs: dict[str, list[float]] = {k: [] for k in detectors}
    states = [42, *range(1, s.anomaly_splits)]
    for i, state in enumerate(states):
        log(f"quality/anomaly: split {i + 1}/{len(states)} (random_state {state}) ...")
        d = data.load_breast_cancer_split(test_size=0.2, random_state=state, scale_on="train", benign_only=True,
                                          stratify=True, verbose=False)
        seed_like = bc_seed_model(seed=state)
        fit_rows(seed_like, d.x_train, passes=s.bc_seed_epochs, batch_size=32, peak_lr=1e-3, seed=state)
        repaired = bc_fixed_model(seed=state)
        fit_rows(repaired, d.x_train, seed=state, **_fix_recipe(s))
        scores = {
            "AE (seed recipe)": metrics.reconstruction_error(d.x_test, _reconstruct(seed_like, d.x_test)),
            "AE (repaired)": metrics.reconstruction_error(d.x_test, _reconstruct(repaired, d.x_test)),
            "PCA-7 error": baselines.pca_error_scores(d.x_train, d.x_test, 7),
            "IsolationForest": baselines.isolation_forest_scores(d.x_train, d.x_test, seed=state),
            "One-Class SVM": baselines.ocsvm_scores(d.x_train, d.x_test),
        }
        for k in detectors:
            aucs[k].append(metrics.roc_auc(d.y_anomaly_test, scores[k]))
    rows = [{"method": k, "auc_mean": float(np.mean(v)), "auc_sd": float(np.std(v, ddof=1)) if len(v) > 1 else None,
             "auc_min": float(np.min(v)), "splits": len(v)} for k, v in aucs.items()]
    t = table(f"Anomaly detection (train on benign rows only, malignant = anomaly): ROC AUC over {len(states)} "
              "stratified 80/20 splits",
              [column("method", "Detector"), column("auc_mean", "AUC mean", ".3f"), column("auc_sd", "sd", ".3f"),
               column("auc_min", "worst split", ".3f"), column("splits", "Splits")], rows,
              note=f"Recipe of lesson 03: random_state 42 then 1..{len(states) - 1}; scaler fitted on each split's "
                   f"benign training rows; AE (seed recipe) = the seed's model, {s.bc_seed_epochs} passes at Adam 1e-3; "
                   f"AE (repaired) = the repaired model and recipe; score = reconstruction MSE.")
    by = {r["method"]: r for r in rows}
    rep, seed_ae, iso = by["AE (repaired)"], by["AE (seed recipe)"], by["IsolationForest"]
    checks = [check("lesson 03: the repaired autoencoder's mean AUC >= IsolationForest's",
                    f"{rep['auc_mean']:.3f} vs {iso['auc_mean']:.3f} (seed-recipe AE {seed_ae['auc_mean']:.3f}; "
                    f"{len(states)} splits)", rep["auc_mean"] >= iso["auc_mean"])]
    return t, checks, {"anomaly_aucs": aucs,
                       "summary": f"anomaly AUC repaired AE {rep['auc_mean']:.3f} vs IsolationForest {iso['auc_mean']:.3f}"}


SMALL_GRIDS = {
    "gaussian": {"sigma": [0.5, 1.0, 1.5]},
    "median": {"size": [3, 5]},
    "tv": {"weight": [0.05, 0.1, 0.2]},
    "nlm": {"h_factor": [0.6, 1.0]},
}
# Lesson 04: the evaluation conditions, and the training mixture (kind, lowest, highest level, probability).
DENOISE_CONDITIONS = {
    "Gaussian σ=0.1": ("gaussian", 0.1),
    "Gaussian σ=0.2": ("gaussian", 0.2),
    "Gaussian σ=0.3": ("gaussian", 0.3),
    "Poisson 25 photons": ("poisson", 0.2),
    "Salt & pepper 10%": ("salt_and_pepper", 0.1),
}
NOISE_MIXTURE = [("gaussian", 0.05, 0.35, 0.6), ("poisson", 0.1, 0.3, 0.2), ("salt_and_pepper", 0.02, 0.2, 0.2)]
DENOISE_SETUPS = {
    "same": "AE step 5 (noisy -> same noisy image)",
    "clean": "AE noisy -> clean",
    "n2n": "AE Noise2Noise",
}


def denoise_pairs(setup: str) -> Callable[..., Any]:
    """Lesson 04's training pairs from clean batches: random horizontal flips, then noise drawn from
    the mixture (a fresh kind and level per image): noisy -> same noisy (the seed's step 5),
    noisy -> clean, or noisy -> independent noisy copy (Noise2Noise)."""
    import numpy as np

    from course_utils import data

    if setup not in DENOISE_SETUPS:
        raise ValueError(f"setup must be one of {sorted(DENOISE_SETUPS)}, got {setup!r}")

    def draw(rng: Any) -> tuple[str, float]:
        i = rng.choice(len(NOISE_MIXTURE), p=[p for *_, p in NOISE_MIXTURE])
        kind, lo, hi, _ = NOISE_MIXTURE[i]
        return kind, float(rng.uniform(lo, hi))

    def corrupt(clean: Any, rng: Any, settings: list[tuple[str, float]]) -> Any:
        return np.stack([data.add_noise(img, kind, level, seed=int(rng.integers(2**31)))
                         for img, (kind, level) in zip(clean, settings)])

    def transform(xb: Any, yb: Any, rng: Any) -> tuple[Any, Any]:
        clean = xb.copy()
        mirrored = rng.random(len(clean)) < 0.5
        clean[mirrored] = clean[mirrored][:, :, ::-1]
        settings = [draw(rng) for _ in clean]
        noisy = corrupt(clean, rng, settings)
        if setup == "same":
            return noisy, noisy
        if setup == "clean":
            return noisy, clean
        return noisy, corrupt(clean, rng, settings)

    return transform


def quality_denoising(s: Settings, sources: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    """PSNR/SSIM of every classical filter (tuned on validation images) and autoencoder set-up (lesson 04)."""
    import numpy as np

    from course_utils import baselines, data, metrics, models, training

    d = data.load_medical_images(size=s.denoise_size, verbose=False)
    sources["medical_images"] = d.source
    shape = d.x_train.shape[1:]
    conditions = {c: v for c, v in DENOISE_CONDITIONS.items() if c in s.denoise_conditions}
    x_epoch = np.concatenate([d.x_train] * s.denoise_repeats)
    autoencoders = {}
    for key in s.denoise_setups:
        log(f"quality/denoising: training {DENOISE_SETUPS[key]} ...")
        model = models.build_conv_denoiser(shape, filters=s.denoise_filters, loss="mae", learning_rate=2e-3, seed=1)
        start = time.perf_counter()
        training.train(model, x_epoch, epochs=s.denoise_epochs, batch_size=32, transform=denoise_pairs(key),
                       seed=1, verbose=0)
        autoencoders[key] = (model, time.perf_counter() - start)
    rows, checks = [], []
    psnr_table: dict[str, dict[str, float]] = {}
    classical = ("gaussian", "median", "tv", "nlm")
    for i, (cond, (kind, level)) in enumerate(DENOISE_CONDITIONS.items()):
        if cond not in conditions:
            continue
        noisy_val = data.add_noise(d.x_val, kind, level, seed=100 + i)
        noisy_test = data.add_noise(d.x_test, kind, level, seed=200 + i)
        here: dict[str, dict[str, Any]] = {}

        def score(method: str, out: Any, setting: str = "") -> None:
            out = np.clip(np.asarray(out, dtype="float32"), 0.0, 1.0)
            row = {"condition": cond, "method": method, "setting": setting,
                   "mse": float(np.mean((out - d.x_test) ** 2)),
                   "psnr": float(np.mean(metrics.psnr(d.x_test, out))),
                   "ssim": float(np.mean(metrics.ssim(d.x_test, out)))}
            rows.append(row)
            here[method] = row
            psnr_table.setdefault(cond, {})[method] = row["psnr"]

        score("noisy input", noisy_test)
        log(f"quality/denoising: {cond}: tuning classical filters ...")
        for method in classical:
            grid = SMALL_GRIDS[method] if s.filter_grid == "small" else None
            params, _ = baselines.tune_filter(method, noisy_val, d.x_val, grid, max_images=s.filter_max_images)
            shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
            score(method, baselines.denoise(noisy_test, method, **params), f"tuned on val: {shown}")
        for key, (model, secs) in autoencoders.items():
            score(DENOISE_SETUPS[key], model.predict(noisy_test, batch_size=64, verbose=0),
                  f"{s.denoise_epochs} epochs x {s.denoise_repeats}, {secs:.0f} s")
        best_c = max((here[m] for m in classical), key=lambda r: r["psnr"])
        noisy = here["noisy input"]
        if "clean" in autoencoders and kind == "gaussian":
            ae = here[DENOISE_SETUPS["clean"]]
            margin = ae["psnr"] - best_c["psnr"]
            checks.append(check(f"{cond}: noisy->clean AE >= 1.5 dB above the best classical filter (PSNR, test)",
                                f"{ae['psnr']:.2f} dB vs {best_c['method']} {best_c['psnr']:.2f} dB ({margin:+.2f} dB)",
                                margin >= 1.5))
        if "same" in autoencoders:
            same = here[DENOISE_SETUPS["same"]]
            gain = same["psnr"] - noisy["psnr"]
            checks.append(check(f"{cond}: the seed's step 5 (noisy -> same noisy) acts as the identity "
                                "(|PSNR change| < 0.5 dB)", f"{gain:+.2f} dB", abs(gain) < 0.5))
        if "n2n" in autoencoders and "clean" in autoencoders:
            gap = here[DENOISE_SETUPS["clean"]]["psnr"] - here[DENOISE_SETUPS["n2n"]]["psnr"]
            checks.append(check(f"{cond}: Noise2Noise within 1 dB of noisy->clean (PSNR)", f"gap {gap:+.2f} dB",
                                gap <= 1.0))
    t = table(f"Denoising {shape[0]}x{shape[1]} medical images: test MSE, PSNR (dB) and SSIM "
              f"({len(d.x_train)} train / {len(d.x_val)} val / {len(d.x_test)} test images)",
              [column("condition", "Noise"), column("method", "Method"), column("setting", "Setting"),
               column("mse", "MSE", ".4f"), column("psnr", "PSNR dB", ".2f"), column("ssim", "SSIM", ".3f")], rows,
              note=f"Recipe of lesson 04. Data: {d.source}. Classical filters tuned for mean PSNR on "
                   f"{s.filter_max_images} noisy validation images per condition (baselines.tune_filter, "
                   f"{s.filter_grid} grids). Each autoencoder set-up is one blind model for all conditions: "
                   f"conv denoiser {tuple(s.denoise_filters)}, MAE, Adam 2e-3, batch 32, flips + fresh noise from "
                   "the mixture (Gaussian 0.05-0.35, Poisson, salt & pepper) every batch.")
    margins = [f"{c.split('=')[1]}: {psnr_table[c][DENOISE_SETUPS['clean']] - max(psnr_table[c][m] for m in classical):+.1f}"
               for c in psnr_table if c.startswith("Gaussian") and DENOISE_SETUPS["clean"] in psnr_table[c]]
    summary = ("denoiser minus best filter (dB) at σ " + ", ".join(margins)) if margins else "denoising measured"
    return t, checks, {"denoising_psnr": psnr_table, "summary": summary}


def quality_generative(s: Settings, sources: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    """Sample quality of VAEs vs decoding random codes with the plain autoencoder (lesson 05)."""
    import numpy as np

    from course_utils import data, generative, models, training

    d = data.load_mnist(n_train=s.gen_n_train, n_test=s.gen_n_test, verbose=False)
    sources.setdefault("mnist", d.source)
    n = s.n_generated
    log("quality/generative: plain AE (the seed's model, fast recipe) ...")
    ae = models.build_dense_autoencoder(784, 32, seed=42)
    training.train_fast(ae, d.x_train, validation_data=d.x_test, seed=42, verbose=0, **s.gen_ae_recipe)
    codes = ae.encode(d.x_train)
    samples = {"real test digits (reference)": d.x_test[:n]}
    vaes = {}
    for latent in s.vae_latents:
        log(f"quality/generative: {latent}-d VAE ...")
        vae = models.build_vae(input_shape=(784,), latent_dim=latent, hidden=(512, 256), beta=1.0, seed=42)
        training.train(vae, d.x_train, validation_data=d.x_test, epochs=s.vae_epochs, batch_size=128, seed=42,
                       steps_per_execution=16, verbose=0)
        vaes[latent] = vae
        samples[f"{latent}-d VAE samples"] = np.asarray(vae.sample(n, seed=7))
    samples["plain AE: codes like real ones"] = ae.decode(generative.random_codes_like(codes, n, seed=1))
    rng = np.random.default_rng(0)
    samples["plain AE: N(0,1) codes"] = ae.decode(rng.normal(size=(n, 32)).astype("float32"))
    log("quality/generative: digit classifier (the judge) ...")
    judge, info = generative.train_digit_classifier(d.x_train, d.y_train, epochs=s.classifier_epochs,
                                                    validation_data=(d.x_test, d.y_test), seed=42)
    rows = []
    for name, x in samples.items():
        q = generative.sample_quality(judge, np.asarray(x).reshape(len(x), -1), d.x_train)
        rows.append({"samples": name, **{k: q[k] for k in ("mean_max_prob", "mean_entropy", "confident_fraction",
                                                           "class_entropy", "nn_distance_mean")}})
    t = table(f"Generated digits judged by a digit classifier (test accuracy {info.get('val_accuracy', float('nan')):.3f}) "
              f"and by the distance to the nearest training digit ({n} images each)",
              [column("samples", "Images"), column("mean_max_prob", "Mean top-class prob", ".3f"),
               column("mean_entropy", "Mean entropy", ".3f"), column("confident_fraction", "Share >= 0.9", ".2f"),
               column("class_entropy", "Class entropy (max 2.30)", ".2f"),
               column("nn_distance_mean", "NN distance", ".2f")], rows,
              note=f"Recipe of lesson 05: VAEs 784-512-256-z, {s.vae_epochs} epochs, batch 128; plain AE = the "
                   f"seed's 784-32-784 with the fast recipe ({s.gen_ae_recipe}); classifier 784-256-10, "
                   f"{s.classifier_epochs} epochs. Data: {d.source}.")
    checks = []
    best_latent = max(s.vae_latents)
    by = {r["samples"]: r for r in rows}
    v, a = by[f"{best_latent}-d VAE samples"], by["plain AE: codes like real ones"]
    wins = {"higher classifier confidence": v["mean_max_prob"] > a["mean_max_prob"],
            "lower prediction entropy": v["mean_entropy"] < a["mean_entropy"],
            "more confidently classified": v["confident_fraction"] > a["confident_fraction"],
            "closer to real digits": v["nn_distance_mean"] < a["nn_distance_mean"]}
    checks.append(check(f"lesson 05: {best_latent}-d VAE samples beat plain-AE random codes on all four sample-quality "
                        "measures", f"{sum(wins.values())}/4 (" + "; ".join(k for k, w in wins.items() if w) + ")",
                        all(wins.values())))
    return t, checks, {"generative_rows": rows, "judge": info,
                       "summary": f"{best_latent}-d VAE beats plain AE on {sum(wins.values())}/4 sample measures"}


def bench_quality(s: Settings, sources: dict[str, str]) -> dict[str, Any]:
    quiet_tensorflow()
    tables, checks, data_out, notes, summaries = [], [], {}, [], []
    parts: list[tuple[str, Callable[[], tuple[dict[str, Any], list[dict[str, Any]], dict]]]] = [
        ("MNIST variants vs PCA-32", lambda: quality_mnist(s, sources)),
        ("breast cancer vs PCA-7", lambda: quality_breast_cancer(s, sources)),
        ("anomaly detection", lambda: quality_anomaly(s)),
        ("denoising", lambda: quality_denoising(s, sources)),
        ("VAE vs plain AE", lambda: quality_generative(s, sources)),
    ]
    for name, part in parts:
        try:
            t, c, extra = part()
        except Exception as exc:  # noqa: BLE001 - one failing table must not hide the others
            log(f"quality/{name}: FAILED: {exc!r}")
            checks.append(check(f"{name}: computed", f"FAILED: {type(exc).__name__}: {exc}", False))
            notes.append(f"{name} failed:\n{traceback.format_exc(limit=3)}")
            continue
        tables.append(t)
        checks.extend(c)
        summaries.append(extra.pop("summary", name))
        data_out.update(extra)
    n_met = sum(1 for c in checks if c["met"])
    summary = f"{n_met}/{len(checks)} checks met; " + "; ".join(summaries)
    return {"checks": checks, "tables": tables, "notes": notes, "data": data_out, "summary": summary}


# ======================================================================================
# 4. grading throughput
# ======================================================================================
_QUIZ_STATE = {"gradebook.db", "release", "submitted", "autograded", "feedback", "grades.csv", ".nbgrader.log",
               "__pycache__"}


def _load_module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def quiz_key(course_dir: Path, manage: Any) -> str:
    """The correct letters q1..qN, read from the source notebook with the course's own parser
    (``manage`` is the course directory's ``manage.py`` module)."""
    import nbformat

    grading = manage.grading_module(course_dir)
    nb = nbformat.read(course_dir / "source" / "autoencoder_quiz" / "autoencoder_quiz.ipynb", as_version=4)
    questions = grading.read_question_bank(nb)
    key = "".join(q.key or "?" for q in questions)
    if "?" in key or not key:
        raise ValueError(f"could not read the answer key from the source notebook (got {key!r})")
    return key


def mixed_answers(key: str, student: int) -> tuple[dict[int, str], int]:
    """Answer cells for one generated student and the score they must get.

    Student 0 answers everything right, student 1 everything wrong; the others mix right answers
    (some in upper case or with spaces, which count), wrong letters, invalid answers and blanks.
    """
    import random

    rng = random.Random(student)
    cells, score = {}, 0
    for q, letter in enumerate(key, start=1):
        wrong = "abcd"[("abcd".index(letter) + rng.randint(1, 3)) % 4]
        r = 0.0 if student == 0 else 0.7 if student == 1 else rng.random()
        if r < 0.55:
            shown = rng.choice([letter, letter.upper(), f" {letter} "])
            cells[q], score = f"q{q} = '{shown}'", score + 1
        elif r < 0.85:
            cells[q] = f"q{q} = '{wrong}'"
        elif r < 0.93:
            cells[q] = f"q{q} = '{rng.choice(['e', '', 'ab'])}'"
        else:
            cells[q] = f"q{q} = None"
    return cells, score


def write_submissions(course_dir: Path, release_nb: dict[str, Any], key: str, n: int) -> dict[str, int]:
    """``n`` submitted notebooks under ``course_dir/submitted/``; returns the expected score of each student."""
    import copy
    import re

    expected = {}
    for i in range(n):
        student = f"student{i:03d}"
        cells, score = mixed_answers(key, i)
        nb = copy.deepcopy(release_nb)
        for cell in nb["cells"]:
            match = re.fullmatch(r"q(\d+)_answer", cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
            if match and int(match.group(1)) in cells:
                cell["source"] = cells[int(match.group(1))]
        folder = course_dir / "submitted" / student / "autoencoder_quiz"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "autoencoder_quiz.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        expected[student] = score
    return expected


def bench_grading(s: Settings) -> dict[str, Any]:
    import csv

    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    with tempfile.TemporaryDirectory(prefix="bench-quiz-") as tmp:
        course = Path(tmp) / "quizzes"
        shutil.copytree(ROOT / "quizzes", course, ignore=lambda d, names: [n for n in names if n in _QUIZ_STATE])
        log("grading: release ...")
        start = time.perf_counter()
        manage = _load_module("bench_quiz_manage", course / "manage.py")
        manage.release(course)
        release_s = time.perf_counter() - start
        release_nb = json.loads((course / "release" / "autoencoder_quiz" / "autoencoder_quiz.ipynb").read_text())
        key = quiz_key(course, manage)
        expected = write_submissions(course, release_nb, key, s.n_submissions)
        log(f"grading: {s.n_submissions} submissions ...")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(ROOT / "quizzes" / "manage.py"), "grade", "--course-dir", str(course)],
                              env=env, capture_output=True, text=True)
        grade_s = time.perf_counter() - start
        csv_path = course / "grades.csv"
        if not csv_path.is_file():
            raise RuntimeError(f"manage.py grade wrote no grades.csv (exit {proc.returncode}): "
                               f"{(proc.stdout + proc.stderr)[-2000:]}")
        with csv_path.open(newline="") as fh:
            got = {row["student_id"]: float(row["raw_score"] or 0) for row in csv.DictReader(fh)}
    correct = sum(1 for st, sc in expected.items() if got.get(st) == sc)
    per = grade_s / s.n_submissions
    projected = grade_s if s.n_submissions >= 100 else grade_s / s.n_submissions * 100
    rows = [{"what": "release (generate_assignment + key scan)", "value": f"{release_s:.1f} s"},
            {"what": f"`manage.py grade` on {s.n_submissions} submissions (autograde + feedback + CSV)",
             "value": f"{grade_s:.1f} s (exit {proc.returncode})"},
            {"what": "seconds per submission", "value": f"{per:.2f} s"},
            {"what": "scores equal to the expected score", "value": f"{correct} / {s.n_submissions}"}]
    if s.n_submissions < 100:
        rows.append({"what": "linear upper bound for 100 (includes the fixed start-up cost 100/n times)",
                     "value": f"{projected:.0f} s"})
    t = table("Grading generated submissions in a temporary copy of quizzes/",
              [column("what", "Quantity"), column("value", "Value")], rows,
              note="Mixed answers: right letters (some upper-case or padded with spaces), wrong letters, "
                   "invalid strings and blanks; each student's expected score is computed from the key.")
    measured = (f"{grade_s:.0f} s for {s.n_submissions}" if s.n_submissions >= 100
                else f"not measured: {s.n_submissions} graded in {grade_s:.1f} s (the goal needs 100; "
                     f"linear upper bound {projected:.0f} s)")
    checks = [check(f"100 submissions graded in <= {GRADING_GOAL_SECONDS:.0f} s", measured,
                    grade_s <= GRADING_GOAL_SECONDS if s.n_submissions >= 100 else None),
              check("every generated submission gets exactly its expected score", f"{correct} / {s.n_submissions}",
                    correct == s.n_submissions and proc.returncode == 0)]
    return {"checks": checks, "tables": [t], "notes": [],
            "summary": f"{s.n_submissions} submissions graded in {grade_s:.0f} s ({per:.2f} s each); "
                       f"{correct}/{s.n_submissions} scores as expected",
            "data": {"grade_seconds": _r(grade_s, 2), "release_seconds": _r(release_s, 2), "per_submission": _r(per),
                     "n": s.n_submissions, "scores_correct": correct, "projected_100": _r(projected, 1),
                     "returncode": proc.returncode}}


# ======================================================================================
# report
# ======================================================================================
def _fmt(value: Any, fmt: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, fmt)
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_table(t: dict[str, Any]) -> list[str]:
    cols = t["columns"]
    lines = [f"**{t['title']}**", "", "| " + " | ".join(_fmt(c["label"], "") for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for row in t["rows"]:
        lines.append("| " + " | ".join(_fmt(row.get(c["key"]), c["fmt"]) for c in cols) + " |")
    if t.get("note"):
        lines += ["", f"_{t['note']}_"]
    return lines + [""]


def headline(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per goal of every section: the table quoted in the README."""
    rows = []
    for sec in report["sections"]:
        for c in sec["checks"]:
            rows.append({"section": sec["title"].split(":")[0].split(". ", 1)[-1],
                         "goal": c["goal"], "measured": c["measured"], "met": met_text(c["met"])})
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    h = report["header"]
    m = h["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `benchmarks/run.py{' --quick' if h['mode'] == 'quick' else ''}` "
        f"({'QUICK mode: tiny epochs and subsets, a smoke test — not the benchmark' if h['mode'] == 'quick' else 'full mode, `make bench`'}). "
        "See `benchmarks/README.md` for what each section measures.",
        "",
        f"- **Date:** {h['date']} (sections measured {h['first_measured']} – {h['last_measured']})",
        f"- **Machine:** {m['cpu']}, {m['usable_cores']} usable cores ({m['logical_cores']} logical), "
        f"{m['ram_gib']} GiB RAM, {m['os']}",
        f"- **Load average at start (1/5/15 min):** {' / '.join(str(v) for v in m['load_average_1_5_15'])}"
        + (f"; at end: {' / '.join(str(v) for v in h['load_average_end'])}" if h.get("load_average_end") else ""),
        "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in h["versions"].items() if v),
        f"- **Commit:** {h.get('commit') or 'unknown'}"
        + (f" (notebooks with uncommitted changes when this was written: {', '.join(h['uncommitted_notebooks'])})"
           if h.get("uncommitted_notebooks") else ""),
        "- **Data:** " + ("; ".join(f"{k}: {v}" for k, v in h["data_sources"].items()) or "none loaded"),
        f"- **Run time:** {h['total_seconds']:.0f} s for the sections in this run",
    ]
    if h.get("busy_note"):
        lines.append(f"- **Note:** {h['busy_note']}")
    for note in h.get("notes", []):
        lines.append(f"- **Note:** {note}")
    lines += ["", "## Summary", "", "| Section | Goal | Result | Met |", "|---|---|---|---|"]
    for sec in report["sections"]:
        lines.append(f"| {_fmt(sec['title'].split(': ')[0], '')} | {_fmt(sec['goal'], '')} | "
                     f"{_fmt(sec.get('summary', ''), '')} | {'**NOT met**' if sec['met'] is False else sec['status']} |")
    lines += ["", "## Every check", "", "| Section | Goal | Measured | Met |", "|---|---|---|---|"]
    for r in headline(report):
        lines.append(f"| {_fmt(r['section'], '')} | {_fmt(r['goal'], '')} | {_fmt(r['measured'], '')} | "
                     f"{'**NOT met**' if r['met'] == 'NOT met' else r['met']} |")
    lines.append("")
    for sec in report["sections"]:
        lines += [f"## {sec['title']}", "",
                  f"**Goal:** {sec['goal']}.  ",
                  f"**Met:** {'**NOT met**' if sec['met'] is False else sec['status']} "
                  f"(measured {sec['measured_at']}, {sec['seconds']:.0f} s)", ""]
        if sec.get("error"):
            lines += ["```", sec["error"].strip(), "```", ""]
        if sec["checks"]:
            lines += ["| Goal | Measured | Met |", "|---|---|---|"]
            for c in sec["checks"]:
                lines.append(f"| {_fmt(c['goal'], '')} | {_fmt(c['measured'], '')} | "
                             f"{'**NOT met**' if c['met'] is False else met_text(c['met'])} |")
            lines.append("")
        for t in sec["tables"]:
            lines += render_table(t)
        for note in sec["notes"]:
            lines += [note if "\n" not in note else "```\n" + note.strip() + "\n```", ""]
    return "\n".join(lines).rstrip() + "\n"


# ======================================================================================
# driver
# ======================================================================================
def run_sections(s: Settings, sections: Sequence[str], work_dir: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Run the named sections (in a sensible order) and return their results and the data sources used."""
    sources: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}

    def guarded(sid: str, fn: Callable[[], dict[str, Any]]) -> None:
        log(f"section {sid}: start")
        start = time.perf_counter()
        try:
            out = fn()
            results[sid] = make_section(sid, out["checks"], out["tables"], out["notes"], out["data"],
                                        time.perf_counter() - start, summary=out.get("summary", ""))
        except Exception as exc:  # noqa: BLE001 - a failing section is reported, the others still run
            results[sid] = make_section(sid, [], [], seconds=time.perf_counter() - start,
                                        error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
        log(f"section {sid}: {results[sid]['status']} ({results[sid]['seconds']:.0f} s)")

    if "speed" in sections:
        guarded("speed", lambda: bench_speed(s, sources))
    if "memory" in sections or "course" in sections:
        runs: dict[str, dict[str, Any]] = {}
        start = time.perf_counter()
        for mode in s.notebook_modes:
            runs[mode] = run_notebooks(mode, s, work_dir)
        elapsed = time.perf_counter() - start
        for sid, fn in (("memory", bench_memory), ("course", bench_course)):
            if sid in sections:
                guarded(sid, lambda fn=fn: fn(runs, s))
                results[sid]["seconds"] = round(elapsed, 1)
    if "quality" in sections:
        guarded("quality", lambda: bench_quality(s, sources))
    if "grading" in sections:
        guarded("grading", lambda: bench_grading(s))
    return [results[sid] for sid in SECTION_ORDER if sid in results], sources


def build_report(s: Settings, sections: list[dict[str, Any]], sources: dict[str, str], machine: dict[str, Any],
                 total_seconds: float, notes: Sequence[str] = (), previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report dict; with ``previous`` (``--update``) its other sections and data sources are kept."""
    if previous is not None:
        fresh = {sec["id"] for sec in sections}
        kept = [sec for sec in previous.get("sections", []) if sec["id"] not in fresh]
        sections = sorted(kept + sections, key=lambda sec: SECTION_ORDER.index(sec["id"]))
        sources = {**previous.get("header", {}).get("data_sources", {}), **sources}
        notes = list(dict.fromkeys([*previous.get("header", {}).get("notes", []), *notes]))
    load_end = [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None
    stamps = sorted(sec["measured_at"] for sec in sections) or [_now()]
    header = {
        "date": _now(),
        "first_measured": stamps[0],
        "last_measured": stamps[-1],
        "mode": s.mode,
        "machine": machine,
        "load_average_end": load_end,
        "versions": versions(),
        "commit": git_commit(),
        "uncommitted_notebooks": uncommitted_notebooks(),
        "data_sources": sources,
        "course_data_dir": os.environ.get("COURSE_DATA_DIR"),
        "total_seconds": round(total_seconds, 1),
        "busy_note": busy_note(machine, load_end),
        "notes": list(notes),
        "settings": s.to_json(),
    }
    return {"header": header, "summary": [], "headline": [], "sections": sections}


def summary_from_data(sec: dict[str, Any]) -> str:
    """A section's one-line result rebuilt from its data (for reports written before sections had summaries)."""
    d, checks = sec.get("data") or {}, sec.get("checks") or []
    n_met = sum(1 for c in checks if c["met"])
    if sec["id"] == "speed" and "ratio" in d:
        bound = d["compute_bound_epoch_seconds"]
        ratio = "did not reach the target" if d["ratio"] is None else f"{d['ratio']:.2f} of the seed's time"
        return (f"fast recipe {ratio} to the seed's val BCE {d['target_val_loss']:.4f}; seed epoch "
                f"{d['seed_epoch_seconds']:.2f} s = {d['seed_epoch_seconds'] / bound:.0f}x the compute bound "
                f"({d['matmul_gflops']:.0f} GFLOP/s matmul)")
    if sec["id"] == "grading" and "grade_seconds" in d:
        return (f"{d['n']} submissions graded in {d['grade_seconds']:.0f} s ({d['per_submission']:.2f} s each); "
                f"{d['scores_correct']}/{d['n']} scores as expected")
    if sec["id"] == "quality":
        parts = [f"{n_met}/{len(checks)} checks met"]
        rows = d.get("mnist_rows")
        if rows:
            best = min((r for r in rows if r["code_size"] == 32 and r["variant"] != "pca"), key=lambda r: r["mse"])
            parts.append(f"best 32-d MNIST AE {best['vs_pca']:.2f}x PCA-32's MSE")
        rows = d.get("breast_cancer_rows")
        if rows:
            seed = rows[0]["vs_pca7"]
            fixed = [r["vs_pca7"] for r in rows if r["model"].startswith("repaired") and r["scaling"] == "training rows"]
            parts.append(f"breast cancer: seed {seed:.1f}x, repaired {fixed[-1]:.2f}x PCA-7" if fixed
                         else f"breast cancer: seed {seed:.1f}x PCA-7")
        aucs = d.get("anomaly_aucs")
        if aucs and "AE (repaired)" in aucs:
            mean = lambda k: sum(aucs[k]) / len(aucs[k])  # noqa: E731
            parts.append(f"anomaly AUC: repaired AE {mean('AE (repaired)'):.3f}, seed-recipe AE "
                         f"{mean('AE (seed recipe)'):.3f}, IsolationForest {mean('IsolationForest'):.3f}")
        table_ = d.get("denoising_psnr")
        if table_:
            margins = [f"{c.split('=')[1]}: {v[DENOISE_SETUPS['clean']] - max(v[m] for m in ('gaussian', 'median', 'tv', 'nlm')):+.1f}"
                       for c, v in table_.items() if c.startswith("Gaussian") and DENOISE_SETUPS["clean"] in v]
            if margins:
                parts.append("denoiser minus best filter (dB) at σ " + ", ".join(margins))
        gen = d.get("generative_rows")
        if gen:
            by = {r["samples"]: r for r in gen}
            vae = max((k for k in by if k.endswith("VAE samples")), key=lambda k: int(k.split("-")[0]), default=None)
            ae = by.get("plain AE: codes like real ones")
            if vae and ae:
                v = by[vae]
                wins = sum([v["mean_max_prob"] > ae["mean_max_prob"], v["mean_entropy"] < ae["mean_entropy"],
                            v["confident_fraction"] > ae["confident_fraction"],
                            v["nn_distance_mean"] < ae["nn_distance_mean"]])
                parts.append(f"{vae.split(' ')[0]} VAE beats plain AE on {wins}/4 sample measures")
        return "; ".join(parts)
    return f"{n_met}/{len(checks)} checks met: " + "; ".join(c["measured"] for c in checks[:2])


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per section (the table to quote in the README)."""
    for sec in report["sections"]:
        if not sec.get("summary"):
            sec["summary"] = summary_from_data(sec)
    return [{"section": sec["title"].split(": ")[0], "goal": sec["goal"], "result": sec["summary"],
             "met": sec["status"]} for sec in report["sections"]]


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    report["summary"] = summary_rows(report)
    report["headline"] = headline(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / "results.json", out_dir / "results.md"
    js.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
    md.write_text(render_markdown(report), encoding="utf-8")
    return md, js


def parse_sections(text: str | None) -> list[str]:
    if not text:
        return list(SECTION_ORDER)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in SECTION_ORDER]
    if unknown or not names:
        raise ValueError(f"--sections must be a comma-separated subset of {','.join(SECTION_ORDER)}, got {text!r}")
    return names


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Command line entry point; ``settings`` overrides the --quick/full presets (used by the tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="minutes: tiny epochs/subsets, fast-mode notebooks only")
    parser.add_argument("--sections", default=None, help=f"comma-separated subset of {','.join(SECTION_ORDER)}")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where results.md/json go (default benchmarks/; with --quick build/bench-quick/, "
                             "so a smoke run never overwrites the committed full results)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench",
                        help="executed notebooks and run-all JSON (default build/bench/)")
    parser.add_argument("--update", action="store_true",
                        help="keep the other sections of an existing results.json and replace only those run now")
    parser.add_argument("--merge", nargs="+", type=Path, default=None, metavar="RESULTS_JSON",
                        help="run nothing: combine the sections of these results.json files (later files win) "
                             "into --out-dir's report, e.g. sections measured by separate runs")
    parser.add_argument("--notebooks", nargs="+", type=Path, default=None, help="notebooks for sections 2 and 5")
    parser.add_argument("--submissions", type=int, default=None, help="number of generated quiz submissions")
    parser.add_argument("--note", action="append", default=[], help="a note for the report header (repeatable)")
    args = parser.parse_args(argv)
    if args.out_dir is None:
        args.out_dir = ROOT / "build" / "bench-quick" if args.quick else BENCH_DIR
    sections = parse_sections(args.sections)
    s = settings or (quick_settings() if args.quick else full_settings())
    if args.notebooks is not None:
        s = replace(s, notebooks=[str(p) for p in args.notebooks])
    if args.submissions is not None:
        if args.submissions < 1:
            raise ValueError(f"--submissions must be a positive integer, got {args.submissions}")
        s = replace(s, n_submissions=args.submissions)

    saved = {k: os.environ.get(k) for k in ("COURSE_OFFLINE", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")}
    os.environ["COURSE_OFFLINE"] = "1"  # a benchmark never downloads
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        return _run(args, s, sections)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def merge_reports(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One report from several (later reports' sections, data sources and notes win)."""
    if not reports:
        raise ValueError("merge_reports needs at least one report")
    merged = json.loads(json.dumps(reports[0]))
    for other in reports[1:]:
        fresh = {sec["id"]: sec for sec in other["sections"]}
        kept = [sec for sec in merged["sections"] if sec["id"] not in fresh]
        merged["sections"] = sorted(kept + list(fresh.values()), key=lambda sec: SECTION_ORDER.index(sec["id"]))
        h, oh = merged["header"], other["header"]
        h["data_sources"] = {**h.get("data_sources", {}), **oh.get("data_sources", {})}
        h["notes"] = list(dict.fromkeys([*h.get("notes", []), *oh.get("notes", [])]))
        h["total_seconds"] = round(h.get("total_seconds", 0) + oh.get("total_seconds", 0), 1)
        h["load_average_end"] = oh.get("load_average_end")
        h["busy_note"] = h.get("busy_note") or oh.get("busy_note")
        if oh.get("mode") != h.get("mode"):
            h["mode"] = "mixed"
    stamps = sorted(sec["measured_at"] for sec in merged["sections"]) or [_now()]
    merged["header"].update(date=_now(), first_measured=stamps[0], last_measured=stamps[-1],
                            commit=git_commit(), uncommitted_notebooks=uncommitted_notebooks())
    return merged


def _run(args: argparse.Namespace, s: Settings, sections: list[str]) -> int:
    if args.merge:
        missing = [p for p in args.merge if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"--merge: no such results file: {', '.join(map(str, missing))}")
        report = merge_reports([json.loads(p.read_text()) for p in args.merge])
        report["header"]["notes"] = list(dict.fromkeys([*report["header"].get("notes", []), *args.note]))
        md, js = write_report(report, args.out_dir)
        log(f"merged {len(args.merge)} reports into {md} and {js}")
        return 0
    machine = machine_info()
    log(f"{s.mode} mode, sections {','.join(sections)}; machine: {machine['cpu']}, "
        f"{machine['usable_cores']} cores, load {machine['load_average_1_5_15']}")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results, sources = run_sections(s, sections, args.work_dir)
    previous = None
    if args.update:  # read now, not at the start: another run may have written it meanwhile
        js = args.out_dir / "results.json"
        if not js.is_file():
            raise FileNotFoundError(f"--update needs an existing {js}")
        previous = json.loads(js.read_text())
    report = build_report(s, results, sources, machine, time.perf_counter() - start, args.note, previous)
    md, js = write_report(report, args.out_dir)
    log(f"wrote {md} and {js} in {report['header']['total_seconds']:.0f} s")
    for r in report["summary"]:
        log(f"  {r['met']:<13} {r['section']}: {r['result']}")
    return 1 if any(sec.get("error") for sec in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""What a benchmark run measures and how big: the sections, their goals, and the two presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"

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
# tools/run_notebooks.py reports MB (10**6 bytes, as course_utils.runtime.peak_rss_mb does);
# the memory goal is 1.0 GiB = 2**30 bytes.
GIB_MB = 2**30 / 1e6
MNIST_VARIANTS = ("deep", "conv", "sparse", "overcomplete", "overcomplete_noise", "overcomplete_l1")


@dataclass
class Settings:
    """Sizes and epochs of one benchmark run (see :func:`full_settings`, :func:`quick_settings`)."""

    mode: str = "full"
    work_dir: str = str(ROOT / "build" / "bench")  # executed notebooks and run-all JSON
    # 1. speed
    speed_n_train: int | None = None  # None: every training image load_mnist gives
    speed_n_val: int | None = None
    seed_epochs: int = 50  # the seed's recipe
    fast_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 9, "warmup_epochs": 2, "decay_epochs": 4})
    matmul_size: int = 2048
    matmul_repeats: int = 10
    # 2./5. notebooks
    notebooks: list[str] | None = None  # None: notebooks/[0-9][0-9]_*.ipynb
    notebook_modes: tuple[str, ...] = ("fast", "student")
    notebook_timeout: int = 1800  # seconds per cell
    # 3. quality
    mnist_n_train: int | None = None
    mnist_n_test: int | None = None
    mnist_variants: tuple[str, ...] = MNIST_VARIANTS  # besides the seed model (always trained)
    variant_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 9, "warmup_epochs": 2, "decay_epochs": 4})
    bc_seed_epochs: int = 50  # the seed's epochs (and passes of the seed-recipe anomaly AE)
    bc_passes: int = 300  # lesson 03's repaired recipe
    anomaly_splits: int = 6  # random_state 42, then 1 .. n-1 (lesson 03)
    denoise_size: int = 28
    denoise_conditions: tuple[str, ...] = (
        "Gaussian σ=0.1",
        "Gaussian σ=0.2",
        "Gaussian σ=0.3",
        "Poisson 25 photons",
        "Salt & pepper 10%",
    )
    denoise_epochs: int = 16
    denoise_repeats: int = 4  # copies of the training images per epoch, each with new noise
    denoise_filters: tuple[int, ...] = (16, 32)
    denoise_setups: tuple[str, ...] = ("same", "clean", "n2n")
    filter_grid: str = "default"  # "default" (baselines.DEFAULT_GRIDS) or "small"
    filter_max_images: int = 64
    gen_n_train: int | None = 10_000  # lesson 05 asks for 10k (fewer if the source has fewer)
    gen_n_test: int | None = 2_000
    gen_ae_recipe: dict[str, Any] = field(default_factory=lambda: {"epochs": 8, "warmup_epochs": 2, "decay_epochs": 3})
    vae_latents: tuple[int, ...] = (2, 8)
    vae_epochs: int = 25
    classifier_epochs: int = 6
    n_generated: int = 1000
    # 4. grading
    n_submissions: int = 100

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON values (tuples as lists; the work folder is not a setting of the report)."""
        out = asdict(self)
        out.pop("work_dir")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


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


def parse_sections(text: str | None) -> list[str]:
    """``--sections a,b``: the named sections (all of them for None or "")."""
    if not text:
        return list(SECTION_ORDER)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in SECTION_ORDER]
    if unknown or not names:
        raise ValueError(f"--sections must be a comma-separated subset of {','.join(SECTION_ORDER)}, got {text!r}")
    return names

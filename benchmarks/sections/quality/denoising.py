"""Section 3, lesson 04: denoising medical images -- PSNR/SSIM of every classical filter (tuned on
validation images) and of each autoencoder set-up (the original step 5, noisy -> clean, Noise2Noise)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import baselines, data, metrics, models, training

from ...report import check, column, log, table
from ...settings import Settings

# Smaller search grids of the classical filters for --quick.
SMALL_GRIDS = {
    "gaussian": {"sigma": [0.5, 1.0, 1.5]},
    "median": {"size": [3, 5]},
    "tv": {"weight": [0.05, 0.1, 0.2]},
    "nlm": {"h_factor": [0.6, 1.0]},
}


# --------------------------------------------------------------------------------------
# Lesson code, copied from lesson 04 (evaluation conditions, training noise mixture, the
# three training set-ups). To be replaced by imports from course_utils.lessons when the lesson
# exports them.
# --------------------------------------------------------------------------------------
# The evaluation conditions, and the training mixture (kind, lowest, highest level, probability).
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
    if setup not in DENOISE_SETUPS:
        raise ValueError(f"setup must be one of {sorted(DENOISE_SETUPS)}, got {setup!r}")

    def draw(rng: Any) -> tuple[str, float]:
        i = rng.choice(len(NOISE_MIXTURE), p=[p for *_, p in NOISE_MIXTURE])
        kind, lo, hi, _ = NOISE_MIXTURE[i]
        return kind, float(rng.uniform(lo, hi))

    def corrupt(clean: Any, rng: Any, settings: list[tuple[str, float]]) -> Any:
        return np.stack(
            [
                data.add_noise(img, kind, level, seed=int(rng.integers(2**31)))
                for img, (kind, level) in zip(clean, settings)
            ]
        )

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


# --------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------
def run(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """PSNR/SSIM of every classical filter (tuned on validation images) and autoencoder set-up (lesson 04)."""
    d = data.load_medical_images(size=s.denoise_size, verbose=False)
    shape = d.x_train.shape[1:]
    conditions = {c: v for c, v in DENOISE_CONDITIONS.items() if c in s.denoise_conditions}
    x_epoch = np.concatenate([d.x_train] * s.denoise_repeats)
    autoencoders = {}
    for key in s.denoise_setups:
        log(f"quality/denoising: training {DENOISE_SETUPS[key]} ...")
        model = models.build_conv_denoiser(shape, filters=s.denoise_filters, loss="mae", learning_rate=2e-3, seed=1)
        start = time.perf_counter()
        training.train(
            model, x_epoch, epochs=s.denoise_epochs, batch_size=32, transform=denoise_pairs(key), seed=1, verbose=0
        )
        autoencoders[key] = (model, time.perf_counter() - start)
    rows, checks = [], []
    psnr_table: dict[str, dict[str, float]] = {}
    classical = ("gaussian", "median", "tv", "nlm")

    def score(cond: str, here: dict[str, dict[str, Any]], method: str, out: Any, setting: str = "") -> None:
        out = np.clip(np.asarray(out, dtype="float32"), 0.0, 1.0)
        row = {
            "condition": cond,
            "method": method,
            "setting": setting,
            "mse": float(np.mean((out - d.x_test) ** 2)),
            "psnr": float(np.mean(metrics.psnr(d.x_test, out))),
            "ssim": float(np.mean(metrics.ssim(d.x_test, out))),
        }
        rows.append(row)
        here[method] = row
        psnr_table.setdefault(cond, {})[method] = row["psnr"]

    for i, (cond, (kind, level)) in enumerate(DENOISE_CONDITIONS.items()):
        if cond not in conditions:
            continue
        noisy_val = data.add_noise(d.x_val, kind, level, seed=100 + i)
        noisy_test = data.add_noise(d.x_test, kind, level, seed=200 + i)
        here: dict[str, dict[str, Any]] = {}
        score(cond, here, "noisy input", noisy_test)
        log(f"quality/denoising: {cond}: tuning classical filters ...")
        for method in classical:
            grid = SMALL_GRIDS[method] if s.filter_grid == "small" else None
            params, _ = baselines.tune_filter(method, noisy_val, d.x_val, grid, max_images=s.filter_max_images)
            shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
            score(cond, here, method, baselines.denoise(noisy_test, method, **params), f"tuned on val: {shown}")
        for key, (model, secs) in autoencoders.items():
            score(
                cond,
                here,
                DENOISE_SETUPS[key],
                model.predict(noisy_test, batch_size=64, verbose=0),
                f"{s.denoise_epochs} epochs x {s.denoise_repeats}, {secs:.0f} s",
            )
        best_c = max((here[m] for m in classical), key=lambda r: r["psnr"])
        noisy = here["noisy input"]
        if "clean" in autoencoders and kind == "gaussian":
            ae = here[DENOISE_SETUPS["clean"]]
            margin = ae["psnr"] - best_c["psnr"]
            checks.append(
                check(
                    f"{cond}: noisy->clean AE >= 1.5 dB above the best classical filter (PSNR, test)",
                    f"{ae['psnr']:.2f} dB vs {best_c['method']} {best_c['psnr']:.2f} dB ({margin:+.2f} dB)",
                    margin >= 1.5,
                )
            )
        if "same" in autoencoders:
            same = here[DENOISE_SETUPS["same"]]
            gain = same["psnr"] - noisy["psnr"]
            checks.append(
                check(
                    f"{cond}: the seed's step 5 (noisy -> same noisy) acts as the identity (|PSNR change| < 0.5 dB)",
                    f"{gain:+.2f} dB",
                    abs(gain) < 0.5,
                )
            )
        if "n2n" in autoencoders and "clean" in autoencoders:
            gap = here[DENOISE_SETUPS["clean"]]["psnr"] - here[DENOISE_SETUPS["n2n"]]["psnr"]
            checks.append(
                check(f"{cond}: Noise2Noise within 1 dB of noisy->clean (PSNR)", f"gap {gap:+.2f} dB", gap <= 1.0)
            )
    t = table(
        f"Denoising {shape[0]}x{shape[1]} medical images: test MSE, PSNR (dB) and SSIM "
        f"({len(d.x_train)} train / {len(d.x_val)} val / {len(d.x_test)} test images)",
        [
            column("condition", "Noise"),
            column("method", "Method"),
            column("setting", "Setting"),
            column("mse", "MSE", ".4f"),
            column("psnr", "PSNR dB", ".2f"),
            column("ssim", "SSIM", ".3f"),
        ],
        rows,
        note=f"Recipe of lesson 04. Data: {d.source}. Classical filters tuned for mean PSNR on "
        f"{s.filter_max_images} noisy validation images per condition (baselines.tune_filter, "
        f"{s.filter_grid} grids). Each autoencoder set-up is one blind model for all conditions: "
        f"conv denoiser {tuple(s.denoise_filters)}, MAE, Adam 2e-3, batch 32, flips + fresh noise from "
        "the mixture (Gaussian 0.05-0.35, Poisson, salt & pepper) every batch.",
    )
    margins = [
        f"{c.split('=')[1]}: {psnr_table[c][DENOISE_SETUPS['clean']] - max(psnr_table[c][m] for m in classical):+.1f}"
        for c in psnr_table
        if c.startswith("Gaussian") and DENOISE_SETUPS["clean"] in psnr_table[c]
    ]
    summary = ("denoiser minus best filter (dB) at σ " + ", ".join(margins)) if margins else "denoising measured"
    return t, checks, {"denoising_psnr": psnr_table, "summary": summary, "sources": {"medical_images": d.source}}

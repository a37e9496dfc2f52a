"""Section 6 -- denoising medical images: lesson 04's comparison, run by lesson 04's own code.

``course_utils.lessons.medical_image_denoising.denoising_table`` (exported from the lesson's last
``#@save`` cell) trains the bottleneck and the residual (skip-connection) denoiser noisy -> clean,
tunes the Gaussian, median, TV and NL-means filters on validation images, and scores everything on
the test images with 95 % bootstrap intervals.  This module only sizes the call, checks issue 16's
target and lays out the tables; it runs on whatever ``course_utils.data.load_medical_images`` finds
(the chest X-rays with ``COURSE_DATA_DIR``, else the MRI fallback) and names it.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from course_utils import data
from course_utils.lessons.medical_image_denoising import CONDITIONS, denoising_table

from ..report import check, column, log, table
from ..settings import DENOISE_GAIN_GOAL_DB, Settings


def interval(mean: float, low: float, high: float, fmt: str = ".2f") -> str:
    """``mean [low, high]`` as text (the 95 % bootstrap interval)."""
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def run(s: Settings) -> dict[str, Any]:
    """Section 6: lesson 04's denoising_table on the medical images the loader finds."""
    tf.get_logger().setLevel("ERROR")  # retracing warnings of every new small model stay out of the log
    med = data.load_medical_images(size=s.denoise_size, verbose=False)
    log(
        f"denoising: {med.source}: {len(med.x_train)} train / {len(med.x_val)} val / {len(med.x_test)} test images; "
        f"lesson 04's denoising_table on {s.denoise_n_train} training images, {s.denoise_epochs} x "
        f"{s.denoise_batches} steps ..."
    )
    out = denoising_table(
        med,
        n_train=s.denoise_n_train,
        epochs=s.denoise_epochs,
        batches=s.denoise_batches,
        batch_size=s.denoise_batch_size,
        tune_images=s.denoise_tune_images,
        slow_filter_images=s.denoise_slow_filter_images,
        n_test=s.denoise_n_test,
        n_boot=s.denoise_n_boot,
    )
    denoisers = list(out["train_seconds"])
    rows = {(r["condition"], r["method"]): r for r in out["rows"]}
    gains = {(g["condition"], g["method"]): g for g in out["gains"] if g["images"] == "all"}

    def psnr(condition: str, method: str) -> str:
        r = rows[condition, method]
        return interval(r["PSNR"], r["PSNR low"], r["PSNR high"])

    headline, checks, per_noise = [], [], {}
    for condition in CONDITIONS:
        best = out["best_filter"][condition]
        row = {"condition": condition, "best_filter": best, "best_filter_psnr": psnr(condition, best)}
        per_noise[condition] = {
            "best_filter": best,
            "noisy_input": _numbers(rows[condition, "noisy input"]),
            best: _numbers(rows[condition, best]),
        }
        for i, name in enumerate(denoisers):
            g = gains[condition, name]
            row[f"psnr_{i}"] = psnr(condition, name)
            row[f"gain_{i}"] = interval(g["gain (dB)"], g["gain low"], g["gain high"], "+.2f")
            per_noise[condition][name] = {
                **_numbers(rows[condition, name]),
                "gain_db": g["gain (dB)"],
                "gain_low": g["gain low"],
                "gain_high": g["gain high"],
            }
        headline.append(row)
        if CONDITIONS[condition][0] == "gaussian":
            top = max(denoisers, key=lambda name: gains[condition, name]["gain (dB)"])
            g = gains[condition, top]
            checks.append(
                check(
                    f"{condition}: the best denoiser >= {DENOISE_GAIN_GOAL_DB} dB PSNR above the best tuned filter, "
                    "95 % interval above 0 dB (test images)",
                    f"{top}: {g['gain (dB)']:+.2f} dB [{g['gain low']:+.2f}, {g['gain high']:+.2f}] over {best}",
                    g["gain (dB)"] >= DENOISE_GAIN_GOAL_DB and g["gain low"] > 0,
                )
            )
    sizes = f"{out['n_train']} training / {len(med.x_val)} validation / {out['n_test']} test images"
    recipe = (
        f"Lesson 04's denoising_table: each denoiser trained noisy -> clean on {out['n_train']} training images "
        f"for {s.denoise_epochs} epochs x {s.denoise_batches} steps of {s.denoise_batch_size} images (fresh noise "
        f"every batch); filters tuned on {s.denoise_tune_images} noisy validation images per noise; the best filter "
        f"of each noise is chosen on validation. Intervals: 95 % bootstrap over the test images "
        f"({s.denoise_n_boot} resamples; gains paired image by image). Data: {med.source}."
    )
    columns = [column("condition", "Noise"), column("best_filter", "Best filter (chosen on val)")]
    columns.append(column("best_filter_psnr", "Best filter PSNR dB [95 % CI]"))
    for i, name in enumerate(denoisers):
        columns.append(column(f"psnr_{i}", f"{name} PSNR dB [95 % CI]"))
    for i, name in enumerate(denoisers):
        columns.append(column(f"gain_{i}", f"{name} gain over best filter dB [95 % CI]"))
    t1 = table(f"PSNR of each denoiser and of the best tuned filter ({sizes})", columns, headline, note=recipe)
    every = [
        {
            "condition": r["condition"],
            "method": r["method"],
            "n": r["n"],
            "mse": interval(r["MSE"], r["MSE low"], r["MSE high"], ".4f"),
            "psnr": interval(r["PSNR"], r["PSNR low"], r["PSNR high"]),
            "ssim": interval(r["SSIM"], r["SSIM low"], r["SSIM high"], ".3f"),
        }
        for r in out["rows"]
    ]
    t2 = table(
        "Every method: test MSE, PSNR (dB) and SSIM, mean [95 % bootstrap interval]",
        [
            column("condition", "Noise"),
            column("method", "Method"),
            column("n", "Test images"),
            column("mse", "MSE"),
            column("psnr", "PSNR dB"),
            column("ssim", "SSIM"),
        ],
        every,
        note="TV and NL-means are scored on the first test images only (slow) unless they are the best filter.",
    )
    notes = [f"Data: {med.source} ({sizes})."]
    if "X-ray" not in med.source:
        notes.append(
            "Offline fallback: slices of ONE brain (an MRI template); the test slices come from the same person as "
            "the training slices, so these numbers do not show generalisation to new patients."
        )
    gaussian = [c for c in CONDITIONS if CONDITIONS[c][0] == "gaussian"]
    best_gain = {c: max(per_noise[c][n]["gain_db"] for n in denoisers) for c in gaussian}
    summary = (
        f"{'X-rays' if 'X-ray' in med.source else 'MRI fallback'}, {out['n_test']} test images: best denoiser minus "
        "best filter at σ " + ", ".join(f"{c.split('=')[1]}: {g:+.2f} dB" for c, g in best_gain.items())
    )
    data_out = {
        "data_source": med.source,
        "n_train": out["n_train"],
        "n_val": len(med.x_val),
        "n_test": out["n_test"],
        "best_filter": out["best_filter"],
        "train_seconds": out["train_seconds"],
        "psnr_by_noise": per_noise,
        "rows": out["rows"],
        "gains": out["gains"],
    }
    return {
        "checks": checks,
        "tables": [t1, t2],
        "notes": notes,
        "data": data_out,
        "summary": summary,
        "sources": {"medical_images": med.source},
    }


def _numbers(row: dict[str, Any]) -> dict[str, float]:
    """PSNR / SSIM / MSE means and intervals of one score row, under JSON-friendly keys."""
    out = {}
    for metric in ("PSNR", "SSIM", "MSE"):
        key = metric.lower()
        out[key], out[key + "_low"], out[key + "_high"] = row[metric], row[metric + " low"], row[metric + " high"]
    return out

"""Section 6 -- denoising medical images: lesson 04's comparison, run by lesson 04's own code.

``course_utils.lessons.medical_image_denoising.denoising_table`` (exported from the lesson's ``#@save``
cells) trains the bottleneck and the residual denoiser noisy -> clean for the lesson's short budget, tunes
the Gaussian, median, TV and NL-means filters and BM3D (told the true noise level) on validation images,
and scores them and the pretrained denoiser (``course_utils.pretrained.denoiser()``, made by
``make weights`` from the same code) on the test images with paired 95 % bootstrap intervals, per class
for the X-rays.  It also re-runs the first epochs of ``make weights`` with the card's seed and compares the
validation PSNR with the card's curve (reproducibility).  Runs on whatever ``load_medical_images`` finds
(the chest X-rays with ``COURSE_DATA_DIR``, else the MRI fallback) and names it.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from course_utils import baselines, data, pretrained, sources
from course_utils.lessons.medical_image_denoising import CONDITIONS, denoising_table
from course_utils.pretrained import train

from ..report import check, log, table
from ..settings import (
    DENOISE_GAIN_GOAL_DB,
    DENOISE_GAIN_LOW_GOAL_DB,
    DENOISE_GAIN_STRETCH_DB,
    DENOISE_REPRO_DB,
    Settings,
)
from . import result

PRETRAINED = "pretrained residual"


def interval(mean: float, low: float, high: float, fmt: str = ".2f") -> str:
    """``mean [low, high]`` as text (the 95 % bootstrap interval)."""
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def _data_file(size: int) -> str | None:
    """SHA-256 of the X-ray file the loader reads (None for the MRI fallback)."""
    name = sources.PNEUMONIAMNIST_FILES[size][0]
    found = next((p for p in sources.pneumonia_candidates(name) if p.is_file()), None)
    return None if found is None else pretrained.file_sha256(found)


def reproducibility(med: data.ImageData, card: dict[str, Any], epochs: int) -> dict[str, Any]:
    """Re-run the first ``epochs`` of ``make weights`` (same code, seed and schedule) on ``med``'s training
    split; compare the validation PSNR after each epoch with the card's curve."""
    t = card["training"]
    _, curve, _ = train.train(
        med.x_train,
        med.x_val,
        filters=card["builder_kwargs"]["filters"],
        epochs=t["epochs"],
        batches=t["batches"],
        batch_size=t["batch_size"],
        learning_rate=t["learning_rate"],
        seed=t["seed"],
        stop_after=epochs,
        verbose=0,
    )
    rows = []
    for again, before in zip(curve, card["validation"]["curve"], strict=False):
        rows.append(
            {
                "epoch": again["epoch"],
                "card": before["mean"],
                "rerun": again["mean"],
                "diff": again["mean"] - before["mean"],
                "seconds": again["seconds"],
            }
        )
    return {"rows": rows, "max_abs_diff": max(abs(r["diff"]) for r in rows)}


def run(s: Settings) -> dict[str, Any]:
    """Section 6: lesson 04's denoising_table with the pretrained model and BM3D, on the images the loader finds."""
    tf.get_logger().setLevel("ERROR")  # retracing warnings of every new small model stay out of the log
    med = data.load_medical_images(size=s.denoise_size, verbose=False)
    card = pretrained.card()
    model = pretrained.denoiser()
    has_bm3d = baselines.bm3d_available() and s.denoise_bm3d_images != 0
    log(
        f"denoising: {med.source}: {len(med.x_train)} train / {len(med.x_val)} val / {len(med.x_test)} test images; "
        f"short runs of {s.denoise_epochs} x {s.denoise_batches} steps, the pretrained model, BM3D "
        f"{'on ' + str(s.denoise_bm3d_images or 'all') + ' test images' if has_bm3d else 'skipped'} ..."
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
        pretrained_model=model,
        bm3d_images=s.denoise_bm3d_images,
        bm3d_tune_images=s.denoise_bm3d_tune_images,
        bm3d_factors=s.denoise_bm3d_factors,
    )
    is_xray = "X-ray" in med.source
    same_file = is_xray and _data_file(s.denoise_size) == card["data"]["sha256"]
    seen = (
        "the weights were trained on this file's training split; its test split was never seen"
        if same_file
        else "these X-rays come from another file than the weights' training data: never seen in training"
        if is_xray
        else "MRI fallback: the X-ray weights meet another modality (domain shift)"
    )
    denoisers = [*out["train_seconds"], PRETRAINED]
    rows = {(r["condition"], r["method"]): r for r in out["rows"]}
    heads = {(g["condition"], g["method"], g["images"]): g for g in out["headline"]}
    gains = {(g["condition"], g["method"]): g for g in out["gains"] if g["images"] == "all"}

    def psnr(condition: str, method: str) -> str:
        r = rows[condition, method]
        return interval(r["PSNR"], r["PSNR low"], r["PSNR high"])

    def gain_text(g: dict[str, Any]) -> str:
        return interval(g["gain (dB)"], g["gain low"], g["gain high"], "+.2f") + f" dB (n={g['n']})"

    head_rows, checks, per_noise = [], [], {}
    for condition in CONDITIONS:
        ref = out["best_classical"][condition]
        g = heads[condition, PRETRAINED, "all"]
        row = {
            "condition": condition,
            "reference": ref,
            "ref_psnr": psnr(condition, ref),
            "pre_psnr": psnr(condition, PRETRAINED),
            "gain": gain_text(g),
            "short_gain": gain_text(heads[condition, "residual noisy→clean", "all"]),
        }
        for group in ("normal", "pneumonia"):
            if (condition, PRETRAINED, group) in heads:
                row[group] = gain_text(heads[condition, PRETRAINED, group])
        head_rows.append(row)
        per_noise[condition] = {
            "best_classical": ref,
            "best_filter": out["best_filter"][condition],
            "gain_db": g["gain (dB)"],
            "gain_low": g["gain low"],
            "gain_high": g["gain high"],
            "n": g["n"],
            "by_class": {
                k[2]: {"gain_db": v["gain (dB)"], "gain_low": v["gain low"], "gain_high": v["gain high"], "n": v["n"]}
                for k, v in heads.items()
                if k[0] == condition and k[1] == PRETRAINED
            },
        }
        stretch = DENOISE_GAIN_STRETCH_DB.get(condition, 3.5)
        checks.append(
            check(
                f"{condition}: pretrained >= +{DENOISE_GAIN_GOAL_DB} dB over the best classical method chosen on "
                f"validation, interval's lower end >= +{DENOISE_GAIN_LOW_GOAL_DB} dB (beyond: +{stretch} dB)",
                f"{gain_text(g)} over {ref}" + (" — beyond goal met" if g["gain (dB)"] >= stretch else ""),
                g["gain (dB)"] >= DENOISE_GAIN_GOAL_DB and g["gain low"] >= DENOISE_GAIN_LOW_GOAL_DB,
            )
        )
    columns = [
        ("condition", "Noise"),
        ("reference", "Best classical (chosen on val)"),
        ("ref_psnr", "Its PSNR dB [95 % CI]"),
        ("pre_psnr", "Pretrained PSNR dB [95 % CI]"),
        ("gain", "Pretrained gain dB [95 % CI]"),
        ("short_gain", "Lesson's short run gain dB"),
    ]
    if is_xray:
        columns += [("normal", "Gain on normal X-rays"), ("pneumonia", "Gain on pneumonia X-rays")]
    bm3d_note = (
        f"BM3D told the true noise level (Gaussian σ, or the photon count through the Anscombe transform), its "
        f"factor tuned on {s.denoise_bm3d_tune_images} validation images, scored on "
        f"{s.denoise_bm3d_images or 'all'} test images"
        if has_bm3d
        else "BM3D NOT included (the bm3d package is not installed, or the run skipped it): the reference is the "
        "best of the four filters only"
    )
    recipe = (
        f"Pretrained: {card['builder']}{tuple(card['builder_kwargs']['filters'])}, {card['training']['steps']:,} steps "
        f"of {card['training']['batch_size']} (make weights, card of {card['created']}); blind (never told the level). "
        f"{bm3d_note}. Gains paired image by image over the images both methods were scored on; 95 % bootstrap "
        f"intervals ({s.denoise_n_boot} resamples) cover the choice of test images, not training randomness. {seen}."
    )
    t1 = table(f"Pretrained denoiser vs the best classical method ({med.source})", columns, head_rows, note=recipe)
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
            ("condition", "Noise"),
            ("method", "Method"),
            ("n", "Test images"),
            ("mse", "MSE"),
            ("psnr", "PSNR dB"),
            ("ssim", "SSIM"),
        ],
        every,
        note="TV and NL-means are scored on the first test images only (slow) unless they are the best filter; "
        "BM3D on the number the first table names.",
    )
    curve_rows = [
        {
            "steps": r["steps"],
            "images": r["steps"] * card["training"]["batch_size"],
            "seconds": r["seconds"],
            "mean": f"{r['mean']:.2f}",
            **{f"c{i}": f"{r['psnr'][c]:.2f}" for i, c in enumerate(CONDITIONS)},
        }
        for r in card["validation"]["curve"]
        if r["epoch"] in {1, 2, 4, 8, 15, 30, card["training"]["epochs"], card["validation"]["best_epoch"]}
    ]
    t3 = table(
        "What longer training buys: validation PSNR (dB) of `make weights` against training steps (from the card)",
        [
            ("steps", "Steps"),
            ("images", "Noisy images seen"),
            ("seconds", "Seconds"),
            ("mean", "Mean"),
        ]
        + [(f"c{i}", c) for i, c in enumerate(CONDITIONS)],
        curve_rows,
        note=f"Best epoch {card['validation']['best_epoch']} kept. Training took {card['training']['seconds']} s on "
        f"{card['training']['machine']}.",
    )
    tables = [t1, t2, t3]
    repro = None
    if s.denoise_repro_epochs and same_file:
        repro = reproducibility(med, card, s.denoise_repro_epochs)
        checks.append(
            check(
                f"`make weights` reproducible: validation PSNR of a re-run of the first {s.denoise_repro_epochs} "
                f"epochs within {DENOISE_REPRO_DB} dB of the card's",
                ", ".join(f"epoch {r['epoch']}: {r['rerun']:.3f} vs {r['card']:.3f} dB" for r in repro["rows"]),
                repro["max_abs_diff"] <= DENOISE_REPRO_DB,
            )
        )
    summary = (
        f"{'X-rays' if is_xray else 'MRI fallback'}, {out['n_test']} test images: pretrained minus best classical "
        "(BM3D included) " + ", ".join(f"{c}: {per_noise[c]['gain_db']:+.2f} dB" for c in CONDITIONS)
    )
    notes = [f"Data: {med.source}; {seen}."]
    if not is_xray:
        notes.append("Offline fallback: slices of ONE brain (an MRI template); the X-ray weights never saw an MRI.")
    data_out = {
        "data_source": med.source,
        "same_file_as_weights": same_file,
        "n_train": out["n_train"],
        "n_val": len(med.x_val),
        "n_test": out["n_test"],
        "best_filter": out["best_filter"],
        "best_classical": out["best_classical"],
        "bm3d": out["bm3d"],
        "denoisers": denoisers,
        "train_seconds": out["train_seconds"],
        "pretrained_vs_best_classical": per_noise,
        "gains_over_best_filter": {f"{c} | {m}": g["gain (dB)"] for (c, m), g in gains.items()},
        "rows": out["rows"],
        "headline": out["headline"],
        "reproducibility": repro,
    }
    return result(checks, tables, summary, notes=notes, data=data_out, sources={"medical_images": med.source})

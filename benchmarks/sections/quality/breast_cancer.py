"""Section 3, lesson 03: the breast-cancer table -- the original model, the repaired model and PCA-7
(validation MSE), and anomaly detection over repeated splits (ROC AUC).

The models, their trainer and the anomaly detectors are lesson 03's own code
(``course_utils.lessons.breast_cancer_autoencoder``); only the epochs come from the settings.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from course_utils import baselines, data, metrics
from course_utils.lessons.breast_cancer_autoencoder import (
    DETECTORS,
    ORIGINAL_RECIPE,
    REPAIRED_RECIPE,
    anomaly_scores,
    build_original_autoencoder,
    build_repaired_autoencoder,
    fit_rows,
    reconstruction_errors,
)

from ...report import check, log, table
from ...settings import Settings


def recipes(s: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lesson 03's ORIGINAL_RECIPE and REPAIRED_RECIPE with the settings' epochs."""
    return {**ORIGINAL_RECIPE, "epochs": s.bc_original_epochs}, {**REPAIRED_RECIPE, "epochs": s.bc_repaired_epochs}


def _recipe_text(recipe: dict[str, Any]) -> str:
    return f"{recipe['epochs']} epochs, batch {recipe['batch_size']}, Adam {recipe['learning_rate']:g}" + (
        ", cosine decay to 0" if recipe["schedule"] == "cosine" else ""
    )


def run_reconstruction(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Validation MSE of the original breast-cancer model, the repaired model and PCA-7 (lesson 03)."""
    seed_split = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="all", verbose=False)
    honest = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="train", verbose=False)
    rows = []

    def add(model: str, scaling: str, mse: float, seconds: float | None) -> float:
        rows.append({"model": model, "scaling": scaling, "val_mse": mse, "train_seconds": seconds})
        return mse

    original_recipe, repaired_recipe = recipes(s)
    original_name = f"original model (ReLU 15-7-15, sigmoid output; {_recipe_text(original_recipe)})"
    repaired_name = f"repaired model (ELU 32, linear 7-d code, sigmoid output; {_recipe_text(repaired_recipe)})"
    pca_mse, original_mse, repaired_mse = {}, {}, {}
    for scaling, split in (("all rows (as the original)", seed_split), ("training rows", honest)):
        start = time.perf_counter()
        pca = baselines.PCAReconstructor(7).fit(split.x_train)
        pca_mse[scaling] = add(
            "PCA-7",
            scaling,
            metrics.mean_reconstruction_error(split.x_test, pca.reconstruct(split.x_test)),
            time.perf_counter() - start,
        )
        for name, build, recipe, out in (
            (original_name, build_original_autoencoder, original_recipe, original_mse),
            (repaired_name, build_repaired_autoencoder, repaired_recipe, repaired_mse),
        ):
            log(f"quality/breast cancer: {name.split(' (')[0]} (scaler fitted on {scaling}) ...")
            model = build(seed=42)
            start = time.perf_counter()
            fit_rows(model, split.x_train, seed=42, **recipe)
            out[scaling] = add(
                name,
                scaling,
                float(reconstruction_errors(model, split.x_test).mean()),
                time.perf_counter() - start,
            )
    pca_seed, pca_honest = pca_mse["all rows (as the original)"], pca_mse["training rows"]
    fixed_seed, fixed_honest = repaired_mse["all rows (as the original)"], repaired_mse["training rows"]
    seed_mse = original_mse["all rows (as the original)"]
    for r in rows:
        r["vs_pca7"] = r["val_mse"] / (pca_seed if r["scaling"].startswith("all") else pca_honest)
    t = table(
        "Breast cancer: validation MSE (80/20 split, random_state 42, MinMax scaling)",
        [
            ("model", "Model"),
            ("scaling", "Scaler fitted on"),
            ("val_mse", "Val MSE", ".5f"),
            ("vs_pca7", "x PCA-7's MSE", ".2f"),
            ("train_seconds", "Train s", ".1f"),
        ],
        rows,
        note="Lesson 03's models and trainer (build_original_autoencoder, build_repaired_autoencoder, fit_rows with "
        "the lesson's ORIGINAL_RECIPE / REPAIRED_RECIPE, seed 42). Scaler fitted on all rows = before the split, as "
        "the original example does; on the training rows = the honest way.",
    )
    checks = [
        check(
            "the repaired model is at or below PCA-7's val MSE (the original's scaling)",
            f"{fixed_seed:.5f} vs {pca_seed:.5f} ({fixed_seed / pca_seed:.2f}x)",
            fixed_seed <= pca_seed,
        ),
        check(
            "the repaired model is at or below PCA-7's val MSE (honest scaling)",
            f"{fixed_honest:.5f} vs {pca_honest:.5f} ({fixed_honest / pca_honest:.2f}x)",
            fixed_honest <= pca_honest,
        ),
        check(
            "the original model loses to PCA-7, as lesson 03 says",
            f"{seed_mse / pca_seed:.1f}x PCA-7's MSE",
            seed_mse > pca_seed,
        ),
    ]
    return (
        t,
        checks,
        {
            "breast_cancer_rows": rows,
            "summary": f"breast cancer: original {seed_mse / pca_seed:.1f}x, repaired {fixed_honest / pca_honest:.2f}x "
            "PCA-7",
            "sources": {"breast_cancer": honest.source.split(",")[0] + " (bundled with scikit-learn)"},
        },
    )


def run_anomaly(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """ROC AUC of malignant-vs-benign scores over repeated splits (lesson 03's anomaly_scores): two
    autoencoders vs PCA-7 error, IsolationForest and One-Class SVM, all fitted on benign training rows only."""
    original_recipe, repaired_recipe = recipes(s)
    aucs: dict[str, list[float]] = {k: [] for k in DETECTORS}
    states = [42, *range(1, s.anomaly_splits)]
    for i, state in enumerate(states):
        log(f"quality/anomaly: split {i + 1}/{len(states)} (random_state {state}) ...")
        d = data.load_breast_cancer_split(
            test_size=0.2, random_state=state, scale_on="train", benign_only=True, stratify=True, verbose=False
        )
        scores = anomaly_scores(
            d.x_train, d.x_test, seed=state, original_recipe=original_recipe, repaired_recipe=repaired_recipe
        )
        for k in DETECTORS:
            aucs[k].append(metrics.roc_auc(d.y_anomaly_test, scores[k]))
    rows = [
        {
            "method": k,
            "auc_mean": float(np.mean(v)),
            "auc_sd": float(np.std(v, ddof=1)) if len(v) > 1 else None,
            "auc_min": float(np.min(v)),
            "splits": len(v),
        }
        for k, v in aucs.items()
    ]
    t = table(
        f"Anomaly detection (train on benign rows only, malignant = anomaly): ROC AUC over {len(states)} "
        "stratified 80/20 splits",
        [
            ("method", "Detector"),
            ("auc_mean", "AUC mean", ".3f"),
            ("auc_sd", "sd", ".3f"),
            ("auc_min", "worst split", ".3f"),
            ("splits", "Splits"),
        ],
        rows,
        note=f"Lesson 03's anomaly_scores: random_state 42 then 1..{len(states) - 1}; scaler fitted on each split's "
        f"benign training rows; AE (original) = the original model, {_recipe_text(original_recipe)}; "
        f"AE (repaired) = the repaired model, {_recipe_text(repaired_recipe)}; score = reconstruction MSE.",
    )
    by = {r["method"]: r for r in rows}
    rep, orig, iso = by["AE (repaired)"], by["AE (original)"], by["IsolationForest"]
    checks = [
        check(
            "lesson 03: the repaired autoencoder's mean AUC >= IsolationForest's",
            f"{rep['auc_mean']:.3f} vs {iso['auc_mean']:.3f} (original AE {orig['auc_mean']:.3f}; "
            f"{len(states)} splits)",
            rep["auc_mean"] >= iso["auc_mean"],
        )
    ]
    return (
        t,
        checks,
        {
            "anomaly_aucs": aucs,
            "summary": f"anomaly AUC repaired AE {rep['auc_mean']:.3f} vs IsolationForest {iso['auc_mean']:.3f}",
        },
    )

"""Section 3, lesson 03: the breast-cancer table -- the original model, the repaired model and PCA-7
(validation MSE), and anomaly detection over repeated splits (ROC AUC)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import tensorflow as tf

from course_utils import baselines, data, metrics, models, training

from ...report import check, column, log, table
from ...settings import Settings


# --------------------------------------------------------------------------------------
# Lesson code, copied from lesson 03 (the original model, the repaired model and the row
# trainer). To be replaced by imports from course_utils.lessons when the lesson exports them.
# --------------------------------------------------------------------------------------
def bc_seed_model(seed: int = 42) -> Any:
    """Lesson 03's copy of the seed's model: 30 -> 15 -> 7 -> 15 -> 30, ReLU, sigmoid output, MSE, Adam 1e-3."""
    return models.build_dense_autoencoder(
        input_dim=30,
        code_dim=7,
        hidden=(15,),
        activation="relu",
        output_activation="sigmoid",
        loss="mse",
        optimizer="adam",
        learning_rate=1e-3,
        seed=seed,
        name="seed_autoencoder",
    )


def bc_fixed_model(seed: int = 42) -> Any:
    """Lesson 03's repaired model: 30 -> 32 ELU -> 7 linear code -> 32 ELU -> 30 linear, MSE, Adam."""
    return models.build_dense_autoencoder(
        input_dim=30,
        code_dim=7,
        hidden=(32,),
        activation="elu",
        code_activation="linear",
        output_activation="linear",
        loss="mse",
        optimizer="adam",
        seed=seed,
        name="fixed_autoencoder",
    )


def fit_rows(
    ae: Any,
    x: Any,
    *,
    passes: int,
    batch_size: int = 32,
    peak_lr: float = 1e-3,
    schedule: str = "constant",
    seed: int = 0,
) -> Any:
    """Lesson 03's trainer: ``passes`` shuffled passes over the rows as one Keras epoch; ``schedule="wsd"``
    warms up over 5 % of the steps and decays linearly to 0 over the last half, ``"constant"`` keeps peak_lr."""
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


# --------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------
def reconstruct(ae: Any, x: Any) -> Any:
    return np.asarray(ae.decode(ae.encode(x)))


def run_reconstruction(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Validation MSE of the seed's breast-cancer model, the repaired model and PCA-7 (lesson 03)."""
    seed_split = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="all", verbose=False)
    honest = data.load_breast_cancer_split(test_size=0.2, random_state=42, scale_on="train", verbose=False)
    rows = []

    def add(model: str, scaling: str, mse: float, seconds: float | None) -> float:
        rows.append({"model": model, "scaling": scaling, "val_mse": mse, "train_seconds": seconds})
        return mse

    log("quality/breast cancer: the seed's model ...")
    seed_ae = bc_seed_model()
    start = time.perf_counter()
    training.train(
        seed_ae,
        seed_split.x_train,
        epochs=s.bc_seed_epochs,
        batch_size=32,
        validation_data=(seed_split.x_test,),
        seed=42,
        verbose=0,
    )
    seed_mse = add(
        f"seed model (ReLU 15-7-15, sigmoid output, {s.bc_seed_epochs} epochs, batch 32, Adam 1e-3)",
        "all rows (seed)",
        metrics.mean_reconstruction_error(seed_split.x_test, reconstruct(seed_ae, seed_split.x_test)),
        time.perf_counter() - start,
    )
    fixed_name = (
        f"repaired model (ELU 32, linear 7-d code and output; {s.bc_passes} passes, batch 64, "
        "Adam warm-up to 1e-2 / hold / decay)"
    )
    pca_mse, fixed_mse = {}, {}
    for scaling, split in (("all rows (seed)", seed_split), ("training rows", honest)):
        start = time.perf_counter()
        pca = baselines.PCAReconstructor(7).fit(split.x_train)
        pca_mse[scaling] = add(
            "PCA-7",
            scaling,
            metrics.mean_reconstruction_error(split.x_test, pca.reconstruct(split.x_test)),
            time.perf_counter() - start,
        )
        log(f"quality/breast cancer: the repaired model (scaler fitted on {scaling}) ...")
        fixed = bc_fixed_model()
        start = time.perf_counter()
        fit_rows(fixed, split.x_train, seed=42, **_fix_recipe(s))
        fixed_mse[scaling] = add(
            fixed_name,
            scaling,
            metrics.mean_reconstruction_error(split.x_test, reconstruct(fixed, split.x_test)),
            time.perf_counter() - start,
        )
    pca_seed, pca_honest = pca_mse["all rows (seed)"], pca_mse["training rows"]
    fixed_seed, fixed_honest = fixed_mse["all rows (seed)"], fixed_mse["training rows"]
    for r in rows:
        r["vs_pca7"] = r["val_mse"] / (pca_seed if r["scaling"].startswith("all") else pca_honest)
    t = table(
        "Breast cancer: validation MSE (80/20 split, random_state 42, MinMax scaling)",
        [
            column("model", "Model"),
            column("scaling", "Scaler fitted on"),
            column("val_mse", "Val MSE", ".5f"),
            column("vs_pca7", "x PCA-7's MSE", ".2f"),
            column("train_seconds", "Train s", ".1f"),
        ],
        rows,
        note="Recipe of lesson 03 (seed's scaling = the scaler fitted on every row before the split, as the "
        "seed does; honest = fitted on the training rows only).",
    )
    checks = [
        check(
            "the repaired model is at or below PCA-7's val MSE (seed's scaling)",
            f"{fixed_seed:.5f} vs {pca_seed:.5f} ({fixed_seed / pca_seed:.2f}x)",
            fixed_seed <= pca_seed,
        ),
        check(
            "the repaired model is at or below PCA-7's val MSE (honest scaling)",
            f"{fixed_honest:.5f} vs {pca_honest:.5f} ({fixed_honest / pca_honest:.2f}x)",
            fixed_honest <= pca_honest,
        ),
        check(
            "the seed's model loses to PCA-7, as lesson 03 says (about six times worse)",
            f"{seed_mse / pca_seed:.1f}x PCA-7's MSE",
            seed_mse > pca_seed,
        ),
    ]
    return (
        t,
        checks,
        {
            "breast_cancer_rows": rows,
            "summary": f"breast cancer: seed {seed_mse / pca_seed:.1f}x, repaired {fixed_honest / pca_honest:.2f}x PCA-7",
            "sources": {"breast_cancer": honest.source.split(",")[0] + " (bundled with scikit-learn)"},
        },
    )


def run_anomaly(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """ROC AUC of malignant-vs-benign scores over repeated splits (lesson 03): two autoencoders vs
    PCA-7 error, IsolationForest and One-Class SVM, all fitted on benign training rows only."""
    detectors = ["AE (seed recipe)", "AE (repaired)", "PCA-7 error", "IsolationForest", "One-Class SVM"]
    aucs: dict[str, list[float]] = {k: [] for k in detectors}
    states = [42, *range(1, s.anomaly_splits)]
    for i, state in enumerate(states):
        log(f"quality/anomaly: split {i + 1}/{len(states)} (random_state {state}) ...")
        d = data.load_breast_cancer_split(
            test_size=0.2, random_state=state, scale_on="train", benign_only=True, stratify=True, verbose=False
        )
        seed_like = bc_seed_model(seed=state)
        fit_rows(seed_like, d.x_train, passes=s.bc_seed_epochs, batch_size=32, peak_lr=1e-3, seed=state)
        repaired = bc_fixed_model(seed=state)
        fit_rows(repaired, d.x_train, seed=state, **_fix_recipe(s))
        scores = {
            "AE (seed recipe)": metrics.reconstruction_error(d.x_test, reconstruct(seed_like, d.x_test)),
            "AE (repaired)": metrics.reconstruction_error(d.x_test, reconstruct(repaired, d.x_test)),
            "PCA-7 error": baselines.pca_error_scores(d.x_train, d.x_test, 7),
            "IsolationForest": baselines.isolation_forest_scores(d.x_train, d.x_test, seed=state),
            "One-Class SVM": baselines.ocsvm_scores(d.x_train, d.x_test),
        }
        for k in detectors:
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
            column("method", "Detector"),
            column("auc_mean", "AUC mean", ".3f"),
            column("auc_sd", "sd", ".3f"),
            column("auc_min", "worst split", ".3f"),
            column("splits", "Splits"),
        ],
        rows,
        note=f"Recipe of lesson 03: random_state 42 then 1..{len(states) - 1}; scaler fitted on each split's "
        f"benign training rows; AE (seed recipe) = the seed's model, {s.bc_seed_epochs} passes at Adam 1e-3; "
        f"AE (repaired) = the repaired model and recipe; score = reconstruction MSE.",
    )
    by = {r["method"]: r for r in rows}
    rep, seed_ae, iso = by["AE (repaired)"], by["AE (seed recipe)"], by["IsolationForest"]
    checks = [
        check(
            "lesson 03: the repaired autoencoder's mean AUC >= IsolationForest's",
            f"{rep['auc_mean']:.3f} vs {iso['auc_mean']:.3f} (seed-recipe AE {seed_ae['auc_mean']:.3f}; "
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

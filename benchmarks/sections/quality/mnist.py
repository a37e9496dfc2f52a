"""Section 3, lesson 02: test MSE/BCE of the MNIST autoencoder variants against PCA-32."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import baselines, data, metrics, models, training

from ...report import check, column, log, table
from ...settings import Settings
from ..speed import LAST_SEED_RUN


# --------------------------------------------------------------------------------------
# Lesson code (lesson 02's variants, built with course_utils.models as the lesson builds them
# today). To be replaced by imports from course_utils.lessons when the lesson exports them.
# --------------------------------------------------------------------------------------
def _mnist_variant(key: str) -> tuple[str, Any, bool]:
    """Lesson 02's variants: (name, model, needs 28x28x1 images)."""
    builders: dict[str, tuple[str, Callable[[], Any], bool]] = {
        "seed": ("seed model 784-32-784, fast recipe", lambda: models.build_dense_autoencoder(seed=42), False),
        "deep": ("deep 128-64-32", lambda: models.build_dense_autoencoder(hidden=(128, 64), seed=42), False),
        "conv": (
            "convolutional 16-32 -> 32",
            lambda: models.build_conv_autoencoder((28, 28, 1), filters=(16, 32), code_dim=32, seed=42),
            True,
        ),
        "sparse": ("sparse (L1 1e-4)", lambda: models.build_dense_autoencoder(l1=1e-4, seed=42), False),
        "overcomplete": ("overcomplete 1024", lambda: models.build_dense_autoencoder(code_dim=1024, seed=42), False),
        "overcomplete_noise": (
            "overcomplete 1024 + input noise 0.3",
            lambda: models.build_dense_autoencoder(code_dim=1024, input_noise=0.3, seed=42),
            False,
        ),
        "overcomplete_l1": (
            "overcomplete 1024 + L1 1e-4",
            lambda: models.build_dense_autoencoder(code_dim=1024, l1=1e-4, seed=42),
            False,
        ),
    }
    if key not in builders:
        raise ValueError(f"unknown MNIST variant {key!r}: expected one of {sorted(builders)}")
    name, build, conv = builders[key]
    return name, build(), conv


# --------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------
def predict(model: Any, x: Any) -> Any:
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def run(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Test MSE/BCE of lesson 02's MNIST autoencoders (fast recipe) against PCA-32."""
    flat = data.load_mnist(n_train=s.mnist_n_train, n_test=s.mnist_n_test, verbose=False)
    x_tr, x_te = flat.x_train, flat.x_test
    rows = []

    def score(
        key: str, name: str, model: Any, rec: Any, code_size: int, seconds: float | None, codes: Any | None = None
    ) -> None:
        rows.append(
            {
                "variant": key,
                "model": name,
                "code_size": code_size,
                "params": models.count_params(model) if model is not None else None,
                "mse": metrics.mean_reconstruction_error(x_te, rec, "mse"),
                "bce": metrics.mean_reconstruction_error(x_te, rec, "bce"),
                "mean_code": None if codes is None else float(np.mean(codes)),
                "train_seconds": seconds,
            }
        )

    seed_run = LAST_SEED_RUN
    if seed_run and seed_run["n_train"] == len(x_tr) and seed_run["n_test"] == len(x_te):
        model = seed_run["model"]
        score(
            "seed_recipe",
            f"seed model, seed recipe as written ({seed_run['epochs']} epochs, section 1)",
            model,
            predict(model, x_te),
            32,
            seed_run["seconds"],
        )
    start = time.perf_counter()
    pca = baselines.PCAReconstructor(32, clip=True).fit(x_tr)
    pca_s = time.perf_counter() - start
    score("pca", "PCA-32 (clipped to [0, 1])", None, pca.reconstruct(x_te), 32, pca_s)
    rows[-1]["params"] = int(pca.pca.components_.size + pca.pca.mean_.size)
    for key in ("seed", *s.mnist_variants):
        name, model, conv = _mnist_variant(key)
        log(f"quality/mnist: {name} ...")
        xin, xval = (x_tr.reshape(-1, 28, 28, 1), x_te.reshape(-1, 28, 28, 1)) if conv else (x_tr, x_te)
        hist = training.train_fast(
            model,
            xin,
            validation_data=xval,
            seed=42,
            verbose=0,
            recipe=training.fast_recipe(len(xin), **s.variant_recipe),
        )
        codes = predict(model.encoder, xval)
        score(
            key,
            name,
            model,
            predict(model, xval).reshape(len(x_te), -1),
            int(np.prod(codes.shape[1:])),
            float(hist.history["time"][-1]),
            codes,
        )
    by_key = {r["variant"]: r for r in rows}
    pca_mse = by_key["pca"]["mse"]
    for r in rows:
        r["vs_pca"] = r["mse"] / pca_mse
    under = [r for r in rows if r["code_size"] == 32 and r["variant"] != "pca"]
    best = min(under, key=lambda r: r["mse"])
    recipe = training.fast_recipe(len(x_tr), **s.variant_recipe)
    t = table(
        f"MNIST test reconstruction error ({len(x_tr)} train / {len(x_te)} test images)",
        [
            column("model", "Model"),
            column("code_size", "Code size"),
            column("params", "Parameters"),
            column("mse", "Test MSE", ".5f"),
            column("vs_pca", "MSE / PCA-32", ".2f"),
            column("bce", "Test BCE", ".4f"),
            column("mean_code", "Mean code activation", ".3f"),
            column("train_seconds", "Train s", ".1f"),
        ],
        rows,
        note=f"Recipe of lesson 02: every variant trained with the fast recipe ({recipe.describe()}), seed 42, "
        f"BCE loss. Data: {flat.source}.",
    )
    checks = [
        check(
            "lesson 02: the best model with a 32-number code has test MSE <= 0.5 x PCA-32's",
            f"{best['model']}: {best['mse']:.5f} = {best['vs_pca']:.2f} x PCA-32 ({pca_mse:.5f})",
            best["vs_pca"] <= 0.5,
        )
    ]
    if "seed_recipe" in by_key:
        sr = by_key["seed_recipe"]
        checks.append(
            check(
                "the seed's model and recipe beat PCA-32 on test MSE",
                f"{sr['mse']:.5f} = {sr['vs_pca']:.2f} x PCA-32",
                sr["mse"] < pca_mse,
            )
        )
    if "sparse" in by_key:
        sp, plain = by_key["sparse"], by_key["seed"]
        checks.append(
            check(
                "the L1 penalty lowers the mean code activation (sparse vs the plain seed model)",
                f"{sp['mean_code']:.3f} vs {plain['mean_code']:.3f}",
                sp["mean_code"] < plain["mean_code"],
            )
        )
    return (
        t,
        checks,
        {
            "mnist_rows": rows,
            "summary": f"best 32-d MNIST AE {best['vs_pca']:.2f}x PCA-32's MSE",
            "sources": {"mnist": flat.source},
        },
    )

"""Section 3, lesson 02: MNIST reconstruction error of the lesson's autoencoders against PCA-32.

Every model is built by lesson 02's exported builders (``course_utils.lessons.mnist_autoencoder``)
and trained with the lesson's faster recipe (``speed.faster_recipe``: the lesson's compile/fit lines);
the best model with a 32-number code is chosen on the validation images, as the lesson does, and
reported on the test images.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from course_utils import baselines, metrics
from course_utils.lessons.mnist_autoencoder import (
    build_convolutional_autoencoder,
    build_deep_autoencoder,
    build_overcomplete_autoencoder,
    build_sparse_autoencoder,
    build_syllabus_autoencoder,
    mean_pixel_bias,
)

from ...report import check, log, table
from ...settings import Settings
from ..speed import LAST_SEED_RUN, describe, faster_recipe, lesson02_split

IMAGE = (28, 28, 1)

# key: (row label, builder(output_bias) -> (autoencoder, encoder, decoder), takes 28x28x1 images,
# fit on tf.data batches as the lesson does for the variants)
VARIANTS: dict[str, tuple[str, Callable[[Any], tuple[Any, Any, Any]], bool, bool]] = {
    "syllabus": (
        "syllabus' model 784-32-784, faster recipe",
        lambda bias: build_syllabus_autoencoder(output_bias=bias),
        False,
        False,
    ),
    "deep": ("deep 128-64-32", lambda bias: build_deep_autoencoder(output_bias=bias), False, True),
    "conv": ("convolutional 16-32 -> 32", lambda bias: build_convolutional_autoencoder(output_bias=bias), True, True),
    "sparse": ("sparse (L1 1e-4)", lambda bias: build_sparse_autoencoder(l1=1e-4, output_bias=bias), False, True),
    "overcomplete": (
        "overcomplete 1024",
        lambda bias: build_overcomplete_autoencoder(1024, output_bias=bias),
        False,
        True,
    ),
    "overcomplete_noise": (
        "overcomplete 1024 + input noise 0.3",
        lambda bias: build_overcomplete_autoencoder(1024, input_noise=0.3, output_bias=bias),
        False,
        True,
    ),
}


def predict(model: Any, x: Any) -> Any:
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def run(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Validation and test MSE/BCE of lesson 02's MNIST autoencoders (faster recipe) against PCA-32."""
    unknown = [k for k in s.mnist_variants if k not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown MNIST variants {unknown}: expected some of {sorted(VARIANTS)}")
    x_tr, x_va, x_te, source = lesson02_split(s.mnist_n_train, s.mnist_n_test)
    rows = []

    def score(key: str, name: str, reconstruct: Callable[[Any], Any], code_size: int, **extra: Any) -> None:
        rec_va, rec_te = reconstruct(x_va), reconstruct(x_te)
        rows.append(
            {
                "variant": key,
                "model": name,
                "code_size": code_size,
                "val_mse": metrics.mean_reconstruction_error(x_va, rec_va, "mse"),
                "mse": metrics.mean_reconstruction_error(x_te, rec_te, "mse"),
                "bce": metrics.mean_reconstruction_error(x_te, rec_te, "bce"),
                "params": None,
                "mean_code": None,
                "train_seconds": None,
                **extra,
            }
        )

    seed_run = LAST_SEED_RUN
    if seed_run and seed_run["n_train"] == len(x_tr) and seed_run["n_val"] == len(x_va):
        model = seed_run["model"]
        score(
            "syllabus_recipe",
            f"syllabus' model and recipe as written ({seed_run['epochs']} epochs, section 1)",
            lambda x, model=model: predict(model, x),
            32,
            params=model.count_params(),
            mean_code=float(np.mean(predict(seed_run["encoder"], x_va))),
            train_seconds=seed_run["seconds"],
        )
    start = time.perf_counter()
    pca = baselines.PCAReconstructor(32, clip=True).fit(x_tr)
    pca_s = time.perf_counter() - start
    pca_params = int(pca.pca.components_.size + pca.pca.mean_.size)
    score("pca", "PCA-32 (clipped to [0, 1])", pca.reconstruct, 32, params=pca_params, train_seconds=pca_s)
    recipe = dict(s.variant_recipe)
    for key in ("syllabus", *s.mnist_variants):
        name, build, conv, batches = VARIANTS[key]
        log(f"quality/mnist: {name} ...")
        xin, xval = (x_tr.reshape(-1, *IMAGE), x_va.reshape(-1, *IMAGE)) if conv else (x_tr, x_va)
        keras.utils.set_random_seed(42)
        autoencoder, encoder, _ = build(mean_pixel_bias(xin))
        hist = faster_recipe(autoencoder, xin, xval, recipe, batches=batches)
        codes = predict(encoder, xval)
        shape = IMAGE if conv else (784,)
        score(
            key,
            name,
            lambda x, m=autoencoder, shape=shape: predict(m, x.reshape(-1, *shape)).reshape(len(x), -1),
            int(np.prod(codes.shape[1:])),
            params=autoencoder.count_params(),
            mean_code=float(np.mean(codes)),
            train_seconds=float(hist.history["time"][-1]),
        )
    by_key = {r["variant"]: r for r in rows}
    pca_mse = by_key["pca"]["mse"]
    for r in rows:
        r["vs_pca"] = r["mse"] / pca_mse
    under = [r for r in rows if r["code_size"] == 32 and r["variant"] != "pca"]
    best = min(under, key=lambda r: r["val_mse"])  # chosen on validation, as lesson 02 does
    t = table(
        f"MNIST reconstruction error ({len(x_tr)} train / {len(x_va)} validation / {len(x_te)} test images)",
        [
            ("model", "Model"),
            ("code_size", "Code size"),
            ("params", "Parameters"),
            ("val_mse", "Val MSE", ".5f"),
            ("mse", "Test MSE", ".5f"),
            ("vs_pca", "Test MSE / PCA-32", ".2f"),
            ("bce", "Test BCE", ".4f"),
            ("mean_code", "Mean code activation (val)", ".3f"),
            ("train_seconds", "Train s", ".1f"),
        ],
        rows,
        note="Lesson 02's builders (course_utils.lessons.mnist_autoencoder) and faster recipe "
        f"({describe(recipe)}), seed 42, BCE loss; the syllabus' model is fitted on the arrays, the variants on "
        f"tf.data batches, as in the lesson. Validation = one training image in eight. Data: {source}.",
    )
    checks = [
        check(
            "lesson 02: the model with a 32-number code chosen on validation has test MSE <= 0.5 x PCA-32's",
            f"{best['model']}: {best['mse']:.5f} = {best['vs_pca']:.2f} x PCA-32 ({pca_mse:.5f})",
            best["vs_pca"] <= 0.5,
        )
    ]
    if "syllabus_recipe" in by_key:
        sr = by_key["syllabus_recipe"]
        checks.append(
            check(
                "the syllabus' model and recipe beat PCA-32 on test MSE",
                f"{sr['mse']:.5f} = {sr['vs_pca']:.2f} x PCA-32",
                sr["mse"] < pca_mse,
            )
        )
    if "sparse" in by_key:
        sp, plain = by_key["sparse"], by_key["syllabus"]
        checks.append(
            check(
                "the L1 penalty lowers the mean code activation (sparse vs the syllabus' model, same recipe)",
                f"{sp['mean_code']:.3f} vs {plain['mean_code']:.3f}",
                sp["mean_code"] < plain["mean_code"],
            )
        )
    return (
        t,
        checks,
        {
            "mnist_rows": rows,
            "summary": f"best 32-d MNIST AE (chosen on val) {best['vs_pca']:.2f}x PCA-32's test MSE",
            "sources": {"mnist": source},
        },
    )

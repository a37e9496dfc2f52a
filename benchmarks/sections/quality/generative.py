"""Section 3, lesson 05: sample quality of VAEs against decoding random codes with the plain
autoencoder, judged by a digit classifier and by the distance to the nearest training digit.

The VAE is lesson 05's exported code (``course_utils.lessons.variational_autoencoders``), compiled
and fitted with the lesson's lines; the plain autoencoder is lesson 02's ``build_syllabus_autoencoder``
with the output bias and learning-rate schedule lesson 05 gives it.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from course_utils import data, generative
from course_utils.lessons.mnist_autoencoder import build_syllabus_autoencoder, mean_pixel_bias
from course_utils.lessons.variational_autoencoders import VAE, build_vae_decoder, build_vae_encoder

from ...report import check, log, table
from ...settings import Settings


def run(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Sample quality of VAEs vs decoding random codes with the plain autoencoder (lesson 05)."""
    d = data.load_mnist(n_train=s.gen_n_train, n_test=s.gen_n_test, verbose=False)
    n_val = len(d.x_train) // 8  # lesson 05: the last eighth of the training images for validation
    x_train, y_train = d.x_train[:-n_val], d.y_train[:-n_val]
    x_val, y_val = d.x_train[-n_val:], d.y_train[-n_val:]
    n = s.n_generated
    log("quality/generative: plain AE (the syllabus' model, lesson 05's recipe) ...")
    keras.utils.set_random_seed(42)
    ae, ae_encoder, ae_decoder = build_syllabus_autoencoder(output_bias=mean_pixel_bias(x_train))
    steps = s.gen_ae_epochs * math.ceil(len(x_train) / 128)  # optimizer steps in the whole training
    learning_rate = keras.optimizers.schedules.CosineDecay(
        1e-3, decay_steps=steps - steps // 5, warmup_target=1e-2, warmup_steps=steps // 5
    )
    ae.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", steps_per_execution=16)
    ae.fit(
        x_train,
        x_train,
        epochs=s.gen_ae_epochs,
        batch_size=128,
        shuffle=True,
        validation_data=(x_val, x_val),
        verbose=0,
    )
    codes = ae_encoder.predict(x_train, verbose=0)
    samples = {"real test digits (reference)": d.x_test[:n]}
    for latent in s.vae_latents:
        log(f"quality/generative: {latent}-d VAE ...")
        keras.utils.set_random_seed(42)
        vae = VAE(build_vae_encoder(latent_dim=latent), build_vae_decoder(latent_dim=latent))
        vae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), steps_per_execution=16)
        vae.fit(x_train, epochs=s.vae_epochs, batch_size=128, verbose=0)
        z_prior = np.random.default_rng(7).normal(size=(n, latent)).astype("float32")  # codes from N(0, I)
        samples[f"{latent}-d VAE samples"] = vae.decoder.predict(z_prior, verbose=0)
    samples["plain AE: codes like real ones"] = ae_decoder.predict(
        generative.random_codes_like(codes, n, seed=1), verbose=0
    )
    rng = np.random.default_rng(0)
    samples["plain AE: N(0,1) codes"] = ae_decoder.predict(rng.normal(size=(n, 32)).astype("float32"), verbose=0)
    log("quality/generative: digit classifier (the judge) ...")
    judge, info = generative.train_digit_classifier(
        x_train, y_train, epochs=s.classifier_epochs, validation_data=(x_val, y_val), seed=42
    )
    rows = []
    for name, x in samples.items():
        q = generative.sample_quality(judge, np.asarray(x).reshape(len(x), -1), x_train)
        rows.append(
            {
                "samples": name,
                **{
                    k: q[k]
                    for k in (
                        "mean_max_prob",
                        "mean_entropy",
                        "confident_fraction",
                        "class_entropy",
                        "nn_distance_mean",
                    )
                },
            }
        )
    t = table(
        f"Generated digits judged by a digit classifier (validation accuracy {info.get('val_accuracy', float('nan')):.3f}) "
        f"and by the distance to the nearest training digit ({n} images each)",
        [
            ("samples", "Images"),
            ("mean_max_prob", "Mean top-class prob", ".3f"),
            ("mean_entropy", "Mean entropy", ".3f"),
            ("confident_fraction", "Share >= 0.9", ".2f"),
            ("class_entropy", "Class entropy (max 2.30)", ".2f"),
            ("nn_distance_mean", "NN distance", ".2f"),
        ],
        rows,
        note=f"Lesson 05's code and recipe: VAE(build_vae_encoder, build_vae_decoder), 784-512-256-z, "
        f"Adam 1e-3, {s.vae_epochs} epochs, batch 128, seed 42, prior codes from default_rng(7); plain AE = the "
        f"syllabus' 784-32-784 (lesson 02's builder), mean-image output bias, cosine schedule with warm-up to "
        f"1e-2, {s.gen_ae_epochs} epochs; classifier 784-256-10, {s.classifier_epochs} epochs. "
        f"{len(x_train)} train / {len(x_val)} validation images. Data: {d.source}.",
    )
    checks = []
    best_latent = max(s.vae_latents)
    by = {r["samples"]: r for r in rows}
    v, a = by[f"{best_latent}-d VAE samples"], by["plain AE: codes like real ones"]
    wins = {
        "higher classifier confidence": v["mean_max_prob"] > a["mean_max_prob"],
        "lower prediction entropy": v["mean_entropy"] < a["mean_entropy"],
        "more confidently classified": v["confident_fraction"] > a["confident_fraction"],
        "closer to real digits": v["nn_distance_mean"] < a["nn_distance_mean"],
    }
    checks.append(
        check(
            f"lesson 05: {best_latent}-d VAE samples beat plain-AE random codes on all four sample-quality measures",
            f"{sum(wins.values())}/4 (" + "; ".join(k for k, w in wins.items() if w) + ")",
            all(wins.values()),
        )
    )
    return (
        t,
        checks,
        {
            "generative_rows": rows,
            "judge": info,
            "summary": f"{best_latent}-d VAE beats plain AE on {sum(wins.values())}/4 sample measures",
            "sources": {"mnist": d.source},
        },
    )

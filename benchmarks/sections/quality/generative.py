"""Section 3, lesson 05: sample quality of VAEs against decoding random codes with the plain
autoencoder, judged by a digit classifier and by the distance to the nearest training digit."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils import data, generative, models, training

from ...report import check, column, log, table
from ...settings import Settings


def run(s: Settings) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Sample quality of VAEs vs decoding random codes with the plain autoencoder (lesson 05)."""
    d = data.load_mnist(n_train=s.gen_n_train, n_test=s.gen_n_test, verbose=False)
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
        training.train(
            vae,
            d.x_train,
            validation_data=d.x_test,
            epochs=s.vae_epochs,
            batch_size=128,
            seed=42,
            steps_per_execution=16,
            verbose=0,
        )
        vaes[latent] = vae
        samples[f"{latent}-d VAE samples"] = np.asarray(vae.sample(n, seed=7))
    samples["plain AE: codes like real ones"] = ae.decode(generative.random_codes_like(codes, n, seed=1))
    rng = np.random.default_rng(0)
    samples["plain AE: N(0,1) codes"] = ae.decode(rng.normal(size=(n, 32)).astype("float32"))
    log("quality/generative: digit classifier (the judge) ...")
    judge, info = generative.train_digit_classifier(
        d.x_train, d.y_train, epochs=s.classifier_epochs, validation_data=(d.x_test, d.y_test), seed=42
    )
    rows = []
    for name, x in samples.items():
        q = generative.sample_quality(judge, np.asarray(x).reshape(len(x), -1), d.x_train)
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
        f"Generated digits judged by a digit classifier (test accuracy {info.get('val_accuracy', float('nan')):.3f}) "
        f"and by the distance to the nearest training digit ({n} images each)",
        [
            column("samples", "Images"),
            column("mean_max_prob", "Mean top-class prob", ".3f"),
            column("mean_entropy", "Mean entropy", ".3f"),
            column("confident_fraction", "Share >= 0.9", ".2f"),
            column("class_entropy", "Class entropy (max 2.30)", ".2f"),
            column("nn_distance_mean", "NN distance", ".2f"),
        ],
        rows,
        note=f"Recipe of lesson 05: VAEs 784-512-256-z, {s.vae_epochs} epochs, batch 128; plain AE = the "
        f"seed's 784-32-784 with the fast recipe ({s.gen_ae_recipe}); classifier 784-256-10, "
        f"{s.classifier_epochs} epochs. Data: {d.source}.",
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

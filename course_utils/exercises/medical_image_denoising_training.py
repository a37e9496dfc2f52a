"""Exercise of lesson 04 (notebooks/04_medical_image_denoising.ipynb) where the student trains a denoiser.

* ``04-train`` — compile a denoiser and ``fit`` it noisy → clean on ``NoisyPairs``; the check trains a small
  residual denoiser with the student's function on a few dozen images and asks that it beats the noisy
  input on fresh validation images (the step-5 trap, training on clean → clean, a missing ``compile`` and
  a missing ``return`` each get their own hint).

Keras is imported inside the checker and the context, never at module import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, exercise, is_missing
from .medical_image_denoising import _smooth_images

STEPS = 20  # what the check asks the student's function to train: epochs * batches
GAIN_DB = 1.0  # the least PSNR gain over the noisy input (σ = 0.2) a trained denoiser reaches in STEPS steps


def _train_context() -> dict[str, Any]:
    import keras

    from course_utils.lessons import medical_image_denoising as lesson

    return {
        "np": np,
        "keras": keras,
        "NoisyPairs": lesson.NoisyPairs,
        "psnr_loss": lesson.psnr_loss,
        "x_train": _smooth_images(48, seed=11),
    }


def _train_solution(keras, NoisyPairs, psnr_loss):
    def train_my_denoiser(model, clean_images, epochs=4, batches=10):
        """Compile ``model`` and fit it noisy → clean on fresh noisy copies of ``clean_images``."""
        pairs = NoisyPairs(clean_images, target="clean", batch_size=16, batches=batches, seed=0)
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=psnr_loss)
        return model.fit(pairs, epochs=epochs, shuffle=False, verbose=0)

    return train_my_denoiser


@exercise("04-train", "Train a denoiser noisy → clean", _train_solution, _train_context)
def _check_train(fb: Feedback, train_my_denoiser: Any) -> None:
    import keras

    from course_utils import data, metrics
    from course_utils.lessons import medical_image_denoising as lesson

    if is_missing(train_my_denoiser):
        fb.stop("not attempted yet", "write `def train_my_denoiser(model, clean_images, epochs=4, batches=10):`")
    fb.require_function(train_my_denoiser, "train_my_denoiser", "(model, clean_images, epochs=4, batches=10)")
    keras.utils.set_random_seed(0)
    model = lesson.build_residual_denoiser(filters=(8, 16))  # residual: untrained, it copies its input
    clean = _smooth_images(48, seed=11)
    try:
        history = train_my_denoiser(model, clean, epochs=2, batches=STEPS // 2)
    except RuntimeError as exc:
        if "compile" in str(exc):
            fb.stop(
                "Keras says the model must be compiled before fit", "call model.compile(optimizer=..., loss=...) first"
            )
        raise
    if history is None:
        fb.fail("your function does not return anything", "return the History object that model.fit(...) returns")
    elif not isinstance(history, keras.callbacks.History) or not history.history.get("loss"):
        fb.fail(f"expected the History that fit returns, got {type(history).__name__}", "return model.fit(...)")
    else:
        fb.ok(f"trained for {len(history.history['loss'])} epochs and returned the History")
    val = _smooth_images(16, seed=12)
    noisy = data.add_noise(val, "gaussian", 0.2, seed=13)
    out = lesson.apply_denoiser(model, noisy)
    gain = float(np.mean(metrics.psnr(val, out) - metrics.psnr(val, noisy)))
    copies = float(np.mean(np.abs(out - noisy)))
    if gain >= GAIN_DB:
        fb.ok(f"the trained model beats the noisy input by {gain:+.2f} dB on new images (σ = 0.2)")
        return
    if copies < 0.01:
        fb.stop(
            f"the model still copies its input (mean |output − input| = {copies:.4f}, gain {gain:+.2f} dB): it "
            "learned the identity, as with the syllabus' step 5 or with clean → clean pairs (it never saw noise)",
            "the input must be noisy and the target clean: NoisyPairs(clean_images, target='clean', ...)",
        )
    fb.stop(
        f"the model gains only {gain:+.2f} dB over the noisy input (at least {GAIN_DB} dB expected after {STEPS} steps)",
        "train noisy → clean with NoisyPairs(clean_images, target='clean', ...), Adam(2e-3), and epochs × batches steps",
    )

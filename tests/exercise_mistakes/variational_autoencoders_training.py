"""The typical mistakes of 05-train-step
(course_utils/exercises/variational_autoencoders_training.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake, edit

KL = "kl = ops.mean(kl_divergence(z_mean, z_log_var))"

MISTAKES = {
    "05-train-step": (
        Mistake(edit("05-train-step", (KL, f"kl = -{KL[5:]}")), "sign", "KL with the wrong sign"),
        Mistake(
            edit("05-train-step", ("total = reconstruction + kl", "total = reconstruction")),
            "KL term is not in the loss",
            "differentiated only the reconstruction",
        ),
        Mistake(
            edit(
                "05-train-step",
                (
                    "ops.mean(ops.sum(ops.binary_crossentropy(x, x_hat), axis=1))",
                    "ops.mean(ops.binary_crossentropy(x, x_hat))",
                ),
            ),
            "averaged over the 784 pixels",
            "mean BCE per pixel",
        ),
        Mistake(
            edit("05-train-step", (KL, KL.replace("ops.mean", "ops.sum"))),
            "summed over the batch",
            "KL summed over the images",
        ),
        Mistake(
            edit("05-train-step", ("self.optimizer.apply_gradients(zip(grads, self.trainable_weights))", "pass")),
            "apply_gradients",
            "computed the gradients, never applied them",
        ),
    ),
}

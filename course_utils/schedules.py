"""Learning-rate schedules of the course, registered with Keras so saved models load without
``custom_objects`` (re-exported by :mod:`course_utils.training`).

Used by :func:`course_utils.training.fast_recipe` and lesson 03's repaired model's recipe.
"""

from __future__ import annotations

from typing import Any

import keras

from ._checks import non_negative_int, number_in, positive_float, positive_int

__all__ = ["WarmupStableDecay"]


@keras.saving.register_keras_serializable(package="course_utils")
class WarmupStableDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate: linear warm-up to ``peak``, hold, then linear decay to ``final_fraction * peak``.

    Used by: :mod:`course_utils.training`, :mod:`course_utils.models`, :mod:`benchmarks.sections.quality.breast_cancer`.  Steps are optimizer steps:
    ``warmup_steps`` rising from ``peak / warmup_steps``, a plateau, and the last ``decay_steps``
    of ``total_steps`` falling linearly.  (Also called a trapezoidal or WSD schedule.)
    """

    def __init__(
        self,
        peak: float,
        total_steps: int,
        warmup_steps: int = 0,
        decay_steps: int = 0,
        final_fraction: float = 0.0,
    ) -> None:
        self.peak: float = positive_float("peak", peak)
        self.total_steps: int = positive_int("total_steps", total_steps)
        self.warmup_steps: int = non_negative_int("warmup_steps", warmup_steps)
        self.decay_steps: int = non_negative_int("decay_steps", decay_steps)
        if self.warmup_steps + self.decay_steps > self.total_steps:
            raise ValueError(
                f"warmup_steps + decay_steps ({warmup_steps} + {decay_steps}) must not exceed total_steps ({total_steps})"
            )
        self.final_fraction: float = number_in("final_fraction", final_fraction, 0.0, 1.0)

    def __call__(self, step: Any) -> Any:
        from keras import ops

        s = ops.cast(step, "float32")
        warm = ops.minimum(1.0, (s + 1.0) / float(max(self.warmup_steps, 1)))
        decay_start = float(self.total_steps - self.decay_steps)
        frac = ops.clip((s - decay_start) / float(max(self.decay_steps, 1)), 0.0, 1.0)
        return self.peak * warm * (1.0 - (1.0 - self.final_fraction) * frac)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "decay_steps": self.decay_steps,
            "final_fraction": self.final_fraction,
        }

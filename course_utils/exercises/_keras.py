"""Keras helpers shared by the checkers of several lessons.

Keras is imported inside each helper, never at module import: TensorFlow loads only when a check runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def keras_context() -> dict[str, Any]:
    """The names a Keras exercise's code uses: ``np``, ``keras``, ``layers`` and ``ops``."""
    import keras
    from keras import layers, ops

    return {"np": np, "keras": keras, "layers": layers, "ops": ops}


def all_layers(model: Any) -> list[Any]:
    """Every layer of ``model``, looking inside nested models (a Sequential encoder inside the autoencoder)."""
    import keras

    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            found.extend(all_layers(layer))
        else:
            found.append(layer)
    return found


def dense_layers(model: Any) -> list[Any]:
    """The ``Dense`` layers of ``model``, nested models included, in order."""
    import keras

    return [layer for layer in all_layers(model) if isinstance(layer, keras.layers.Dense)]

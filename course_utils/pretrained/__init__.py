"""Pretrained weights made from the lessons' own code: ``denoiser()`` is lesson 04's blind X-ray denoiser.

Taught in: 04_medical_image_denoising.

The lesson trains its residual denoiser (``build_residual_denoiser`` + ``train_denoiser``, exported from
the notebook's ``#@save`` cells to :mod:`course_utils.lessons.medical_image_denoising`) for about a
minute.  ``make weights`` (:mod:`course_utils.pretrained.train`) runs *the same functions* for a longer
schedule on the training X-rays, keeps the checkpoint with the best validation PSNR and writes two files
beside this module:

* ``xray_denoiser.weights.h5`` — the Keras weights;
* ``xray_denoiser.json`` — the card: the data file's SHA-256, a SHA-256 of the exact source of the code
  that built and trained the model (:func:`code_hash`), the builder's arguments, the schedule, the
  validation PSNR per noise condition and per epoch, the weights file's SHA-256 and size, and the
  TensorFlow / Keras versions.

:func:`denoiser` checks the card before it loads anything: a missing or truncated weights file, weights
that are not the ones the card describes, or lesson code that changed since the weights were made each
give a clear error (``FileNotFoundError`` / ``ValueError``) that says what to do.  Importing this module
does not import TensorFlow.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CARD", "WEIGHTS", "HASHED_CODE", "card", "check_batch", "code_hash", "denoiser", "file_sha256"]

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "xray_denoiser.weights.h5"
CARD = HERE / "xray_denoiser.json"
# The code whose exact source the card's hash covers: what builds the model and what trains it
# (lesson 04's exported cells), and the noise the training pairs are made with.
HASHED_CODE = (
    "course_utils.lessons.medical_image_denoising:psnr_loss",
    "course_utils.lessons.medical_image_denoising:make_pairs",
    "course_utils.lessons.medical_image_denoising:NoisyPairs",
    "course_utils.lessons.medical_image_denoising:build_residual_denoiser",
    "course_utils.lessons.medical_image_denoising:train_denoiser",
    "course_utils.data:add_noise",
    "course_utils.data:_noise_levels",
)
_REMAKE = "run `make weights` to train them again from the current code (the card says how long it took)"


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes.  Used by: the card's data and weights checksums."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_hash(names: tuple[str, ...] = HASHED_CODE) -> str:
    """SHA-256 of the exact source of ``names`` (``"module:object"``), in order.

    Used by: the weights card.  Any change to these functions — even a comment — changes the hash, so
    weights and the code that made them cannot drift apart unnoticed (tests/test_pretrained.py).
    Imports the lesson module, hence Keras.
    """
    import importlib

    digest = hashlib.sha256()
    for name in names:
        module, _, obj = name.partition(":")
        source = inspect.getsource(getattr(importlib.import_module(module), obj))
        digest.update(f"{name}\n{source}\n".encode())
    return digest.hexdigest()


def card(path: str | Path = CARD) -> dict[str, Any]:
    """The weights card (JSON) as a dict; clear errors for a missing or unreadable card."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"the weights card {path} is missing: {_REMAKE}")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the weights card {path} is not valid JSON (truncated?): {exc}; {_REMAKE}") from exc
    missing = [k for k in ("builder", "builder_kwargs", "code_sha256", "weights", "validation") if k not in info]
    if missing:
        raise ValueError(f"the weights card {path} lacks {missing}; {_REMAKE}")
    return info


def check_batch(x: Any, image_shape: tuple[int, ...] = (28, 28, 1)) -> np.ndarray:
    """``x`` as a float32 array ``(N, *image_shape)`` with values in [0, 1], or a ``ValueError`` saying
    what was expected.  Used by: :func:`denoiser` (every call and ``predict`` of the returned model)."""
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a numeric batch of shape (N, {', '.join(map(str, image_shape))}): {exc}") from exc
    if arr.ndim != len(image_shape) + 1 or arr.shape[1:] != tuple(image_shape) or arr.shape[0] == 0:
        raise ValueError(
            f"expected a batch of images of shape (N, {', '.join(map(str, image_shape))}) with N >= 1, "
            f"got shape {arr.shape}; add the batch axis with x[None] and the channel axis with x[..., None]"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("the images contain NaN or infinite values: expected finite pixel values in [0, 1]")
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise ValueError(
            f"pixel values must lie in [0, 1] (float32, as data.load_medical_images gives them), got "
            f"[{arr.min():.3g}, {arr.max():.3g}]; 8-bit images: divide by 255"
        )
    return arr


def denoiser(weights: str | Path = WEIGHTS, card_path: str | Path = CARD, *, check_code: bool = True) -> Any:
    """Lesson 04's pretrained blind X-ray denoiser: a Keras model, ``(N, 28, 28, 1)`` noisy float32 in
    [0, 1] → denoised, same shape; no noise level needed (one model for Gaussian and Poisson noise).

    Taught in: 04_medical_image_denoising.  The network is ``build_residual_denoiser`` from lesson 04
    with the arguments the card records, trained by ``train_denoiser`` (``make weights``).  Calling the
    model, ``predict`` and ``predict_on_batch`` check their input (:func:`check_batch`).  Raises
    ``FileNotFoundError`` for a missing card or weights file, ``ValueError`` for a truncated or foreign
    weights file, or — with ``check_code`` — when the lesson code changed since the weights were made.
    """
    info = card(card_path)
    weights = Path(weights)
    if not weights.is_file():
        raise FileNotFoundError(f"the pretrained weights {weights} are missing: {_REMAKE}")
    expected = info["weights"]
    size = weights.stat().st_size
    if size != expected["bytes"]:
        raise ValueError(
            f"{weights} has {size:,} bytes, the card says {expected['bytes']:,}: the file is truncated or "
            f"is not the one the card describes; {_REMAKE}"
        )
    if file_sha256(weights) != expected["sha256"]:
        raise ValueError(f"{weights} does not match the SHA-256 its card records (another file?); {_REMAKE}")
    from course_utils.lessons import medical_image_denoising as lesson

    if check_code and code_hash() != info["code_sha256"]:
        raise ValueError(
            "lesson 04's model or training code changed since these weights were made (its hash differs from "
            f"the card's): {_REMAKE}, or pass check_code=False to load them anyway"
        )
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in info["builder_kwargs"].items()}
    net = getattr(lesson, info["builder"])(**kwargs)
    try:
        net.load_weights(weights)
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not load {weights} into {info['builder']}({kwargs}): {exc}; {_REMAKE}") from exc
    return _checked(net, tuple(kwargs.get("input_shape", (28, 28, 1))))


def _checked(net: Any, image_shape: tuple[int, ...]) -> Any:
    """``net`` behind input checks: a functional Keras model with the same layers and weights."""
    import keras

    def concrete(x: Any) -> bool:  # anything but a symbolic tensor (inside tf.function or a functional graph)
        return hasattr(x, "_numpy") or not (keras.ops.is_tensor(x) or isinstance(x, keras.KerasTensor))

    class PretrainedDenoiser(keras.Model):
        def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
            if concrete(x):
                x = check_batch(x, image_shape)
            return super().__call__(x, *args, **kwargs)

        def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
            return super().predict(check_batch(x, image_shape), *args, **kwargs)

        def predict_on_batch(self, x: Any) -> Any:
            return super().predict_on_batch(check_batch(x, image_shape))

    return PretrainedDenoiser(net.inputs, net.outputs, name="pretrained_xray_denoiser")

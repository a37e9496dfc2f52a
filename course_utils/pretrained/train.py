"""``make weights``: train lesson 04's residual denoiser for a longer schedule and write weights + card.

Used by: the Makefile (``make weights``) and benchmarks/sections/denoising.py (the reproducibility check).

    python -m course_utils.pretrained.train                 # real X-rays from COURSE_DATA_DIR / the cache
    python -m course_utils.pretrained.train --stop-after 3  # first 3 epochs only: compare with the card

Runs lesson 04's own exported functions — ``build_residual_denoiser`` and ``train_denoiser`` (the same
``NoisyPairs`` batches, Adam with a cosine-decayed learning rate, minus-PSNR loss) — on the X-ray training
split, evaluates the validation split after every epoch under every noise condition of the lesson
(``noisy_versions(x_val, seed=100)``), keeps the weights of the epoch with the best mean validation PSNR,
and writes ``xray_denoiser.weights.h5`` and its card ``xray_denoiser.json`` atomically (a temporary file
renamed into place: an interrupted run never leaves a half-written file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from course_utils import pretrained

DEFAULTS: dict[str, Any] = {
    "filters": (32, 64),
    "epochs": 80,
    "batches": 150,
    "batch_size": 64,
    "learning_rate": 2e-3,
    "seed": 1,
}


def find_xrays(path: str | Path | None = None) -> Path:
    """The PneumoniaMNIST file to train on: ``path``, else the first one the course's loader would use."""
    from course_utils import sources

    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"X-ray file not found: {p}")
        return p
    for p in sources.pneumonia_candidates("pneumoniamnist.npz"):
        if p.is_file():
            return p
    raise FileNotFoundError(
        "make weights needs the real chest X-rays (pneumoniamnist.npz) in COURSE_DATA_DIR (or its medmnist/ "
        "folder) or the course cache; the MRI fallback is not what the pretrained denoiser is for"
    )


def validation_psnr(model: Any, noisy_val: dict[str, np.ndarray], x_val: np.ndarray) -> dict[str, float]:
    """Mean validation PSNR (dB) of ``model`` per noise condition."""
    from course_utils import metrics
    from course_utils.lessons import medical_image_denoising as lesson

    return {c: float(np.mean(metrics.psnr(x_val, lesson.apply_denoiser(model, x, 64)))) for c, x in noisy_val.items()}


def train(
    x_train: np.ndarray,
    x_val: np.ndarray,
    *,
    filters: Sequence[int] = DEFAULTS["filters"],
    epochs: int = DEFAULTS["epochs"],
    batches: int = DEFAULTS["batches"],
    batch_size: int = DEFAULTS["batch_size"],
    learning_rate: float = DEFAULTS["learning_rate"],
    seed: int = DEFAULTS["seed"],
    stop_after: int | None = None,
    verbose: int = 2,
) -> tuple[Any, list[dict[str, Any]], int]:
    """Lesson 04's residual denoiser trained by its ``train_denoiser``; returns (model with the best
    validation weights, the per-epoch validation curve, the best epoch).  ``stop_after`` ends training
    after that many epochs of the same schedule (to check reproducibility against the card's curve)."""
    import keras

    from course_utils.lessons import medical_image_denoising as lesson

    noisy_val = lesson.noisy_versions(x_val, seed=100)
    keras.utils.set_random_seed(seed)
    model = lesson.build_residual_denoiser(x_train.shape[1:], filters=tuple(filters))
    curve: list[dict[str, Any]] = []
    best: dict[str, Any] = {"mean": -np.inf, "epoch": 0, "weights": None}
    start = time.perf_counter()

    class KeepBestOnValidation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            psnr = validation_psnr(self.model, noisy_val, x_val)
            mean = float(np.mean(list(psnr.values())))
            curve.append(
                {
                    "epoch": epoch + 1,
                    "steps": (epoch + 1) * batches,
                    "seconds": round(time.perf_counter() - start, 1),
                    "mean": round(mean, 4),
                    "psnr": {c: round(v, 4) for c, v in psnr.items()},
                }
            )
            if mean > best["mean"]:
                best.update(mean=mean, epoch=epoch + 1, weights=self.model.get_weights())
            if verbose:
                print(
                    f"epoch {epoch + 1}/{epochs}: validation PSNR {mean:.3f} dB (best {best['mean']:.3f}, epoch "
                    f"{best['epoch']}), {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
            if stop_after is not None and epoch + 1 >= stop_after:
                self.model.stop_training = True

    lesson.train_denoiser(
        model,
        x_train,
        "clean",
        epochs=epochs,
        batches=batches,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        verbose=0,
        callbacks=[KeepBestOnValidation()],
    )
    model.set_weights(best["weights"])
    return model, curve, int(best["epoch"])


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path`` (same folder)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_card(
    model: Any,
    curve: list[dict[str, Any]],
    best_epoch: int,
    data_file: Path,
    settings: dict[str, Any],
    seconds: float,
    weights_path: Path,
    x_shapes: dict[str, tuple[int, ...]],
    code_sha256: str,
) -> dict[str, Any]:
    """The card's content (see the module docstring of :mod:`course_utils.pretrained`)."""
    import keras
    import tensorflow as tf

    best = next(row for row in curve if row["epoch"] == best_epoch)
    return {
        "model": "lesson 04's residual denoiser (skip connections + residual output), blind: one model for all noise",
        "builder": "build_residual_denoiser",
        "builder_kwargs": {"input_shape": list(x_shapes["train"][1:]), "filters": list(settings["filters"])},
        "parameters": int(model.count_params()),
        "code_sha256": code_sha256,
        "code": list(pretrained.HASHED_CODE),
        "data": {
            "file": data_file.name,
            "sha256": pretrained.file_sha256(data_file),
            "train_images": x_shapes["train"][0],
            "val_images": x_shapes["val"][0],
        },
        "training": {
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items() if k != "filters"},
            "steps": settings["epochs"] * settings["batches"],
            "function": "train_denoiser(model, x_train, 'clean', epochs, batches, batch_size, learning_rate, seed)",
            "seconds": round(seconds),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        },
        "validation": {
            "noise": "noisy_versions(x_val, seed=100): every condition of lesson 04's CONDITIONS",
            "best_epoch": best_epoch,
            "best_steps": best["steps"],
            "psnr": best["psnr"],
            "mean_psnr": best["mean"],
            "curve": curve,
        },
        "weights": {
            "file": weights_path.name,
            "bytes": weights_path.stat().st_size,
            "sha256": pretrained.file_sha256(weights_path),
        },
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "created": date.today().isoformat(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="PneumoniaMNIST .npz (default: the loader's, from COURSE_DATA_DIR or the cache)")
    p.add_argument("--out", default=str(pretrained.HERE), help="folder for the weights and the card")
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    p.add_argument("--batches", type=int, default=DEFAULTS["batches"], help="training steps per epoch")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--filters", type=int, nargs=2, default=DEFAULTS["filters"])
    p.add_argument("--learning-rate", type=float, default=DEFAULTS["learning_rate"])
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--stop-after", type=int, help="stop after N epochs, write nothing, print the curve as JSON")
    args = p.parse_args(argv)
    from course_utils import runtime, sources

    runtime.import_tensorflow_quietly()
    data_file = find_xrays(args.data)
    arrays = sources.load_medmnist_npz(data_file)
    settings = {
        "filters": tuple(args.filters),
        "epochs": args.epochs,
        "batches": args.batches,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
    }
    print(
        f"make weights: {data_file} ({len(arrays['x_train'])} training / {len(arrays['x_val'])} validation "
        f"X-rays), {settings}",
        flush=True,
    )
    code_sha256 = pretrained.code_hash()  # the code as it is when training starts
    start = time.perf_counter()
    model, curve, best_epoch = train(arrays["x_train"], arrays["x_val"], stop_after=args.stop_after, **settings)
    seconds = time.perf_counter() - start
    if args.stop_after is not None:
        json.dump({"curve": curve, "seconds": round(seconds, 1)}, sys.stdout)
        print()
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights_path, card_path = out / pretrained.WEIGHTS.name, out / pretrained.CARD.name
    _atomic_write(weights_path, lambda tmp: _save_weights_h5(model, tmp))
    shapes = {"train": arrays["x_train"].shape, "val": arrays["x_val"].shape}
    info = make_card(model, curve, best_epoch, data_file, settings, seconds, weights_path, shapes, code_sha256)
    _atomic_write(card_path, lambda tmp: tmp.write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n"))
    print(
        f"wrote {weights_path} ({weights_path.stat().st_size:,} bytes) and {card_path}: best epoch {best_epoch}, "
        f"validation PSNR {info['validation']['psnr']}, {seconds:.0f} s"
    )
    return 0


def _save_weights_h5(model: Any, path: Path) -> None:
    """Keras insists on the ``.weights.h5`` suffix: save under it, then move onto ``path``."""
    tmp = path.with_name(path.name + ".weights.h5")
    model.save_weights(str(tmp))
    os.replace(tmp, path)


if __name__ == "__main__":
    raise SystemExit(main())

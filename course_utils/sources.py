"""Where the course's data comes from: file formats, search folders and offline fallbacks.

The loaders in :mod:`course_utils.data` (the functions lessons call) ask this module for raw
arrays plus a one-line note naming the source; nothing here prints unless ``verbose``.

* MNIST: Keras' ``mnist.npz`` (``$COURSE_DATA_DIR``, the course cache, Keras' cache, or a
  download), IDX files in ``$COURSE_DATA_DIR/mnist/``, or scikit-learn's 8×8 digits upsampled.
* Medical images: PneumoniaMNIST ``.npz`` (``$COURSE_DATA_DIR``, the cache, or Zenodo), or axial
  slices of the MNI152 MRI template bundled with nilearn.
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from .downloads import DownloadError, download_file, first_readable

__all__ = [
    "IDX_FILES",
    "MEDMNIST_URL",
    "MNIST_SHA256",
    "MNIST_URL",
    "PNEUMONIAMNIST_FILES",
    "find_idx",
    "load_medmnist_npz",
    "mnist_from_digits",
    "mnist_from_idx",
    "mnist_from_npz",
    "mnist_idx_folder",
    "mnist_npz_candidates",
    "mri_from_template",
    "mri_template_slices",
    "pneumonia_candidates",
    "pneumonia_from_files",
    "read_idx",
]

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

# MedMNIST v3 (Zenodo record 10519652); MD5s as published in MedMNIST's INFO (the 64/128/224-pixel
# files are MedMNIST+, the same images at larger sizes).
MEDMNIST_URL = "https://zenodo.org/records/10519652/files/{name}?download=1"
PNEUMONIAMNIST_FILES = {
    28: ("pneumoniamnist.npz", "28209eda62fecd6e6a2d98b1501bb15f"),
    64: ("pneumoniamnist_64.npz", "8f4eceb4ccffa70c672198ea285246c6"),
    128: ("pneumoniamnist_128.npz", "05b46931834c231683c68f40c47b2971"),
    224: ("pneumoniamnist_224.npz", "d6a3c71de1b945ea11211b03746c1fe1"),
}

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# --------------------------------------------------------------------------- IDX
def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) as used by the original MNIST.

    Raises ``FileNotFoundError`` if it is missing and ``ValueError`` if the
    header is not an unsigned-byte IDX header or the data are truncated.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path} is not a readable (gzip) IDX file: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} does not start with an IDX magic number (0x0000 08 0N)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX data (type 0x08) is supported, got 0x{raw[2]:02x}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: IDX header announces shape {shape} ({expected} bytes) but the file holds "
            f"{len(raw) - header} data bytes (truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        p = folder / name
        if p.is_file():
            return p
    return None


def _idx_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    img_stem, lab_stem = IDX_FILES[split]
    img, lab = find_idx(folder, img_stem), find_idx(folder, lab_stem)
    if img is None or lab is None:
        return None
    x, y = read_idx(img), read_idx(lab)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{folder}: {split} images {x.shape} and labels {y.shape} do not match")
    return x, y


# --------------------------------------------------------------------------- MNIST
def mnist_npz_candidates() -> list[Path]:
    paths = []
    d = config.data_dir()
    if d is not None:
        paths += [d / "mnist.npz", d / "mnist" / "mnist.npz"]
    paths.append(config.cache_dir(create=False) / "mnist.npz")
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    paths.append(keras_home / "datasets" / "mnist.npz")
    return paths


def _read_mnist_npz(path: Path) -> tuple[np.ndarray, ...]:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = tuple(np.asarray(f[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"{path} is not a valid MNIST .npz (expected arrays x_train, y_train, x_test, y_test): {exc}"
        ) from exc
    if arrays[0].shape[1:] != (28, 28) or arrays[2].shape[1:] != (28, 28):
        raise ValueError(f"{path}: expected 28×28 images, got {arrays[0].shape} / {arrays[2].shape}")
    return arrays


def mnist_from_npz(allow_download: bool, verbose: bool) -> tuple[tuple[np.ndarray, ...], str] | None:
    found = first_readable(mnist_npz_candidates(), _read_mnist_npz, verbose)
    if found is not None:
        return found[1], f"MNIST (Keras mnist.npz at {found[0]}): 60,000 train / 10,000 test"
    if not allow_download:
        return None
    dest = config.cache_dir() / "mnist.npz"
    try:
        download_file(MNIST_URL, dest, sha256=MNIST_SHA256, timeout=20, retries=1)
    except (DownloadError, ValueError) as exc:
        if verbose:
            print(f"MNIST download not possible ({type(exc).__name__}); using an offline source.")
        return None
    return _read_mnist_npz(dest), "MNIST (downloaded mnist.npz): 60,000 train / 10,000 test"


def mnist_idx_folder() -> Path | None:
    """``$COURSE_DATA_DIR/mnist`` if it exists, else ``$COURSE_DATA_DIR`` (None when unset)."""
    d = config.data_dir()
    if d is None:
        return None
    return d / "mnist" if (d / "mnist").is_dir() else d


def mnist_from_idx() -> tuple[tuple[np.ndarray, ...], str] | None:
    folder = mnist_idx_folder()
    if folder is None:
        return None
    test = _idx_split(folder, "t10k")
    train = _idx_split(folder, "train")
    if train is not None and test is not None:
        return (*train, *test), f"MNIST (IDX files in {folder}): {len(train[0]):,} train / {len(test[0]):,} test"
    only = test or train
    if only is None:
        return None
    x, y = only
    order = np.random.default_rng(0).permutation(len(x))
    n_tr = int(round(0.8 * len(x)))
    tr, te = order[:n_tr], order[n_tr:]
    which = "test" if test is not None else "training"
    return (x[tr], y[tr], x[te], y[te]), (
        f"MNIST {which} set only (IDX files in {folder}), split {n_tr:,} train / {len(x) - n_tr:,} test"
    )


def _digits_28() -> tuple[np.ndarray, np.ndarray]:
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float32) / 16.0
    # MNIST centres each digit in a 20×20 box inside a 28×28 frame: do the same.
    big = resize(small, (len(small), 20, 20), order=1, anti_aliasing=False, preserve_range=True)
    out = np.zeros((len(small), 28, 28), np.float32)
    out[:, 4:24, 4:24] = np.clip(big, 0.0, 1.0)
    return (out * 255).round().astype(np.uint8), digits.target.astype(np.int64)


def mnist_from_digits() -> tuple[tuple[np.ndarray, ...], str]:
    x, y = _digits_28()
    order = np.random.default_rng(0).permutation(len(x))
    n_tr = int(round(0.8 * len(x)))
    tr, te = order[:n_tr], order[n_tr:]
    return (x[tr], y[tr], x[te], y[te]), (
        f"scikit-learn 8×8 digits upsampled to 28×28 (offline fallback, NOT MNIST): "
        f"{n_tr:,} train / {len(x) - n_tr:,} test"
    )


# --------------------------------------------------------------------------- medical images
def load_medmnist_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a MedMNIST ``.npz`` (2-D, grey) and check its layout.

    Returns ``{"x_train", "y_train", "x_val", "y_val", "x_test", "y_test"}``
    with images as float32 in ``[0, 1]`` shaped ``(N, S, S, 1)`` and labels
    flattened to int64.  Raises ``FileNotFoundError`` / ``ValueError`` for a
    missing or malformed file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MedMNIST file not found: {path}")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as f:
            for split in ("train", "val", "test"):
                imgs = np.asarray(f[f"{split}_images"])
                labels = np.asarray(f[f"{split}_labels"]).reshape(-1)
                if imgs.ndim != 3 or imgs.shape[1] != imgs.shape[2]:
                    raise ValueError(f"{split}_images has shape {imgs.shape}; expected (N, S, S) grey images")
                if imgs.dtype != np.uint8:
                    raise ValueError(f"{split}_images has dtype {imgs.dtype}; expected uint8")
                if len(labels) != len(imgs):
                    raise ValueError(f"{split}: {len(imgs)} images but {len(labels)} labels")
                out[f"x_{split}"] = (imgs.astype(np.float32) / 255.0)[..., None]
                out[f"y_{split}"] = labels.astype(np.int64)
    except KeyError as exc:
        raise ValueError(
            f"{path} is not a MedMNIST .npz: missing {exc}; expected train/val/test _images and _labels"
        ) from exc
    except (OSError, EOFError, struct.error, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz file (corrupt or truncated?): {exc}") from exc
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: {exc}") from exc
    return out


def pneumonia_candidates(filename: str) -> list[Path]:
    paths = []
    d = config.data_dir()
    if d is not None:
        paths += [d / filename, d / "medmnist" / filename]
    paths.append(config.cache_dir(create=False) / filename)
    return paths


def pneumonia_from_files(size: int, allow_download: bool, verbose: bool) -> tuple[dict[str, np.ndarray], str] | None:
    filename, md5 = PNEUMONIAMNIST_FILES[size]
    found = first_readable(pneumonia_candidates(filename), load_medmnist_npz, verbose)
    if found is not None:
        return found[1], f"PneumoniaMNIST chest X-rays, {size}×{size} px ({found[0]})"
    if not allow_download:
        return None
    dest = config.cache_dir() / filename
    try:
        download_file(MEDMNIST_URL.format(name=filename), dest, md5=md5, timeout=30, retries=2)
    except (DownloadError, ValueError) as exc:
        if verbose:
            print(f"PneumoniaMNIST download not possible ({type(exc).__name__}); using the offline MRI fallback.")
        return None
    return load_medmnist_npz(dest), f"PneumoniaMNIST chest X-rays, {size}×{size} px (downloaded to {dest})"


def mri_template_slices(size: int = 28, *, min_brain_fraction: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Axial slices of nilearn's bundled MNI152 T1 template, resized to ``size``.

    Returns ``(images, z)``: float32 images in ``[0, 1]`` shaped
    ``(N, size, size, 1)`` ordered from bottom to top, and each slice's z index.
    Only slices whose brain area is at least ``min_brain_fraction`` of the
    largest slice's are kept.  Offline: the template ships with nilearn.
    """
    from nilearn.datasets import load_mni152_template
    from skimage.transform import resize

    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    img = load_mni152_template(resolution=1)
    # float32 straight from the image proxy (get_fdata would keep a float64 copy alive), and
    # drop nilearn's cached template afterwards: ~100 MB less in a student's kernel.
    vol = np.asanyarray(img.dataobj, dtype=np.float32)
    del img
    cache_clear = getattr(load_mni152_template, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
    vol = np.clip(vol / max(float(vol.max()), 1e-8), 0.0, 1.0)
    mask = vol > 0.05
    area = mask.sum(axis=(0, 1))
    keep = np.flatnonzero(area >= min_brain_fraction * area.max())
    xs, ys = np.flatnonzero(mask.any(axis=(1, 2))), np.flatnonzero(mask.any(axis=(0, 2)))
    # A square crop around the head, so resizing does not distort it.
    cx, cy = (xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2
    half = max(xs[-1] - xs[0], ys[-1] - ys[0]) / 2 + 2
    x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
    x1, y1 = int(min(cx + half, vol.shape[0])), int(min(cy + half, vol.shape[1]))
    crop = vol[x0:x1, y0:y1, :][:, :, keep]
    # Radiological orientation for display: rows = anterior→posterior flipped.
    slices = np.rot90(crop, k=1, axes=(0, 1)).transpose(2, 0, 1)
    out = resize(slices, (len(slices), size, size), order=1, anti_aliasing=True, preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)[..., None], keep.astype(np.int64)


def _block_split(n: int, block: int = 5, gap: int = 1) -> dict[str, np.ndarray]:
    """Assign consecutive slices to train/val/test in blocks, dropping ``gap``
    slices wherever the split changes so no neighbouring slices cross splits."""
    pattern = ["train", "train", "val", "train", "test"]
    labels = [pattern[(i // block) % len(pattern)] for i in range(n)]
    keep = np.ones(n, bool)
    for i in range(1, n):
        if labels[i] != labels[i - 1]:
            keep[i : i + gap] = False
    return {
        s: np.array([i for i in range(n) if keep[i] and labels[i] == s], dtype=np.int64)
        for s in ("train", "val", "test")
    }


def mri_from_template(size: int) -> tuple[dict[str, np.ndarray], str]:
    images, z = mri_template_slices(size)
    parts = _block_split(len(images))
    out: dict[str, np.ndarray] = {}
    for split, idx in parts.items():
        out[f"x_{split}"] = images[idx]
        out[f"y_{split}"] = z[idx]
    note = (
        f"MNI152 T1 MRI template bundled with nilearn (offline fallback), axial slices {size}×{size} px; "
        "train/val/test are separate blocks of slices with a gap (no shared or neighbouring slices); "
        "labels are slice indices"
    )
    return out, note

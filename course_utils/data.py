"""Data loaders with offline fallbacks, safe downloads and noise models.

Taught in: 01_background, 02_mnist_autoencoder and 05_variational_autoencoders (MNIST),
04_medical_image_denoising (medical images and DICOM) and 06_project_ideas (the breast-cancer
split; lesson 03 loads scikit-learn's copy itself, to show every step).  Every loader works without a network and prints **one visible
line** saying which data it is using, so a student always knows whether the
numbers in front of them come from the real dataset or from a fallback.

Where data comes from, in order (``source="auto"``):

* **MNIST** — Keras' ``mnist.npz`` (60k train / 10k test) if it is already in
  ``$COURSE_DATA_DIR``, the course cache or Keras' cache, else downloaded when
  the network allows; else the IDX files in ``$COURSE_DATA_DIR/mnist/`` (the
  shared CI folder holds only the 10k *test* set, split 8000/2000 here); else
  scikit-learn's bundled 8×8 digits upsampled to 28×28 (1797 images).
* **Breast cancer** — scikit-learn's bundled copy (always offline).
* **Medical images** — PneumoniaMNIST chest X-rays in the MedMNIST ``.npz``
  format from ``$COURSE_DATA_DIR``, the cache, or Zenodo; else axial slices of
  the MNI152 MRI template bundled with nilearn.
* **DICOM** — the small CT/MR files bundled with pydicom.

Downloads (:mod:`course_utils.downloads`) are verified by checksum and renamed
into place only when complete.  Set ``COURSE_OFFLINE=1`` to forbid network access
entirely (CI does).  Where each file is looked for and how it is read lives in
:mod:`course_utils.sources`; this module holds the loaders the lessons call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import sources
from ._checks import choice, optional_positive_int
from ._checks import seed as check_seed
from .config import OFFLINE_ENV, offline
from .downloads import DownloadError, download_file, file_digest
from .sources import (
    MEDMNIST_URL,
    MNIST_SHA256,
    MNIST_URL,
    PNEUMONIAMNIST_FILES,
    load_medmnist_npz,
    mri_template_slices,
    read_idx,
)

__all__ = [
    "ImageData",
    "TabularData",
    "DownloadError",
    "offline",
    "download_file",
    "file_digest",
    "read_idx",
    "load_mnist",
    "load_breast_cancer_split",
    "load_medical_images",
    "load_medmnist_npz",
    "mri_template_slices",
    "load_dicom_sample",
    "add_noise",
    "available_sources",
    "NOISE_KINDS",
    "MEDMNIST_URL",
    "MNIST_SHA256",
    "MNIST_URL",
    "OFFLINE_ENV",
    "PNEUMONIAMNIST_FILES",
]

NOISE_KINDS = ("gaussian", "poisson", "salt_and_pepper")


# --------------------------------------------------------------------------- containers
@dataclass
class ImageData:
    """Images in ``[0, 1]`` (float32) with integer labels and a note on their source.

    ``x_val``/``y_val`` are ``None`` when the dataset has no separate
    validation split (MNIST: the lessons validate on the test set, as the seed
    does).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    source: str = ""

    def __repr__(self) -> str:
        val = "none" if self.x_val is None else str(self.x_val.shape)
        return f"ImageData(train={self.x_train.shape}, val={val}, test={self.x_test.shape}, source={self.source!r})"


@dataclass
class TabularData:
    """A scaled train/test split of the breast-cancer table (lesson 03)."""

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    scaler: Any
    source: str = ""

    @property
    def y_anomaly_test(self) -> np.ndarray:
        """1 = malignant (the anomaly), 0 = benign, for the test rows.

        scikit-learn codes the target the other way round (0 = malignant).
        """
        return (self.y_test == 0).astype(np.int64)

    @property
    def y_anomaly_train(self) -> np.ndarray:
        """1 = malignant, 0 = benign, for the training rows."""
        return (self.y_train == 0).astype(np.int64)


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(message)


def load_mnist(
    *,
    flatten: bool = True,
    n_train: int | None = None,
    n_test: int | None = None,
    source: str = "auto",
    download: bool = True,
    verbose: bool = True,
) -> ImageData:
    """Handwritten digits as float32 in ``[0, 1]``; prints one line naming the source.

    Taught in: 01_background, 02_mnist_autoencoder, 05_variational_autoencoders.

    ``flatten=True`` gives ``(N, 784)`` vectors (the seed's dense model),
    ``flatten=False`` gives ``(N, 28, 28, 1)`` images (convolutional models).
    ``source``: ``"auto"`` (best available, see the module docstring),
    ``"keras"`` (``mnist.npz``; cached or downloaded), ``"idx"`` (IDX files in
    ``$COURSE_DATA_DIR``) or ``"sklearn"`` (bundled 8×8 digits, upsampled).
    ``n_train``/``n_test`` take the first images of each split; asking for more
    than exist gives all of them and says so.
    """
    choice("source", source, ("auto", "keras", "idx", "sklearn"))
    n_train, n_test = optional_positive_int("n_train", n_train), optional_positive_int("n_test", n_test)
    allow_download = download and not offline()
    found: tuple[tuple[np.ndarray, ...], str] | None = None
    if source in ("auto", "keras"):
        found = sources.mnist_from_npz(allow_download, verbose)
        if found is None and source == "keras":
            raise FileNotFoundError(
                "MNIST mnist.npz is not cached and could not be downloaded "
                + ("(COURSE_OFFLINE is set or download=False)" if not allow_download else "")
                + "; use source='auto' for the offline fallbacks"
            )
    if found is None and source in ("auto", "idx"):
        found = sources.mnist_from_idx()
        if found is None and source == "idx":
            raise FileNotFoundError(
                "no MNIST IDX files (t10k-images-idx3-ubyte[.gz] ...) found: set COURSE_DATA_DIR to a "
                "folder containing mnist/ with the IDX files"
            )
    if found is None:
        found = sources.mnist_from_digits()
    (x_tr, y_tr, x_te, y_te), note = found
    notes = []
    if n_train is not None:
        if n_train > len(x_tr):
            notes.append(f"asked for {n_train:,} training images, only {len(x_tr):,} exist")
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    if n_test is not None:
        if n_test > len(x_te):
            notes.append(f"asked for {n_test:,} test images, only {len(x_te):,} exist")
        x_te, y_te = x_te[:n_test], y_te[:n_test]

    def prep(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32) / 255.0
        return x.reshape(len(x), -1) if flatten else x[..., None]

    data = ImageData(prep(x_tr), y_tr.astype(np.int64), prep(x_te), y_te.astype(np.int64), source=note)
    used = f"using {len(data.x_train):,} train / {len(data.x_test):,} test"
    _say(verbose, f"Data: {note} — {used}" + (f" ({'; '.join(notes)})" if notes else ""))
    return data


# --------------------------------------------------------------------------- breast cancer
def load_breast_cancer_split(
    *,
    test_size: float = 0.2,
    random_state: int = 42,
    scale_on: str = "train",
    benign_only: bool = False,
    stratify: bool = False,
    verbose: bool = True,
) -> TabularData:
    """scikit-learn's breast-cancer table, split and Min-Max scaled (lesson 03).

    Taught in: 06_project_ideas.

    ``scale_on="all"`` fits the scaler on every row before splitting, exactly
    as the seed does (this leaks test-set statistics into training);
    ``"train"`` (default) fits it on the training rows only.  With
    ``benign_only=True`` the training rows keep only benign tumours (the
    anomaly-detection set-up); the test rows keep both classes.  Targets are
    scikit-learn's (0 = malignant, 1 = benign); see ``y_anomaly_test``.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    choice("scale_on", scale_on, ("train", "all"))
    if not isinstance(test_size, (int, float)) or isinstance(test_size, bool) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1, got {test_size!r}")
    ds = load_breast_cancer()
    x, y = ds.data.astype(np.float64), ds.target.astype(np.int64)
    scaler = MinMaxScaler()
    if scale_on == "all":
        x = scaler.fit_transform(x)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_size, random_state=random_state, stratify=y if stratify else None
    )
    if benign_only:
        keep = y_tr == 1
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    if scale_on == "train":
        x_tr = scaler.fit_transform(x_tr)
        x_te = scaler.transform(x_te)
    note = (
        f"scikit-learn breast cancer (Wisconsin diagnostic), {len(x_tr)} train"
        f"{' (benign only)' if benign_only else ''} / {len(x_te)} test rows, 30 features, "
        f"MinMax scaler fitted on {'all rows (as in the seed — leaks test statistics)' if scale_on == 'all' else 'training rows'}"
    )
    _say(verbose, f"Data: {note}")
    return TabularData(
        x_tr.astype(np.float32),
        x_te.astype(np.float32),
        y_tr,
        y_te,
        list(map(str, ds.feature_names)),
        scaler,
        note,
    )


def load_medical_images(
    *,
    size: int = 28,
    source: str = "auto",
    n_train: int | None = None,
    n_val: int | None = None,
    n_test: int | None = None,
    download: bool = True,
    verbose: bool = True,
) -> ImageData:
    """Grey medical images in ``[0, 1]`` shaped ``(N, size, size, 1)`` with train/val/test splits.

    Taught in: 04_medical_image_denoising.

    ``source="pneumoniamnist"`` — PneumoniaMNIST chest X-rays (MedMNIST
    ``.npz``) from ``$COURSE_DATA_DIR``, the cache or Zenodo (``size`` 28, or
    64, 128 or 224 for the larger MedMNIST+ files ``pneumoniamnist_<size>.npz``); ``"mri"`` — axial slices of nilearn's bundled MRI template (any
    ``size`` ≥ 8); ``"auto"`` — the X-rays if available, else the MRI slices.
    Prints one line saying which.  Labels: pneumonia (1) / normal (0) for the
    X-rays, slice index for the MRI.
    """
    choice("source", source, ("auto", "pneumoniamnist", "mri"))
    if source != "mri":
        choice("size", size, tuple(PNEUMONIAMNIST_FILES))
    n_train, n_val, n_test = (
        optional_positive_int(k, v) for k, v in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test))
    )
    found = None
    if source in ("auto", "pneumoniamnist"):
        found = sources.pneumonia_from_files(size, download and not offline(), verbose)
        if found is None and source == "pneumoniamnist":
            raise FileNotFoundError(
                f"{PNEUMONIAMNIST_FILES[size][0]} is not in COURSE_DATA_DIR or the cache and could not be "
                "downloaded; use source='auto' or 'mri' for the offline fallback"
            )
    if found is None:
        found = sources.mri_from_template(size)
    arrays, note = found
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        if n is not None:
            arrays[f"x_{split}"], arrays[f"y_{split}"] = arrays[f"x_{split}"][:n], arrays[f"y_{split}"][:n]
    data = ImageData(
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        arrays["x_val"],
        arrays["y_val"],
        source=note,
    )
    _say(
        verbose,
        f"Data: {note} — {len(data.x_train)} train / {len(arrays['x_val'])} val / {len(data.x_test)} test images",
    )
    return data


# --------------------------------------------------------------------------- DICOM
def load_dicom_sample(name: str = "CT_small.dcm") -> Any:
    """One of the small DICOM files bundled with pydicom, read with ``dcmread``.

    Taught in: 04_medical_image_denoising.  Try ``"CT_small.dcm"`` or
    ``"MR_small.dcm"``.  Raises ``FileNotFoundError`` for an unknown name.
    """
    import pydicom
    from pydicom.data import get_testdata_file

    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a file name such as 'CT_small.dcm', got {name!r}")
    path = get_testdata_file(name, download=False)
    if path is None:
        raise FileNotFoundError(f"pydicom has no bundled test file {name!r}; try 'CT_small.dcm' or 'MR_small.dcm'")
    return pydicom.dcmread(path)


# --------------------------------------------------------------------------- noise
def add_noise(images: Any, kind: str = "gaussian", level: Any = 0.1, seed: int | None = None) -> np.ndarray:
    """Corrupt images in ``[0, 1]`` with a noise model; returns float32 clipped to ``[0, 1]``.

    Taught in: 04_medical_image_denoising (and the denoising variants of 02).

    * ``"gaussian"`` — additive, standard deviation ``level``;
    * ``"poisson"`` — shot noise with ``1/level²`` photons at intensity 1, so
      its standard deviation at full intensity is about ``level``;
    * ``"salt_and_pepper"`` — a fraction ``level`` of pixels set to 0 or 1.

    ``level`` is one number for every image, or one number per image (a 1-D array as long as the
    first axis of ``images``: lesson 04 trains one model on many noise levels).
    """
    choice("kind", kind, NOISE_KINDS)
    x = np.asarray(images, dtype=np.float32)
    if x.size == 0:
        raise ValueError("images is empty")
    if not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(f"images must lie in [0, 1]; got values in [{x.min():.3g}, {x.max():.3g}]")
    lv = _noise_levels(level, x)
    rng = np.random.default_rng(check_seed(seed))
    if kind == "gaussian":
        if np.any(lv < 0):
            raise ValueError(f"gaussian level (sigma) must be >= 0, got {level}")
        noisy = x + (rng.standard_normal(size=x.shape) * lv).astype(np.float32)
    elif kind == "poisson":
        if np.any(lv <= 0):
            raise ValueError(f"poisson level must be > 0 (peak photons = 1/level**2), got {level}")
        peak = 1.0 / lv**2
        noisy = (rng.poisson(x.astype(np.float64) * peak) / peak).astype(np.float32)
    else:
        if np.any((lv < 0) | (lv > 1)):
            raise ValueError(f"salt_and_pepper level is a fraction of pixels in [0, 1], got {level}")
        noisy = x.copy()
        u = rng.random(x.shape)
        noisy[u < lv / 2] = 0.0
        noisy[(u >= lv / 2) & (u < lv)] = 1.0
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def _noise_levels(level: Any, x: np.ndarray) -> np.ndarray:
    """``level`` as float64, shaped to broadcast over ``x``: a scalar, or one level per image."""
    if isinstance(level, (bool, np.bool_)):
        raise ValueError(f"level must be a number, got {level!r}")
    try:
        lv = np.asarray(level, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"level must be a number or one number per image, got {level!r}") from None
    if lv.ndim == 1 and len(lv) == len(x) and x.ndim > 1:
        lv = lv.reshape((-1,) + (1,) * (x.ndim - 1))
    elif lv.ndim != 0:
        raise ValueError(
            f"level must be a number or a 1-D array with one level per image ({len(x)}), got shape {lv.shape}"
        )
    if not np.all(np.isfinite(lv)):
        raise ValueError(f"level must be finite, got {level!r}")
    return lv


# --------------------------------------------------------------------------- report
def available_sources() -> dict[str, str]:
    """What each loader would use right now, without loading or downloading anything."""
    net = f"no network ({OFFLINE_ENV})" if offline() else "download if missing"
    mnist = next((str(p) for p in sources.mnist_npz_candidates() if p.is_file()), None)
    if mnist:
        m = f"Keras mnist.npz ({mnist})"
    else:
        folder = sources.mnist_idx_folder()
        if folder is not None and sources.find_idx(folder, sources.IDX_FILES["t10k"][0]):
            m = f"IDX files in {folder}"
        else:
            m = (
                f"Keras MNIST ({net}), else scikit-learn digits"
                if not offline()
                else "scikit-learn digits (offline fallback)"
            )
    med = next(
        (
            str(p)
            for s in PNEUMONIAMNIST_FILES
            for p in sources.pneumonia_candidates(PNEUMONIAMNIST_FILES[s][0])
            if p.is_file()
        ),
        None,
    )
    if med:
        x = f"PneumoniaMNIST ({med})"
    else:
        x = (
            "nilearn MRI template (offline fallback)"
            if offline()
            else f"PneumoniaMNIST ({net}), else nilearn MRI template"
        )
    return {"mnist": m, "medical": x, "breast_cancer": "scikit-learn (bundled)"}

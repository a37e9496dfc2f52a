"""Data loaders with offline fallbacks, safe downloads and noise models.

Taught in: every lesson (01/02/05 MNIST, 03 breast cancer, 04 medical images
and DICOM).  Every loader works without a network and prints **one visible
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

Downloads are verified by checksum, written to a temporary file and renamed
into place only when complete, so an interrupted or corrupt download never
leaves a half-written cache file.  Set ``COURSE_OFFLINE=1`` to forbid network
access entirely (CI does).
"""

from __future__ import annotations

import gzip
import http.client
import hashlib
import os
import socket
import struct
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from . import runtime

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
]

OFFLINE_ENV = "COURSE_OFFLINE"

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

# MedMNIST v3 (Zenodo record 10519652); MD5s as published in MedMNIST's INFO.
MEDMNIST_URL = "https://zenodo.org/records/10519652/files/{name}?download=1"
PNEUMONIAMNIST_FILES = {
    28: ("pneumoniamnist.npz", "28209eda62fecd6e6a2d98b1501bb15f"),
    64: ("pneumoniamnist_64.npz", "8f4eceb4ccffa70c672198ea285246c6"),
}

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

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
        return (
            f"ImageData(train={self.x_train.shape}, val={val}, test={self.x_test.shape}, "
            f"source={self.source!r})"
        )


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


class DownloadError(OSError):
    """A download failed (network error, HTTP error, truncated transfer)."""


# --------------------------------------------------------------------------- helpers
def offline() -> bool:
    """True when ``COURSE_OFFLINE`` forbids network access (CI and tests set it)."""
    raw = os.environ.get(OFFLINE_ENV, "").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise ValueError(f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]!r} is not understood: use 1 or 0")


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(message)


def _check_count(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    return int(value)


def _check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}")


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file (``algorithm`` is any :mod:`hashlib` name, e.g. md5)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected_hash(sha256: str | None, md5: str | None) -> tuple[str, str] | None:
    if sha256 and md5:
        raise ValueError("give sha256 or md5, not both")
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    md5: str | None = None,
    timeout: float = 30.0,
    retries: int = 2,
    backoff: float = 1.0,
    verbose: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` safely and return ``dest``.

    The bytes go to a temporary file in the destination folder, which is
    renamed to ``dest`` only after the transfer is complete (length matches the
    server's ``Content-Length``) and the checksum matches.  A stalled server
    (no byte for ``timeout`` seconds), a truncated transfer or a connection
    error is retried ``retries`` times with exponential back-off; HTTP client
    errors (404 ...) and checksum mismatches are not retried.  Whatever happens,
    no partial file is left behind.

    Raises :class:`DownloadError` for network/HTTP failures and ``ValueError``
    for a checksum mismatch.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http(s) URL, got {url!r}")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if not timeout or timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    expected = _expected_hash(sha256, md5)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            h = hashlib.new(expected[0]) if expected else None
            received = 0
            request = urllib.request.Request(url, headers={"User-Agent": "course_utils"})
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
                length = resp.headers.get("Content-Length")
                total = int(length) if length is not None and length.isdigit() else None
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if h is not None:
                        h.update(chunk)
            if total is not None and received != total:
                raise DownloadError(f"truncated download of {url}: got {received} of {total} bytes")
            if expected is not None and h is not None and h.hexdigest() != expected[1]:
                raise ValueError(
                    f"checksum mismatch for {url}: expected {expected[0]} {expected[1]}, "
                    f"got {h.hexdigest()} — the file is corrupt or has changed; nothing was saved"
                )
            os.replace(tmp, dest)
            _say(verbose, f"Downloaded {url} → {dest} ({received / 1e6:.1f} MB)")
            return dest
        except urllib.error.HTTPError as exc:
            last_error = exc
            if 400 <= exc.code < 500:
                raise DownloadError(f"HTTP {exc.code} for {url}: {exc.reason}") from exc
        except ValueError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts, resets, truncation (IncompleteRead) ...: retry.
            last_error = exc
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
    raise DownloadError(f"could not download {url} after {retries + 1} attempt(s): {last_error}") from last_error


def _atomic_save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` via a temporary file and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _first_readable(paths: Iterable[Path], reader: Callable[[Path], Any], verbose: bool) -> tuple[Path, Any] | None:
    """The first existing file that ``reader`` accepts; corrupt ones are skipped with a note."""
    for p in paths:
        if p.is_file():
            try:
                return p, reader(p)
            except ValueError as exc:
                _say(verbose, f"Skipping {p}: {exc}")
    return None


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


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        p = folder / name
        if p.is_file():
            return p
    return None


def _idx_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    img_stem, lab_stem = _IDX_FILES[split]
    img, lab = _find_idx(folder, img_stem), _find_idx(folder, lab_stem)
    if img is None or lab is None:
        return None
    x, y = read_idx(img), read_idx(lab)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{folder}: {split} images {x.shape} and labels {y.shape} do not match")
    return x, y


# --------------------------------------------------------------------------- MNIST
def _mnist_npz_candidates() -> list[Path]:
    paths = []
    d = runtime.data_dir()
    if d is not None:
        paths += [d / "mnist.npz", d / "mnist" / "mnist.npz"]
    paths.append(runtime.cache_dir(create=False) / "mnist.npz")
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


def _mnist_from_npz(allow_download: bool, verbose: bool) -> tuple[tuple[np.ndarray, ...], str] | None:
    found = _first_readable(_mnist_npz_candidates(), _read_mnist_npz, verbose)
    if found is not None:
        return found[1], f"MNIST (Keras mnist.npz at {found[0]}): 60,000 train / 10,000 test"
    if not allow_download:
        return None
    dest = runtime.cache_dir() / "mnist.npz"
    try:
        download_file(MNIST_URL, dest, sha256=MNIST_SHA256, timeout=20, retries=1)
    except (DownloadError, ValueError) as exc:
        _say(verbose, f"MNIST download not possible ({type(exc).__name__}); using an offline source.")
        return None
    return _read_mnist_npz(dest), "MNIST (downloaded mnist.npz): 60,000 train / 10,000 test"


def _mnist_from_idx(verbose: bool) -> tuple[tuple[np.ndarray, ...], str] | None:
    d = runtime.data_dir()
    if d is None:
        return None
    folder = d / "mnist" if (d / "mnist").is_dir() else d
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


def _mnist_from_digits() -> tuple[tuple[np.ndarray, ...], str]:
    x, y = _digits_28()
    order = np.random.default_rng(0).permutation(len(x))
    n_tr = int(round(0.8 * len(x)))
    tr, te = order[:n_tr], order[n_tr:]
    return (x[tr], y[tr], x[te], y[te]), (
        f"scikit-learn 8×8 digits upsampled to 28×28 (offline fallback, NOT MNIST): "
        f"{n_tr:,} train / {len(x) - n_tr:,} test"
    )


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
    _check_choice("source", source, ("auto", "keras", "idx", "sklearn"))
    n_train, n_test = _check_count("n_train", n_train), _check_count("n_test", n_test)
    allow_download = download and not offline()
    found: tuple[tuple[np.ndarray, ...], str] | None = None
    if source in ("auto", "keras"):
        found = _mnist_from_npz(allow_download, verbose)
        if found is None and source == "keras":
            raise FileNotFoundError(
                "MNIST mnist.npz is not cached and could not be downloaded "
                + ("(COURSE_OFFLINE is set or download=False)" if not allow_download else "")
                + "; use source='auto' for the offline fallbacks"
            )
    if found is None and source in ("auto", "idx"):
        found = _mnist_from_idx(verbose)
        if found is None and source == "idx":
            raise FileNotFoundError(
                "no MNIST IDX files (t10k-images-idx3-ubyte[.gz] ...) found: set COURSE_DATA_DIR to a "
                "folder containing mnist/ with the IDX files"
            )
    if found is None:
        found = _mnist_from_digits()
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

    Taught in: 03_breast_cancer_autoencoder.

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

    _check_choice("scale_on", scale_on, ("train", "all"))
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


def _pneumonia_candidates(filename: str) -> list[Path]:
    paths = []
    d = runtime.data_dir()
    if d is not None:
        paths += [d / filename, d / "medmnist" / filename]
    paths.append(runtime.cache_dir(create=False) / filename)
    return paths


def _pneumonia(size: int, allow_download: bool, verbose: bool) -> tuple[dict[str, np.ndarray], str] | None:
    filename, md5 = PNEUMONIAMNIST_FILES[size]
    found = _first_readable(_pneumonia_candidates(filename), load_medmnist_npz, verbose)
    if found is not None:
        return found[1], f"PneumoniaMNIST chest X-rays, {size}×{size} px ({found[0]})"
    if not allow_download:
        return None
    dest = runtime.cache_dir() / filename
    try:
        download_file(MEDMNIST_URL.format(name=filename), dest, md5=md5, timeout=30, retries=2)
    except (DownloadError, ValueError) as exc:
        _say(verbose, f"PneumoniaMNIST download not possible ({type(exc).__name__}); using the offline MRI fallback.")
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
    return {s: np.array([i for i in range(n) if keep[i] and labels[i] == s], dtype=np.int64) for s in ("train", "val", "test")}


def _mri(size: int) -> tuple[dict[str, np.ndarray], str]:
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
    ``.npz``) from ``$COURSE_DATA_DIR``, the cache or Zenodo (``size`` 28 or
    64); ``"mri"`` — axial slices of nilearn's bundled MRI template (any
    ``size`` ≥ 8); ``"auto"`` — the X-rays if available, else the MRI slices.
    Prints one line saying which.  Labels: pneumonia (1) / normal (0) for the
    X-rays, slice index for the MRI.
    """
    _check_choice("source", source, ("auto", "pneumoniamnist", "mri"))
    if source != "mri":
        _check_choice("size", size, tuple(PNEUMONIAMNIST_FILES))
    n_train, n_val, n_test = (_check_count(k, v) for k, v in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)))
    found = None
    if source in ("auto", "pneumoniamnist"):
        found = _pneumonia(size, download and not offline(), verbose)
        if found is None and source == "pneumoniamnist":
            raise FileNotFoundError(
                f"{PNEUMONIAMNIST_FILES[size][0]} is not in COURSE_DATA_DIR or the cache and could not be "
                "downloaded; use source='auto' or 'mri' for the offline fallback"
            )
    if found is None:
        found = _mri(size)
    arrays, note = found
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        if n is not None:
            arrays[f"x_{split}"], arrays[f"y_{split}"] = arrays[f"x_{split}"][:n], arrays[f"y_{split}"][:n]
    data = ImageData(
        arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
        arrays["x_val"], arrays["y_val"], source=note,
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
        raise FileNotFoundError(
            f"pydicom has no bundled test file {name!r}; try 'CT_small.dcm' or 'MR_small.dcm'"
        )
    return pydicom.dcmread(path)


# --------------------------------------------------------------------------- noise
def add_noise(images: Any, kind: str = "gaussian", level: float = 0.1, seed: int | None = None) -> np.ndarray:
    """Corrupt images in ``[0, 1]`` with a noise model; returns float32 clipped to ``[0, 1]``.

    Taught in: 04_medical_image_denoising (and the denoising variants of 02).

    * ``"gaussian"`` — additive, standard deviation ``level``;
    * ``"poisson"`` — shot noise with ``1/level²`` photons at intensity 1, so
      its standard deviation at full intensity is about ``level``;
    * ``"salt_and_pepper"`` — a fraction ``level`` of pixels set to 0 or 1.
    """
    _check_choice("kind", kind, NOISE_KINDS)
    x = np.asarray(images, dtype=np.float32)
    if x.size == 0:
        raise ValueError("images is empty")
    if not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values")
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(f"images must lie in [0, 1]; got values in [{x.min():.3g}, {x.max():.3g}]")
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not np.isfinite(level):
        raise ValueError(f"level must be a number, got {level!r}")
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        if level < 0:
            raise ValueError(f"gaussian level (sigma) must be >= 0, got {level}")
        noisy = x + rng.normal(0.0, level, size=x.shape).astype(np.float32)
    elif kind == "poisson":
        if level <= 0:
            raise ValueError(f"poisson level must be > 0 (peak photons = 1/level**2), got {level}")
        peak = 1.0 / float(level) ** 2
        noisy = (rng.poisson(x.astype(np.float64) * peak) / peak).astype(np.float32)
    else:
        if not 0 <= level <= 1:
            raise ValueError(f"salt_and_pepper level is a fraction of pixels in [0, 1], got {level}")
        noisy = x.copy()
        u = rng.random(x.shape)
        noisy[u < level / 2] = 0.0
        noisy[(u >= level / 2) & (u < level)] = 1.0
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- report
def available_sources() -> dict[str, str]:
    """What each loader would use right now, without loading or downloading anything."""
    net = "no network (COURSE_OFFLINE)" if offline() else "download if missing"
    mnist = next((str(p) for p in _mnist_npz_candidates() if p.is_file()), None)
    if mnist:
        m = f"Keras mnist.npz ({mnist})"
    else:
        d = runtime.data_dir()
        folder = None if d is None else (d / "mnist" if (d / "mnist").is_dir() else d)
        if folder is not None and _find_idx(folder, _IDX_FILES["t10k"][0]):
            m = f"IDX files in {folder}"
        else:
            m = f"Keras MNIST ({net}), else scikit-learn digits" if not offline() else "scikit-learn digits (offline fallback)"
    med = next((str(p) for s in PNEUMONIAMNIST_FILES for p in _pneumonia_candidates(PNEUMONIAMNIST_FILES[s][0]) if p.is_file()), None)
    if med:
        x = f"PneumoniaMNIST ({med})"
    else:
        x = "nilearn MRI template (offline fallback)" if offline() else f"PneumoniaMNIST ({net}), else nilearn MRI template"
    return {"mnist": m, "medical": x, "breast_cancer": "scikit-learn (bundled)"}

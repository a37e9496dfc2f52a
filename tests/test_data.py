"""Tests for course_utils.data: offline fallbacks, IDX/npz parsing, safe downloads, noise.

Downloads are tested only against a local HTTP server on 127.0.0.1; nothing
here touches the internet (COURSE_OFFLINE=1 is set for every test by conftest).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from course_utils import data, sources

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


# --------------------------------------------------------------------------- local server
class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[str, bytes]] = {}
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        self.hits[path] = self.hits.get(path, 0) + 1
        mode, body = self.routes.get(path, ("404", b""))
        if mode == "404":
            self.send_error(404, "Not Found")
            return
        if mode == "500-once" and self.hits[path] == 1:
            self.send_error(500, "flaky")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "truncated":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "stall":
            self.wfile.write(body[:10])
            self.wfile.flush()
            time.sleep(1.5)
            return
        self.wfile.write(body)


@pytest.fixture()
def server():
    _Handler.routes = {}
    _Handler.hits = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, _Handler
    httpd.shutdown()
    httpd.server_close()


def _no_partials(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# --------------------------------------------------------------------------- download_file
def test_download_success_with_checksum(server, tmp_path):
    base, h = server
    body = os.urandom(200_000)
    h.routes["/f.bin"] = ("ok", body)
    dest = data.download_file(base + "/f.bin", tmp_path / "f.bin", sha256=hashlib.sha256(body).hexdigest(), timeout=5)
    assert dest.read_bytes() == body
    assert _no_partials(tmp_path) == []


def test_download_md5_is_checked(server, tmp_path):
    base, h = server
    h.routes["/f.bin"] = ("ok", b"hello world")
    data.download_file(base + "/f.bin", tmp_path / "ok.bin", md5=hashlib.md5(b"hello world").hexdigest(), timeout=5)
    with pytest.raises(ValueError, match="checksum mismatch"):
        data.download_file(base + "/f.bin", tmp_path / "bad.bin", md5="0" * 32, timeout=5)
    assert not (tmp_path / "bad.bin").exists()
    assert _no_partials(tmp_path) == []


def test_download_404_is_not_retried_and_leaves_nothing(server, tmp_path):
    base, h = server
    with pytest.raises(data.DownloadError, match="HTTP 404"):
        data.download_file(base + "/missing", tmp_path / "m.bin", timeout=5, retries=3, backoff=0)
    assert h.hits["/missing"] == 1
    assert list(tmp_path.iterdir()) == []


def test_download_truncated_is_retried_then_fails_cleanly(server, tmp_path):
    base, h = server
    h.routes["/t.bin"] = ("truncated", os.urandom(50_000))
    with pytest.raises(data.DownloadError, match="could not download"):
        data.download_file(base + "/t.bin", tmp_path / "t.bin", timeout=5, retries=1, backoff=0)
    assert h.hits["/t.bin"] == 2
    assert list(tmp_path.iterdir()) == []


def test_download_stalled_server_times_out(server, tmp_path):
    base, h = server
    h.routes["/s.bin"] = ("stall", os.urandom(10_000))
    start = time.monotonic()
    with pytest.raises(data.DownloadError):
        data.download_file(base + "/s.bin", tmp_path / "s.bin", timeout=0.3, retries=0)
    assert time.monotonic() - start < 5
    assert list(tmp_path.iterdir()) == []


def test_download_retries_a_server_error(server, tmp_path):
    base, h = server
    h.routes["/flaky"] = ("500-once", b"payload")
    dest = data.download_file(base + "/flaky", tmp_path / "flaky", timeout=5, retries=2, backoff=0)
    assert dest.read_bytes() == b"payload"
    assert h.hits["/flaky"] == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"url": "ftp://x/y"}, "http"),
        ({"retries": -1}, "retries"),
        ({"timeout": 0}, "timeout"),
        ({"sha256": "a", "md5": "b"}, "not both"),
    ],
)
def test_download_rejects_bad_arguments(tmp_path, kwargs, match):
    args = {"url": "http://127.0.0.1:9/x", "dest": tmp_path / "x"} | kwargs
    url = args.pop("url")
    dest = args.pop("dest")
    with pytest.raises(ValueError, match=match):
        data.download_file(url, dest, **args)


def test_pneumoniamnist_download_and_cache_hit(server, tmp_path, monkeypatch):
    """The loader downloads into the cache once, then reads the cache without the network."""
    base, h = server
    npz = tmp_path / "src.npz"
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 12), ("val", 4), ("test", 5)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1))
    np.savez(npz, **arrays)
    body = npz.read_bytes()
    h.routes["/pneumoniamnist.npz"] = ("ok", body)
    monkeypatch.setattr(sources, "MEDMNIST_URL", base + "/{name}")
    monkeypatch.setitem(data.PNEUMONIAMNIST_FILES, 28, ("pneumoniamnist.npz", hashlib.md5(body).hexdigest()))
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    d = data.load_medical_images(source="pneumoniamnist", verbose=False)
    assert d.x_train.shape == (12, 28, 28, 1) and d.x_val.shape == (4, 28, 28, 1)
    np.testing.assert_allclose(d.x_test[..., 0], arrays["test_images"] / 255.0, atol=1e-6)
    assert d.y_train.ndim == 1 and "PneumoniaMNIST" in d.source
    assert (cache / "pneumoniamnist.npz").is_file()
    # Second call: served from the cache, the server is not asked again.
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    d2 = data.load_medical_images(source="auto", verbose=False)
    assert h.hits["/pneumoniamnist.npz"] == 1
    np.testing.assert_array_equal(d2.x_train, d.x_train)


def test_pneumoniamnist_bad_checksum_falls_back_to_mri(server, tmp_path, monkeypatch, capsys):
    base, h = server
    h.routes["/pneumoniamnist.npz"] = ("ok", b"not an npz at all")
    monkeypatch.setattr(sources, "MEDMNIST_URL", base + "/{name}")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "0")
    d = data.load_medical_images(size=28, source="auto")
    out = capsys.readouterr().out
    assert "MRI" in d.source and "download not possible" in out
    assert list(tmp_path.iterdir()) == []  # nothing half-written in the cache


def test_pneumoniamnist_explicit_source_offline_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="pneumoniamnist.npz"):
        data.load_medical_images(source="pneumoniamnist")


# --------------------------------------------------------------------------- MedMNIST npz
def test_load_medmnist_npz_rejects_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.load_medmnist_npz(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="readable"):
        data.load_medmnist_npz(bad)
    missing = tmp_path / "missing.npz"
    np.savez(missing, train_images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="missing"):
        data.load_medmnist_npz(missing)
    wrong = tmp_path / "wrong.npz"
    z = np.zeros((2, 28, 28), np.float32)
    np.savez(
        wrong,
        **{f"{s}_images": z for s in ("train", "val", "test")},
        **{f"{s}_labels": np.zeros(2) for s in ("train", "val", "test")},
    )
    with pytest.raises(ValueError, match="uint8"):
        data.load_medmnist_npz(wrong)


def test_medmnist_from_data_dir(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = {
        f"{s}_images": rng.integers(0, 256, (n, 64, 64), dtype=np.uint8)
        for s, n in (("train", 6), ("val", 2), ("test", 3))
    }
    arrays |= {f"{s}_labels": np.ones((n, 1), np.int64) for s, n in (("train", 6), ("val", 2), ("test", 3))}
    np.savez(tmp_path / "pneumoniamnist_64.npz", **arrays)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    d = data.load_medical_images(size=64, n_train=4, verbose=False)
    assert d.x_train.shape == (4, 64, 64, 1) and d.x_test.shape == (3, 64, 64, 1)
    assert str(tmp_path) in d.source


# --------------------------------------------------------------------------- MRI fallback
def test_mri_fallback_splits_never_share_or_touch_slices(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    d = data.load_medical_images(source="auto")
    assert "MRI" in capsys.readouterr().out  # the one visible line says which data
    for x in (d.x_train, d.x_val, d.x_test):
        assert x.dtype == np.float32 and x.ndim == 4 and x.shape[1:] == (28, 28, 1)
        assert 0.0 <= x.min() and x.max() <= 1.0
    z = {s: set(getattr(d, f"y_{s}").tolist()) for s in ("train", "val", "test")}
    assert len(z["train"]) > 50 and len(z["val"]) > 10 and len(z["test"]) > 10
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not z[a] & z[b]
        # no neighbouring slice indices across splits
        assert not {i + 1 for i in z[a]} & z[b] and not {i - 1 for i in z[a]} & z[b]


def test_medical_images_bad_arguments():
    with pytest.raises(ValueError, match="source"):
        data.load_medical_images(source="ct")
    with pytest.raises(ValueError, match="size"):
        data.load_medical_images(size=32, source="auto")
    with pytest.raises(ValueError, match="n_train"):
        data.load_medical_images(n_train=0, source="mri")


# --------------------------------------------------------------------------- IDX / MNIST
def _write_idx(path: Path, arr: np.ndarray, gz: bool = True) -> None:
    header = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(np.uint8).tobytes()
    if gz:
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def test_read_idx_round_trip_and_corruption(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", arr)
    _write_idx(tmp_path / "a", arr, gz=False)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), arr)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a"), arr)
    raw = (tmp_path / "a").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "short")
    (tmp_path / "magic").write_bytes(b"\x01\x02" + raw[2:])
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(tmp_path / "magic")
    (tmp_path / "notgz.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="IDX"):
        data.read_idx(tmp_path / "notgz.gz")
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "absent")


def test_mnist_from_small_idx_files(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    x = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 50, dtype=np.uint8)
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", x)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", y)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nokeras"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    d = data.load_mnist(source="auto")
    assert "IDX" in capsys.readouterr().out
    assert d.x_train.shape == (40, 784) and d.x_test.shape == (10, 784)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    # the split is a deterministic partition of the 50 images
    got = np.concatenate([d.x_train, d.x_test]) * 255
    np.testing.assert_allclose(np.sort(got.sum(1)), np.sort(x.reshape(50, -1).sum(1).astype(np.float32)), rtol=1e-5)
    d2 = data.load_mnist(flatten=False, source="idx", n_train=5, verbose=False)
    assert d2.x_train.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(d2.x_train.reshape(5, -1), d.x_train[:5])


def test_mnist_corrupt_idx_gives_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    folder.mkdir()
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((5, 28, 28), np.uint8))
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="do not match"):
        data.load_mnist(source="idx")


def test_mnist_offline_fallback_is_sklearn_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    d = data.load_mnist()
    assert "NOT MNIST" in capsys.readouterr().out
    assert len(d.x_train) + len(d.x_test) == 1797
    assert d.x_train.shape[1] == 784 and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    img = d.x_train[0].reshape(28, 28)
    assert img[:4].sum() == 0 and img[:, :4].sum() == 0  # digit centred in a 20x20 box like MNIST
    assert set(np.unique(d.y_train)) == set(range(10))


def test_mnist_keras_npz_cache_is_used_and_corrupt_one_skipped(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "mnist.npz").write_bytes(b"corrupt")
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    np.savez(
        keras_home / "datasets" / "mnist.npz",
        x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        y_train=np.arange(30) % 10,
        x_test=rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        y_test=np.arange(7),
    )
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    d = data.load_mnist(n_test=100)
    out = capsys.readouterr().out
    assert "Skipping" in out and "only 7" in out
    assert d.x_train.shape == (30, 784) and d.x_test.shape == (7, 784)


def test_mnist_explicit_sources_raise_when_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        data.load_mnist(source="keras")
    with pytest.raises(FileNotFoundError, match="COURSE_DATA_DIR"):
        data.load_mnist(source="idx")
    with pytest.raises(ValueError, match="source"):
        data.load_mnist(source="cifar")
    with pytest.raises(ValueError, match="n_train"):
        data.load_mnist(n_train=-5)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist is not present in this checkout")
def test_real_mnist_test_set_via_course_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_MNIST.parent))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    d = data.load_mnist(verbose=False)
    assert d.x_train.shape == (8000, 784) and d.x_test.shape == (2000, 784)
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]), minlength=10)
    # the real MNIST test set has between 892 (digit 5) and 1135 (digit 1) images per class
    assert counts.min() == 892 and counts.max() == 1135


# --------------------------------------------------------------------------- breast cancer
def test_breast_cancer_seed_split_and_scaling():
    seed = data.load_breast_cancer_split(scale_on="all", verbose=False)
    assert seed.x_train.shape == (455, 30) and seed.x_test.shape == (114, 30)
    fair = data.load_breast_cancer_split(verbose=False)
    assert fair.x_train.min() == 0.0 and np.isclose(fair.x_train.max(), 1.0)
    # fitted on training rows only: test rows may fall outside [0, 1]
    assert fair.x_test.min() < 0.0 or fair.x_test.max() > 1.0
    np.testing.assert_array_equal(seed.y_test, fair.y_test)
    assert fair.y_anomaly_test.sum() == (fair.y_test == 0).sum()


def test_breast_cancer_benign_only_and_stratify():
    d = data.load_breast_cancer_split(benign_only=True, stratify=True, verbose=False)
    assert (d.y_train == 1).all() and d.y_anomaly_train.sum() == 0
    assert 0.3 < d.y_anomaly_test.mean() < 0.45
    assert len(d.feature_names) == 30
    with pytest.raises(ValueError, match="test_size"):
        data.load_breast_cancer_split(test_size=1.5)
    with pytest.raises(ValueError, match="scale_on"):
        data.load_breast_cancer_split(scale_on="test")


# --------------------------------------------------------------------------- DICOM
def test_load_dicom_sample():
    ds = data.load_dicom_sample()
    assert ds.Modality == "CT" and ds.pixel_array.shape == (128, 128)
    with pytest.raises(FileNotFoundError, match="CT_small"):
        data.load_dicom_sample("no_such_file.dcm")
    with pytest.raises(ValueError):
        data.load_dicom_sample("")


# --------------------------------------------------------------------------- noise
def test_noise_statistics():
    x = np.full((200, 16, 16), 0.5, np.float32)
    g = data.add_noise(x, "gaussian", 0.1, seed=0)
    assert abs(float((g - x).std()) - 0.1) < 0.005 and g.dtype == np.float32
    p = data.add_noise(np.ones_like(x) * 0.25, "poisson", 0.2, seed=0)
    # Poisson with peak 1/level^2 = 25 photons: variance at intensity 0.25 is 0.25/25
    assert abs(float(p.var()) - 0.25 / 25) < 0.002
    sp = data.add_noise(x, "salt_and_pepper", 0.2, seed=0)
    changed = sp != x
    assert abs(changed.mean() - 0.2) < 0.01
    assert set(np.unique(sp[changed])) == {0.0, 1.0}
    np.testing.assert_array_equal(
        data.add_noise(x, "gaussian", 0.3, seed=3), data.add_noise(x, "gaussian", 0.3, seed=3)
    )
    assert not np.array_equal(data.add_noise(x, "gaussian", 0.3, seed=3), data.add_noise(x, "gaussian", 0.3, seed=4))
    assert (
        0.0 <= data.add_noise(x, "gaussian", 2.0, seed=1).min()
        and data.add_noise(x, "gaussian", 2.0, seed=1).max() <= 1.0
    )


@pytest.mark.parametrize(
    "images, kind, level, match",
    [
        (np.full((2, 4), 1.5), "gaussian", 0.1, r"\[0, 1\]"),
        (np.full((2, 4), np.nan), "gaussian", 0.1, "NaN"),
        (np.zeros((0, 4)), "gaussian", 0.1, "empty"),
        (np.zeros((2, 4)), "speckle", 0.1, "kind"),
        (np.zeros((2, 4)), "gaussian", -0.1, ">= 0"),
        (np.zeros((2, 4)), "poisson", 0.0, "> 0"),
        (np.zeros((2, 4)), "salt_and_pepper", 1.5, "fraction"),
        (np.zeros((2, 4)), "gaussian", "high", "number"),
    ],
)
def test_noise_rejects_bad_input(images, kind, level, match):
    with pytest.raises(ValueError, match=match):
        data.add_noise(images, kind, level)


# --------------------------------------------------------------------------- report / env
def test_available_sources_and_offline_flag(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    src = data.available_sources()
    assert set(src) == {"mnist", "medical", "breast_cancer"}
    assert "offline" in src["mnist"] and "MRI" in src["medical"]
    monkeypatch.setenv("COURSE_OFFLINE", "maybe")
    with pytest.raises(ValueError, match="COURSE_OFFLINE"):
        data.offline()

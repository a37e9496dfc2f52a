"""Tests for course_utils.baselines: PCA, classical denoisers and their tuning, anomaly scores."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import baselines as B
from course_utils import metrics as M


def _smooth_images(n: int = 6, side: int = 28, seed: int = 0) -> np.ndarray:
    """Blurry blobs in [0, 1]: structure a denoiser should keep, shaped (n, side, side)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    imgs = []
    for _ in range(n):
        cx, cy, r = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.15, 0.3)
        imgs.append(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r**2)))
    return np.stack(imgs).astype(np.float32)


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return _smooth_images()


@pytest.fixture(scope="module")
def noisy(clean: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.clip(clean + rng.normal(0, 0.15, clean.shape), 0, 1).astype(np.float32)


# --------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------
def test_pca_with_k_equal_d_reconstructs_exactly() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((40, 6))
    x_hat, pca = B.pca_reconstruct(x, x, k=6)
    np.testing.assert_allclose(x_hat, x, atol=1e-5)
    assert pca.n_components_ == 6
    rec = B.PCAReconstructor(6).fit(x)
    assert rec.explained_variance_ratio == pytest.approx(1.0)
    np.testing.assert_allclose(rec(x), rec.reconstruct(x))


def test_pca_restores_image_shape_and_recovers_low_rank_data() -> None:
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(2, 16))
    x_train = (rng.normal(size=(30, 2)) @ basis + 3.0).reshape(30, 4, 4, 1)
    x_test = (rng.normal(size=(5, 2)) @ basis + 3.0).reshape(5, 4, 4, 1)
    x_hat, _ = B.pca_reconstruct(x_train, x_test, k=2)
    assert x_hat.shape == x_test.shape
    np.testing.assert_allclose(x_hat, x_test, atol=1e-4)
    # fewer components -> larger error
    err1 = M.mean_reconstruction_error(x_test, B.pca_reconstruct(x_train, x_test, k=1)[0])
    assert err1 > 1e-3


def test_pca_clip_and_codes() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((20, 8))
    rec = B.PCAReconstructor(2, clip=True).fit(x)
    codes = rec.encode(x)
    assert codes.shape == (20, 2)
    out = rec.decode(codes * 10)  # far outside the data -> clipped
    assert out.min() >= 0.0 and out.max() <= 1.0
    unclipped = B.PCAReconstructor(2).fit(x).decode(codes * 10)
    assert unclipped.min() < 0.0 or unclipped.max() > 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: B.PCAReconstructor(0), "positive integer"),
        (lambda: B.PCAReconstructor(True), "positive integer"),
        (lambda: B.PCAReconstructor(2, clip=(1, 0)), "clip"),
        (lambda: B.PCAReconstructor(9).fit(np.zeros((5, 4))), "at most"),
        (lambda: B.PCAReconstructor(2).reconstruct(np.zeros((5, 4))), "not fitted"),
        (lambda: B.pca_reconstruct(np.random.rand(10, 4), np.random.rand(3, 5), 2), "same per-sample shape"),
        (lambda: B.PCAReconstructor(2).fit(np.random.rand(10, 4)).decode(np.zeros((3, 3))), r"\(N, 2\)"),
        (lambda: B.PCAReconstructor(2).fit(np.zeros(4)), "sample axis first"),
        (lambda: B.PCAReconstructor(2).fit(np.zeros((0, 4))), "empty"),
        (lambda: B.PCAReconstructor(2).fit(np.array([[1.0, np.nan]] * 3)), "NaN"),
        (lambda: B.PCAReconstructor(2).fit(np.array([["a", "b"]] * 3)), "numeric"),
    ],
)
def test_pca_errors(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_pca_accepts_integer_images() -> None:
    x = np.random.default_rng(0).integers(0, 255, size=(20, 3, 3))
    x_hat, _ = B.pca_reconstruct(x, x, k=9)
    np.testing.assert_allclose(x_hat, x, atol=1e-2)


# --------------------------------------------------------------------------------------
# denoisers
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["gaussian", "median", "tv", "nlm"])
def test_each_denoiser_keeps_shape_range_and_removes_noise(method, clean, noisy) -> None:
    for x, _ref in ((noisy, clean), (noisy[..., None], clean[..., None]), (noisy[0], clean[0])):
        out = B.denoise(x, method)
        assert out.shape == x.shape and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
    batch = B.denoise(noisy, method)
    assert M.psnr(clean, batch).mean() > M.psnr(clean, noisy).mean() + 1.0


def test_colour_images_are_filtered_per_channel(clean, noisy) -> None:
    rgb = np.repeat(noisy[:2, ..., None], 3, axis=-1)
    for method in ("gaussian", "tv", "nlm"):
        out = B.denoise(rgb, method)
        assert out.shape == rgb.shape
        np.testing.assert_allclose(out[..., 0], out[..., 2], atol=1e-6)


def test_gaussian_sigma_zero_is_identity_and_median_removes_impulses(noisy) -> None:
    np.testing.assert_allclose(B.denoise(noisy, "gaussian", sigma=0.0), noisy)
    img = np.full((1, 9, 9), 0.5, dtype=np.float32)
    img[0, 4, 4] = 1.0  # a single "salt" pixel
    np.testing.assert_allclose(B.denoise(img, "median", size=3), 0.5)


def test_make_filter_matches_denoise(noisy) -> None:
    f = B.make_filter("tv", weight=0.2)
    np.testing.assert_allclose(f(noisy), B.denoise(noisy, "tv", weight=0.2))
    with pytest.raises(ValueError, match="unknown parameter"):
        B.make_filter("tv", sigma=1)
    with pytest.raises(ValueError, match="method must be one of"):
        B.make_filter("wiener")


@pytest.mark.parametrize(
    ("images", "method", "params", "match"),
    [
        (np.zeros((2, 8, 8)), "bilateral", {}, "method must be one of"),
        (np.zeros((2, 8, 8)), "gaussian", {"size": 3}, "unknown parameter"),
        (np.full((2, 8, 8), 2.0), "gaussian", {}, r"\[0, 1\]"),
        (np.full((2, 8, 8), np.nan), "gaussian", {}, "NaN"),
        (np.zeros(8), "gaussian", {}, r"\(H, W\)"),
        (np.zeros((1, 1, 8, 8, 1)), "gaussian", {}, r"\(H, W\)"),
        (np.zeros((2, 2, 8)), "gaussian", {}, "at least 3x3"),
        (np.zeros((0, 8, 8)), "gaussian", {}, "empty"),
        (np.array([["a"]]), "gaussian", {}, "numeric"),
        (np.zeros((2, 8, 8)), "gaussian", {"sigma": -1}, "sigma"),
        (np.zeros((2, 8, 8)), "median", {"size": 0}, "size"),
        (np.zeros((2, 8, 8)), "tv", {"weight": 0}, "weight"),
        (np.zeros((2, 8, 8)), "nlm", {"h": -0.1}, "h must be"),
        (np.zeros((2, 8, 8)), "nlm", {"h_factor": 0}, "h_factor"),
        (np.zeros((2, 8, 8)), "nlm", {"sigma": -1.0}, "sigma"),
        (np.zeros((2, 8, 8)), "nlm", {"patch_size": 0}, "patch_size"),
    ],
)
def test_denoise_errors(images, method, params, match) -> None:
    with pytest.raises(ValueError, match=match):
        B.denoise(images, method, **params)


def test_nlm_with_explicit_h_and_sigma(clean, noisy) -> None:
    out = B.denoise(noisy, "nlm", h=0.12, sigma=0.15)
    assert M.psnr(clean, out).mean() > M.psnr(clean, noisy).mean()
    big = np.clip(_smooth_images(1, 64) + 0.1 * np.random.default_rng(0).normal(size=(1, 64, 64)), 0, 1)
    assert B.denoise(big, "nlm").shape == (1, 64, 64)  # 7x7 patches for >= 64 px


def test_estimate_noise_sigma() -> None:
    rng = np.random.default_rng(0)
    ramp = np.tile(np.linspace(0, 1, 64), (64, 1))
    assert B.estimate_noise_sigma(ramp) == pytest.approx(0.0, abs=1e-9)
    assert B.estimate_noise_sigma(ramp + rng.normal(0, 0.1, ramp.shape)) == pytest.approx(0.1, abs=0.015)
    with pytest.raises(ValueError, match="2-D"):
        B.estimate_noise_sigma(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="NaN"):
        B.estimate_noise_sigma(np.full((4, 4), np.nan))


# --------------------------------------------------------------------------------------
# tuning
# --------------------------------------------------------------------------------------
def test_tune_gaussian_picks_a_positive_sigma_that_beats_the_noisy_input(clean, noisy) -> None:
    params, best = B.tune_filter("gaussian", noisy, clean)
    assert params["sigma"] > 0
    assert best > M.psnr(clean, noisy).mean() + 1.0
    # the reported PSNR is the PSNR of that choice, and no other grid value beats it
    assert best == pytest.approx(M.psnr(clean, B.denoise(noisy, "gaussian", **params)).mean())
    for sigma in (0.3, 3.0):
        assert M.psnr(clean, B.denoise(noisy, "gaussian", sigma=sigma)).mean() <= best


def test_tune_with_custom_grids_and_subset(clean, noisy) -> None:
    params, _ = B.tune_filter("median", noisy, clean, grid={"size": [1, 3]})
    assert params == {"size": 3}
    params, _ = B.tune_filter("tv", noisy, clean, grid=[{"weight": 0.001}, {"weight": 0.1}])
    assert params == {"weight": 0.1}
    params, score = B.tune_filter("gaussian", noisy, clean, grid={"sigma": [1.0]}, max_images=2, seed=3)
    assert params == {"sigma": 1.0} and np.isfinite(score)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "wiener"}, "method must be one of"),
        ({"grid": {}}, "grid is empty"),
        ({"grid": []}, "grid is empty"),
        ({"grid": {"sigma": []}}, "non-empty list"),
        ({"grid": {"size": [3]}}, "unknown parameter"),
        ({"max_images": 0}, "max_images"),
    ],
)
def test_tune_filter_errors(kwargs, match, clean, noisy) -> None:
    args = {"method": "gaussian", **kwargs}
    method = args.pop("method")
    with pytest.raises(ValueError, match=match):
        B.tune_filter(method, noisy, clean, **args)


def test_tune_filter_shape_mismatch(clean, noisy) -> None:
    with pytest.raises(ValueError, match="same shape"):
        B.tune_filter("gaussian", noisy[:2], clean[:3])


def test_best_classical_filters_tunes_each_method(clean, noisy) -> None:
    best = B.best_classical_filters(noisy[:3], clean[:3])
    assert set(best) == {"gaussian", "median", "tv", "nlm"}
    assert set(best["gaussian"]) == {"sigma"} and set(best["nlm"]) == {"h_factor"}
    for method, params in best.items():
        out = B.denoise(noisy[:3], method, **params)
        assert M.psnr(clean[:3], out).mean() > M.psnr(clean[:3], noisy[:3]).mean(), method
    with pytest.raises(ValueError, match="subset"):
        B.best_classical_filters(noisy, clean, methods=("gaussian", "fft"))


# --------------------------------------------------------------------------------------
# anomaly scores
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anomaly_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 6))
    x_train = rng.normal(size=(150, 2)) @ basis + 0.05 * rng.normal(size=(150, 6))
    normal = rng.normal(size=(20, 2)) @ basis + 0.05 * rng.normal(size=(20, 6))
    anomalies = rng.normal(0, 3, size=(20, 6))
    labels = np.r_[np.zeros(20), np.ones(20)].astype(int)
    return x_train, np.vstack([normal, anomalies]), labels


def test_anomaly_scores_rank_anomalies_higher(anomaly_data) -> None:
    x_train, x_test, labels = anomaly_data
    s = B.pca_error_scores(x_train, x_test, k=2)
    assert s.shape == (40,) and M.roc_auc(labels, s) > 0.9


def test_anomaly_score_errors(anomaly_data) -> None:
    x_train, x_test, _ = anomaly_data
    with pytest.raises(ValueError, match="same per-sample shape"):
        B.pca_error_scores(x_train, x_test[:, :3], k=2)

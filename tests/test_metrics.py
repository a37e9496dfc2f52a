"""Tests for course_utils.metrics: hand-computed values, skimage agreement, error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from course_utils import metrics as M


# --------------------------------------------------------------------------------------
# reconstruction error
# --------------------------------------------------------------------------------------
def test_mse_and_mae_per_sample_hand_computed() -> None:
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    x_hat = np.array([[0.0, 1.0], [1.0, 1.0], [0.3, 0.7]])
    np.testing.assert_allclose(M.reconstruction_error(x, x_hat, "mse"), [0.5, 0.0, 0.04])
    np.testing.assert_allclose(M.reconstruction_error(x, x_hat, "mae"), [0.5, 0.0, 0.2])
    assert M.mean_reconstruction_error(x, x_hat) == pytest.approx((0.5 + 0.0 + 0.04) / 3)


def test_bce_hand_computed_and_clipped() -> None:
    x = np.array([[1.0, 0.0]])
    x_hat = np.array([[0.9, 0.2]])
    expected = -(math.log(0.9) + math.log(0.8)) / 2
    assert M.reconstruction_error(x, x_hat, "bce")[0] == pytest.approx(expected)
    # a prediction of exactly 0 for a target of 1 is clipped to eps, not -log(0) = inf
    worst = M.reconstruction_error(np.array([[1.0]]), np.array([[0.0]]), "bce", eps=1e-7)[0]
    assert worst == pytest.approx(-math.log(1e-7))
    # BCE of a perfect reconstruction of a grey value is the entropy, not 0
    grey = M.reconstruction_error(np.array([[0.5]]), np.array([[0.5]]), "bce")[0]
    assert grey == pytest.approx(math.log(2))


def test_error_works_on_image_batches() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((5, 4, 4, 1))
    x_hat = np.clip(x + 0.1, 0, 1)
    for kind in ("mse", "bce", "mae"):
        err = M.reconstruction_error(x, x_hat, kind)
        assert err.shape == (5,)
        flat = M.reconstruction_error(x.reshape(5, -1), x_hat.reshape(5, -1), kind)
        np.testing.assert_allclose(err, flat)
    assert np.all(M.reconstruction_error(x, x_hat, "mse") <= 0.01 + 1e-12)


@pytest.mark.parametrize(
    ("x", "x_hat", "kind", "match"),
    [
        (np.zeros((2, 3)), np.zeros((2, 4)), "mse", "same shape"),
        (np.zeros(3), np.zeros(3), "mse", "batch"),
        (np.array([[0.0, np.nan]]), np.zeros((1, 2)), "mse", "NaN"),
        (np.zeros((1, 2)), np.zeros((1, 2)), "l2", "kind must be one of"),
        (np.array([[2.0]]), np.array([[0.5]]), "bce", r"\[0, 1\]"),
        (np.array([[0.5]]), np.array([[-0.5]]), "bce", r"\[0, 1\]"),
        (np.zeros((0, 2)), np.zeros((0, 2)), "mse", "empty"),
        ([["a", "b"]], [["a", "b"]], "mse", "numeric"),
    ],
)
def test_reconstruction_error_rejects_bad_input(x, x_hat, kind, match) -> None:
    with pytest.raises(ValueError, match=match):
        M.reconstruction_error(x, x_hat, kind)


def test_bce_rejects_bad_eps() -> None:
    with pytest.raises(ValueError, match="eps"):
        M.reconstruction_error(np.zeros((1, 2)), np.zeros((1, 2)), "bce", eps=0.0)


# --------------------------------------------------------------------------------------
# PSNR / SSIM
# --------------------------------------------------------------------------------------
def test_psnr_of_known_mse() -> None:
    clean = np.zeros((3, 4, 4))
    test = np.full((3, 4, 4), 0.1)  # MSE 0.01 -> 10*log10(1/0.01) = 20 dB
    np.testing.assert_allclose(M.psnr(clean, test), [20.0, 20.0, 20.0])
    # data_range 2 raises the peak: 10*log10(4/0.01) = 26.02 dB
    assert M.psnr(clean, test, data_range=2.0)[0] == pytest.approx(10 * math.log10(400))
    assert np.isinf(M.psnr(clean, clean)).all()


def test_psnr_matches_skimage_per_image() -> None:
    rng = np.random.default_rng(1)
    clean = rng.random((4, 8, 8, 1))
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
    ours = M.psnr(clean, noisy)
    ref = [peak_signal_noise_ratio(c, n, data_range=1.0) for c, n in zip(clean, noisy, strict=True)]
    np.testing.assert_allclose(ours, ref)


def test_psnr_range_check_and_override() -> None:
    clean = np.zeros((1, 3, 3))
    bad = np.full((1, 3, 3), 1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.psnr(clean, bad)
    assert np.isfinite(M.psnr(clean, bad, check_range=False)).all()
    with pytest.raises(ValueError, match="data_range"):
        M.psnr(clean, clean, data_range=0)


def test_ssim_matches_skimage_and_handles_channel_axis() -> None:
    rng = np.random.default_rng(2)
    clean = rng.random((3, 16, 16, 1))
    noisy = np.clip(clean + rng.normal(0, 0.2, clean.shape), 0, 1)
    ours = M.ssim(clean, noisy)
    ref = [structural_similarity(c[..., 0], n[..., 0], data_range=1.0) for c, n in zip(clean, noisy, strict=True)]
    np.testing.assert_allclose(ours, ref)
    np.testing.assert_allclose(M.ssim(clean[..., 0], noisy[..., 0]), ref)
    np.testing.assert_allclose(M.ssim(clean, clean), 1.0)
    # flattened images need image_shape
    np.testing.assert_allclose(M.ssim(clean.reshape(3, -1), noisy.reshape(3, -1), image_shape=(16, 16)), ref)
    with pytest.raises(ValueError, match="image_shape"):
        M.ssim(clean.reshape(3, -1), noisy.reshape(3, -1))
    with pytest.raises(ValueError, match="image_shape"):
        M.ssim(clean.reshape(3, -1), noisy.reshape(3, -1), image_shape=(5, 5))


def test_ssim_colour_and_small_images() -> None:
    rng = np.random.default_rng(3)
    colour = rng.random((2, 9, 9, 3))
    ref = structural_similarity(colour[0], colour[1], data_range=1.0, channel_axis=-1)
    assert M.ssim(colour[:1], colour[1:])[0] == pytest.approx(ref)
    small = rng.random((2, 6, 6))  # too small for the default 7x7 window -> 5x5
    assert M.ssim(small, small).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="win_size"):
        M.ssim(small, small, win_size=4)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        M.ssim(np.zeros((1, 2, 3, 4, 1)), np.zeros((1, 2, 3, 4, 1)))


# --------------------------------------------------------------------------------------
# ROC, thresholds, confusion
# --------------------------------------------------------------------------------------
def test_auc_perfect_reversed_tied_and_random() -> None:
    y = np.array([0, 0, 0, 1, 1])
    assert M.roc_auc(y, [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0
    assert M.roc_auc(y, [0.9, 0.8, 0.7, 0.2, 0.1]) == 0.0
    assert M.roc_auc(y, [0.5] * 5) == 0.5
    assert M.roc_auc(y.astype(bool), [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 4000)
    assert M.roc_auc(labels, rng.random(4000)) == pytest.approx(0.5, abs=0.03)


def test_roc_curve_points_endpoints() -> None:
    fpr, tpr, thr = M.roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert np.isinf(thr[0])
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([1, 2, 1], [0.1, 0.2, 0.3], "0 \\(normal\\) or 1"),
        ([1, 1, 1], [0.1, 0.2, 0.3], "only one class"),
        (["a", "b"], [0.1, 0.2], "0/1"),
        ([[0, 1]], [0.1, 0.2], "1-D"),
        ([0, 1, 1], [0.1, 0.2], "one score per label"),
        ([0, 1], [0.1, np.nan], "NaN"),
        ([0, 1], [[0.1, 0.2]], "1-D"),
        ([], [], "empty"),
    ],
)
def test_roc_rejects_bad_labels_and_scores(labels, scores, match) -> None:
    with pytest.raises(ValueError, match=match):
        M.roc_auc(labels, scores)


def test_threshold_percentile() -> None:
    assert M.threshold_percentile(np.arange(101), 95) == 95.0
    assert M.threshold_percentile([1.0, 2.0, 3.0], 100) == 3.0
    with pytest.raises(ValueError, match="between 0 and 100"):
        M.threshold_percentile([1.0, 2.0], 120)
    with pytest.raises(ValueError, match="1-D"):
        M.threshold_percentile(np.ones((2, 2)))


def test_threshold_youden_on_a_toy_set() -> None:
    # normals 0.1 0.2 0.3 0.55, anomalies 0.5 0.6 0.9:
    # thr 0.9 -> J = 1/3; 0.6 -> 2/3; 0.55 -> 2/3 - 1/4; 0.5 -> 1 - 1/4 = 0.75 (best)
    labels = [0, 0, 0, 0, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.55, 0.5, 0.6, 0.9]
    assert M.threshold_youden(labels, scores) == pytest.approx(0.5)
    # ties go to the highest threshold: 0.7 and 0.5 both give J = 2/3
    assert M.threshold_youden([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.6, 0.5, 0.7, 0.9]) == pytest.approx(0.7)


def test_confusion_at_threshold_hand_computed() -> None:
    labels = [0, 0, 0, 1, 1, 1]
    scores = [0.1, 0.2, 0.6, 0.5, 0.7, 0.9]
    c = M.confusion_at_threshold(labels, scores, 0.55)
    assert (c["tn"], c["fp"], c["fn"], c["tp"]) == (2, 1, 1, 2)
    for key in ("precision", "recall", "f1", "specificity", "tpr"):
        assert c[key] == pytest.approx(2 / 3), key
    assert c["fpr"] == pytest.approx(1 / 3)
    assert c["accuracy"] == pytest.approx(4 / 6)
    # flagged when score >= threshold: a score equal to the threshold counts
    assert M.confusion_at_threshold(labels, scores, 0.9)["tp"] == 1


def test_confusion_zero_division_and_single_class() -> None:
    nothing = M.confusion_at_threshold([0, 1], [0.1, 0.2], 5.0)
    assert (nothing["tp"], nothing["fp"], nothing["precision"], nothing["recall"]) == (0, 0, 0.0, 0.0)
    assert math.isnan(M.confusion_at_threshold([0, 1], [0.1, 0.2], 5.0, zero_division=float("nan"))["precision"])
    only_normal = M.confusion_at_threshold([0, 0, 0], [0.1, 0.2, 0.9], 0.5)
    assert only_normal["fp"] == 1 and only_normal["fpr"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="NaN"):
        M.confusion_at_threshold([0, 1], [0.1, 0.2], float("nan"))


# --------------------------------------------------------------------------- bootstrap intervals


def _numpy_bootstrap(stat, arrays, n_boot=1000, seed=0):
    """The percentile bootstrap written out: the same resampled rows for every array (paired)."""
    idx = np.random.default_rng(seed).integers(0, len(arrays[0]), size=(n_boot, len(arrays[0])))
    return np.percentile(stat(*[a[idx] for a in arrays]), [2.5, 97.5])


def test_mean_ci_matches_a_percentile_bootstrap_written_out():
    values = np.random.default_rng(3).gamma(2.0, 0.01, 2_000)
    mean, low, high = M.mean_ci(values)
    assert mean == pytest.approx(values.mean())
    expected = _numpy_bootstrap(lambda a: a.mean(axis=1), [values])
    assert (low, high) == pytest.approx(tuple(expected), rel=2e-3)
    # a sample four times larger: an interval about half as wide
    _, low4, high4 = M.mean_ci(np.random.default_rng(4).gamma(2.0, 0.01, 8_000))
    assert 0.35 < (high4 - low4) / (high - low) < 0.65


def test_ratio_ci_is_paired_and_matches_a_bootstrap_written_out():
    rng = np.random.default_rng(5)
    reference = rng.gamma(2.0, 0.01, 3_000)  # per-image errors of a baseline ...
    values = 0.8 * reference * rng.uniform(0.95, 1.05, reference.size)  # ... and of a model, image by image
    ratio, low, high = M.ratio_ci(values, reference)
    assert ratio == pytest.approx(values.mean() / reference.mean())
    expected = _numpy_bootstrap(lambda a, b: a.mean(axis=1) / b.mean(axis=1), [values, reference])
    assert (low, high) == pytest.approx(tuple(expected), rel=2e-3)
    assert low < ratio < high < 0.82
    # unpaired resampling (each array drawn on its own) would give a far wider interval: pairing matters
    other = np.random.default_rng(6).integers(0, reference.size, size=(1000, reference.size))
    idx = np.random.default_rng(0).integers(0, reference.size, size=(1000, reference.size))
    unpaired = np.percentile(values[idx].mean(axis=1) / reference[other].mean(axis=1), [2.5, 97.5])
    assert (high - low) < 0.2 * (unpaired[1] - unpaired[0])


@pytest.mark.parametrize(
    ("values", "reference", "message"),
    [
        (np.ones(5), np.ones(4), "one number per sample"),
        (np.ones(5), -np.ones(5), "non-negative"),
        (np.ones(5), np.zeros(5), "positive mean"),
    ],
)
def test_ratio_ci_rejects_what_it_cannot_compare(values, reference, message):
    with pytest.raises(ValueError, match=message):
        M.ratio_ci(values, reference)

"""BM3D as a classical baseline (course_utils.baselines, method "bm3d"), and lesson 04's BM3D grid."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import baselines, data, metrics

pytest.importorskip("bm3d")


def _images(n: int, seed: int = 0, size: int = 28) -> np.ndarray:
    """Piecewise-smooth test images with edges (discs and bars on a gradient), like anatomy at 28 px."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    out = []
    for _ in range(n):
        img = 0.2 + 0.3 * (rng.random() * xx + rng.random() * yy)
        for _ in range(3):
            cy, cx, r = rng.random(3) * [1, 1, 0.3] + [0, 0, 0.1]
            img = np.where((yy - cy) ** 2 + (xx - cx) ** 2 < r**2, rng.uniform(0.1, 0.9), img)
        lo, hi = np.sort(rng.random(2))
        img = np.where((xx > lo) & (xx < hi) & (yy > 0.4) & (yy < 0.6), rng.uniform(0.1, 0.9), img)
        out.append(img)
    return np.clip(np.array(out), 0, 1)[..., None].astype("float32")


@pytest.mark.slow
def test_bm3d_told_the_noise_level_beats_a_tuned_gaussian_filter():
    clean = _images(2)
    noisy = data.add_noise(clean, "gaussian", 0.2, seed=1)
    out = baselines.denoise(noisy, "bm3d", sigma=0.2)
    assert out.shape == clean.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    gauss, _ = baselines.tune_filter("gaussian", noisy, clean)
    assert np.mean(metrics.psnr(clean, out)) > np.mean(
        metrics.psnr(clean, baselines.denoise(noisy, "gaussian", **gauss))
    )
    assert np.mean(metrics.psnr(clean, out)) > np.mean(metrics.psnr(clean, noisy)) + 5


@pytest.mark.slow
def test_bm3d_poisson_through_the_anscombe_transform():
    clean = _images(2, seed=3)
    noisy = data.add_noise(clean, "poisson", 0.2, seed=2)  # 25 photons at intensity 1
    out = baselines.denoise(noisy, "bm3d", photons=25)
    assert np.mean(metrics.psnr(clean, out)) > np.mean(metrics.psnr(clean, noisy)) + 4
    # the unbiased inverse keeps the mean brightness (a plain algebraic inverse would darken the image)
    assert abs(float(out.mean() - clean.mean())) < 0.02


def test_anscombe_inverse_is_unbiased_for_poisson_counts():
    rng = np.random.default_rng(0)
    for mean in (2.0, 10.0, 25.0):
        counts = rng.poisson(mean, size=200_000).astype(float)
        expected = baselines._anscombe(counts).mean()
        assert abs(baselines._inverse_anscombe(np.array([expected]))[0] - mean) < 0.05 * mean


@pytest.mark.slow
def test_bm3d_blind_mode_estimates_sigma():
    clean = _images(2, seed=4)
    noisy = data.add_noise(clean, "gaussian", 0.1, seed=5)
    blind = baselines.denoise(noisy, "bm3d")  # σ estimated per image
    assert np.mean(metrics.psnr(clean, blind)) > np.mean(metrics.psnr(clean, noisy)) + 3


def test_bm3d_bad_parameters():
    x = _images(1)
    with pytest.raises(ValueError, match="not both"):
        baselines.denoise(x, "bm3d", sigma=0.1, photons=25)
    for bad in ({"sigma": -0.1}, {"photons": 0}, {"sigma_factor": float("nan")}):
        with pytest.raises(ValueError, match="positive"):
            baselines.denoise(x, "bm3d", **bad)
    with pytest.raises(ValueError):
        baselines.denoise(x, "bm3d", strength=2)


def test_lesson04_bm3d_grid_gives_the_true_level_and_tunes_the_factor():
    pytest.importorskip("keras")
    from course_utils.lessons import medical_image_denoising as L

    assert L.bm3d_grid("Gaussian σ=0.2") == {"sigma": [0.2], "sigma_factor": [0.8, 1.0, 1.25]}
    assert L.bm3d_grid("Poisson 25 photons", factors=(1.0,)) == {"photons": [25], "sigma_factor": [1.0]}
    clean = _images(1, seed=6)
    noisy = data.add_noise(clean, "gaussian", 0.2, seed=7)
    params, score = baselines.tune_filter("bm3d", noisy, clean, L.bm3d_grid("Gaussian σ=0.2", (0.5, 1.0)))
    assert params["sigma"] == 0.2 and params["sigma_factor"] in (0.5, 1.0) and np.isfinite(score)


def test_bm3d_available_says_whether_it_can_be_imported(monkeypatch):
    import sys

    assert baselines.bm3d_available()
    monkeypatch.setitem(sys.modules, "bm3d", None)  # import bm3d now raises ImportError
    assert not baselines.bm3d_available()
    with pytest.raises(ImportError, match="pip install bm3d"):
        baselines.denoise(_images(1), "bm3d", sigma=0.1)

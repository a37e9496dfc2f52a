"""Lesson 01's exported code (course_utils.lessons.background): the helix data, the nearest-neighbour
distance used to judge decoded random codes, and the paired bootstrap interval of the scoreboard."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from course_utils.lessons.background import (
    bootstrap_mean_difference,
    helix_points,
    nearest_neighbour_mse,
)


def test_helix_points_shape_dtype_and_reproducibility():
    pts, t = helix_points(500, seed=3)
    assert pts.shape == (500, 3) and pts.dtype == np.float32 and t.shape == (500,)
    assert np.all((t >= 0) & (t <= 3 * np.pi))
    again, t_again = helix_points(500, seed=3)
    np.testing.assert_array_equal(pts, again)
    np.testing.assert_array_equal(t, t_again)
    assert not np.array_equal(pts, helix_points(500, seed=4)[0])


def test_noise_free_helix_lies_on_the_curve_and_defeats_a_straight_line():
    pts, t = helix_points(2000, noise=0.0, seed=0)
    np.testing.assert_allclose(pts[:, 0] ** 2 + pts[:, 1] ** 2, 1.0, atol=1e-5)
    np.testing.assert_allclose(pts[:, 2], t / (1.5 * np.pi) - 1, atol=1e-5)
    # the lesson's premise: one PCA component (a line) loses most of the spread of the points
    pca = PCA(1).fit(pts)
    assert pca.explained_variance_ratio_[0] < 0.5


def test_nearest_neighbour_mse_matches_brute_force_in_any_chunking():
    rng = np.random.default_rng(0)
    reference = rng.uniform(size=(50, 784)).astype("float32")
    images = rng.uniform(size=(7, 28, 28)).astype("float32")  # image-shaped input is flattened
    flat = images.reshape(7, -1)
    brute = np.array([min(np.mean((img - ref) ** 2) for ref in reference) for img in flat])
    for chunk in (1, 3, 256):
        np.testing.assert_allclose(nearest_neighbour_mse(images, reference, chunk=chunk), brute, rtol=1e-4, atol=1e-6)
    # an image that is in the reference set is at distance (almost) zero
    assert nearest_neighbour_mse(reference[:4], reference).max() < 1e-5


def test_bootstrap_mean_difference():
    rng = np.random.default_rng(1)
    a = rng.uniform(0.0, 1.0, size=400)
    mean, low, high = bootstrap_mean_difference(a + 0.2, a)  # a clear, constant shift
    assert mean == pytest.approx(0.2) and low == pytest.approx(0.2) and high == pytest.approx(0.2)
    noisy_b = a + rng.normal(0.0, 0.05, size=400)
    mean, low, high = bootstrap_mean_difference(a, noisy_b, n_boot=500, seed=2)
    assert low <= mean <= high and low < 0 < high  # no real difference: the interval contains 0
    assert (mean, low, high) == bootstrap_mean_difference(a, noisy_b, n_boot=500, seed=2)  # reproducible
    better = bootstrap_mean_difference(a, a + 0.05 + rng.normal(0.0, 0.05, size=400))
    assert better[2] < 0  # a real improvement: the whole interval is below 0

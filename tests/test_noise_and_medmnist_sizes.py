"""data.add_noise with one level per image (lesson 04's training pairs) and the MedMNIST+ file sizes."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import data


def test_add_noise_takes_one_level_per_image():
    x = np.full((3, 28, 28, 1), 0.5, np.float32)
    noisy = data.add_noise(x, "gaussian", np.array([0.0, 0.05, 0.2]), seed=0)
    spread = (noisy - x).std(axis=(1, 2, 3))
    assert spread[0] == 0 and 0.04 < spread[1] < 0.06 and 0.17 < spread[2] < 0.23
    # a scalar level and the same level per image give the same noise
    np.testing.assert_array_equal(
        data.add_noise(x, "poisson", 0.2, seed=3), data.add_noise(x, "poisson", np.full(3, 0.2), seed=3)
    )
    shot = data.add_noise(x, "poisson", np.array([0.1, 0.2, 0.3]), seed=1)
    assert np.all(np.diff((shot - x).std(axis=(1, 2, 3))) > 0)  # fewer photons, more noise
    for bad in (np.array([0.1, 0.2]), np.zeros((3, 1)), np.array([0.1, np.nan, 0.1]), True, "a lot"):
        with pytest.raises(ValueError, match="level"):
            data.add_noise(x, "gaussian", bad)
    with pytest.raises(ValueError, match=">= 0"):
        data.add_noise(x, "gaussian", np.array([0.1, -0.1, 0.1]))


@pytest.mark.parametrize("size", [64, 128, 224])
def test_loader_reads_the_larger_medmnist_plus_files(tmp_path, monkeypatch, size):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 6), ("val", 2), ("test", 3)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1), dtype=np.uint8)
    np.savez(tmp_path / f"pneumoniamnist_{size}.npz", **arrays)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    med = data.load_medical_images(size=size, source="pneumoniamnist", verbose=False)
    assert med.x_train.shape == (6, size, size, 1) and med.x_test.shape == (3, size, size, 1)
    assert "X-ray" in med.source and f"{size}×{size}" in med.source
    with pytest.raises(ValueError, match="size"):
        data.load_medical_images(size=100, source="pneumoniamnist", verbose=False)

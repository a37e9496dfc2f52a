"""Lesson 04's exported code (course_utils.lessons.medical_image_denoising): pairs, models, evaluation,
and the one-call comparison the benchmark uses."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils.data import ImageData  # noqa: E402
from course_utils.lessons import medical_image_denoising as L  # noqa: E402


def _images(n: int, seed: int = 0, size: int = 28) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    x = gaussian_filter(rng.random((n, size, size)), sigma=(0, 2, 2))
    x = (x - x.min()) / np.ptp(x)
    return (0.1 + 0.8 * x)[..., None].astype("float32")


def test_conditions_and_noisy_versions_are_fixed():
    x = _images(4)
    a, b = L.noisy_versions(x, seed=100), L.noisy_versions(x, seed=100)
    assert list(a) == list(L.CONDITIONS)
    for c in a:
        assert a[c].shape == x.shape and np.array_equal(a[c], b[c])
        assert a[c].min() >= 0 and a[c].max() <= 1


@pytest.mark.parametrize("target", ["clean", "same", "noise2noise"])
def test_make_pairs(target):
    x = _images(64)
    inputs, targets = L.make_pairs(x, target, np.random.default_rng(0))
    assert inputs.shape == targets.shape == x.shape
    assert inputs.dtype == np.float32 and 0 <= inputs.min() and inputs.max() <= 1
    noise = inputs - x
    assert 0.05 < float(np.std(noise)) < 0.4
    if target == "clean":
        assert targets is x or np.array_equal(targets, x)
    elif target == "same":
        assert np.array_equal(inputs, targets)
    else:
        other = targets - x
        assert not np.allclose(inputs, targets)
        assert abs(np.corrcoef(noise.ravel(), other.ravel())[0, 1]) < 0.05  # independent noise
        # the same level per image: the two copies' noise levels agree image by image
        per_image = np.std(noise, axis=(1, 2, 3)), np.std(other, axis=(1, 2, 3))
        assert np.corrcoef(*per_image)[0, 1] > 0.9
    with pytest.raises(ValueError, match="target"):
        L.make_pairs(x, "noisy", np.random.default_rng(0))


def test_make_pairs_draws_the_noise_levels_log_uniformly():
    """As many images below the range's geometric mean as above it: light noise is not starved."""
    x = np.full((2000, 28, 28, 1), 0.5, np.float32)  # mid-grey: no clipping at these levels
    noisy, _ = L.make_pairs(x, "clean", np.random.default_rng(0), sigma_range=(0.01, 0.09), poisson_share=0.0)
    levels = np.std(noisy - x, axis=(1, 2, 3))
    assert 0.009 < levels.min() and levels.max() < 0.095
    assert abs(np.median(levels) - 0.03) < 0.003  # log-uniform: the geometric mean; uniform would give 0.05
    assert abs(np.mean(levels < 0.03) - 0.5) < 0.04


def test_noisy_pairs_is_deterministic_and_sized():
    x = _images(10)
    a = L.NoisyPairs(x, "clean", batch_size=4, batches=5, seed=3)
    b = L.NoisyPairs(x, "clean", batch_size=4, batches=5, seed=3)
    assert len(a) == 5
    for i in range(len(a)):
        (ia, ta), (ib, tb) = a[i], b[i]
        assert ia.shape == (4, 28, 28, 1) and np.array_equal(ia, ib) and np.array_equal(ta, tb)
    assert len(L.NoisyPairs(x, batch_size=4)) == 2  # default: one pass over the images


def test_builders_shapes_and_residual_starts_at_identity():
    keras.utils.set_random_seed(0)
    x = _images(8)
    bott = L.build_bottleneck_denoiser()
    assert bott.output_shape == (None, 28, 28, 1)
    assert bott.get_layer("code").output.shape[1:] == (7, 7, 32)
    out = L.apply_denoiser(bott, x)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    res = L.build_residual_denoiser()
    noisy = L.make_pairs(x, "same", np.random.default_rng(1))[0]
    # the noise estimate of an untrained residual network is small: its output is close to its input
    assert np.mean(np.abs(L.apply_denoiser(res, noisy) - noisy)) < 0.5 * np.mean(np.abs(noisy - x))
    unet = L.build_residual_denoiser(residual=False)
    assert unet.output_shape == (None, 28, 28, 1)
    assert not any(
        isinstance(layer, keras.layers.Concatenate) for layer in L.build_residual_denoiser(skip=False).layers
    )
    big = L.build_residual_denoiser((64, 64, 1))
    big.set_weights(res.get_weights())  # same weights work at another size
    assert L.apply_denoiser(big, _images(2, size=64)).shape == (2, 64, 64, 1)


def test_apply_denoiser_equals_one_call_of_the_model_in_any_batch_size():
    """apply_denoiser runs the model batch by batch (predict_on_batch); the result must not depend on
    the batch size, including a last batch that is smaller, and must equal clip(model(x), 0, 1)."""
    keras.utils.set_random_seed(0)
    res = L.build_residual_denoiser()
    noisy = L.make_pairs(_images(70), "same", np.random.default_rng(2))[0]
    whole = np.clip(keras.ops.convert_to_numpy(res(noisy, training=False)), 0, 1)
    for batch_size in (32, 7, 70):
        out = L.apply_denoiser(res, noisy, batch_size=batch_size)
        assert out.shape == noisy.shape and out.dtype == np.float32
        np.testing.assert_allclose(out, whole, atol=1e-5)
    by_condition = L.denoise_all(res, {"a": noisy[:5], "b": noisy[5:9]})
    assert list(by_condition) == ["a", "b"] and by_condition["b"].shape == (4, 28, 28, 1)
    np.testing.assert_allclose(by_condition["b"], whole[5:9], atol=1e-5)


def test_psnr_loss_is_minus_the_psnr_of_each_image():
    from course_utils import metrics

    x = _images(3)
    y = np.clip(x + 0.05 * np.random.default_rng(0).standard_normal(x.shape), 0, 1).astype("float32")
    loss = np.asarray(L.psnr_loss(x, y))
    assert loss.shape == (3,)
    np.testing.assert_allclose(-loss, metrics.psnr(x, y), rtol=1e-4)


def test_gain_rows_pair_images_and_split_by_class():
    rng = np.random.default_rng(0)
    psnr_a, psnr_b = rng.normal(30, 1, 50), rng.normal(28, 1, 50)
    scores = {("c", "filter"): {"PSNR": psnr_b}, ("c", "net"): {"PSNR": psnr_a}, ("c", "slow"): {"PSNR": psnr_b[:20]}}
    labels = np.array([0, 1] * 25)
    rows = L.gain_rows(
        scores, {"c": "filter"}, ["net"], n_boot=200, labels=labels, classes={0: "normal", 1: "pneumonia"}
    )
    assert [r["images"] for r in rows] == ["all", "normal", "pneumonia"]
    assert [r["n"] for r in rows] == [50, 25, 25]
    assert abs(rows[0]["gain (dB)"] - (psnr_a - psnr_b).mean()) < 1e-9
    assert rows[0]["gain low"] < rows[0]["gain (dB)"] < rows[0]["gain high"]
    # a reference scored on the first 20 images only (BM3D, the slow filters): paired on those 20
    (row,) = L.gain_rows(scores, {"c": "slow"}, ["net"], n_boot=200)
    assert row["n"] == 20 and abs(row["gain (dB)"] - (psnr_a[:20] - psnr_b[:20]).mean()) < 1e-9
    assert row["PSNR of method"] == pytest.approx(psnr_a[:20].mean())


@pytest.mark.slow
def test_denoising_table_runs_on_any_medical_images():
    x = _images(40, seed=1)
    med = ImageData(
        x[:24],
        np.zeros(24, int),
        x[32:],
        np.array([0, 1] * 4),
        x[24:32],
        np.zeros(8, int),
        source="synthetic test images",
    )
    pre = L.build_residual_denoiser(filters=(4, 8))  # stands in for the pretrained model
    result = L.denoising_table(
        med,
        n_train=24,
        epochs=1,
        batches=2,
        batch_size=8,
        tune_images=4,
        slow_filter_images=4,
        n_boot=50,
        pretrained_model=pre,
        bm3d_images=2,
        bm3d_tune_images=1,
        bm3d_factors=(0.9, 1.1),
    )
    assert result["source"] == "synthetic test images" and result["n_train"] == 24 and result["n_test"] == 8
    methods = {r["method"] for r in result["rows"]}
    assert {
        "noisy input",
        "gaussian",
        "median",
        "tv",
        "nlm",
        "bottleneck noisy→clean",
        "residual noisy→clean",
        "pretrained residual",
    } <= methods
    if "bm3d" in methods:  # BM3D on the first 2 test images, told the level; the headline can pick it
        assert all(r["n"] == 2 for r in result["rows"] if r["method"] == "bm3d")
        assert set(result["bm3d"]) == set(L.CONDITIONS)
        assert {r["params"]["sigma_factor"] for r in result["bm3d"].values()} <= {0.9, 1.1}  # the grid asked for
    assert {r["condition"] for r in result["rows"]} == set(L.CONDITIONS)
    for r in result["rows"]:
        assert r["PSNR low"] <= r["PSNR"] <= r["PSNR high"]
        slow = r["method"] in ("tv", "nlm") and result["best_filter"][r["condition"]] != r["method"]
        assert r["n"] == (2 if r["method"] == "bm3d" else 4 if slow else 8)
    gains = result["gains"]
    assert len(gains) == 3 * len(L.CONDITIONS)  # synthetic images: no classes
    assert all(g["best filter"] in ("gaussian", "median", "tv", "nlm") for g in gains)
    headline = result["headline"]
    assert {g["best filter"] for g in headline} <= {"gaussian", "median", "tv", "nlm", "bm3d"}
    assert all(g["n"] == (2 if g["best filter"] == "bm3d" else 8) for g in headline)

"""Tests for course_utils.generative (sample-quality measures and latent-code helpers)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils import generative as gen


# --------------------------------------------------------------------------------------
# a tiny classifiable "digit" problem: two classes of 4x4 images (bright left / right half)
# --------------------------------------------------------------------------------------
def _two_class_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.uniform(0.0, 0.2, size=(n, 4, 4)).astype(np.float32)
    x[y == 0, :, :2] += 0.8
    x[y == 1, :, 2:] += 0.8
    return np.clip(x, 0, 1).reshape(n, 16), y.astype(np.int64)


class _FixedProbs:
    """A stand-in 'classifier' returning fixed probabilities (exercises the maths exactly)."""

    input_shape = (None, 4)

    def __init__(self, probs: np.ndarray) -> None:
        self.probs = np.asarray(probs, dtype=np.float32)

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.probs[: len(x)]


def test_classifier_confidence_known_values() -> None:
    certain = _FixedProbs(np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]))
    out = gen.classifier_confidence(certain, np.zeros((2, 4)))
    assert out["mean_max_prob"] == pytest.approx(1.0)
    assert out["mean_entropy"] == pytest.approx(0.0, abs=1e-6)
    assert out["confident_fraction"] == pytest.approx(1.0)
    assert out["class_entropy"] == pytest.approx(math.log(2))  # two different classes, evenly
    assert out["n"] == 2

    clueless = _FixedProbs(np.full((3, 4), 0.25))
    out = gen.classifier_confidence(clueless, np.zeros((3, 4)))
    assert out["mean_max_prob"] == pytest.approx(0.25)
    assert out["mean_entropy"] == pytest.approx(math.log(4), rel=1e-5)
    assert out["confident_fraction"] == 0.0


def test_classifier_confidence_rejects_bad_input() -> None:
    clf = _FixedProbs(np.full((2, 4), 0.25))
    with pytest.raises(ValueError, match="threshold"):
        gen.classifier_confidence(clf, np.zeros((2, 4)), threshold=1.5)
    with pytest.raises(ValueError, match="do not fit"):
        gen.classifier_confidence(clf, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="non-empty batch"):
        gen.classifier_confidence(clf, np.zeros((0, 4)))
    not_softmax = _FixedProbs(np.full((2, 4), 0.9))
    with pytest.raises(ValueError, match="probabilities"):
        gen.classifier_confidence(not_softmax, np.zeros((2, 4)))


def test_trained_classifier_is_confident_on_real_images_not_on_noise() -> None:
    x, y = _two_class_images(400, seed=1)
    x_val, y_val = _two_class_images(100, seed=2)
    model, info = gen.train_digit_classifier(
        x, y, epochs=4, batch_size=32, hidden=(16,), n_classes=2, validation_data=(x_val, y_val), seed=3
    )
    assert info["train_accuracy"] > 0.95 and info["val_accuracy"] > 0.95
    real = gen.classifier_confidence(model, x_val)
    ambiguous = gen.classifier_confidence(model, np.full((50, 16), 0.5, dtype=np.float32))
    assert real["mean_max_prob"] > ambiguous["mean_max_prob"]
    assert real["mean_entropy"] < ambiguous["mean_entropy"]
    # flat and image-shaped inputs are interchangeable
    p_flat = gen.predict_proba(model, x_val[:5])
    p_img = gen.predict_proba(model, x_val[:5].reshape(5, 4, 4, 1))
    np.testing.assert_allclose(p_flat, p_img, rtol=1e-6)


def test_train_digit_classifier_validates_labels() -> None:
    x, y = _two_class_images(20)
    with pytest.raises(ValueError, match="one integer label per image"):
        gen.train_digit_classifier(x, y[:-1], epochs=1)
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        gen.train_digit_classifier(x, y + 5, epochs=1, n_classes=2)
    with pytest.raises(ValueError, match="two different classes"):
        gen.train_digit_classifier(x, np.zeros(20, dtype=int), epochs=1)
    with pytest.raises(ValueError, match="integer class labels"):
        gen.train_digit_classifier(x, y + 0.5, epochs=1)


def test_build_digit_classifier_shapes_and_errors() -> None:
    model = gen.build_digit_classifier((28, 28, 1), hidden=(8,), seed=0)
    assert model.output_shape == (None, 10)
    probs = gen.predict_proba(model, np.zeros((3, 784), dtype=np.float32))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    a = gen.build_digit_classifier(16, n_classes=3, hidden=4, seed=7)
    b = gen.build_digit_classifier(16, n_classes=3, hidden=4, seed=7)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    for kwargs, match in [
        ({"n_classes": 1}, "n_classes must be an integer >= 2"),
        ({"dropout": 1.0}, "dropout"),
        ({"hidden": (0,)}, "hidden must contain only positive integers"),
        ({"input_shape": "784"}, "input_shape"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"seed": -1}, "seed"),
    ]:
        with pytest.raises(ValueError, match=match):
            gen.build_digit_classifier(**kwargs)


def test_nearest_neighbour_distance_exact() -> None:
    ref = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    samples = np.array([[0.0, 0.0], [3.0, 0.0], [10.0, 1.0]])
    d = gen.nearest_neighbour_distance(samples, ref, chunk=2)
    np.testing.assert_allclose(d, [0.0, 3.0, 1.0], atol=1e-6)
    d_self = gen.nearest_neighbour_distance(ref, ref, exclude_self=True)
    np.testing.assert_allclose(d_self, [5.0, 5.0, np.sqrt(65.0)], rtol=1e-6)
    # images are flattened: (N, 2, 1) behaves like (N, 2)
    np.testing.assert_allclose(gen.nearest_neighbour_distance(samples[:, :, None], ref), d, atol=1e-6)


def test_nearest_neighbour_distance_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    s, r = rng.random((37, 9)), rng.random((51, 9))
    brute = np.sqrt(((s[:, None, :] - r[None, :, :]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(gen.nearest_neighbour_distance(s, r, chunk=8), brute, rtol=1e-5, atol=1e-6)


def test_nearest_neighbour_distance_errors() -> None:
    with pytest.raises(ValueError, match="values each"):
        gen.nearest_neighbour_distance(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        gen.nearest_neighbour_distance(np.array([[np.nan, 0.0]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="chunk"):
        gen.nearest_neighbour_distance(np.zeros((2, 2)), np.zeros((2, 2)), chunk=0)


def test_sample_quality_combines_both_yardsticks() -> None:
    clf = _FixedProbs(np.tile([[0.7, 0.1, 0.1, 0.1]], (2, 1)))
    row = gen.sample_quality(clf, np.array([[0, 0, 0, 0], [1, 0, 0, 0]], float), np.zeros((3, 4)))
    assert row["mean_max_prob"] == pytest.approx(0.7)
    assert row["nn_distance_mean"] == pytest.approx(0.5)
    assert row["nn_distance_median"] == pytest.approx(0.5)


def test_interpolate() -> None:
    path = gen.interpolate([0.0, 2.0], np.array([[4.0, -2.0]]), steps=5)
    assert path.shape == (5, 2) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], [0, 2])
    np.testing.assert_allclose(path[-1], [4, -2])
    np.testing.assert_allclose(path[2], [2, 0])
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile([[1.0, -1.0]], (4, 1)))
    with pytest.raises(ValueError, match="same length"):
        gen.interpolate([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        gen.interpolate([0, 1], [1, 1], steps=1)
    with pytest.raises(ValueError, match="one latent code"):
        gen.interpolate(np.zeros((2, 2)), np.zeros((2, 2)))


def test_random_codes_like_matches_unit_statistics() -> None:
    rng = np.random.default_rng(0)
    codes = np.column_stack([rng.normal(5.0, 2.0, 4000), np.abs(rng.normal(0.0, 1.0, 4000))]).astype(np.float32)
    fake = gen.random_codes_like(codes, 20000, seed=1, clip=False)
    assert fake.shape == (20000, 2) and fake.dtype == np.float32
    np.testing.assert_allclose(fake.mean(0), codes.mean(0), atol=0.05)
    np.testing.assert_allclose(fake.std(0), codes.std(0), rtol=0.03)
    clipped = gen.random_codes_like(codes, 5000, seed=1)
    assert clipped[:, 1].min() >= codes[:, 1].min()  # never below the observed range (ReLU codes >= 0)
    assert np.array_equal(gen.random_codes_like(codes, 10, seed=3), gen.random_codes_like(codes, 10, seed=3))
    assert not np.array_equal(gen.random_codes_like(codes, 10, seed=3), gen.random_codes_like(codes, 10, seed=4))


def test_random_codes_like_loses_dependence_between_units() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=3000)
    codes = np.column_stack([a, a + 0.05 * rng.normal(size=3000)])  # strongly correlated units
    fake = gen.random_codes_like(codes, 3000, seed=0)
    assert np.corrcoef(codes.T)[0, 1] > 0.99
    assert abs(np.corrcoef(fake.T)[0, 1]) < 0.1


def test_random_codes_like_errors() -> None:
    with pytest.raises(ValueError, match="at least two"):
        gen.random_codes_like(np.zeros((1, 3)), 5)
    with pytest.raises(ValueError, match="n must be"):
        gen.random_codes_like(np.zeros((4, 3)), 0)
    with pytest.raises(ValueError, match="seed"):
        gen.random_codes_like(np.zeros((4, 3)), 2, seed=-2)


def test_kl_per_unit() -> None:
    mu = np.array([[0.0, 2.0], [0.0, -2.0]])
    lv = np.zeros((2, 2))
    np.testing.assert_allclose(gen.kl_per_unit(mu, lv), [0.0, 2.0])  # KL = mu^2 / 2 when sigma = 1
    lv2 = np.full((2, 2), np.log(4.0))  # sigma^2 = 4, mu = 0: KL = 0.5 * (4 - 1 - ln 4)
    np.testing.assert_allclose(gen.kl_per_unit(np.zeros((2, 2)), lv2), 0.5 * (3 - np.log(4.0)))
    with pytest.raises(ValueError, match="same shape"):
        gen.kl_per_unit(np.zeros((2, 2)), np.zeros((2, 3)))


def test_nearest_neighbour_distance_across_reference_chunks() -> None:
    rng = np.random.default_rng(1)
    s, r = rng.random((5, 3)), rng.random((5000, 3))  # more reference rows than one reference block
    r[4321] = s[2]
    brute = np.sqrt(((s[:, None, :] - r[None, :, :]) ** 2).sum(-1)).min(1)
    d = gen.nearest_neighbour_distance(s, r, chunk=2)
    np.testing.assert_allclose(d, brute, rtol=1e-6, atol=1e-6)
    assert d[2] == pytest.approx(0.0, abs=1e-6)

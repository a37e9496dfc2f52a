"""Tests for course_utils.models: architectures, seeding, save/load, sparsity, PCA, VAE, errors."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits

from course_utils import models, training


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """sklearn's 8x8 digits scaled to [0, 1]: (1797, 64) float32, offline and small."""
    return (load_digits().data / 16.0).astype("float32")


def _dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    return [
        layer
        for part in (model.encoder, model.decoder)
        for layer in part.layers
        if isinstance(layer, keras.layers.Dense)
    ]


# --------------------------------------------------------------------------------------
# dense autoencoder
# --------------------------------------------------------------------------------------
def test_dense_defaults_are_the_seed_model() -> None:
    ae = models.build_dense_autoencoder()
    assert isinstance(ae, models.Autoencoder)
    dense = _dense_layers(ae)
    assert [d.units for d in dense] == [32, 784]
    assert [d.activation.__name__ for d in dense] == ["relu", "sigmoid"]
    assert all(d.activity_regularizer is None for d in dense)
    assert ae.encoder.input_shape == (None, 784)
    assert ae.encoder.output_shape == (None, 32)
    assert ae.decoder.output_shape == (None, 784)
    assert not any(isinstance(layer, keras.layers.GaussianNoise) for layer in ae.encoder.layers)
    assert ae.loss == "binary_crossentropy"
    assert isinstance(ae.optimizer, keras.optimizers.Adam)
    assert float(ae.optimizer.learning_rate) == pytest.approx(1e-3)
    assert models.count_params(ae) == 784 * 32 + 32 + 32 * 784 + 784
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    out = ae.predict(x, verbose=0)
    assert out.shape == (5, 784)
    assert np.all((out >= 0) & (out <= 1))


def test_dense_hidden_layers_are_mirrored() -> None:
    ae = models.build_dense_autoencoder(hidden=(128, 64), compile=False)
    assert [d.units for d in _dense_layers(ae)] == [128, 64, 32, 64, 128, 784]
    assert not ae.compiled
    assert ae(np.zeros((2, 784), "float32")).shape == (2, 784)


def test_seed_breast_cancer_model_and_int_hidden() -> None:
    ae = models.build_dense_autoencoder(30, 7, hidden=15, loss="mse", learning_rate=1e-3)
    assert [d.units for d in _dense_layers(ae)] == [15, 7, 15, 30]
    assert ae.loss == "mse"
    assert float(ae.optimizer.learning_rate) == pytest.approx(1e-3)


def test_overcomplete_code_with_noise_and_code_activation() -> None:
    ae = models.build_dense_autoencoder(20, 50, input_noise=0.2, l1=1e-4, code_activation="sigmoid", seed=1)
    assert ae.encoder.output_shape == (None, 50)
    noise = [layer for layer in ae.encoder.layers if isinstance(layer, keras.layers.GaussianNoise)]
    assert len(noise) == 1 and noise[0].stddev == pytest.approx(0.2)
    code = ae.encoder.get_layer("code")
    assert code.activation.__name__ == "sigmoid"
    assert code.activity_regularizer is not None
    x = np.full((3, 20), 0.5, "float32")
    # the noise acts only in training
    np.testing.assert_allclose(ae(x, training=False), ae(x, training=False))
    assert not np.allclose(ae(x, training=True), ae(x, training=False))


def test_linear_autoencoder_and_optimizer_instance() -> None:
    ae = models.build_dense_autoencoder(
        8,
        2,
        activation="linear",
        output_activation="linear",
        loss="mse",
        optimizer=keras.optimizers.SGD(0.1),
        learning_rate=0.05,
    )
    assert all(d.activation.__name__ == "linear" for d in _dense_layers(ae))
    assert isinstance(ae.optimizer, keras.optimizers.SGD)
    assert float(ae.optimizer.learning_rate) == pytest.approx(0.05)
    keep = keras.optimizers.RMSprop(0.02)
    ae2 = models.build_dense_autoencoder(8, 2, optimizer=keep)
    assert ae2.optimizer is keep
    ae3 = models.build_dense_autoencoder(8, 2, optimizer="sgd", learning_rate=0.3)
    assert isinstance(ae3.optimizer, keras.optimizers.SGD)
    assert float(ae3.optimizer.learning_rate) == pytest.approx(0.3)


def test_encoder_and_decoder_share_the_weights() -> None:
    ae = models.build_dense_autoencoder(16, 4, hidden=(8,), seed=3)
    x = np.random.default_rng(1).random((6, 16), dtype=np.float32)
    ids = {id(w) for w in ae.weights}
    assert {id(w) for w in ae.encoder.weights + ae.decoder.weights} == ids
    kernel = ae.encoder.get_layer("code").kernel
    kernel.assign(kernel.numpy() * 2.0)
    # float32 matmuls over batches of 4 and of 6 may differ in the last bit (oneDNN picks kernels by shape)
    np.testing.assert_allclose(ae.decoder(ae.encoder(x)), ae(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ae.encode(x, batch_size=4), ae.encoder(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ae.decode(ae.encode(x)), ae(x), rtol=1e-5, atol=1e-7)


def test_same_seed_same_initial_weights() -> None:
    a = models.build_dense_autoencoder(16, 4, hidden=(8,), seed=7)
    b = models.build_dense_autoencoder(16, 4, hidden=(8,), seed=7)
    c = models.build_dense_autoencoder(16, 4, hidden=(8,), seed=8)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.get_weights()[0], c.get_weights()[0])
    # layers of equal shape inside one model still get different weights
    d = models.build_dense_autoencoder(8, 8, hidden=(8,), seed=7)
    kernels = [w for w in d.get_weights() if w.ndim == 2]
    assert not np.allclose(kernels[0], kernels[1])
    # seed=None follows the global seed (runtime.set_seed / keras.utils.set_random_seed)
    keras.utils.set_random_seed(5)
    e = models.build_dense_autoencoder(16, 4)
    keras.utils.set_random_seed(5)
    f = models.build_dense_autoencoder(16, 4)
    np.testing.assert_array_equal(e.get_weights()[0], f.get_weights()[0])


@pytest.mark.slow
def test_l1_penalty_lowers_mean_code_activation(digits: np.ndarray) -> None:
    x = digits[:256]
    means, zeros = {}, {}
    for l1 in (0.0, 1e-2):
        ae = models.build_dense_autoencoder(64, 32, l1=l1, learning_rate=1e-2, seed=0)
        training.train(ae, x, epochs=6, batch_size=64, seed=0, verbose=0, steps_per_execution=8)
        codes = ae.encode(x)
        means[l1], zeros[l1] = float(np.mean(codes)), float(np.mean(codes <= 1e-6))
    assert means[1e-2] < 0.5 * means[0.0], means
    assert zeros[1e-2] > zeros[0.0], zeros  # sparser: more exactly-zero code units


def test_linear_autoencoder_spans_the_pca_subspace() -> None:
    rng = np.random.default_rng(0)
    n, d, k = 400, 10, 3
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    z = rng.normal(size=(n, d)) * np.array([3.0, 2.0, 1.5] + [0.1] * (d - 3))
    x = (z @ basis.T + 0.5).astype("float32")
    pcs = np.linalg.svd(x - x.mean(0), full_matrices=False)[2][:k].T  # (d, k)
    ae = models.build_dense_autoencoder(
        d, k, activation="linear", output_activation="linear", loss="mse", learning_rate=0.01, seed=0
    )
    w_before = ae.decoder.get_layer("reconstruction").kernel.numpy().T
    assert np.degrees(subspace_angles(w_before, pcs)).max() > 20  # a random start is far off
    training.train(ae, x, epochs=50, batch_size=64, seed=0, verbose=0, steps_per_execution=50)
    w = ae.decoder.get_layer("reconstruction").kernel.numpy().T  # (d, k): spans the decoder's image
    angles = np.degrees(subspace_angles(w, pcs))
    assert angles.max() < 3.0, angles


# --------------------------------------------------------------------------------------
# convolutional autoencoder and denoiser
# --------------------------------------------------------------------------------------
def test_conv_autoencoder_shapes() -> None:
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    ae = models.build_conv_autoencoder(filters=(8, 16), seed=0)
    assert ae.encoder.output_shape == (None, 7, 7, 16)
    assert ae(x).shape == (2, 28, 28, 1)
    assert ae.loss == "binary_crossentropy"
    coded = models.build_conv_autoencoder(
        filters=(8, 16), code_dim=10, downsampling="pool", upsampling="upsample", input_noise=0.1, seed=0
    )
    assert coded.encoder.output_shape == (None, 10)
    assert coded.decoder.input_shape == (None, 10)
    assert coded(x).shape == (2, 28, 28, 1)
    assert any(isinstance(layer, keras.layers.MaxPooling2D) for layer in coded.encoder.layers)
    assert any(isinstance(layer, keras.layers.UpSampling2D) for layer in coded.decoder.layers)
    rgb = models.build_conv_autoencoder((16, 24, 3), filters=(4, 4, 8), output_activation="linear", loss="mse")
    assert rgb.encoder.output_shape == (None, 2, 3, 8)
    assert rgb(np.zeros((1, 16, 24, 3), "float32")).shape == (1, 16, 24, 3)


def test_conv_denoiser_structure_and_range() -> None:
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    den = models.build_conv_denoiser(seed=0)
    assert models.count_params(den) < 500_000
    assert den.loss == "mse"
    feats = den.encoder(x)
    # [input, full-res skip, half-res skip, bottleneck]
    assert [tuple(f.shape[1:]) for f in feats] == [(28, 28, 1), (28, 28, 32), (14, 14, 32), (7, 7, 64)]
    out = den.predict(x * 4 - 2, verbose=0)
    assert out.shape == (2, 28, 28, 1)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert isinstance(den.decoder.layers[-1], models.ResidualOutput)

    plain = models.build_conv_denoiser((16, 16, 1), filters=(4, 8), skip=False, residual=False, seed=0)
    assert plain.encoder.output_shape == (None, 4, 4, 8)
    assert not any(isinstance(layer, keras.layers.Concatenate) for layer in plain.decoder.layers)
    assert plain(x[:, :16, :16]).shape == (2, 16, 16, 1)

    res_only = models.build_conv_denoiser((16, 16, 1), filters=(4,), skip=False, residual=True)
    assert len(res_only.encoder.outputs) == 2
    skip_only = models.build_conv_denoiser((64, 64, 1), filters=(4, 8, 8), skip=True, residual=False)
    assert len(skip_only.encoder.outputs) == 4
    assert skip_only(np.zeros((1, 64, 64, 1), "float32")).shape == (1, 64, 64, 1)


@pytest.mark.slow
def test_residual_denoiser_learns_to_remove_noise() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    clean = np.stack([np.clip(a * xx + b * yy, 0, 1) for a, b in rng.random((64, 2))])[..., None].astype("float32")
    noisy = np.clip(clean + rng.normal(0, 0.15, clean.shape), 0, 1).astype("float32")
    den = models.build_conv_denoiser((16, 16, 1), filters=(8, 16), learning_rate=5e-3, seed=0)
    training.train(den, noisy, clean, epochs=8, batch_size=16, seed=0, verbose=0, steps_per_execution=8)
    before = np.mean((noisy - clean) ** 2)
    after = np.mean((np.asarray(den(noisy)) - clean) ** 2)
    assert after < 0.5 * before


# --------------------------------------------------------------------------------------
# save / load
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "build, shape, fit",
    [
        (lambda: models.build_dense_autoencoder(16, 4, hidden=(8,), l1=1e-4, input_noise=0.1, seed=0), (3, 16), True),
        (lambda: models.build_conv_autoencoder((8, 8, 1), filters=(4,), code_dim=3, seed=0), (3, 8, 8, 1), False),
        (lambda: models.build_conv_denoiser((8, 8, 1), filters=(4, 4), seed=0), (3, 8, 8, 1), False),
    ],
)
def test_autoencoder_save_load_round_trip(tmp_path, build, shape, fit) -> None:
    ae = build()
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    if fit:
        ae.fit(x, x, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    ae.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, models.Autoencoder)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(ae(x)), rtol=1e-5, atol=1e-6)
    codes, codes_loaded = ae.encode(x), loaded.encode(x)
    for a, b in zip(
        codes if isinstance(codes, list) else [codes], codes_loaded if isinstance(codes, list) else [codes_loaded]
    ):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert loaded.compiled and loaded.loss == ae.loss
    assert type(loaded.optimizer) is type(ae.optimizer)
    assert int(loaded.optimizer.iterations) == int(ae.optimizer.iterations) == int(fit)


@pytest.mark.slow
def test_vae_save_load_round_trip(tmp_path) -> None:
    vae = models.build_vae((16,), latent_dim=2, hidden=(8,), beta=0.5, seed=0)
    x = np.random.default_rng(0).random((8, 16), dtype=np.float32)
    training.train(vae, x, epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, models.VAE)
    assert loaded.beta == 0.5 and loaded.latent_dim == 2
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(vae(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.sample(3, seed=4), vae.sample(3, seed=4), rtol=1e-5, atol=1e-6)


def test_layer_configs_round_trip() -> None:
    res = models.ResidualOutput(0.1, 0.9, name="r")
    again = models.ResidualOutput.from_config(res.get_config())
    assert (again.low, again.high, again.name) == (0.1, 0.9, "r")
    out = again([np.array([[0.5, 0.95]], "float32"), np.array([[0.0, -0.5]], "float32")])
    np.testing.assert_allclose(out, [[0.5, 0.9]])
    samp = models.Sampling(seed=3)
    assert models.Sampling.from_config(samp.get_config()).seed == 3


# --------------------------------------------------------------------------------------
# VAE
# --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_vae_losses_finite_decreasing_and_reported(digits: np.ndarray) -> None:
    x = digits[:512]
    vae = models.build_vae((64,), latent_dim=2, hidden=(32,), seed=0, learning_rate=3e-3)
    hist = training.train(vae, x, epochs=6, batch_size=64, validation_data=digits[512:640], seed=0, verbose=0).history
    for key in ("loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"):
        assert key in hist and np.all(np.isfinite(hist[key])), key
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["val_loss"][-1] < hist["val_loss"][0]
    np.testing.assert_allclose(
        np.array(hist["loss"]), np.array(hist["reconstruction_loss"]) + np.array(hist["kl_loss"]), rtol=0.05
    )
    assert min(hist["kl_loss"]) >= 0


def test_vae_loss_terms_match_their_definition(digits: np.ndarray) -> None:
    """reconstruction = per-image sum of BCE over pixels, batch mean; KL against N(0, I)."""
    x = digits[:20]
    vae = models.build_vae((64,), latent_dim=3, hidden=(16,), beta=2.0, seed=1)
    head = vae.encoder.get_layer("z_log_var")
    head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
    head.bias.assign(np.full(head.bias.shape, -30.0, "float32"))  # sigma ~ 0: z = z_mean
    mean_head = vae.encoder.get_layer("z_mean")
    mean_head.bias.assign(np.array([0.5, -1.0, 2.0], "float32"))
    got = vae.evaluate(x, x, batch_size=32, verbose=0, return_dict=True)
    z_mean, z_log_var = vae.encode(x)
    p = np.clip(vae.decode(z_mean).astype("float64"), 1e-7, 1 - 1e-7)
    rec = np.mean(np.sum(-(x * np.log(p) + (1 - x) * np.log(1 - p)), axis=1))
    kl = np.mean(np.sum(-0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var)), axis=1))
    assert got["reconstruction_loss"] == pytest.approx(rec, rel=1e-3)
    assert got["kl_loss"] == pytest.approx(kl, rel=1e-3)
    assert got["loss"] == pytest.approx(rec + 2.0 * kl, rel=1e-3)


def test_vae_mse_loss_and_separate_target() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((16, 8), dtype=np.float32)
    vae = models.build_vae(8, latent_dim=2, hidden=(), reconstruction_loss="mse", output_activation="linear", seed=0)
    assert vae.decoder.output_shape == (None, 8)
    res = vae.evaluate(x, np.zeros_like(x), verbose=0, return_dict=True)
    res_self = vae.evaluate(x, x, verbose=0, return_dict=True)
    assert res["reconstruction_loss"] != pytest.approx(res_self["reconstruction_loss"])


def test_vae_images_encode_decode_sample() -> None:
    vae = models.build_vae((28, 28, 1), latent_dim=2, hidden=(16,), seed=0)
    x = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    z_mean, z_log_var = vae.encode(x)
    assert z_mean.shape == (5, 2) and z_log_var.shape == (5, 2)
    assert vae.decode(z_mean).shape == (5, 28, 28, 1)
    assert vae.predict(x, verbose=0).shape == (5, 28, 28, 1)
    # prediction uses z_mean: deterministic; training-mode calls sample z
    np.testing.assert_allclose(vae(x), vae(x))
    a, b, c = vae.sample(4, seed=1), vae.sample(4, seed=1), vae.sample(4, seed=2)
    assert a.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.all((a >= 0) & (a <= 1))
    assert vae.sample(2).shape == (2, 28, 28, 1)


def test_vae_sampling_layer_is_seeded() -> None:
    z_mean = np.zeros((4, 3), "float32")
    z_log_var = np.zeros((4, 3), "float32")
    s1 = models.Sampling(seed=11)([z_mean, z_log_var])
    s2 = models.Sampling(seed=11)([z_mean, z_log_var])
    np.testing.assert_allclose(s1, s2)
    layer = models.Sampling(seed=11)
    first, second = layer([z_mean, z_log_var]), layer([z_mean, z_log_var])
    assert not np.allclose(first, second)  # the generator advances


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"code_dim": 0}, "code_dim must be a positive integer"),
        ({"code_dim": -3}, "code_dim must be a positive integer"),
        ({"code_dim": 2.5}, "code_dim must be a positive integer"),
        ({"code_dim": True}, "code_dim must be a positive integer"),
        ({"input_dim": "784"}, "input_dim must be a positive integer"),
        ({"hidden": (128, -1)}, "hidden must contain only positive integers"),
        ({"hidden": (128, 1.5)}, "hidden must contain only positive integers"),
        ({"hidden": "128"}, "hidden must be a sequence"),
        ({"activation": "relux"}, "unknown activation 'relux'"),
        ({"activation": None}, "activation must be"),
        ({"activation": 3}, "activation must be an activation name"),
        ({"output_activation": "sigmoidal"}, "unknown activation"),
        ({"code_activation": "nope"}, "unknown activation"),
        ({"loss": "bogus"}, "unknown loss 'bogus'"),
        ({"loss": 5}, "loss must be"),
        ({"optimizer": "adamz"}, "unknown optimizer 'adamz'"),
        ({"optimizer": 3}, "optimizer must be"),
        ({"learning_rate": -1.0}, "learning_rate must be a positive number"),
        ({"learning_rate": float("nan")}, "learning_rate must be a positive number"),
        ({"l1": -0.1}, "l1 must be a finite number >= 0"),
        ({"l1": float("inf")}, "l1 must be a finite number >= 0"),
        ({"input_noise": -1}, "input_noise must be a finite number >= 0"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": "a"}, "seed must be a non-negative integer"),
    ],
)
def test_dense_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        models.build_dense_autoencoder(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (30, 30, 1)}, r"divisible by 2\*\*len\(filters\) = 4"),
        ({"input_shape": (28, 28, 1), "filters": (8, 8, 8)}, "divisible by"),
        ({"input_shape": (28, 28)}, r"must be \(height, width, channels\)"),
        ({"input_shape": "28x28"}, r"must be \(height, width, channels\)"),
        ({"input_shape": (28, 0, 1)}, "positive integers"),
        ({"filters": ()}, "filters must contain at least one"),
        ({"filters": (32, -64)}, "filters must contain only positive integers"),
        ({"filters": None}, "filters must be a sequence"),
        ({"code_dim": 0}, "code_dim must be a positive integer"),
        ({"kernel_size": 0}, "kernel_size must be a positive integer"),
        ({"activation": "nope"}, "unknown activation"),
        ({"activation": None}, "activation must be"),
        ({"code_activation": "nope"}, "unknown activation"),
        ({"downsampling": "avg"}, "downsampling must be 'stride' or 'pool'"),
        ({"upsampling": "bilinear"}, "upsampling must be 'transpose' or 'upsample'"),
        ({"input_noise": -0.5}, "input_noise must be"),
        ({"loss": "bogus"}, "unknown loss"),
    ],
)
def test_conv_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        models.build_conv_autoencoder(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_shape": (30, 30, 1)}, "divisible by"),
        ({"filters": []}, "filters must contain at least one"),
        ({"skip": "yes"}, "skip and residual must be True or False"),
        ({"residual": 1}, "skip and residual must be True or False"),
        ({"output_activation": "nope"}, "unknown activation"),
        ({"loss": "bogus"}, "unknown loss"),
        ({"optimizer": "nope"}, "unknown optimizer"),
    ],
)
def test_denoiser_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        models.build_conv_denoiser(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"latent_dim": 0}, "latent_dim must be a positive integer"),
        ({"beta": -1.0}, "beta must be a finite number >= 0"),
        ({"input_shape": ()}, "input_shape must be"),
        ({"input_shape": (4, 4, 4, 4)}, "input_shape must be"),
        ({"input_shape": (28, -28, 1)}, "positive integers"),
        ({"hidden": (0,)}, "hidden must contain only positive integers"),
        ({"activation": "nope"}, "unknown activation"),
        ({"activation": None}, "activation must be"),
        ({"reconstruction_loss": "hinge"}, "reconstruction_loss must be one of"),
        ({"optimizer": "nope"}, "unknown optimizer"),
    ],
)
def test_vae_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        models.build_vae(**kwargs)


def test_bad_method_and_class_arguments() -> None:
    vae = models.build_vae((8,), latent_dim=2, hidden=(), seed=0)
    with pytest.raises(ValueError, match=r"z must have shape \(n, 2\)"):
        vae.decode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        vae.sample(0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        vae.sample(2, seed=-1)
    with pytest.raises(ValueError, match="non-empty batch"):
        vae.encode(np.zeros((0, 8)))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        vae.encode(np.zeros((2, 8)), batch_size=0)
    with pytest.raises(ValueError, match="reconstruction_loss must be one of"):
        models.VAE(vae.encoder, vae.decoder, reconstruction_loss="l1")
    with pytest.raises(ValueError, match="two keras.Model instances"):
        models.VAE("encoder", vae.decoder)
    with pytest.raises(ValueError, match="two keras.Model instances"):
        models.Autoencoder(vae.decoder, "decoder")
    with pytest.raises(ValueError, match="count_params expects a Keras model"):
        models.count_params("model")


def test_count_params_trainable_only() -> None:
    ae = models.build_dense_autoencoder(10, 2, compile=False)
    assert models.count_params(ae) == models.count_params(ae, trainable_only=True) == 10 * 2 + 2 + 2 * 10 + 10
    ae.encoder.trainable = False
    assert models.count_params(ae, trainable_only=True) == 2 * 10 + 10

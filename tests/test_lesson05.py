"""Lesson 05's exported code (course_utils.lessons.variational_autoencoders) behaves as the lesson says,
and the lesson's own pieces pass the lesson's exercises."""

from __future__ import annotations

import io

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import exercises
from course_utils.lessons.variational_autoencoders import (
    VAE,
    Sampling,
    build_conv_vae_decoder,
    build_conv_vae_encoder,
    build_vae_decoder,
    build_vae_encoder,
    kl_divergence,
)

exercises._load_all()


def _kl_numpy(mu, log_var):
    return -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=1)


def test_kl_divergence_matches_the_formula_and_is_zero_at_the_prior():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(5, 3)).astype("float32")
    log_var = rng.normal(size=(5, 3)).astype("float32")
    kl = ops.convert_to_numpy(kl_divergence(mu, log_var))
    assert kl.shape == (5,)
    np.testing.assert_allclose(kl, _kl_numpy(mu.astype(float), log_var.astype(float)), rtol=1e-5)
    assert np.all(kl >= 0)
    zero = ops.convert_to_numpy(kl_divergence(np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")))
    np.testing.assert_allclose(zero, 0.0, atol=1e-6)


def test_sampling_draws_mean_plus_sigma_times_noise():
    layer = Sampling(seed=1)
    n, d = 20_000, 2
    mu = np.full((n, d), 3.0, "float32")
    log_var = np.full((n, d), np.log(4.0), "float32")  # sigma = 2
    z = ops.convert_to_numpy(layer([mu, log_var]))
    assert z.shape == (n, d)
    assert abs(z.mean() - 3.0) < 0.05 and abs(z.std() - 2.0) < 0.05
    again = ops.convert_to_numpy(layer([mu, log_var]))
    assert not np.allclose(z, again), "each call draws new noise"
    same_seed = ops.convert_to_numpy(Sampling(seed=1)([mu, log_var]))
    np.testing.assert_allclose(z, same_seed)  # a seed makes the noise reproducible


@pytest.mark.parametrize(
    ("build_encoder", "build_decoder"),
    [(build_vae_encoder, build_vae_decoder), (build_conv_vae_encoder, build_conv_vae_decoder)],
    ids=["dense", "convolutional"],
)
def test_encoder_and_decoder_shapes(build_encoder, build_decoder):
    enc, dec = build_encoder(latent_dim=3), build_decoder(latent_dim=3)
    x = np.random.default_rng(0).uniform(size=(4, 784)).astype("float32")
    z_mean, z_log_var, z = (ops.convert_to_numpy(t) for t in enc(x))
    assert z_mean.shape == z_log_var.shape == z.shape == (4, 3)
    assert [layer.name for layer in enc.layers if layer.name.startswith("z_")] == ["z_mean", "z_log_var"]
    out = ops.convert_to_numpy(dec(z))
    assert out.shape == (4, 784) and out.min() >= 0 and out.max() <= 1


@pytest.mark.slow  # a subprocess that imports TensorFlow or starts a kernel: `make test`, not test-quick
def test_vae_trains_with_fit_and_reports_its_two_loss_terms():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(256, 784)) < 0.2).astype("float32")
    vae = VAE(build_vae_encoder(latent_dim=2), build_vae_decoder(latent_dim=2), beta=2.0)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), steps_per_execution=4)
    history = vae.fit(x, epochs=2, batch_size=64, validation_data=(x[:64],), verbose=0)
    assert {"loss", "reconstruction_loss", "kl_loss", "val_loss", "val_kl_loss"} <= set(history.history)
    assert history.history["loss"][1] < history.history["loss"][0]
    # evaluate runs test_step: total = reconstruction + beta * KL (means over the same batches)
    keras.utils.set_random_seed(1)
    result = vae.evaluate(x[:64], batch_size=64, verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(result["reconstruction_loss"] + 2.0 * result["kl_loss"], rel=1e-4)
    # vae(x) decodes z_mean: deterministic
    np.testing.assert_allclose(vae.predict(x[:8], verbose=0), vae.predict(x[:8], verbose=0))


def test_the_conv_vae_is_the_tensorflow_tutorials_model():
    enc, dec = build_conv_vae_encoder(latent_dim=2), build_conv_vae_decoder(latent_dim=2)
    convs = [(layer.filters, layer.strides) for layer in enc.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs == [(32, (2, 2)), (64, (2, 2))]
    transposed = [layer.filters for layer in dec.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert transposed == [64, 32, 1]


def test_kl_per_unit_sums_to_the_lessons_kl():
    from course_utils import generative

    rng = np.random.default_rng(1)
    mu, log_var = rng.normal(size=(7, 4)), rng.normal(size=(7, 4))
    per_unit = generative.kl_per_unit(mu, log_var)
    assert per_unit.shape == (4,)
    total = np.mean(ops.convert_to_numpy(kl_divergence(mu.astype("float32"), log_var.astype("float32"))))
    assert per_unit.sum() == pytest.approx(float(total), rel=1e-5)


@pytest.mark.parametrize(
    ("ex_id", "answer"), [("05-sampling", Sampling), ("05-kl", kl_divergence), ("05-train-step", VAE)]
)
def test_the_lessons_own_code_passes_its_exercise(ex_id, answer):
    out = io.StringIO()
    assert exercises.check(ex_id, answer, out=out), out.getvalue()


def test_the_sample_digits_exercise_accepts_the_lessons_decoder():
    namespace = exercises.run_in_context(
        exercises.EXERCISES["05-prior-samples"], exercises.EXERCISES["05-prior-samples"].solution
    )
    images = namespace["sample_digits"](build_vae_decoder(latent_dim=8), 16)
    assert np.asarray(images).shape == (16, 784)

"""Lesson 02's exported code (course_utils.lessons.mnist_autoencoder): shapes, parameter counts, the fast
recipe's pieces — what the benchmark and later lessons rely on.  No training here (fast)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils.lessons import mnist_autoencoder as lesson


def _dense_units(model: keras.Model) -> list[int]:
    units = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            units += _dense_units(layer)
        elif isinstance(layer, keras.layers.Dense):
            units.append(layer.units)
    return units


@pytest.mark.parametrize(
    ("build", "kwargs", "input_shape", "code_size", "params"),
    [
        (lesson.build_syllabus_autoencoder, {}, (784,), 32, 50_992),
        (lesson.build_deep_autoencoder, {}, (784,), 32, 222_384),
        (lesson.build_deep_autoencoder, {"code_size": 2, "code_activation": "linear"}, (784,), 2, None),
        (lesson.build_convolutional_autoencoder, {}, (28, 28, 1), 32, 120_769),
        (lesson.build_sparse_autoencoder, {}, (784,), 32, 50_992),
        (lesson.build_tied_autoencoder, {}, (784,), 32, 25_904),
        (lesson.build_overcomplete_autoencoder, {}, (784,), 1024, 1_607_440),
        (lesson.build_overcomplete_autoencoder, {"input_noise": 0.3}, (784,), 1024, 1_607_440),
    ],
)
def test_builders_return_autoencoder_encoder_decoder_sharing_weights(build, kwargs, input_shape, code_size, params):
    autoencoder, encoder, decoder = build(**kwargs)
    x = np.random.default_rng(0).uniform(0, 1, (5, *input_shape)).astype("float32")
    out = autoencoder.predict(x, verbose=0)
    codes = encoder.predict(x, verbose=0)
    assert out.shape == x.shape
    assert codes.shape == (5, code_size)
    assert np.all((out > 0) & (out < 1)), "sigmoid output"
    np.testing.assert_allclose(decoder.predict(codes, verbose=0), out, atol=1e-5)  # shared weights, no copies
    if params is not None:
        assert autoencoder.count_params() == params
    assert not autoencoder.compiled, "builders return uncompiled models (the lesson compiles them visibly)"


def test_syllabus_model_is_the_syllabus_architecture():
    autoencoder, encoder, _ = lesson.build_syllabus_autoencoder()
    dense = [layer for layer in autoencoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [(d.units, d.activation.__name__) for d in dense] == [(32, "relu"), (784, "sigmoid")]
    assert _dense_units(lesson.build_deep_autoencoder()[0]) == [128, 64, 32, 64, 128, 784]


def test_sparse_penalty_is_an_l1_activity_regularizer_on_the_code():
    autoencoder, encoder, _ = lesson.build_sparse_autoencoder(l1=1e-3)
    code_layer = encoder.layers[-1]
    assert isinstance(code_layer.activity_regularizer, keras.regularizers.L1)
    assert float(code_layer.activity_regularizer.l1) == pytest.approx(1e-3)
    autoencoder(np.ones((2, 784), "float32"))
    assert len(autoencoder.losses) == 1  # the penalty reaches the loss


def test_mean_pixel_bias_starts_the_output_at_the_mean_image():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (50, 784)).astype("float32") ** 3
    autoencoder, _, _ = lesson.build_syllabus_autoencoder(output_bias=lesson.mean_pixel_bias(x))
    bias = autoencoder.layers[-1].bias.numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-bias)), np.clip(x.mean(axis=0), 1e-3, 1 - 1e-3), rtol=1e-4)
    images = x.reshape(-1, 28, 28, 1)
    conv, _, _ = lesson.build_convolutional_autoencoder(output_bias=lesson.mean_pixel_bias(images))
    conv_bias = conv.layers[-1].layers[-1].bias.numpy()
    assert conv_bias.shape == (1,)
    assert 1 / (1 + np.exp(-conv_bias[0])) == pytest.approx(float(x.mean()), rel=1e-4)


def test_fast_schedule_warms_up_holds_and_decays():
    schedule = lesson.fast_schedule(7000, epochs=9, warmup_epochs=2, decay_epochs=4)
    steps = np.arange(schedule.total_steps + 3)
    ours = keras.ops.convert_to_numpy(schedule(steps))
    # the same shape written independently: 55 steps per epoch, 110 warm-up steps, the last 220 decay to 0
    total, warmup, decay = 9 * 55, 110, 220
    reference = 0.01 * np.minimum(1.0, (steps + 1) / warmup) * np.clip((total - steps) / decay, 0.0, 1.0)
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-9)
    assert ours.max() == pytest.approx(0.01)
    assert ours[schedule.total_steps - 1] > 0 and ours[schedule.total_steps] == 0
    opt = keras.optimizers.Adam(learning_rate=schedule)
    assert float(opt.learning_rate) == pytest.approx(0.01 / 110)


def test_tied_autoencoder_decodes_with_the_encoders_kernel_transposed():
    autoencoder, encoder, decoder = lesson.build_tied_autoencoder(output_bias=keras.initializers.Constant(0.25))
    dense = encoder.layers[-1]
    tied = autoencoder.layers[-1]
    assert isinstance(tied, lesson.DenseTranspose) and tied.dense is dense
    rng = np.random.default_rng(0)
    dense.kernel.assign(rng.normal(0, 0.1, (784, 32)).astype("float32"))  # change the shared kernel
    x = rng.uniform(0, 1, (3, 784)).astype("float32")
    code = np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), 0)
    expected = 1 / (1 + np.exp(-(code @ dense.kernel.numpy().T + 0.25)))
    np.testing.assert_allclose(autoencoder.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-6)
    assert [w.shape for w in tied.trainable_weights if w is not dense.kernel and w is not dense.bias] == [(784,)]

"""Tests for course_utils.training: the train() helper, its pipeline, the fast recipe, time_to_loss."""

from __future__ import annotations

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import models, training


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    basis = rng.random((3, 16))
    codes = rng.random((200, 3))
    x = (codes @ basis / 3.0).astype("float32")
    return x[:160], x[160:]


def _model(seed: int = 0) -> keras.Model:
    return models.build_dense_autoencoder(16, 3, learning_rate=0.01, seed=seed)


# --------------------------------------------------------------------------------------
# ArrayBatches / make_dataset
# --------------------------------------------------------------------------------------
def test_array_batches_cover_every_sample_once_and_reshuffle() -> None:
    x = np.arange(10, dtype=np.float64).reshape(10, 1)
    batches = training.ArrayBatches(x, batch_size=4, seed=3)
    assert len(batches) == 3
    epoch1 = list(batches())
    epoch2 = list(batches())
    assert [len(b[0]) for b in epoch1] == [4, 4, 2]
    assert epoch1[0][0].dtype == np.float32  # floats are cast per batch
    assert all(xb is yb for xb, yb in epoch1)  # y=None: the target is the input
    seen1 = np.concatenate([b[0] for b in epoch1]).ravel()
    seen2 = np.concatenate([b[0] for b in epoch2]).ravel()
    assert sorted(seen1) == sorted(seen2) == list(range(10))
    assert not np.array_equal(seen1, seen2)  # a new order every epoch
    again = list(training.ArrayBatches(x, batch_size=4, seed=3)())
    np.testing.assert_array_equal(np.concatenate([b[0] for b in again]), np.concatenate([b[0] for b in epoch1]))


def test_array_batches_order_targets_and_transform() -> None:
    x = np.arange(6).reshape(6, 1)  # integers stay integers
    y = np.arange(6, 12, dtype=np.float32).reshape(6, 1)
    ordered = list(training.ArrayBatches(x, y, batch_size=4, shuffle=False)())
    np.testing.assert_array_equal(ordered[0][0].ravel(), [0, 1, 2, 3])
    np.testing.assert_array_equal(ordered[1][1].ravel(), [10, 11])
    assert ordered[0][0].dtype == x.dtype

    def add_noise(xb, yb, rng):
        return xb + rng.normal(0, 1, xb.shape), yb

    noisy = training.ArrayBatches(y, batch_size=6, shuffle=False, seed=0, transform=add_noise)
    xb, yb = next(noisy())
    assert xb.dtype == np.float32
    np.testing.assert_array_equal(yb, y)
    assert not np.allclose(xb, y)
    spec = noisy.element_spec()
    assert spec[0].shape.as_list() == [None, 1] and spec[0].dtype == tf.float32


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.zeros((0, 3)),), {}, "x is empty"),
        ((np.zeros((4, 3)), np.zeros((5, 3))), {}, "same number of samples"),
        ((np.zeros((4, 3)),), {"batch_size": 0}, "batch_size must be a positive integer"),
        ((np.zeros((4, 3)),), {"seed": -2}, "seed must be a non-negative integer"),
        ((np.zeros((4, 3)),), {"transform": "noise"}, "transform must be a callable"),
        ((np.float32(3.0),), {}, "x must be an array of samples"),
        (([{"a": 1}, 2],), {}, "x must be an array of samples"),
    ],
)
def test_array_batches_bad_input(args, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.ArrayBatches(*args, **kwargs)


def test_make_dataset_is_batched_with_known_length() -> None:
    ds = training.make_dataset(np.ones((10, 2), "float32"), batch_size=3, seed=0)
    assert int(ds.cardinality()) == 4
    sizes = [int(xb.shape[0]) for xb, _ in ds]
    assert sizes == [3, 3, 3, 1]


# --------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------
def test_train_prints_one_line_per_epoch_and_records_time(data, capsys) -> None:
    x, xv = data
    hist = training.train(_model(), x, epochs=3, batch_size=32, validation_data=xv, seed=0)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) == 3
    for i, line in enumerate(lines, start=1):
        assert re.match(
            rf"^epoch {i}/3  loss \d\.\d{{4}}  val_loss \d\.\d{{4}}  \d+\.\d s \(total \d+\.\d s\)$", line
        ), line
    h = hist.history
    assert len(h["loss"]) == len(h["val_loss"]) == len(h["time"]) == 3
    assert all(t2 > t1 > 0 for t1, t2 in zip(h["time"], h["time"][1:]))
    assert h["loss"][-1] < h["loss"][0]


@pytest.mark.slow
def test_train_verbose_modes(data, capsys) -> None:
    x, _ = data
    model = _model()
    training.train(model, x, epochs=1, batch_size=64, verbose=0)
    assert capsys.readouterr().out == ""
    training.train(model, x, epochs=1, batch_size=64, verbose="bar")
    out = capsys.readouterr().out
    assert "epoch 1/1  loss" not in out and "loss" in out  # Keras' own progress bar
    vae = models.build_vae((16,), latent_dim=2, hidden=(4,), seed=0)
    training.train(vae, x, epochs=1, batch_size=64, validation_data=x[:20])
    line = capsys.readouterr().out.strip()
    assert re.match(
        r"^epoch 1/1  loss \S+  kl_loss \S+  reconstruction_loss \S+  val_loss \S+  val_kl_loss \S+  "
        r"val_reconstruction_loss \S+  \d+\.\d s",
        line,
    ), line


@pytest.mark.slow
def test_train_target_defaults_to_input(data) -> None:
    x, _ = data
    a = training.train(_model(), x, epochs=2, batch_size=32, seed=1, verbose=0).history["loss"]
    b = training.train(_model(), x, x, epochs=2, batch_size=32, seed=1, verbose=0).history["loss"]
    c = training.train(_model(), x, 1 - x, epochs=2, batch_size=32, seed=1, verbose=0).history["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, c)


@pytest.mark.slow
def test_same_seed_same_losses_twice(data) -> None:
    x, xv = data
    runs = [
        training.train(_model(seed=4), x, epochs=2, batch_size=32, validation_data=xv, seed=4, verbose=0).history
        for _ in range(2)
    ]
    assert runs[0]["loss"] == runs[1]["loss"]
    assert runs[0]["val_loss"] == runs[1]["val_loss"]
    other = training.train(_model(seed=4), x, epochs=2, batch_size=32, validation_data=xv, seed=5, verbose=0).history
    assert other["loss"] != runs[0]["loss"]  # a different shuffle


def test_validation_data_forms(data) -> None:
    x, xv = data
    model = _model()
    training.train(model, x, epochs=1, batch_size=32, seed=0, verbose=0)
    expected = model.evaluate(xv, xv, verbose=0)
    for val in (xv, (xv,), (xv, xv), [xv, None], training.make_dataset(xv, shuffle=False)):
        hist = training.train(
            model, x[:1], epochs=1, validation_data=val, verbose=0, learning_rate_schedule=lambda e, lr: 0.0
        )
        assert hist.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="validation_data must be"):
        training.train(model, x, epochs=1, validation_data=(xv, xv, xv), verbose=0)


def test_early_stopping_restores_best_weights(data) -> None:
    x, xv = data
    model = _model()
    # the validation target is the negative image, so learning the identity makes val_loss worse
    hist = training.train(
        model, x, epochs=30, batch_size=16, validation_data=(xv, 1 - xv), early_stopping=2, seed=0, verbose=0
    )
    val = hist.history["val_loss"]
    assert len(val) < 30
    best = int(np.argmin(val))
    assert len(val) == best + 3  # patience 2 after the best epoch
    assert model.evaluate(xv, 1 - xv, verbose=0) == pytest.approx(val[best], rel=1e-4)
    with pytest.raises(ValueError, match="early_stopping monitors val_loss, so it needs validation_data"):
        training.train(model, x, epochs=2, early_stopping=2, verbose=0)


def test_train_accepts_datasets_and_callbacks(data) -> None:
    x, _ = data

    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1
            assert "time" in logs

    ds = tf.data.Dataset.from_tensor_slices((x, x)).batch(40)
    hist = training.train(_model(), ds, epochs=2, verbose=0, callbacks=[Count()])
    assert Count.epochs == 2 and len(hist.history["time"]) == 2

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 40 : (i + 1) * 40], x[i * 40 : (i + 1) * 40]

    hist = training.train(_model(), Batches(), epochs=1, verbose=0)
    assert len(hist.history["loss"]) == 1
    with pytest.raises(ValueError, match="y and transform must be None"):
        training.train(_model(), ds, x, epochs=1, verbose=0)


def test_train_transform_changes_the_inputs(data) -> None:
    x, _ = data
    plain = training.train(_model(), x, epochs=1, batch_size=32, seed=0, verbose=0).history["loss"]
    noisy = training.train(
        _model(),
        x,
        epochs=1,
        batch_size=32,
        seed=0,
        verbose=0,
        transform=lambda xb, yb, rng: (xb + rng.normal(0, 0.5, xb.shape), yb),
    ).history["loss"]
    assert noisy != plain


def test_learning_rate_schedules(data) -> None:
    x, _ = data
    model = _model()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.5)
    training.train(model, x, epochs=2, batch_size=32, learning_rate_schedule=schedule, verbose=0)
    assert int(model.optimizer.iterations) == 10
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01 * 0.5 ** (10 / 5), rel=1e-5)
    assert model.loss == "binary_crossentropy"  # the loss survives the recompilation

    per_epoch = training.train(
        _model(), x, epochs=2, batch_size=32, verbose=0, learning_rate_schedule=lambda epoch, lr: 0.001 * (epoch + 1)
    )
    assert per_epoch.history["learning_rate"] == pytest.approx([0.001, 0.002])
    with pytest.raises(ValueError, match="learning_rate_schedule must be"):
        training.train(_model(), x, epochs=1, learning_rate_schedule=0.1, verbose=0)


@pytest.mark.slow
def test_jit_and_steps_per_execution(data) -> None:
    x, _ = data
    model = _model()
    ref = training.train(_model(), x, epochs=1, batch_size=32, seed=0, verbose=0).history["loss"]
    hist = training.train(model, x, epochs=1, batch_size=32, seed=0, verbose=0, jit_compile=True, steps_per_execution=3)
    assert model.jit_compile is True and model.steps_per_execution == 3
    np.testing.assert_allclose(hist.history["loss"], ref, rtol=1e-4)
    training.train(model, x, epochs=1, batch_size=32, verbose=0)
    assert model.jit_compile is False


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": 2.0}, "epochs must be a positive integer"),
        ({"epochs": 1, "batch_size": -1}, "batch_size must be a positive integer"),
        ({"epochs": 1, "verbose": "loud"}, "verbose must be"),
        ({"epochs": 1, "verbose": 3}, "verbose must be"),
        ({"epochs": 1, "jit_compile": "yes"}, "jit_compile must be True or False"),
        ({"epochs": 1, "seed": -1}, "seed must be a non-negative integer"),
        ({"epochs": 1, "early_stopping": 0, "validation_data": np.zeros((2, 16))}, "early_stopping must be a positive"),
        ({"epochs": 1, "callbacks": keras.callbacks.History()}, "callbacks must be a list"),
        ({"epochs": 1, "callbacks": ["cb"]}, "callbacks must be a list"),
        ({"epochs": 1, "steps_per_execution": 0}, "steps_per_execution must be a positive integer"),
        ({"epochs": 1, "y": np.zeros((3, 16))}, "same number of samples"),
    ],
)
def test_train_bad_arguments(data, kwargs, match) -> None:
    x, _ = data
    y = kwargs.pop("y", None)
    with pytest.raises(ValueError, match=match):
        training.train(_model(), x, y, **kwargs)


def test_train_needs_a_compiled_keras_model(data) -> None:
    x, _ = data
    with pytest.raises(ValueError, match="model must be a keras.Model"):
        training.train("model", x, epochs=1)
    with pytest.raises(ValueError, match="model must be compiled"):
        training.train(models.build_dense_autoencoder(16, 3, compile=False), x, epochs=1)


def test_epoch_logger_number_format() -> None:
    assert training._fmt(0.12345) == "0.1235"
    assert training._fmt(123456.0) == "1.235e+05"
    assert training._fmt(0.0) == "0.0000"
    assert training._fmt(2e-5) == "2.000e-05"


# --------------------------------------------------------------------------------------
# the fast recipe
# --------------------------------------------------------------------------------------
def test_warmup_stable_decay_schedule() -> None:
    s = training.WarmupStableDecay(0.01, total_steps=100, warmup_steps=10, decay_steps=20, final_fraction=0.1)
    lr = [float(s(step)) for step in (0, 4, 9, 50, 79, 90, 99, 150)]
    assert lr[0] == pytest.approx(0.001)
    assert lr[1] == pytest.approx(0.005)
    assert lr[2] == lr[3] == lr[4] == pytest.approx(0.01)
    assert lr[5] == pytest.approx(0.01 * (1 - 0.9 * 10 / 20))
    assert lr[6] == pytest.approx(0.01 * (1 - 0.9 * 19 / 20))
    assert lr[7] == pytest.approx(0.001)
    again = training.WarmupStableDecay.from_config(s.get_config())
    assert float(again(55)) == pytest.approx(float(s(55)))
    flat = training.WarmupStableDecay(0.02, total_steps=5)
    assert [float(flat(i)) for i in range(5)] == pytest.approx([0.02] * 5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"peak": 0, "total_steps": 10}, "peak must be a positive number"),
        ({"peak": 0.1, "total_steps": 0}, "total_steps must be a positive integer"),
        ({"peak": 0.1, "total_steps": 10, "warmup_steps": -1}, "warmup_steps must be a non-negative integer"),
        ({"peak": 0.1, "total_steps": 10, "warmup_steps": 6, "decay_steps": 6}, "must not exceed total_steps"),
        ({"peak": 0.1, "total_steps": 10, "final_fraction": 2}, r"final_fraction must be a number in \[0, 1\]"),
    ],
)
def test_warmup_stable_decay_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.WarmupStableDecay(**kwargs)


def test_fast_recipe_settings() -> None:
    r = training.fast_recipe(8000)
    assert (r.batch_size, r.epochs, r.steps_per_epoch, r.steps_per_execution) == (128, 8, 63, 16)
    assert r.init_output_bias and not r.jit_compile
    s = r.learning_rate_schedule
    assert float(s(0)) < 0.001
    assert float(s(3 * 63)) == pytest.approx(0.01)
    assert float(s(8 * 63 - 1)) < 0.0005
    assert "batch 128" in r.describe() and "warm-up to 0.01" in r.describe()
    small = training.fast_recipe(
        50, epochs=3, warmup_epochs=0, decay_epochs=1, jit_compile=True, init_output_bias=False
    )
    assert small.batch_size == 50 and small.steps_per_epoch == 1
    assert "XLA" in small.describe() and "output bias" not in small.describe()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": 10, "epochs": 0}, "epochs must be a positive integer"),
        ({"n_samples": 10, "peak_learning_rate": -1}, "peak_learning_rate must be a positive number"),
        ({"n_samples": 10, "warmup_epochs": -1}, "warmup_epochs must be a number"),
        ({"n_samples": 10, "epochs": 4, "warmup_epochs": 3, "decay_epochs": 3}, "must not exceed epochs"),
        ({"n_samples": 10, "steps_per_execution": 0}, "steps_per_execution must be a positive integer"),
        ({"n_samples": 10, "jit_compile": 1}, "jit_compile must be True or False"),
        ({"n_samples": 10, "init_output_bias": "yes"}, "init_output_bias must be True or False"),
    ],
)
def test_fast_recipe_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.fast_recipe(**kwargs)


def test_init_output_bias() -> None:
    rng = np.random.default_rng(0)
    y = rng.random((50, 6)).astype("float32") * 0.5
    ae = models.build_dense_autoencoder(6, 2)
    assert training.init_output_bias(ae, y)
    mean = y.mean(0)
    np.testing.assert_allclose(
        ae.decoder.get_layer("reconstruction").bias.numpy(), np.log(mean / (1 - mean)), rtol=1e-5
    )
    lin = models.build_dense_autoencoder(6, 2, output_activation="linear", loss="mse")
    assert training.init_output_bias(lin, y)
    np.testing.assert_allclose(lin.decoder.get_layer("reconstruction").bias.numpy(), mean, rtol=1e-5)
    conv = models.build_conv_autoencoder((8, 8, 2), filters=(4,))
    imgs = rng.random((5, 8, 8, 2)).astype("float32")
    assert training.init_output_bias(conv, imgs)
    p = imgs.mean(axis=(0, 1, 2))
    np.testing.assert_allclose(conv.decoder.layers[-1].bias.numpy(), np.log(p / (1 - p)), rtol=1e-5)
    vae = models.build_vae((4, 4, 1), hidden=(), seed=0)
    assert training.init_output_bias(vae, rng.random((3, 4, 4, 1)))  # Dense under the final Reshape
    # nothing to do: residual output, ReLU output, mismatching shapes
    assert not training.init_output_bias(models.build_conv_denoiser((8, 8, 1), filters=(2,)), imgs[..., :1])
    assert not training.init_output_bias(models.build_dense_autoencoder(6, 2, output_activation="relu"), y)
    assert not training.init_output_bias(ae, rng.random((5, 7)))
    assert not training.init_output_bias(ae, rng.random(5))


def test_train_fast_runs_the_recipe(data, tmp_path) -> None:
    x, xv = data
    model = _model()
    hist = training.train_fast(
        model, x, validation_data=xv, seed=0, verbose=0, epochs=4, warmup_epochs=1, decay_epochs=1
    )
    h = hist.history
    assert len(h["val_loss"]) == 4 and len(h["time"]) == 4
    assert h["val_loss"][-1] < h["val_loss"][0]
    assert model.steps_per_execution == 16
    assert int(model.optimizer.iterations) == 4 * 2  # 160 samples, batch 128
    path = tmp_path / "fast.keras"
    model.save(path)  # the schedule is serialisable
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(xv)), np.asarray(model(xv)), rtol=1e-5, atol=1e-6)
    recipe = training.fast_recipe(len(x), epochs=2, warmup_epochs=0, decay_epochs=1)
    assert len(training.train_fast(_model(), x, recipe=recipe, verbose=0).history["loss"]) == 2
    with pytest.raises(ValueError, match="either recipe= or fast_recipe keyword arguments"):
        training.train_fast(_model(), x, recipe=recipe, epochs=3)
    with pytest.raises(ValueError, match="recipe must be a FastRecipe"):
        training.train_fast(_model(), x, recipe={"epochs": 2})
    with pytest.raises(ValueError, match="needs arrays"):
        training.train_fast(_model(), training.make_dataset(x))
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        training.train_fast(_model(), x, seed=-3)


# --------------------------------------------------------------------------------------
# time_to_loss
# --------------------------------------------------------------------------------------
def test_time_to_loss() -> None:
    hist = {"val_loss": [0.5, 0.3, 0.2], "loss": [0.6, 0.4, 0.1], "time": [1.0, 2.5, 4.0]}
    assert training.time_to_loss(hist, 0.3) == 2.5
    assert training.time_to_loss(hist, 0.6) == 1.0
    assert training.time_to_loss(hist, 0.1) is None
    assert training.time_to_loss(hist, 0.15, key="loss") == 4.0
    history = keras.callbacks.History()
    history.history = hist
    assert training.time_to_loss(history, 0.25) == 4.0


@pytest.mark.parametrize(
    "hist, target, match",
    [
        ({"val_loss": [0.5]}, 0.1, "history has no 'time' entry"),
        ({"time": [1.0]}, 0.1, "history has no 'val_loss' entry"),
        ({"val_loss": [0.5, 0.4], "time": [1.0]}, 0.1, "different lengths"),
        ({"val_loss": [0.5], "time": [1.0]}, float("nan"), "target must be a finite number"),
        ([0.5, 0.4], 0.1, "history must be a keras History"),
    ],
)
def test_time_to_loss_bad_input(hist, target, match) -> None:
    with pytest.raises(ValueError, match=match):
        training.time_to_loss(hist, target)

"""Tests for course_utils.widgets: pure update functions, figures, and simulated slider moves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import base64
import types

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from course_utils import baselines as B
from course_utils import metrics as M
from course_utils import widgets as W


@pytest.fixture(autouse=True)
def _no_figure_leaks():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "an explorer left a matplotlib figure open"
    plt.close("all")


def _png(explorer: W.Explorer) -> bytes:
    """The PNG currently shown in the explorer's Output widget."""
    assert len(explorer.output.outputs) == 1
    data = explorer.output.outputs[0]["data"]["image/png"]
    raw = base64.b64decode(data)
    assert raw.startswith(b"\x89PNG")
    return raw


def _check_layout(explorer: W.Explorer, n_controls: int) -> None:
    assert isinstance(explorer, ipywidgets.VBox)
    assert len(explorer.children) == n_controls + 2
    assert explorer.children[-1] is explorer.output and isinstance(explorer.output, ipywidgets.Output)
    assert explorer.children[-2] is explorer.summary


# --------------------------------------------------------------------------------------
# bottleneck
# --------------------------------------------------------------------------------------
ERRORS = {2: 0.06, 8: 0.03, 32: 0.01, 128: 0.012}


def test_bottleneck_state() -> None:
    st = W.bottleneck_state(ERRORS, 8)
    assert st["error"] == 0.03 and st["sizes"] == [2, 8, 32, 128] and st["best_size"] == 32
    st2 = W.bottleneck_state(lambda s: 1.0 / s, 4, sizes=[1, 2, 4])
    assert st2["error"] == 0.25 and st2["best_size"] == 4
    with pytest.raises(ValueError, match="not one of"):
        W.bottleneck_state(ERRORS, 5)
    with pytest.raises(ValueError, match="sizes="):
        W.bottleneck_state(lambda s: 1.0, 4)
    with pytest.raises(ValueError, match="no error for"):
        W.bottleneck_state(ERRORS, 2, sizes=[2, 3])
    with pytest.raises(ValueError, match="finite"):
        W.bottleneck_state({1: float("nan")}, 1)
    with pytest.raises(ValueError, match="empty"):
        W.bottleneck_state(lambda s: 1.0, 4, sizes=[])
    with pytest.raises(ValueError, match="dict"):
        W.bottleneck_state([0.1, 0.2], 1)
    fig = W.bottleneck_figure(st)
    assert isinstance(fig, Figure) and len(fig.axes) == 1 and fig.axes[0].get_xscale() == "log"
    plt.close(fig)


def test_bottleneck_explorer_slider_moves() -> None:
    box = W.bottleneck_explorer(ERRORS)
    _check_layout(box, 1)
    assert box.state["size"] == 32 and box.renders == 1  # middle option
    first = _png(box)
    box.controls["size"].value = 2
    assert box.state["error"] == 0.06 and box.renders == 2
    assert "0.06" in box.summary.value
    assert _png(box) != first


def test_bottleneck_explorer_with_callable_caches_results() -> None:
    calls: list[int] = []

    def measure(size: int) -> float:
        calls.append(size)
        return 1.0 / size

    box = W.bottleneck_explorer(measure, sizes=[4, 1, 2])
    assert box.controls["size"].options == (1, 2, 4)
    box.controls["size"].value = 4
    box.controls["size"].value = 1
    assert sorted(calls) == [1, 2, 4]  # each size measured once
    with pytest.raises(ValueError, match="sizes="):
        W.bottleneck_explorer(measure)
    with pytest.raises(ValueError, match="dict"):
        W.bottleneck_explorer(0.5)
    with pytest.raises(ValueError, match="no code sizes"):
        W.bottleneck_explorer({})


# --------------------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return np.random.default_rng(0).random((6, 16)).astype(np.float32)


def test_digit_state_and_figure(digits) -> None:
    models = {"identity": lambda x: x, "blank": lambda x: np.zeros_like(x)}
    st = W.digit_state(digits, models, 2)
    np.testing.assert_array_equal(st["original"], digits[2])
    assert st["errors"]["identity"] == 0.0
    assert st["errors"]["blank"] == pytest.approx(float(np.mean(digits[2] ** 2)))
    assert W.digit_state(digits, models, -1)["index"] == 5
    # image-shaped models returning flattened output are reshaped to the input's shape
    imgs = digits.reshape(6, 4, 4, 1)
    st_img = W.digit_state(imgs, {"flat": lambda x: x.reshape(len(x), -1)}, 0)
    assert st_img["reconstructions"]["flat"].shape == (4, 4, 1)
    fig = W.digit_figure(st, label=7)
    assert len(fig.axes) == 3 and "label 7" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize(
    ("x", "models", "index", "match"),
    [
        (np.zeros(4), {"a": lambda x: x}, 0, "batch"),
        (np.zeros((3, 4)), {}, 0, "models is empty"),
        (np.zeros((3, 4)), {"a": lambda x: x}, 3, "index"),
        (np.zeros((3, 4)), {"a": lambda x: x[:, :2]}, 0, "values per sample"),
        (np.zeros((3, 4)), {"a": lambda x: np.zeros((2, 4))}, 0, "as many outputs"),
    ],
)
def test_digit_state_errors(x, models, index, match) -> None:
    with pytest.raises(ValueError, match=match):
        W.digit_state(x, models, index)


def test_digit_explorer_slider_moves(digits) -> None:
    pca = B.PCAReconstructor(2, clip=True).fit(digits)
    box = W.digit_explorer(digits, {"PCA-2": pca, "identity": lambda x: x}, labels=np.arange(6))
    _check_layout(box, 1)
    assert box.controls["index"].max == 5
    before = _png(box)
    box.controls["index"].value = 4
    assert box.state["index"] == 4 and box.renders == 2
    expected = M.reconstruction_error(digits[4:5], pca(digits[4:5]))[0]
    assert box.state["errors"]["PCA-2"] == pytest.approx(expected, rel=1e-5)
    assert "label</b>: 4" in box.summary.value
    assert _png(box) != before
    with pytest.raises(ValueError, match="non-empty batch"):
        W.digit_explorer(np.zeros((0, 4)), {"a": lambda x: x})


# --------------------------------------------------------------------------------------
# latent sliders
# --------------------------------------------------------------------------------------
def _mean_decoder(codes: np.ndarray) -> np.ndarray:
    """Decode a code to a 3x3 image filled with sigmoid(sum of the code)."""
    v = 1.0 / (1.0 + np.exp(-codes.sum(axis=1)))
    return np.repeat(v[:, None], 9, axis=1).reshape(-1, 3, 3)


def test_latent_state() -> None:
    st = W.latent_state(_mean_decoder, [0.0, 1.0, -1.0], dim=1, value=3.0)
    np.testing.assert_allclose(st["code"], [0.0, 3.0, -1.0])
    np.testing.assert_allclose(st["image"], 1 / (1 + np.exp(-2.0)), rtol=1e-6)
    assert st["image"].shape == (3, 3)
    with pytest.raises(ValueError, match="coordinate index"):
        W.latent_state(_mean_decoder, [0.0, 1.0], dim=2, value=0.0)
    with pytest.raises(ValueError, match="finite"):
        W.latent_state(_mean_decoder, [0.0, 1.0], dim=0, value=float("inf"))
    with pytest.raises(ValueError, match="base_code"):
        W.latent_state(_mean_decoder, [], dim=0, value=0.0)
    with pytest.raises(ValueError, match="as many outputs"):
        W.latent_state(lambda z: np.float32(0.0), [0.0], dim=0, value=0.0)
    fig = W.latent_figure(st)
    assert len(fig.axes) == 2
    plt.close(fig)


def test_latent_slider_explorer_moves_and_resets() -> None:
    base = np.array([0.5, -0.25, 2.0])
    box = W.latent_slider_explorer(_mean_decoder, base, (-3.0, 3.0))
    _check_layout(box, 2)
    assert box.state["dim"] == 0 and box.state["value"] == 0.5
    first = _png(box)
    box.controls["value"].value = -2.0
    assert box.state["value"] == -2.0 and box.state["code"][0] == -2.0
    img_low = box.state["image"].mean()
    box.controls["value"].value = 2.5
    assert box.state["image"].mean() > img_low
    assert _png(box) != first
    # picking another coordinate resets the value slider to that coordinate's base value
    box.controls["dim"].value = 2
    assert box.state["dim"] == 2 and box.state["value"] == 2.0
    np.testing.assert_allclose(box.state["code"], base)
    # a coordinate whose base value equals the current slider value still redraws
    renders = box.renders
    box.controls["value"].value = -0.25
    box.controls["dim"].value = 1
    assert box.state["dim"] == 1 and box.renders == renders + 2


def test_latent_slider_default_range_and_errors() -> None:
    box = W.latent_slider_explorer(_mean_decoder, [1.0, -2.0])
    assert box.controls["value"].min == -5.0 and box.controls["value"].max == 5.0
    with pytest.raises(ValueError, match="min < max"):
        W.latent_slider_explorer(_mean_decoder, [1.0], (2.0, 1.0))
    with pytest.raises(ValueError, match="base_code"):
        W.latent_slider_explorer(_mean_decoder, [np.nan])


def test_latent_plane_state_figure_and_explorer() -> None:
    st = W.latent_plane_state(_mean_decoder, 1.0, -0.5)
    np.testing.assert_allclose(st["code"], [1.0, -0.5])
    st4 = W.latent_plane_state(_mean_decoder, 1.0, 2.0, base_code=np.ones(4), dims=(2, 3))
    np.testing.assert_allclose(st4["code"], [1.0, 1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="two different"):
        W.latent_plane_state(_mean_decoder, 0.0, 0.0, dims=(0, 0))
    with pytest.raises(ValueError, match="finite"):
        W.latent_plane_state(_mean_decoder, np.nan, 0.0)
    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(30, 2)), np.arange(30) % 3
    for kwargs in ({}, {"codes_2d": codes}, {"codes_2d": codes, "labels": labels}):
        fig = W.latent_plane_figure(st, **kwargs)
        assert len(fig.axes) == 2
        plt.close(fig)
    box = W.latent_plane_explorer(_mean_decoder, span=2.0, codes_2d=codes, labels=labels)
    _check_layout(box, 2)
    first = _png(box)
    box.controls["z0"].value = 1.5
    box.controls["z1"].value = -1.0
    assert box.state["point"] == (1.5, -1.0) and box.renders == 3
    assert _png(box) != first
    with pytest.raises(ValueError, match="span"):
        W.latent_plane_explorer(_mean_decoder, span=0.0)


# --------------------------------------------------------------------------------------
# denoising
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clean_images() -> np.ndarray:
    yy, xx = np.mgrid[0:16, 0:16] / 16
    return np.stack([np.exp(-((xx - c) ** 2 + (yy - 0.5) ** 2) / 0.05) for c in (0.3, 0.5, 0.7)]).astype(np.float32)


def _noise_maker(clean: np.ndarray):
    calls: list[float] = []

    def make_noisy(level: float) -> np.ndarray:
        calls.append(level)
        rng = np.random.default_rng(int(level * 1000))
        return np.clip(clean + rng.normal(0, level, clean.shape), 0, 1).astype(np.float32)

    return make_noisy, calls


def test_denoising_state(clean_images) -> None:
    make_noisy, _ = _noise_maker(clean_images)
    filters = {
        "gaussian": B.make_filter("gaussian", sigma=1.0),
        "per-level": {0.1: B.make_filter("gaussian", sigma=0.5), 0.3: B.make_filter("gaussian", sigma=1.5)},
        "oracle": lambda x: clean_images,
    }
    st = W.denoising_state(clean_images, make_noisy, filters, 0.3, show=2)
    noisy = make_noisy(0.3)
    assert st["psnr"]["noisy"] == pytest.approx(M.psnr(clean_images, noisy).mean())
    assert st["psnr"]["gaussian"] > st["psnr"]["noisy"]
    assert np.isinf(st["psnr"]["oracle"]) and st["best"] == "oracle"
    assert st["ssim"]["oracle"] == pytest.approx(1.0)
    assert st["clean"].shape == (2, 16, 16) and st["outputs"]["gaussian"].shape == (2, 16, 16)
    fig = W.denoising_figure(st)
    assert len(fig.axes) == 2 * (2 + 3)
    plt.close(fig)
    with pytest.raises(ValueError, match="no entry for noise level 0.2"):
        W.denoising_state(clean_images, make_noisy, filters, 0.2)


@pytest.mark.parametrize(
    ("filters", "noisy_shape", "match"),
    [
        ({}, None, "filters is empty"),
        ({"bad": 3}, None, "callable"),
        ({"short": lambda x: x[:1]}, None, "returned shape"),
        ({"id": lambda x: x}, (2, 16, 16), "make_noisy"),
    ],
)
def test_denoising_state_errors(clean_images, filters, noisy_shape, match) -> None:
    def make_noisy(level: float) -> np.ndarray:
        return np.zeros(noisy_shape or clean_images.shape, dtype=np.float32)

    with pytest.raises(ValueError, match=match):
        W.denoising_state(clean_images, make_noisy, filters, 0.1)


def test_denoising_state_needs_image_batch() -> None:
    with pytest.raises(ValueError, match="batch of images"):
        W.denoising_state(np.zeros((3, 16)), lambda lv: np.zeros((3, 16)), {"id": lambda x: x}, 0.1)


def test_denoising_explorer_slider_moves_and_caches_noise(clean_images) -> None:
    make_noisy, calls = _noise_maker(clean_images)
    box = W.denoising_explorer(
        clean_images, make_noisy, {"gaussian": B.make_filter("gaussian", sigma=1.0)}, levels=(0.1, 0.2, 0.3)
    )
    _check_layout(box, 1)
    psnr_low = box.state["psnr"]["noisy"]
    first = _png(box)
    box.controls["level"].value = 0.3
    assert box.state["level"] == 0.3 and box.state["psnr"]["noisy"] < psnr_low
    assert "PSNR noisy" in box.summary.value
    assert _png(box) != first
    box.controls["level"].value = 0.1
    assert box.state["psnr"]["noisy"] == pytest.approx(psnr_low)
    assert calls == [0.1, 0.3]  # each level's noise drawn once
    with pytest.raises(ValueError, match="levels is empty"):
        W.denoising_explorer(clean_images, make_noisy, {"id": lambda x: x}, levels=())


# --------------------------------------------------------------------------------------
# anomaly threshold
# --------------------------------------------------------------------------------------
LABELS = np.array([0, 0, 0, 1, 1, 1])
SCORES = np.array([0.1, 0.2, 0.6, 0.5, 0.7, 0.9])


def test_threshold_state() -> None:
    st = W.threshold_state(LABELS, SCORES, 0.55)
    assert (st["tn"], st["fp"], st["fn"], st["tp"]) == (2, 1, 1, 2)
    assert st["precision"] == pytest.approx(2 / 3) and st["recall"] == pytest.approx(2 / 3)
    assert (st["fpr"], st["tpr"]) == pytest.approx((1 / 3, 2 / 3))
    assert st["auc"] == pytest.approx(8 / 9)
    # the operating point lies on the ROC curve's staircase
    assert any(np.isclose(st["roc_fpr"], st["fpr"]) & np.isclose(st["roc_tpr"], st["tpr"]))
    fig = W.threshold_figure(st)
    assert len(fig.axes) == 2
    plt.close(fig)


def test_threshold_explorer_slider_moves() -> None:
    box = W.threshold_explorer(LABELS, SCORES)
    _check_layout(box, 1)
    slider = box.controls["threshold"]
    assert (slider.min, slider.max) == (0.1, 0.9)
    assert box.state["threshold"] == pytest.approx(M.threshold_youden(LABELS, SCORES))
    first = _png(box)
    slider.value = 0.15
    assert (box.state["tp"], box.state["fp"]) == (3, 2)
    assert box.state["recall"] == 1.0 and box.state["precision"] == pytest.approx(0.6)
    assert "precision</b>: 0.6" in box.summary.value
    assert _png(box) != first
    box2 = W.threshold_explorer(LABELS, SCORES, initial=0.85)
    assert box2.state["tp"] == 1 and box2.state["fp"] == 0
    with pytest.raises(ValueError, match="only one class"):
        W.threshold_explorer([0, 0, 0], [0.1, 0.2, 0.3], initial=0.2)
    with pytest.raises(ValueError, match="0 \\(normal\\) or 1"):
        W.threshold_explorer([0, 2, 1], [0.1, 0.2, 0.3])


def test_threshold_explorer_constant_scores() -> None:
    box = W.threshold_explorer([0, 1], [0.5, 0.5], initial=0.5)
    assert box.controls["threshold"].max > box.controls["threshold"].min
    assert box.state["tp"] == 1 and box.state["fp"] == 1


# --------------------------------------------------------------------------------------
# rendering inside a kernel
# --------------------------------------------------------------------------------------
def test_show_figure_inside_a_kernel_displays_through_the_output(monkeypatch) -> None:
    shown: list[dict] = []
    monkeypatch.setattr(W.core, "_in_kernel", lambda: True)
    monkeypatch.setattr(W.core, "_display", lambda obj, raw=False: shown.append({"obj": obj, "raw": raw}))
    out = ipywidgets.Output()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    W.show_figure(out, fig)
    assert len(shown) == 1 and shown[0]["raw"] is True
    assert base64.b64decode(shown[0]["obj"]["image/png"]).startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize(
    "shell, expected",
    [
        (None, False),
        (types.SimpleNamespace(), False),
        (types.SimpleNamespace(kernel=None), False),
        (types.SimpleNamespace(kernel=object()), True),
    ],
    ids=["no IPython", "terminal IPython", "shell without kernel", "kernel"],
)
def test_in_kernel_asks_ipython_for_a_kernel(monkeypatch, shell, expected) -> None:
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert W.core._in_kernel() is expected


@pytest.mark.slow
def test_in_kernel_is_true_in_a_real_kernel_and_false_in_plain_python(tmp_path) -> None:
    """Ask a real Jupyter kernel (as JupyterLab would run a lesson) and a plain interpreter."""
    import subprocess
    import sys

    import nbformat
    from nbclient import NotebookClient

    code = "from course_utils.widgets import core; print(core._in_kernel())"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[0].outputs[0]["text"].strip() == "True"
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert plain.stdout.strip() == "False", plain.stderr[-2000:]


def test_figure_to_png() -> None:
    fig, _ = plt.subplots()
    assert W.figure_to_png(fig).startswith(b"\x89PNG")
    plt.close(fig)

"""Tests for course_utils.plotting: every function returns a Figure with the expected axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from course_utils import plotting as P


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(n: int = 12, side: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, side, side)).astype(np.float32)


def _image_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.images]


# --------------------------------------------------------------------------------------
def test_palette_is_okabe_ito_and_style_applies() -> None:
    assert len(P.PALETTE) == 8 and "#E69F00" in P.PALETTE and "#0072B2" in P.PALETTE
    with matplotlib.rc_context():
        P.use_course_style()
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"][0] == P.PALETTE[0]
        assert plt.rcParams["image.cmap"] == "cividis"


def test_to_image_shapes() -> None:
    assert P.to_image(np.zeros(784)).shape == (28, 28)
    assert P.to_image(np.zeros((5, 5, 1))).shape == (5, 5)
    assert P.to_image(np.zeros((5, 5, 3))).shape == (5, 5, 3)
    assert P.to_image(np.zeros(6), image_shape=(2, 3)).shape == (2, 3)
    with pytest.raises(ValueError, match="image_shape"):
        P.to_image(np.zeros(10))
    with pytest.raises(ValueError, match="needs 4 values"):
        P.to_image(np.zeros(6), image_shape=(2, 2))
    with pytest.raises(ValueError, match="one image"):
        P.to_image(np.zeros((2, 5, 5, 2)))


def test_image_grid_seed_figure_and_more_rows() -> None:
    x = _images()
    fig = P.image_grid({"Original": x.reshape(12, -1), "Reconstructed": x}, n=10, image_shape=(8, 8))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 20 and len(_image_axes(fig)) == 20
    assert fig.axes[0].get_ylabel() == "Original"
    fig3 = P.image_grid([x, x, x[..., None]], n=4, titles="all")
    assert len(fig3.axes) == 12
    assert fig3.axes[0].get_title() == "row 1"
    fig_short = P.image_grid({"a": x[:3], "b": x}, n=10, titles=False)  # clipped to the shortest row
    assert len(fig_short.axes) == 6 and fig_short.axes[0].get_ylabel() == ""
    fig_idx = P.image_grid({"a": x}, indices=[0, 5, -1])
    assert len(fig_idx.axes) == 3


@pytest.mark.parametrize(
    ("rows", "kwargs", "match"),
    [
        ({}, {}, "rows is empty"),
        ({"a": np.zeros(4)}, {}, "batch of images"),
        ({"a": np.zeros((3, 10))}, {}, "image_shape"),
        ({"a": np.zeros((3, 4, 4))}, {"titles": "top"}, "titles"),
        ({"a": np.zeros((3, 4, 4))}, {"n": 0}, "positive"),
        ({"a": np.zeros((3, 4, 4))}, {"indices": [3]}, "indices"),
    ],
)
def test_image_grid_errors(rows, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        P.image_grid(rows, **kwargs)


def test_denoising_panel_single_and_batch() -> None:
    rng = np.random.default_rng(0)
    clean = np.full((8, 8), 0.5, dtype=np.float32)
    noisy = np.clip(clean + 0.1, 0, 1)  # MSE 0.01 -> 20.0 dB
    fig = P.denoising_panel(clean, noisy, {"gaussian": clean, "dae": noisy})
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "clean" and "20.0 dB" in titles[1] and "inf dB" in titles[2]
    batch = rng.random((5, 8, 8, 1)).astype(np.float32)
    fig_b = P.denoising_panel(batch, batch, {"a": batch, "b": batch, "c": batch}, max_rows=3, show_ssim=True)
    assert len(fig_b.axes) == 3 * 5
    assert "SSIM 1.00" in fig_b.axes[2].get_title()
    fig_flat = P.denoising_panel(batch.reshape(5, -1), batch.reshape(5, -1), {}, image_shape=(8, 8), max_rows=2)
    assert len(fig_flat.axes) == 4


def test_denoising_panel_errors() -> None:
    x = np.zeros((2, 8, 8))
    with pytest.raises(ValueError, match="same images"):
        P.denoising_panel(x, x[:1], {})
    with pytest.raises(ValueError, match="batch of images"):
        P.denoising_panel(np.zeros(64), np.zeros(64), {})
    with pytest.raises(ValueError, match="max_rows"):
        P.denoising_panel(x, x, {}, max_rows=0)


# --------------------------------------------------------------------------------------
class _FakeHistory:
    def __init__(self, history: dict) -> None:
        self.history = history


def test_plot_history_dict_object_and_groups() -> None:
    hist = {"loss": [0.3, 0.2, 0.1], "val_loss": [0.35, 0.25, 0.2], "kl_loss": [1.0, 2.0, 2.5]}
    fig = P.plot_history(hist)
    assert len(fig.axes) == 1
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["loss", "val_loss"]
    assert lines[1].get_linestyle() == "--" and lines[0].get_color() == lines[1].get_color()
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3])
    fig2 = P.plot_history(
        _FakeHistory(hist), keys=[["loss", "val_loss"], ["kl_loss"], ["missing"]], logy=True, title="VAE"
    )
    assert len(fig2.axes) == 2 and fig2.axes[0].get_yscale() == "log"
    assert len(P.plot_history(hist, keys=None).axes[0].get_lines()) == 3
    assert len(P.plot_history(hist, keys="kl_loss").axes[0].get_lines()) == 1


def test_plot_history_errors() -> None:
    with pytest.raises(ValueError, match="none of the keys"):
        P.plot_history({"loss": [1.0]}, keys=("accuracy",))
    with pytest.raises(ValueError, match="History"):
        P.plot_history({})
    with pytest.raises(ValueError, match="History"):
        P.plot_history([1, 2, 3])


# --------------------------------------------------------------------------------------
def test_latent_scatter_discrete_continuous_and_plain() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100, 2))
    digits = np.arange(100) % 10
    fig = P.latent_scatter(z, digits, title="codes")
    assert len(fig.axes) == 1
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [str(i) for i in range(10)]
    assert fig.axes[0].get_title() == "codes"
    fig_c = P.latent_scatter(z, rng.random(100))
    assert len(fig_c.axes) == 2  # scatter + colour bar
    fig_p = P.latent_scatter(z)
    assert len(fig_p.axes) == 1
    fig_ax, ax = plt.subplots()
    assert P.latent_scatter(z, ax=ax) is fig_ax


def test_latent_scatter_errors() -> None:
    with pytest.raises(ValueError, match="TSNE"):
        P.latent_scatter(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="one value per code"):
        P.latent_scatter(np.zeros((5, 2)), labels=[1, 2])


def _intensity_decoder(span: float):
    """Decode a code to a 4x4 image whose left half encodes z[0] and right half z[1]."""

    def decode(codes: np.ndarray) -> np.ndarray:
        out = np.zeros((codes.shape[0], 4, 4), dtype=np.float32)
        out[:, :, :2] = ((codes[:, 0] + span) / (2 * span))[:, None, None]
        out[:, :, 2:] = ((codes[:, 1] + span) / (2 * span))[:, None, None]
        return out

    return decode


def test_decode_grid_layout() -> None:
    canvas, gx, gy = P.decode_grid(_intensity_decoder(2.0), n=3, span=2.0)
    assert canvas.shape == (12, 12)
    np.testing.assert_allclose(gx, [-2, 0, 2])
    # z[0] grows left to right, z[1] is largest in the top row
    assert canvas[0, 0] == 0.0 and canvas[0, 8] == 1.0
    assert canvas[0, 2] == 1.0 and canvas[8, 2] == 0.0
    c2, gx2, gy2 = P.decode_grid(
        lambda z: np.zeros((len(z), 9)), grid=([0.0, 1.0], [0.0, 1.0, 2.0]), base_code=np.zeros(4), dims=(1, 3)
    )
    assert c2.shape == (9, 6) and gx2.size == 2 and gy2.size == 3
    assert P.decode_grid(lambda z: np.zeros((len(z), 4)), grid=np.linspace(-1, 1, 2))[0].shape == (4, 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be"),
        ({"span": -1.0}, "span"),
        ({"grid": []}, "at least one value"),
        ({"dims": (0, 0)}, "two different"),
        ({"latent_dim": 1}, "two different"),
    ],
)
def test_decode_grid_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        P.decode_grid(lambda z: np.zeros((len(z), 4)), **kwargs)


def test_decode_grid_checks_decoder_output() -> None:
    with pytest.raises(ValueError, match="returned 1 images"):
        P.decode_grid(lambda z: np.zeros((1, 4)), n=2)


def test_manifold_grid_one_axes_with_code_ticks() -> None:
    fig = P.manifold_grid(_intensity_decoder(2.5), n=5, span=2.5)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "-2.5" and labels[-1] == "2.5"
    assert fig.axes[0].get_xlabel() == "z[0]"


# --------------------------------------------------------------------------------------
def test_roc_plot_legend_and_marked_point() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    fig = P.roc_plot(
        y, {"perfect": [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], "flipped": [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]}, mark={"perfect": 0.5}
    )
    assert len(fig.axes) == 1
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "perfect (AUC 1.000)" in texts and "flipped (AUC 0.000)" in texts
    points = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) == 1]
    assert len(points) == 1
    assert (points[0].get_xdata()[0], points[0].get_ydata()[0]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="scores_by_name is empty"):
        P.roc_plot(y, {})


def test_score_histogram_and_confusion_plot() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random(40)
    labels = (np.arange(40) >= 20).astype(int)
    fig = P.score_histogram(scores, labels, threshold=0.5)
    assert len(fig.axes) == 1
    assert any(ln.get_xdata()[0] == 0.5 for ln in fig.axes[0].get_lines())
    assert len(P.score_histogram(scores + 0.01, labels, threshold=0.5, logx=True).axes) == 1
    with pytest.raises(ValueError, match="same length"):
        P.score_histogram(scores, labels[:5])
    cm = P.confusion_matrix_plot({"tn": 5, "fp": 1, "fn": 2, "tp": 7})
    assert len(cm.axes) == 1
    assert sorted(t.get_text() for t in cm.axes[0].texts) == ["1", "2", "5", "7"]
    with pytest.raises(ValueError, match="tn"):
        P.confusion_matrix_plot({"tp": 1})


def test_comparison_bar_variants() -> None:
    fig = P.comparison_bar({"PCA-32": 0.018, "seed AE": 0.011}, ylabel="test MSE")
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "test MSE"
    assert len(fig.axes[0].patches) == 2
    fig_sd = P.comparison_bar({"AE": (0.95, 0.02), "IsolationForest": (0.93, 0.03)}, metric="AUC")
    assert len(fig_sd.axes[0].containers) == 2  # bars + error bars
    table = {"noisy": {"PSNR": 20.0, "SSIM": 0.5}, "DAE": {"PSNR": 27.0, "SSIM": 0.8}}
    assert len(P.comparison_bar(table, title="denoising").axes) == 2
    one = P.comparison_bar(table, metric="PSNR")
    assert len(one.axes) == 1 and one.axes[0].get_ylabel() == "PSNR"


@pytest.mark.parametrize(
    ("table", "kwargs", "match"),
    [
        ({}, {}, "table is empty"),
        ({"a": "high"}, {}, "numbers or"),
        ({"a": {"PSNR": 1.0}, "b": {"SSIM": 0.5}}, {}, "must be a dict containing"),
    ],
)
def test_comparison_bar_errors(table, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        P.comparison_bar(table, **kwargs)


def test_no_function_calls_show(monkeypatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", forbidden)
    x = _images(4)
    P.image_grid({"a": x}, n=2)
    P.plot_history({"loss": [1.0, 0.5]})
    P.manifold_grid(_intensity_decoder(1.0), n=2, span=1.0)
    P.roc_plot([0, 1], {"s": [0.1, 0.9]})
    P.denoising_panel(x, x, {"id": x})

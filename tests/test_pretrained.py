"""course_utils.pretrained: lesson 04's pretrained denoiser, its card, and `make weights`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils import data, metrics, pretrained  # noqa: E402
from course_utils.exercises.medical_image_denoising import _smooth_images as _images  # noqa: E402
from course_utils.pretrained import train  # noqa: E402


# --------------------------------------------------------------------------- the shipped weights
def test_card_matches_the_lesson_code_that_made_the_weights():
    """Fails when build_residual_denoiser, train_denoiser, NoisyPairs, make_pairs, psnr_loss or
    data.add_noise changed since `make weights` ran: re-run it (and commit the new weights and card)."""
    card = pretrained.card()
    assert card["code_sha256"] == pretrained.code_hash(), (
        "lesson 04's model/training code changed since the pretrained weights were made: run `make weights`"
    )
    assert card["code"] == list(pretrained.HASHED_CODE)
    assert pretrained.file_sha256(pretrained.WEIGHTS) == card["weights"]["sha256"]
    assert pretrained.WEIGHTS.stat().st_size <= 5 * 2**20  # a few MB at most, in the repository


def test_card_records_what_the_issue_asks_for():
    card = pretrained.card()
    assert set(card["versions"]) >= {"tensorflow", "keras"}
    assert card["data"]["file"].startswith("pneumoniamnist") and len(card["data"]["sha256"]) == 64
    v = card["validation"]
    assert set(v["psnr"]) == {"Gaussian σ=0.1", "Gaussian σ=0.2", "Gaussian σ=0.3", "Poisson 25 photons"}
    best = max(v["curve"], key=lambda row: row["mean"])
    assert best["epoch"] == v["best_epoch"] and best["psnr"] == v["psnr"]  # the checkpoint chosen on validation
    assert card["training"]["steps"] == card["training"]["epochs"] * card["training"]["batches"]


def test_pretrained_denoiser_removes_noise_from_images_it_never_saw():
    """Offline (no data file needed): MRI slices of nilearn's template, a modality the X-ray weights never
    saw, lose most of their noise at σ 0.2 and 0.3 — without the model being told the level."""
    model = pretrained.denoiser()
    clean = data.load_medical_images(source="mri", verbose=False).x_test[:24]
    for level in (0.2, 0.3):
        noisy = data.add_noise(clean, "gaussian", level, seed=1)
        out = np.asarray(model.predict_on_batch(noisy))
        assert out.shape == clean.shape and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
        gain = float(np.mean(metrics.psnr(clean, out) - metrics.psnr(clean, noisy)))
        assert gain > 3.0, f"σ={level}: only {gain:.2f} dB over the noisy input"


def test_pretrained_denoiser_beats_a_tuned_filter_on_test_xrays():
    """On held-out test X-rays (when the data file is there, as in CI) the blind model beats the Gaussian
    filter tuned on validation X-rays at every noise condition of lesson 04."""
    from course_utils import baselines
    from course_utils.lessons import medical_image_denoising as L

    med = data.load_medical_images(download=False, verbose=False)
    if "X-ray" not in med.source:
        pytest.skip("no chest X-ray file in COURSE_DATA_DIR or the cache")
    model = pretrained.denoiser()
    x_val, x_test = med.x_val[:32], med.x_test[:32]
    noisy_val, noisy_test = L.noisy_versions(x_val, seed=100), L.noisy_versions(x_test, seed=200)
    for c in L.CONDITIONS:
        params, _ = baselines.tune_filter("gaussian", noisy_val[c], x_val, L.FILTER_GRIDS["gaussian"])
        filtered = metrics.psnr(x_test, baselines.denoise(noisy_test[c], "gaussian", **params))
        ours = metrics.psnr(x_test, L.apply_denoiser(model, noisy_test[c]))
        assert np.mean(ours - filtered) > 1.0, f"{c}: {np.mean(ours - filtered):+.2f} dB over the tuned filter"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((28, 28, 1), "float32"), "shape"),  # no batch axis
        (np.zeros((2, 28, 28), "float32"), "shape"),  # no channel axis
        (np.zeros((0, 28, 28, 1), "float32"), "N >= 1"),
        (np.full((1, 28, 28, 1), 2.0, "float32"), r"\[0, 1\]"),
        (np.full((1, 28, 28, 1), -0.1, "float32"), r"\[0, 1\]"),
        (np.full((1, 28, 28, 1), np.nan, "float32"), "NaN"),
        ("not images", "numeric"),
    ],
)
def test_bad_input_gets_a_clear_error(bad, message):
    model = pretrained.denoiser()
    for call in (model, model.predict, model.predict_on_batch):
        with pytest.raises(ValueError, match=message):
            call(bad)


# --------------------------------------------------------------------------- make weights, and loading checks
TINY_SCHEDULE = ["--epochs", "2", "--batches", "3", "--batch-size", "8", "--filters", "4", "8"]


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    """`make weights` end to end on a small generated MedMNIST file (2 epochs of 3 steps)."""
    folder = tmp_path_factory.mktemp("weights")
    x = (_images(60, 2)[..., 0] * 255).astype(np.uint8)
    labels = np.zeros((60, 1), np.uint8)
    npz = folder / "pneumoniamnist.npz"
    np.savez(
        npz,
        train_images=x[:40],
        train_labels=labels[:40],
        val_images=x[40:50],
        val_labels=labels[40:50],
        test_images=x[50:],
        test_labels=labels[50:],
    )
    out = folder / "out"
    assert train.main(["--data", str(npz), "--out", str(out), *TINY_SCHEDULE]) == 0
    return out


def test_make_weights_writes_weights_and_a_card_that_load(tiny_weights):
    files = sorted(p.name for p in tiny_weights.iterdir())
    assert files == ["xray_denoiser.json", "xray_denoiser.weights.h5"]  # no temporary file left behind
    card = pretrained.card(tiny_weights / "xray_denoiser.json")
    assert card["builder_kwargs"]["filters"] == [4, 8] and card["training"]["steps"] == 6
    assert [row["epoch"] for row in card["validation"]["curve"]] == [1, 2]
    assert card["data"]["sha256"] == pretrained.file_sha256(tiny_weights.parent / "pneumoniamnist.npz")
    assert card["code_sha256"] == pretrained.code_hash()
    model = pretrained.denoiser(tiny_weights / "xray_denoiser.weights.h5", tiny_weights / "xray_denoiser.json")
    assert model.count_params() == card["parameters"]
    assert np.asarray(model.predict_on_batch(_images(3, 0))).shape == (3, 28, 28, 1)


def test_stop_after_reproduces_the_cards_curve(tiny_weights, capsys):
    """The same seed and schedule give the same validation PSNR (the benchmark checks the real weights)."""
    card = pretrained.card(tiny_weights / "xray_denoiser.json")
    npz = tiny_weights.parent / "pneumoniamnist.npz"
    argv = [
        "--data",
        str(npz),
        *TINY_SCHEDULE,
        "--stop-after",
        "1",
    ]
    capsys.readouterr()
    assert train.main(argv) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(again["curve"]) == 1
    assert abs(again["curve"][0]["mean"] - card["validation"]["curve"][0]["mean"]) < 0.1


def _copy(tiny_weights: Path, dest: Path) -> tuple[Path, Path]:
    dest.mkdir()
    w, c = dest / "w.weights.h5", dest / "card.json"
    shutil.copy(tiny_weights / "xray_denoiser.weights.h5", w)
    shutil.copy(tiny_weights / "xray_denoiser.json", c)
    return w, c


def test_missing_truncated_or_foreign_files_get_clear_errors(tiny_weights, tmp_path):
    w, c = _copy(tiny_weights, tmp_path / "a")
    with pytest.raises(FileNotFoundError, match="make weights"):
        pretrained.denoiser(tmp_path / "missing.weights.h5", c)
    with pytest.raises(FileNotFoundError, match="card"):
        pretrained.denoiser(w, tmp_path / "missing.json")
    w.write_bytes(w.read_bytes()[:1000])
    with pytest.raises(ValueError, match="truncated"):
        pretrained.denoiser(w, c)
    w, c = _copy(tiny_weights, tmp_path / "b")
    raw = bytearray(w.read_bytes())
    raw[-100] ^= 0xFF  # same size, other bytes
    w.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="SHA-256"):
        pretrained.denoiser(w, c)
    w, c = _copy(tiny_weights, tmp_path / "c")
    c.write_text(c.read_text()[:50])
    with pytest.raises(ValueError, match="not valid JSON"):
        pretrained.denoiser(w, c)
    c.write_text(json.dumps({"builder": "build_residual_denoiser"}))
    with pytest.raises(ValueError, match="lacks"):
        pretrained.denoiser(w, c)


def test_changed_lesson_code_is_refused_unless_asked(tiny_weights, tmp_path):
    w, c = _copy(tiny_weights, tmp_path / "d")
    info = json.loads(c.read_text())
    info["code_sha256"] = "0" * 64
    c.write_text(json.dumps(info))
    with pytest.raises(ValueError, match="changed since"):
        pretrained.denoiser(w, c)
    assert pretrained.denoiser(w, c, check_code=False).count_params() == info["parameters"]


def test_code_hash_follows_the_source():
    assert pretrained.code_hash() == pretrained.code_hash()
    assert pretrained.code_hash(pretrained.HASHED_CODE[:-1]) != pretrained.code_hash()


def test_make_weights_needs_real_xrays(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="X-ray"):
        train.find_xrays(tmp_path / "nope.npz")
    with pytest.raises(FileNotFoundError, match="real chest X-rays"):
        train.find_xrays()


def test_importing_pretrained_does_not_import_tensorflow():
    code = "import sys, course_utils.pretrained; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

"""Tests for course_utils.synthetic (seeded, validated synthetic data for the project starters)."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import synthetic as syn


# --------------------------------------------------------------------------------------
# ECG-like signals
# --------------------------------------------------------------------------------------
def test_ecg_shapes_labels_and_seed() -> None:
    x, y = syn.ecg_like_signals(200, length=100, anomaly_fraction=0.15, seed=3)
    assert x.shape == (200, 100) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    assert y.sum() == 30 and set(np.unique(y)) == {0, 1}
    x2, y2 = syn.ecg_like_signals(200, length=100, anomaly_fraction=0.15, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = syn.ecg_like_signals(200, length=100, anomaly_fraction=0.15, seed=4)
    assert not np.array_equal(x, x3)


def test_ecg_normal_beats_have_r_peak_where_expected() -> None:
    x, y = syn.ecg_like_signals(300, length=200, anomaly_fraction=0.0, seed=0, noise=0.0)
    assert y.sum() == 0
    peak = x.argmax(axis=1) / 199.0
    assert np.all(np.abs(peak - 0.40) < 0.06)  # the R peak sits at ~40 % of the window
    assert np.all(x.max(axis=1) > 0.5)
    # the mean beat has a clear negative S dip just after the R peak
    mean_beat = x.mean(axis=0)
    r = mean_beat.argmax()
    assert mean_beat[r : r + 15].min() < 0


def test_ecg_kinds_are_reported_and_distinguishable() -> None:
    x, y, kinds = syn.ecg_like_signals(600, anomaly_fraction=0.5, seed=1, return_kinds=True)
    assert set(kinds[y == 0]) == {"normal"}
    assert set(kinds[y == 1]) == set(syn.ECG_ANOMALY_KINDS)
    lead_off = x[kinds == "lead_off"]
    assert lead_off.max(axis=1).max() < 0.8  # no R peak on a detached electrode
    # anomalies deviate more from the mean normal beat than normal beats do
    mean_normal = x[y == 0].mean(axis=0)
    dev = ((x - mean_normal) ** 2).mean(axis=1)
    assert np.median(dev[y == 1]) > 2 * np.median(dev[y == 0])
    only = syn.ecg_like_signals(50, anomaly_fraction=1.0, seed=0, kinds=["inverted_t"], return_kinds=True)[2]
    assert set(only) == {"inverted_t"}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be an integer >= 1"),
        ({"length": 10}, "length must be an integer >= 32"),
        ({"anomaly_fraction": 1.5}, "anomaly_fraction"),
        ({"anomaly_fraction": -0.1}, "anomaly_fraction"),
        ({"noise": -1.0}, "noise"),
        ({"kinds": ["arrhythmia"]}, "kinds"),
        ({"kinds": "lead_off"}, "kinds"),
        ({"seed": -1}, "seed"),
        ({"n": 2.5}, "n must be an integer"),
    ],
)
def test_ecg_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        syn.ecg_like_signals(**kwargs)


# --------------------------------------------------------------------------------------
# gene expression
# --------------------------------------------------------------------------------------
def test_gene_expression_is_low_rank_and_typed() -> None:
    x, y = syn.gene_expression_like(400, 150, n_cell_types=3, n_programs=4, seed=0)
    assert x.shape == (400, 150) and x.dtype == np.float32 and y.shape == (400,)
    assert x.min() >= 0 and set(np.unique(y)) <= {0, 1, 2}
    xc = x - x.mean(axis=0)
    sv = np.linalg.svd(xc, compute_uv=False) ** 2
    assert sv[:4].sum() / sv.sum() > 0.5  # a few programs explain most of the variance
    # cell types differ: between-type spread of the mean profiles exceeds zero clearly
    means = np.stack([x[y == k].mean(axis=0) for k in range(3)])
    assert np.abs(means[0] - means[1]).max() > 0.5
    np.testing.assert_array_equal(x, syn.gene_expression_like(400, 150, n_cell_types=3, n_programs=4, seed=0)[0])


def test_gene_expression_errors() -> None:
    with pytest.raises(ValueError, match="smaller than n_genes"):
        syn.gene_expression_like(10, 5, n_programs=5)
    with pytest.raises(ValueError, match="depth"):
        syn.gene_expression_like(10, 20, depth=0)
    with pytest.raises(ValueError, match="n_samples"):
        syn.gene_expression_like(1, 20)


# --------------------------------------------------------------------------------------
# patient trajectories
# --------------------------------------------------------------------------------------
def test_patient_trajectories_progress_by_group() -> None:
    x, y, sev = syn.patient_trajectories(300, n_visits=6, n_features=10, seed=2, return_severity=True)
    assert x.shape == (300, 6, 10) and x.dtype == np.float32
    assert sev.shape == (300, 6) and set(np.unique(y)) == {0, 1, 2}
    growth = sev[:, -1] - sev[:, 0]
    g = [growth[y == k].mean() for k in range(3)]
    assert g[0] < g[1] < g[2]
    assert abs(g[0]) < 0.3
    # measurements change more over time for fast progressors
    change = np.abs(x[:, -1] - x[:, 0]).mean(axis=1)
    assert change[y == 2].mean() > change[y == 0].mean()
    assert syn.PROGRESSION_GROUPS[2] == "fast progression"


def test_patient_trajectories_errors() -> None:
    with pytest.raises(ValueError, match="n_visits"):
        syn.patient_trajectories(10, n_visits=1)
    with pytest.raises(ValueError, match="noise"):
        syn.patient_trajectories(10, noise=-0.5)


# --------------------------------------------------------------------------------------
# molecular fingerprints
# --------------------------------------------------------------------------------------
def test_fingerprints_binary_scaffolds_and_activity() -> None:
    x, y, scaffold = syn.molecular_fingerprints_like(1200, n_bits=128, n_scaffolds=6, seed=0, return_scaffold=True)
    assert x.shape == (1200, 128) and x.dtype == np.float32
    assert set(np.unique(x)) == {0.0, 1.0}
    assert set(np.unique(scaffold)) == set(range(6))

    # molecules of one scaffold share bits: within-scaffold similarity beats across-scaffold
    def jaccard(a: np.ndarray, b: np.ndarray) -> float:
        return float((a * b).sum() / max(((a + b) > 0).sum(), 1))

    same = np.mean(
        [jaccard(x[i], x[j]) for i, j in zip(np.flatnonzero(scaffold == 1)[:20], np.flatnonzero(scaffold == 1)[20:40])]
    )
    diff = np.mean(
        [jaccard(x[i], x[j]) for i, j in zip(np.flatnonzero(scaffold == 1)[:20], np.flatnonzero(scaffold == 2)[:20])]
    )
    assert same > diff + 0.2
    # actives concentrate on scaffold 0
    assert y[scaffold == 0].mean() > 3 * y[scaffold != 0].mean()


def test_fingerprints_errors() -> None:
    with pytest.raises(ValueError, match="n_bits"):
        syn.molecular_fingerprints_like(10, n_bits=8)
    with pytest.raises(ValueError, match="n_scaffolds"):
        syn.molecular_fingerprints_like(10, n_scaffolds=0)


# --------------------------------------------------------------------------------------
# EEG-like epochs
# --------------------------------------------------------------------------------------
def _band_power(x: np.ndarray, sfreq: float, lo: float, hi: float) -> np.ndarray:
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    f = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    return spec[..., (f >= lo) & (f <= hi)].sum(axis=-1)


def test_eeg_states_differ_in_alpha_and_beta() -> None:
    x, y = syn.eeg_like_epochs(200, n_channels=4, length=256, sfreq=128.0, seed=0)
    assert x.shape == (200, 4, 256) and x.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    alpha = _band_power(x, 128.0, 8, 12)
    beta = _band_power(x, 128.0, 16, 25)
    assert alpha[y == 1, -1].mean() > 3 * alpha[y == 0, -1].mean()  # rest: alpha on posterior channel
    assert beta[y == 0, 0].mean() > 3 * beta[y == 1, 0].mean()  # task: beta on frontal channel
    assert alpha[y == 1, -1].mean() > alpha[y == 1, 0].mean()  # alpha is posterior
    assert syn.EEG_STATES[1] == "rest"


def test_eeg_errors() -> None:
    with pytest.raises(ValueError, match="sfreq"):
        syn.eeg_like_epochs(10, sfreq=20)
    with pytest.raises(ValueError, match="length"):
        syn.eeg_like_epochs(10, length=8)
    with pytest.raises(ValueError, match="seed"):
        syn.eeg_like_epochs(10, seed="abc")

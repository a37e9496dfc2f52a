"""Clearly labelled SYNTHETIC data for the project starters — simulated, not from patients.

Taught in: 06_project_ideas.  Several of the seed's healthcare project ideas need data that
cannot ship with a course (ECG monitor recordings, gene expression, longitudinal records,
molecule libraries, EEG).  The generators below produce small, seeded stand-ins with the
*structure* an autoencoder should discover — so the starters run anywhere in seconds — but
none of it is real physiology or chemistry, and no result on it says anything about patients.
Every notebook that uses them says so in a visible line.

* :func:`ecg_like_signals` — heartbeat-like waveforms (P wave, QRS complex, T wave) with
  injected anomalies (device artefacts and abnormal beats) for anomaly detection;
* :func:`gene_expression_like` — count-like expression of many genes driven by a few hidden
  gene programs that differ between cell types;
* :func:`patient_trajectories` — repeated visits of patients whose hidden severity progresses at
  group-specific speeds, seen through many noisy measurements;
* :func:`molecular_fingerprints_like` — binary fingerprints built from scaffolds and fragments,
  with an "activity" that depends on one scaffold + fragment combination;
* :func:`eeg_like_epochs` — multi-channel oscillations whose alpha/beta rhythms depend on a
  hidden state ("rest" vs "task").

All generators take a ``seed`` (the same seed gives the same data) and raise ``ValueError``
with a clear message for nonsensical arguments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._checks import int_at_least, is_real, number_in
from ._checks import seed as check_seed

__all__ = [
    "ECG_ANOMALY_KINDS",
    "PROGRESSION_GROUPS",
    "EEG_STATES",
    "ecg_like_signals",
    "gene_expression_like",
    "patient_trajectories",
    "molecular_fingerprints_like",
    "eeg_like_epochs",
]

#: Kinds of injected ECG-like anomalies: three device problems, three abnormal beats.
ECG_ANOMALY_KINDS: tuple[str, ...] = (
    "lead_off",  # electrode loses contact: flat line with slow drift
    "spike_artefact",  # electrical interference: a few sharp spikes
    "noise_burst",  # motion artefact: a stretch of large noise
    "wide_qrs",  # premature-ventricular-like beat: no P wave, wide tall QRS, inverted T
    "st_elevation",  # raised segment between QRS and T
    "inverted_t",  # T wave upside down
)


# --------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------
def _rng(seed: Any) -> np.random.Generator:
    return np.random.default_rng(check_seed(seed))


def _bump(t: np.ndarray, centre: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Gaussian bumps, one per row: ``height * exp(-(t - centre)^2 / (2 width^2))``."""
    return height[:, None] * np.exp(-((t[None, :] - centre[:, None]) ** 2) / (2.0 * width[:, None] ** 2))


# --------------------------------------------------------------------------------------
# 1. ECG-like heartbeats (anomaly detection for medical devices)
# --------------------------------------------------------------------------------------
def ecg_like_signals(
    n: int = 1000,
    length: int = 140,
    anomaly_fraction: float = 0.1,
    seed: int | None = None,
    *,
    noise: float = 0.03,
    kinds: tuple[str, ...] | list[str] = ECG_ANOMALY_KINDS,
    return_kinds: bool = False,
) -> tuple[np.ndarray, ...]:
    """SYNTHETIC single-heartbeat windows with injected anomalies: ``(x, y)``.

    Taught in: 06_project_ideas (idea 3, anomaly detection for medical devices).

    Each row of ``x`` (float32, shape ``(n, length)``, roughly -0.6 … 2 "mV") is one beat drawn as
    a sum of Gaussian bumps — P wave, Q dip, R peak, S dip, T wave — with random heart rate,
    amplitudes and timing, slow baseline wander and white noise of standard deviation ``noise``.
    ``y`` (int64) is 1 for the ``round(anomaly_fraction * n)`` beats that received one of the
    anomaly ``kinds`` (see :data:`ECG_ANOMALY_KINDS`), 0 otherwise; anomalies are placed at random
    rows.  ``return_kinds=True`` also returns an array of kind names ("normal" for normal beats).

    The waveform is a caricature for teaching, **not** a physiological model.
    """
    n = int_at_least("n", n, 1)
    length = int_at_least("length", length, 32)
    frac = number_in("anomaly_fraction", anomaly_fraction, 0.0, 1.0)
    noise = number_in("noise", noise, 0.0, 1.0)
    if isinstance(kinds, str) or not kinds or any(k not in ECG_ANOMALY_KINDS for k in kinds):
        raise ValueError(f"kinds must be a non-empty list drawn from {ECG_ANOMALY_KINDS}, got {kinds!r}")
    rng = _rng(seed)
    t = np.linspace(0.0, 1.0, length)

    # normal beat: timings jitter with heart rate (a faster heart squeezes the beat)
    stretch = rng.normal(1.0, 0.04, n)
    shift = rng.normal(0.0, 0.01, n)

    def pos(p: float) -> np.ndarray:
        return 0.5 + (p - 0.5) * stretch + shift

    def amp(mean: float, sd: float) -> np.ndarray:  # keeps the sign of each wave
        lo, hi = sorted((0.3 * mean, 3.0 * mean))
        return np.clip(rng.normal(mean, sd, n), lo, hi)

    p_w = _bump(t, pos(0.22), np.full(n, 0.025), amp(0.15, 0.03))
    q_w = _bump(t, pos(0.36), np.full(n, 0.010), amp(-0.15, 0.03))
    r_w = _bump(t, pos(0.40), np.full(n, 0.012), amp(1.30, 0.12))
    s_w = _bump(t, pos(0.44), np.full(n, 0.012), amp(-0.30, 0.05))
    t_w = _bump(t, pos(0.68), np.full(n, 0.045), amp(0.35, 0.06))
    wander = rng.normal(0, 0.04, n)[:, None] * np.sin(
        2 * np.pi * (rng.uniform(0.2, 0.6, n)[:, None] * t + rng.uniform(0, 1, n)[:, None])
    )
    x = p_w + q_w + r_w + s_w + t_w + wander

    y = np.zeros(n, dtype=np.int64)
    kind_of = np.array(["normal"] * n, dtype=object)
    n_anom = int(round(frac * n))
    rows = rng.choice(n, size=n_anom, replace=False) if n_anom else np.array([], dtype=int)
    for i in rows:
        kind = kinds[int(rng.integers(len(kinds)))]
        kind_of[i], y[i] = kind, 1
        if kind == "lead_off":
            x[i] = rng.normal(0, 0.05) + rng.normal(0, 0.15) * t
        elif kind == "spike_artefact":
            for at in rng.choice(length, size=int(rng.integers(2, 5)), replace=False):
                x[i, at] += rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.5)
        elif kind == "noise_burst":
            start = int(rng.integers(0, length - length // 4))
            x[i, start : start + length // 4] += rng.normal(0, 0.35, length // 4)
        elif kind == "wide_qrs":
            c = pos(0.40)[i]
            x[i] = (
                wander[i]
                + _bump(t, np.array([c]), np.array([0.035]), np.array([1.6]))[0]
                + _bump(t, np.array([c + 0.09]), np.array([0.03]), np.array([-0.5]))[0]
                + _bump(t, np.array([pos(0.68)[i]]), np.array([0.05]), np.array([-0.35]))[0]
            )
        elif kind == "st_elevation":
            lo, hi = pos(0.46)[i], pos(0.66)[i]
            x[i] += 0.35 * np.clip((t - lo) / 0.02, 0, 1) * np.clip((hi + 0.06 - t) / 0.06, 0, 1)
        else:  # inverted_t
            x[i] -= 2.0 * t_w[i]
    x = x + rng.normal(0, noise, size=x.shape)
    x = x.astype(np.float32)
    if return_kinds:
        return x, y, kind_of.astype(str)
    return x, y


# --------------------------------------------------------------------------------------
# 2. gene-expression-like counts (genomic data compression)
# --------------------------------------------------------------------------------------
def gene_expression_like(
    n_samples: int = 600,
    n_genes: int = 300,
    n_cell_types: int = 4,
    n_programs: int = 6,
    seed: int | None = None,
    *,
    depth: float = 2000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC log-expression of ``n_genes`` genes in ``n_samples`` cells: ``(x, y)``.

    Taught in: 06_project_ideas (idea 4, genomic data compression).

    A few hidden **gene programs** (``n_programs``; each switches on a random subset of genes)
    drive expression.  Each of the ``n_cell_types`` cell types has its own typical activity of
    every program; cells vary around it.  Counts are Poisson draws with about ``depth`` reads per
    cell (with a random per-cell sequencing depth), and ``x = log1p(counts)`` (float32, shape
    ``(n_samples, n_genes)``, non-negative).  ``y`` (int64) is the cell type.  The data are
    therefore approximately low-dimensional — ``n_programs`` numbers per cell explain them — which
    is what a compressing autoencoder should find.  Not real biology.
    """
    n_samples = int_at_least("n_samples", n_samples, 2)
    n_genes = int_at_least("n_genes", n_genes, 2)
    n_cell_types = int_at_least("n_cell_types", n_cell_types, 1)
    n_programs = int_at_least("n_programs", n_programs, 1)
    if n_programs >= n_genes:
        raise ValueError(f"n_programs ({n_programs}) must be smaller than n_genes ({n_genes})")
    if not is_real(depth) or not math.isfinite(depth) or depth <= 0:
        raise ValueError(f"depth must be a positive number of reads per cell, got {depth!r}")
    rng = _rng(seed)
    baseline = rng.normal(0.0, 1.0, n_genes)
    loadings = np.zeros((n_programs, n_genes))
    for k in range(n_programs):
        genes = rng.choice(n_genes, size=max(2, n_genes // 10), replace=False)
        loadings[k, genes] = rng.gamma(2.0, 0.6, genes.size)
    shared = rng.gamma(2.0, 0.5, n_programs)  # programs active in every cell type
    type_activity = shared[None, :] * rng.lognormal(0.0, 0.6, (n_cell_types, n_programs))
    y = rng.integers(0, n_cell_types, n_samples).astype(np.int64)
    activity = type_activity[y] * rng.lognormal(0.0, 0.4, (n_samples, n_programs))
    logits = baseline[None, :] + activity @ loadings
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    size = depth * rng.lognormal(0.0, 0.3, n_samples)
    counts = rng.poisson(p * size[:, None])
    return np.log1p(counts).astype(np.float32), y


# --------------------------------------------------------------------------------------
# 3. patient trajectories (disease progression visualisation)
# --------------------------------------------------------------------------------------
PROGRESSION_GROUPS: tuple[str, ...] = ("stable", "slow progression", "fast progression")


def patient_trajectories(
    n_patients: int = 150,
    n_visits: int = 8,
    n_features: int = 12,
    seed: int | None = None,
    *,
    noise: float = 0.15,
    return_severity: bool = False,
) -> tuple[np.ndarray, ...]:
    """SYNTHETIC longitudinal records: ``(x, y)`` with ``x`` shaped ``(n_patients, n_visits, n_features)``.

    Taught in: 06_project_ideas (idea 5, disease progression visualisation).

    Each patient has a hidden **severity** that starts low and grows by a group-specific rate per
    visit: ``y`` (int64) is the group, 0 = "stable", 1 = "slow progression", 2 = "fast
    progression" (see ``PROGRESSION_GROUPS``).  The ``n_features`` measurements (think lab values
    and scores) are different non-linear, saturating functions of severity plus a per-patient
    offset and noise of standard deviation ``noise``; all float32, roughly in [-1, 2].
    ``return_severity=True`` also returns the hidden severity ``(n_patients, n_visits)``, so a
    project can check whether a learned code tracks it.  Not real patients.
    """
    n_patients = int_at_least("n_patients", n_patients, 1)
    n_visits = int_at_least("n_visits", n_visits, 2)
    n_features = int_at_least("n_features", n_features, 2)
    noise = number_in("noise", noise, 0.0, 5.0)
    rng = _rng(seed)
    y = rng.integers(0, len(PROGRESSION_GROUPS), n_patients).astype(np.int64)
    rate = np.array([0.02, 0.18, 0.45])[y] * rng.lognormal(0.0, 0.2, n_patients)
    start = rng.uniform(0.0, 0.6, n_patients)
    visits = np.arange(n_visits)
    severity = start[:, None] + rate[:, None] * visits[None, :] + rng.normal(0, 0.05, (n_patients, n_visits))
    threshold = rng.uniform(0.3, 2.0, n_features)
    slope = rng.uniform(1.5, 4.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    feats = 1.0 / (1.0 + np.exp(-slope[None, None, :] * (severity[:, :, None] - threshold[None, None, :])))
    feats = feats + rng.normal(0, 0.1, (n_patients, 1, n_features))  # stable per-patient offsets
    feats = feats + rng.normal(0, noise, feats.shape)
    x = feats.astype(np.float32)
    if return_severity:
        return x, y, severity.astype(np.float32)
    return x, y


# --------------------------------------------------------------------------------------
# 4. molecular fingerprints (drug discovery)
# --------------------------------------------------------------------------------------
def molecular_fingerprints_like(
    n: int = 1500,
    n_bits: int = 256,
    n_scaffolds: int = 8,
    seed: int | None = None,
    *,
    n_fragments: int = 30,
    return_scaffold: bool = False,
) -> tuple[np.ndarray, ...]:
    """SYNTHETIC binary molecular fingerprints with an activity label: ``(x, y)``.

    Taught in: 06_project_ideas (idea 8, drug discovery).

    Every molecule is built on one of ``n_scaffolds`` core structures (each sets ~25 bits; a few
    may be missing) and carries 2–5 of ``n_fragments`` substituent fragments (each sets a few
    bits), plus a little bit noise: ``x`` is float32 0/1, shape ``(n, n_bits)``.  ``y`` (int64)
    is 1 for "active" molecules: those built on scaffold 0 *and* carrying fragment 0 are active
    with probability 0.8, every other molecule with probability 0.02 — so activity depends on a
    combination of structure, as in real structure–activity relationships.
    ``return_scaffold=True`` also returns each molecule's scaffold index.  Not real chemistry.
    """
    n = int_at_least("n", n, 2)
    n_bits = int_at_least("n_bits", n_bits, 32)
    n_scaffolds = int_at_least("n_scaffolds", n_scaffolds, 1)
    n_fragments = int_at_least("n_fragments", n_fragments, 1)
    rng = _rng(seed)
    scaffold_bits = [rng.choice(n_bits, size=max(4, n_bits // 10), replace=False) for _ in range(n_scaffolds)]
    fragment_bits = [rng.choice(n_bits, size=int(rng.integers(2, 6)), replace=False) for _ in range(n_fragments)]
    scaffold = rng.integers(0, n_scaffolds, n).astype(np.int64)
    x = np.zeros((n, n_bits), dtype=np.float32)
    has_frag0 = np.zeros(n, dtype=bool)
    for i in range(n):
        core = scaffold_bits[scaffold[i]]
        x[i, core[rng.random(core.size) > 0.05]] = 1.0
        frags = rng.choice(n_fragments, size=min(n_fragments, int(rng.integers(2, 6))), replace=False)
        has_frag0[i] = 0 in frags
        for f in frags:
            x[i, fragment_bits[f]] = 1.0
    flips = rng.random(x.shape) < 0.01
    x[flips] = 1.0 - x[flips]
    p_active = np.where((scaffold == 0) & has_frag0, 0.8, 0.02)
    y = (rng.random(n) < p_active).astype(np.int64)
    if return_scaffold:
        return x, y, scaffold
    return x, y


# --------------------------------------------------------------------------------------
# 5. EEG-like epochs (brain activity mapping)
# --------------------------------------------------------------------------------------
EEG_STATES: tuple[str, ...] = ("task", "rest")


def eeg_like_epochs(
    n: int = 300,
    n_channels: int = 4,
    length: int = 256,
    sfreq: float = 128.0,
    seed: int | None = None,
    *,
    noise: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC multi-channel EEG-like epochs: ``(x, y)`` with ``x`` shaped ``(n, n_channels, length)``.

    Taught in: 06_project_ideas (idea 9, brain activity mapping).

    Each epoch is ``length / sfreq`` seconds of background "1/f" noise (scaled by ``noise``) plus
    rhythms whose strength depends on a hidden state ``y`` (int64): 1 = "rest" — a strong ~10 Hz
    alpha rhythm, strongest on the last ("posterior") channels; 0 = "task" — weaker alpha and a
    ~20 Hz beta rhythm on the first ("frontal") channels.  Frequencies, phases and amplitudes
    vary per epoch.  Units are arbitrary (float32, standard deviation of order 1).
    ``EEG_STATES[y]`` names the state.  Not real EEG.
    """
    n = int_at_least("n", n, 1)
    n_channels = int_at_least("n_channels", n_channels, 1)
    length = int_at_least("length", length, 16)
    if not is_real(sfreq) or not math.isfinite(sfreq) or sfreq < 50:
        raise ValueError(f"sfreq must be a sampling rate >= 50 Hz (to hold a 20 Hz rhythm), got {sfreq!r}")
    noise = number_in("noise", noise, 0.0, 10.0)
    rng = _rng(seed)
    t = np.arange(length) / float(sfreq)
    y = rng.integers(0, 2, n).astype(np.int64)
    posterior = np.linspace(0.3, 1.0, n_channels)  # channel weight of alpha
    frontal = posterior[::-1]  # channel weight of beta
    # 1/f background: integrate white noise spectrally
    freqs = np.fft.rfftfreq(length, d=1.0 / sfreq)
    scale = 1.0 / np.maximum(freqs, 1.0)
    spec = (rng.normal(size=(n, n_channels, freqs.size)) + 1j * rng.normal(size=(n, n_channels, freqs.size))) * scale
    background = np.fft.irfft(spec, n=length, axis=-1)
    background = background / background.std(axis=-1, keepdims=True) * noise
    alpha_amp = np.where(y == 1, 1.6, 0.5) * rng.lognormal(0, 0.2, n)
    beta_amp = np.where(y == 1, 0.2, 0.9) * rng.lognormal(0, 0.2, n)
    f_alpha = rng.uniform(8.5, 11.5, n)
    f_beta = rng.uniform(17.0, 24.0, n)
    phase_a = rng.uniform(0, 2 * np.pi, (n, n_channels))
    phase_b = rng.uniform(0, 2 * np.pi, (n, n_channels))
    alpha = (
        alpha_amp[:, None, None]
        * posterior[None, :, None]
        * np.sin(2 * np.pi * f_alpha[:, None, None] * t[None, None, :] + phase_a[:, :, None])
    )
    beta = (
        beta_amp[:, None, None]
        * frontal[None, :, None]
        * np.sin(2 * np.pi * f_beta[:, None, None] * t[None, None, :] + phase_b[:, :, None])
    )
    return (background + alpha + beta).astype(np.float32), y

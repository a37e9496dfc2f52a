"""Baselines every autoencoder in the course is measured against.

Taught in:

* ``01_background`` / ``02_mnist_autoencoder`` — PCA reconstruction with ``k``
  components (the linear special case of an autoencoder);
* ``06_project_ideas`` — anomaly scores from PCA reconstruction error (lesson 03 and the
  breast-cancer benchmark write IsolationForest and One-Class SVM with scikit-learn themselves);
* ``04_medical_image_denoising`` — classical denoisers (Gaussian, median, total
  variation, non-local means) behind one call, each tuned on validation images.

All anomaly scores follow one convention: **higher = more anomalous**.
Images for the denoisers are ``(H, W)``, ``(N, H, W)``, ``(N, H, W, 1)`` or
``(N, H, W, C)`` arrays with values in ``[0, 1]``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .metrics import psnr, reconstruction_error

__all__ = [
    "PCAReconstructor",
    "pca_reconstruct",
    "DENOISERS",
    "DEFAULT_GRIDS",
    "denoise",
    "make_filter",
    "estimate_noise_sigma",
    "tune_filter",
    "best_classical_filters",
    "bm3d_available",
    "pca_error_scores",
]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _as_2d(x: ArrayLike, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flatten (N, ...) to (N, D); return the array and the per-sample shape."""
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(
            f"{name} must be a batch with the sample axis first, e.g. (N, D) or (N, H, W[, C]), got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one sample")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values: expected finite numbers")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float32)
    return arr.reshape(arr.shape[0], -1), tuple(arr.shape[1:])


def _check_same_features(train_shape: tuple[int, ...], test_shape: tuple[int, ...]) -> None:
    if train_shape != test_shape:
        raise ValueError(
            f"x_test samples have shape {test_shape} but x_train samples have {train_shape}: "
            "expected the same per-sample shape"
        )


# --------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------
class PCAReconstructor:
    """PCA with ``k`` components used as a (linear) autoencoder.

    Taught in: 02_mnist_autoencoder, 06_project_ideas.

    ``fit`` flattens samples to vectors, ``encode`` gives the ``k`` coordinates,
    ``decode`` maps them back, and ``reconstruct`` (also ``__call__``) returns
    reconstructions in the input's shape — so an instance can be passed wherever the
    widgets expect a ``reconstruct(x) -> x_hat`` callable.  ``clip=True`` clips
    reconstructions to ``[0, 1]`` (a tuple ``(lo, hi)`` clips to that range): PCA,
    unlike a sigmoid decoder, can produce values outside the data range.
    """

    def __init__(
        self,
        n_components: int,
        *,
        clip: bool | tuple[float, float] = False,
        random_state: int = 0,
    ) -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"n_components (k) must be a positive integer, got {n_components!r}")
        if clip is True:
            clip = (0.0, 1.0)
        if clip is not False and (not isinstance(clip, tuple) or len(clip) != 2 or not clip[0] < clip[1]):
            raise ValueError(f"clip must be False, True (= (0, 1)) or a tuple (lo, hi) with lo < hi, got {clip!r}")
        self.n_components = int(n_components)
        self.clip: tuple[float, float] | None = None if clip is False else (float(clip[0]), float(clip[1]))
        self.random_state = random_state
        self.pca: Any = None
        self.sample_shape: tuple[int, ...] | None = None

    def fit(self, x_train: ArrayLike) -> PCAReconstructor:
        """Fit PCA on training samples ``(N, ...)``; returns ``self``."""
        from sklearn.decomposition import PCA

        x2, shape = _as_2d(x_train, "x_train")
        k_max = min(x2.shape)
        if self.n_components > k_max:
            raise ValueError(
                f"k={self.n_components} components requested but at most min(n_samples, n_features)="
                f"{k_max} are possible for x_train of shape {x2.shape}"
            )
        self.pca = PCA(n_components=self.n_components, random_state=self.random_state).fit(x2)
        self.sample_shape = shape
        return self

    def _fitted(self) -> Any:
        if self.pca is None:
            raise ValueError("this PCAReconstructor is not fitted yet: call fit(x_train) first")
        return self.pca

    def encode(self, x: ArrayLike) -> np.ndarray:
        """The ``k`` PCA coordinates of each sample: ``(N, k)``."""
        pca = self._fitted()
        x2, shape = _as_2d(x, "x")
        _check_same_features(self.sample_shape or (), shape)
        return pca.transform(x2)

    def decode(self, codes: ArrayLike) -> np.ndarray:
        """Map ``(N, k)`` coordinates back to samples of the training shape."""
        pca = self._fitted()
        c = np.asarray(codes, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != self.n_components:
            raise ValueError(f"codes must be shaped (N, {self.n_components}), got {c.shape}")
        out = pca.inverse_transform(c)
        if self.clip is not None:
            out = np.clip(out, *self.clip)
        return out.reshape((c.shape[0], *(self.sample_shape or ()))).astype(np.float32)

    def reconstruct(self, x: ArrayLike) -> np.ndarray:
        """Encode then decode: reconstructions with the same shape as ``x``."""
        return self.decode(self.encode(x))

    __call__ = reconstruct

    @property
    def explained_variance_ratio(self) -> float:
        """Fraction of the training variance the ``k`` components keep."""
        return float(np.sum(self._fitted().explained_variance_ratio_))


def pca_reconstruct(
    x_train: ArrayLike,
    x_test: ArrayLike,
    k: int,
    *,
    clip: bool | tuple[float, float] = False,
    random_state: int = 0,
) -> tuple[np.ndarray, Any]:
    """Fit PCA with ``k`` components on ``x_train`` and reconstruct ``x_test``.

    Taught in: 01_background (PCA is the linear special case).

    Images are flattened for PCA and the reconstruction gets ``x_test``'s shape back.
    Returns ``(x_hat, pca)`` where ``pca`` is the fitted ``sklearn.decomposition.PCA``
    (``pca.components_`` spans the subspace a linear autoencoder should recover).
    """
    rec = PCAReconstructor(k, clip=clip, random_state=random_state).fit(x_train)
    x_hat = rec.reconstruct(x_test)
    return x_hat, rec.pca


# --------------------------------------------------------------------------------------
# classical denoisers
# --------------------------------------------------------------------------------------
def _image_batch(images: ArrayLike) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Return a (N, H, W, C) float32 batch and a function restoring the input layout."""
    arr = np.asarray(images)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"images must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if arr.size == 0:
        raise ValueError("images is empty: expected at least one image")
    if not np.all(np.isfinite(arr)):
        raise ValueError("images contain NaN or infinite values: expected finite numbers in [0, 1]")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(
            f"images must have values in [0, 1], found [{lo:.4g}, {hi:.4g}]; scale them first (e.g. x / x.max())"
        )
    shape = arr.shape
    if arr.ndim == 2:
        batch = arr[None, :, :, None]
    elif arr.ndim == 3:
        batch = arr[:, :, :, None]
    elif arr.ndim == 4:
        batch = arr
    else:
        raise ValueError(
            f"images must be shaped (H, W), (N, H, W) or (N, H, W, C), got {shape}; "
            "reshape flattened images first, e.g. x.reshape(-1, 28, 28)"
        )
    if min(batch.shape[1], batch.shape[2]) < 3:
        raise ValueError(f"images must be at least 3x3 pixels, got shape {shape}")
    return batch, lambda out: out.reshape(shape)


def _check_params(method: str, params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {sorted(unknown)} for method {method!r}: expected some of {sorted(allowed)}"
        )


def _gaussian(batch: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"gaussian: sigma must be a number >= 0 (in pixels), got {sigma}")
    return gaussian_filter(batch, sigma=(0.0, float(sigma), float(sigma), 0.0), mode="reflect")


def _median(batch: np.ndarray, size: int = 3) -> np.ndarray:
    from scipy.ndimage import median_filter

    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"median: size must be a positive integer (window side in pixels), got {size!r}")
    return median_filter(batch, size=(1, int(size), int(size), 1), mode="reflect")


def _tv(batch: np.ndarray, weight: float = 0.1, max_num_iter: int = 100) -> np.ndarray:
    from skimage.restoration import denoise_tv_chambolle

    if not np.isfinite(weight) or weight <= 0:
        raise ValueError(f"tv: weight must be a positive number (larger = smoother), got {weight}")
    out = np.empty_like(batch)
    for i in range(batch.shape[0]):
        for c in range(batch.shape[3]):
            out[i, :, :, c] = denoise_tv_chambolle(batch[i, :, :, c], weight=float(weight), max_num_iter=max_num_iter)
    return out


def estimate_noise_sigma(image: ArrayLike) -> float:
    """Robust estimate of the Gaussian noise σ of one grey-scale image (Donoho's MAD rule).

    Used by the ``"nlm"`` filter of :func:`denoise`, which needs the noise level.

    ``σ ≈ median(|HH|) / 0.6745`` where ``HH`` are the finest diagonal Haar wavelet
    coefficients ``(a - b - c + d) / 2`` of 2x2 pixel blocks — the same rule as
    ``skimage.restoration.estimate_sigma`` but without needing PyWavelets.  Image
    structure barely affects the median of these coefficients, noise does.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or min(img.shape) < 2:
        raise ValueError(f"image must be a 2-D (H, W) array of at least 2x2 pixels, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError("image contains NaN or infinite values: expected finite numbers")
    h, w = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    a = img[0:h:2, 0:w:2]
    b = img[0:h:2, 1:w:2]
    c = img[1:h:2, 0:w:2]
    d = img[1:h:2, 1:w:2]
    hh = (a - b - c + d) / 2.0
    return float(np.median(np.abs(hh)) / 0.6745)


def _nlm(
    batch: np.ndarray,
    h_factor: float = 0.8,
    h: float | None = None,
    sigma: float | None = None,
    patch_size: int | None = None,
    patch_distance: int | None = None,
) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    if h is not None and (not np.isfinite(h) or h <= 0):
        raise ValueError(f"nlm: h must be a positive number, got {h}")
    if not np.isfinite(h_factor) or h_factor <= 0:
        raise ValueError(f"nlm: h_factor must be a positive number, got {h_factor}")
    if sigma is not None and (not np.isfinite(sigma) or sigma < 0):
        raise ValueError(f"nlm: sigma must be a number >= 0, got {sigma}")
    side = min(batch.shape[1], batch.shape[2])
    # Patches and search windows suited to small (28-64 px) images: 5x5 patches searched
    # within 6 px (13x13 window) for 28 px, 7x7 within 8 px for >= 64 px.
    if patch_size is None:
        patch_size = 5 if side < 64 else 7
    if patch_distance is None:
        patch_distance = 6 if side < 64 else 8
    if patch_size < 1 or patch_distance < 1:
        raise ValueError(f"nlm: patch_size and patch_distance must be >= 1, got {patch_size}, {patch_distance}")
    out = np.empty_like(batch)
    for i in range(batch.shape[0]):
        for c in range(batch.shape[3]):
            img = batch[i, :, :, c].astype(np.float64)
            s = estimate_noise_sigma(img) if sigma is None else float(sigma)
            hh = float(h) if h is not None else max(h_factor * s, 1e-4)
            out[i, :, :, c] = denoise_nl_means(
                img, patch_size=patch_size, patch_distance=patch_distance, h=hh, sigma=s, fast_mode=True
            )
    return out


def bm3d_available() -> bool:
    """Whether the ``bm3d`` package (BM3D, Mäkinen, Azzari & Foi) can be imported.

    Taught in: 04_medical_image_denoising (the lesson says so and skips BM3D when it is missing).
    """
    try:
        import bm3d  # noqa: F401
    except ImportError:
        return False
    return True


def _anscombe(counts: np.ndarray) -> np.ndarray:
    return 2.0 * np.sqrt(np.maximum(counts, 0.0) + 3.0 / 8.0)


def _inverse_anscombe(d: np.ndarray) -> np.ndarray:
    """Closed-form approximation of the exact unbiased inverse (Mäkitalo & Foi, 2011)."""
    d = np.maximum(d, 0.8)
    r = np.sqrt(1.5)
    return np.maximum(0.25 * d**2 + 0.25 * r / d - 1.375 / d**2 + 0.625 * r / d**3 - 0.125, 0.0)


def _bm3d(
    batch: np.ndarray,
    sigma: float | None = None,
    photons: float | None = None,
    sigma_factor: float = 1.0,
) -> np.ndarray:
    try:
        import bm3d
    except ImportError as exc:
        raise ImportError(
            "BM3D needs the bm3d package (pip install bm3d; free for non-commercial use such as this course)"
        ) from exc
    if sigma is not None and photons is not None:
        raise ValueError("bm3d: give the Gaussian noise level sigma or the Poisson photon count photons, not both")
    for name, v in (("sigma", sigma), ("photons", photons), ("sigma_factor", sigma_factor)):
        if v is not None and (not np.isfinite(v) or v <= 0):
            raise ValueError(f"bm3d: {name} must be a positive number, got {v}")

    def one(img: np.ndarray) -> np.ndarray:
        if photons is not None:  # Poisson: Anscombe makes the noise ~Gaussian with σ = 1
            stabilised = _anscombe(img * photons)
            return _inverse_anscombe(bm3d.bm3d(stabilised, sigma_psd=sigma_factor)) / photons
        s = estimate_noise_sigma(img) if sigma is None else float(sigma)
        return bm3d.bm3d(img, sigma_psd=max(sigma_factor * s, 1e-4))

    # One image at a time: the package's C core is not thread-safe (two threads abort the process).
    results = [one(batch[i, :, :, c].astype(np.float64)) for i in range(batch.shape[0]) for c in range(batch.shape[3])]
    return np.stack(results).reshape(batch.shape[0], batch.shape[3], *batch.shape[1:3]).transpose(0, 2, 3, 1)


DENOISERS: dict[str, Callable[..., np.ndarray]] = {
    "gaussian": _gaussian,
    "median": _median,
    "tv": _tv,
    "nlm": _nlm,
    "bm3d": _bm3d,
}

_PARAMS = {
    "gaussian": {"sigma"},
    "median": {"size"},
    "tv": {"weight", "max_num_iter"},
    "nlm": {"h_factor", "h", "sigma", "patch_size", "patch_distance"},
    "bm3d": {"sigma", "photons", "sigma_factor"},
}

#: Default tuning grids of :func:`tune_filter` (one list of values per parameter).
DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "gaussian": {"sigma": [round(float(s), 2) for s in np.arange(0.2, 3.01, 0.1)]},
    "median": {"size": [3, 5, 7, 9]},
    "tv": {"weight": [0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5]},
    "nlm": {"h_factor": [0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0]},
    "bm3d": {"sigma_factor": [0.6, 0.8, 1.0, 1.2, 1.5]},
}


def denoise(images: ArrayLike, method: str = "gaussian", *, clip: bool = True, **params: Any) -> np.ndarray:
    """Denoise images with one classical filter.

    Taught in: 04_medical_image_denoising.

    ``method`` and its parameters:

    * ``"gaussian"`` — ``sigma`` (pixels, default 1.0; 0 = no smoothing);
    * ``"median"`` — ``size`` (window side in pixels, default 3; good against salt-and-pepper);
    * ``"tv"`` — total-variation (Chambolle) ``weight`` (default 0.1; larger = flatter);
    * ``"nlm"`` — non-local means (scikit-image, ``fast_mode=True``): the noise ``sigma`` is
      estimated per image with :func:`estimate_noise_sigma` unless given, and the filter strength is
      ``h = h_factor * sigma`` (default 0.8) unless ``h`` is given; ``patch_size`` /
      ``patch_distance`` default to 5 / 6 px for images under 64 px and 7 / 8 px otherwise;
    * ``"bm3d"`` — BM3D (the ``bm3d`` package; collaborative filtering of similar patches, the strongest
      classical denoiser), told the noise level as it usually is: Gaussian ``sigma``, or Poisson
      ``photons`` (then the Anscombe transform turns the noise into Gaussian noise of σ = 1 and its
      unbiased inverse maps back), times ``sigma_factor`` (tuned on validation images); with neither,
      σ is estimated per image (blind).  About 0.25 s per 28 × 28 image on one core.

    ``images``: ``(H, W)``, ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, C)`` in ``[0, 1]``.
    Returns float32 images of the same shape, clipped to ``[0, 1]`` unless ``clip=False``.
    """
    if method not in DENOISERS:
        raise ValueError(f"method must be one of {sorted(DENOISERS)}, got {method!r}")
    _check_params(method, params, _PARAMS[method])
    batch, restore = _image_batch(images)
    out = DENOISERS[method](batch, **params)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return restore(out.astype(np.float32, copy=False))


def make_filter(method: str, **params: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A one-argument denoiser ``f(noisy) -> denoised`` for the widgets and comparison loops.

    Taught in: 04_medical_image_denoising (e.g. ``make_filter("gaussian", **best["gaussian"])``).
    """
    if method not in DENOISERS:
        raise ValueError(f"method must be one of {sorted(DENOISERS)}, got {method!r}")
    _check_params(method, params, _PARAMS[method])
    return functools.partial(denoise, method=method, **params)


Grid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


def _grid_candidates(method: str, grid: Grid | None) -> list[dict[str, Any]]:
    if grid is None:
        grid = DEFAULT_GRIDS[method]
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid is empty: expected {parameter: [values, ...]} or a list of parameter dicts")
        names = list(grid)
        values = []
        for n in names:
            v = grid[n]
            if isinstance(v, (str, bytes)) or not isinstance(v, Sequence | np.ndarray) or len(v) == 0:
                raise ValueError(f"grid[{n!r}] must be a non-empty list of values, got {v!r}")
            values.append(list(v))
        candidates = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    else:
        candidates = [dict(c) for c in grid]
        if not candidates:
            raise ValueError("grid is empty: expected {parameter: [values, ...]} or a list of parameter dicts")
    for c in candidates:
        _check_params(method, c, _PARAMS[method])
    return candidates


def tune_filter(
    method: str,
    noisy_val: ArrayLike,
    clean_val: ArrayLike,
    grid: Grid | None = None,
    *,
    max_images: int | None = 64,
    seed: int = 0,
) -> tuple[dict[str, Any], float]:
    """Pick the parameters of one classical filter that maximise mean PSNR on validation images.

    Taught in: 04_medical_image_denoising ("a Gaussian filter with σ tuned on validation
    images" — the fair classical baseline; never tune on the test set).

    ``grid`` is ``{param: [values]}`` (all combinations are tried) or a list of parameter
    dicts; ``None`` uses :data:`DEFAULT_GRIDS` (Gaussian σ 0.2–3.0 in steps of 0.1, median
    size 3–9, TV weight 0.01–0.5, NLM ``h_factor`` 0.4–2.0).  At most ``max_images``
    validation images (a seeded random subset; ``None`` = all) are used to keep tuning fast.
    Returns ``(best_params, best_mean_psnr_db)``.
    """
    if method not in DENOISERS:
        raise ValueError(f"method must be one of {sorted(DENOISERS)}, got {method!r}")
    noisy, _ = _image_batch(noisy_val)
    clean, _ = _image_batch(clean_val)
    if noisy.shape != clean.shape:
        raise ValueError(
            f"noisy_val and clean_val must have the same shape, got {np.shape(noisy_val)} and {np.shape(clean_val)}"
        )
    if max_images is not None:
        if max_images < 1:
            raise ValueError(f"max_images must be a positive integer or None, got {max_images}")
        if noisy.shape[0] > max_images:
            idx = np.sort(np.random.default_rng(seed).choice(noisy.shape[0], size=max_images, replace=False))
            noisy, clean = noisy[idx], clean[idx]
    best_params: dict[str, Any] = {}
    best_score = -np.inf
    for params in _grid_candidates(method, grid):
        out = denoise(noisy, method, **params)
        score = float(np.mean(psnr(clean, out)))
        if score > best_score:
            best_params, best_score = params, score
    return best_params, best_score


def best_classical_filters(
    noisy_val: ArrayLike,
    clean_val: ArrayLike,
    methods: Sequence[str] = ("gaussian", "median", "tv", "nlm"),
    *,
    max_images: int | None = 64,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Tune every classical filter on validation images: ``{method: best_params}``.

    A shortcut for tuning every filter with :func:`tune_filter`.  Use with :func:`denoise` or :func:`make_filter`:
    ``best = best_classical_filters(noisy_val, clean_val)``;
    ``denoise(noisy_test, "tv", **best["tv"])``.  The validation PSNR of each choice is
    available from :func:`tune_filter` if you need it.
    """
    unknown = [m for m in methods if m not in DENOISERS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {sorted(DENOISERS)}, got {list(methods)}")
    return {m: tune_filter(m, noisy_val, clean_val, max_images=max_images, seed=seed)[0] for m in methods}


# --------------------------------------------------------------------------------------
# anomaly-detection baselines
# --------------------------------------------------------------------------------------
def pca_error_scores(x_train: ArrayLike, x_test: ArrayLike, k: int, *, kind: str = "mse") -> np.ndarray:
    """PCA reconstruction error of each ``x_test`` sample (PCA-k fitted on normal ``x_train``).

    Taught in: 06_project_ideas.  The linear version of the autoencoder's anomaly score; higher =
    more anomalous.
    """
    rec = PCAReconstructor(k).fit(x_train)
    x_hat = rec.reconstruct(x_test)
    return reconstruction_error(np.asarray(x_test, dtype=np.float64), x_hat, kind)  # type: ignore[arg-type]

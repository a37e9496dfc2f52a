"""Exercises of lesson 04 (notebooks/04_medical_image_denoising.ipynb).

* ``04-psnr`` — PSNR by hand, one value per image, matching scikit-image;
* ``04-median`` — tune a median filter's window on *validation* images;
* ``04-pairs`` — the noisy → clean training pairs and the Noise2Noise pairs;
* ``04-bottleneck`` — a bottleneck denoising autoencoder with the right output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Feedback, exercise


def _smooth_images(n: int, seed: int, lo: float = 0.2, hi: float = 0.8, size: int = 28) -> np.ndarray:
    """Smooth random 'scans' in [lo, hi] (blurred noise), shaped (n, size, size, 1)."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    x = gaussian_filter(rng.random((n, size, size)), sigma=(0, 2.5, 2.5))
    x = (x - x.min(axis=(1, 2), keepdims=True)) / np.ptp(x, axis=(1, 2), keepdims=True)
    return (lo + (hi - lo) * x)[..., None].astype("float32")


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------
# 04-psnr
# --------------------------------------------------------------------------------------
def _psnr_context() -> dict[str, Any]:
    from course_utils import data, metrics

    clean = _smooth_images(6, seed=0)
    return {
        "np": np,
        "data": data,
        "metrics": metrics,
        "x_val": clean,
        "noisy": data.add_noise(clean, "gaussian", 0.1, seed=1),
    }


@exercise(
    "04-psnr",
    "PSNR by hand, one value per image",
    '''
def my_psnr(clean, test, data_range=1.0):
    """PSNR in dB of every image in a batch (sample axis first)."""
    clean = np.asarray(clean, dtype=np.float64)
    test = np.asarray(test, dtype=np.float64)
    axes = tuple(range(1, clean.ndim))                  # every axis but the first: one MSE per image
    mse = np.mean((clean - test) ** 2, axis=axes)
    return 10 * np.log10(data_range ** 2 / mse)
''',
    _psnr_context,
)
def _check_psnr(fb: Feedback, my_psnr: Any) -> None:
    from skimage.metrics import peak_signal_noise_ratio

    fb.require_function(my_psnr, "my_psnr", "(clean, test, data_range=1.0)")
    clean = _smooth_images(5, seed=3)
    rng = np.random.default_rng(4)
    levels = np.array([0.03, 0.05, 0.1, 0.2, 0.3], "float32")[:, None, None, None]
    test = np.clip(clean + levels * rng.standard_normal(clean.shape).astype("float32"), 0, 1)
    reference = np.array([peak_signal_noise_ratio(c, t, data_range=1.0) for c, t in zip(clean, test)])
    value = np.asarray(my_psnr(clean, test), dtype=np.float64)
    if value.shape != reference.shape:
        fb.stop(
            f"my_psnr returned shape {value.shape} for a batch of {len(clean)} images; expected one PSNR per image, shape {reference.shape}",
            "average the squared error over every axis except the first: np.mean(..., axis=tuple(range(1, clean.ndim)))",
        )
    fb.ok("returns one PSNR per image")
    diff = value - reference
    if np.allclose(diff, 20 * np.log10(255.0), atol=0.05):
        fb.stop(
            f"your values are {diff.mean():.1f} dB above scikit-image's: the data range is wrong for images in [0, 1]",
            "the peak value is data_range (1.0 here), not 255 — use the data_range argument",
        )
    if np.allclose(value, 2 * reference, atol=0.05):
        fb.stop(
            "your values are twice scikit-image's: 20·log10 of a squared ratio counts the square twice",
            "PSNR = 10·log10(data_range² / MSE)  (or 20·log10(data_range / RMSE))",
        )
    fb.expect(
        bool(np.allclose(value, reference, atol=1e-3)),
        f"matches skimage.metrics.peak_signal_noise_ratio on 5 images ({value.min():.2f}–{value.max():.2f} dB)",
        f"your values {np.round(value, 2).tolist()} differ from scikit-image's {np.round(reference, 2).tolist()}",
        "PSNR = 10·log10(data_range² / MSE), with the MSE of each image on its own",
    )
    big = np.asarray(my_psnr(clean * 255.0, test * 255.0, data_range=255.0), dtype=np.float64)
    fb.expect(
        big.shape == reference.shape and bool(np.allclose(big, reference, atol=1e-3)),
        "uses its data_range argument (the same PSNR for the images scaled to 0–255 with data_range=255)",
        "with images in 0–255 and data_range=255 your PSNR changes; it should not",
        "put data_range into the formula instead of a fixed peak value",
    )


# --------------------------------------------------------------------------------------
# 04-median
# --------------------------------------------------------------------------------------
def _median_context() -> dict[str, Any]:
    from course_utils import baselines, data, metrics

    x_val, x_test = _smooth_images(24, seed=5), _smooth_images(24, seed=6)
    sp_val = data.add_noise(x_val, "salt_and_pepper", 0.1, seed=11)
    sp_test = data.add_noise(x_test, "salt_and_pepper", 0.1, seed=12)
    return {
        "np": np,
        "baselines": baselines,
        "metrics": metrics,
        "data": data,
        "x_val": x_val,
        "x_test": x_test,
        "sp_val": sp_val,
        "sp_test": sp_test,
        "SPLITS": {"validation": (sp_val, x_val), "test": (sp_test, x_test)},
    }


_MEDIAN_SIZES = (1, 3, 5, 7)


def _median_reference(noisy: np.ndarray, clean: np.ndarray) -> dict[int, float]:
    from course_utils import baselines, metrics

    return {s: float(np.mean(metrics.psnr(clean, baselines.denoise(noisy, "median", size=s)))) for s in _MEDIAN_SIZES}


@exercise(
    "04-median",
    "Tune a median filter on validation images",
    '''
def median_scores(noisy, clean, sizes=(1, 3, 5, 7)):
    """Mean PSNR (dB) of the median filter for every window size: {size: dB}."""
    scores = {}
    for size in sizes:
        denoised = baselines.denoise(noisy, "median", size=size)
        scores[size] = float(np.mean(metrics.psnr(clean, denoised)))
    return scores

scores = median_scores(sp_val, x_val)            # validation images: never the test split
median_size = max(scores, key=scores.get)        # the size with the HIGHEST PSNR
''',
    _median_context,
)
def _check_median(fb: Feedback, median_scores: Any, scores: Any, median_size: Any, SPLITS: Any) -> None:
    fb.require_function(median_scores, "median_scores", "(noisy, clean, sizes=(1, 3, 5, 7))", verb="complete")
    if not (isinstance(SPLITS, dict) and {"validation", "test"} <= set(SPLITS)):
        fb.stop(
            "SPLITS must be the lesson's {'validation': (noisy, clean), 'test': (noisy, clean)}",
            "re-run the cell that defines SPLITS (do not change it)",
        )
    from course_utils import data

    x_demo = _smooth_images(6, seed=9)
    sp_demo = data.add_noise(x_demo, "salt_and_pepper", 0.1, seed=10)
    mine = median_scores(sp_demo, x_demo, _MEDIAN_SIZES)
    if not isinstance(mine, dict) or sorted(mine) != list(_MEDIAN_SIZES):
        fb.stop(
            f"median_scores should return a dict {{size: mean PSNR}} for sizes {_MEDIAN_SIZES}, got {mine!r:.80}",
            "scores[size] = mean PSNR of baselines.denoise(noisy, 'median', size=size) against clean",
        )
    ref = _median_reference(sp_demo, x_demo)
    close = all(_as_float(mine[s]) is not None and abs(float(mine[s]) - ref[s]) < 0.02 for s in _MEDIAN_SIZES)
    if not close:
        fb.stop(
            "median_scores does not return the mean PSNR of the median filter: "
            f"got {[round(_as_float(mine[s]) or float('nan'), 3) for s in _MEDIAN_SIZES]}, expected {[round(ref[s], 2) for s in _MEDIAN_SIZES]} dB",
            "scores[size] = float(np.mean(metrics.psnr(clean, baselines.denoise(noisy, 'median', size=size))))",
        )
    fb.ok("median_scores computes the mean PSNR of every window size")
    if not isinstance(scores, dict) or sorted(scores) != list(_MEDIAN_SIZES):
        fb.stop(
            f"scores should be the dict median_scores returns for sizes {_MEDIAN_SIZES}, got {scores!r:.80}",
            "scores = median_scores(<noisy images>, <their clean versions>)",
        )
    val, test = (_median_reference(*map(np.asarray, SPLITS[k])) for k in ("validation", "test"))

    def matches(ref_scores: dict[int, float]) -> bool:
        return all(
            _as_float(scores[s]) is not None and abs(float(scores[s]) - ref_scores[s]) < 0.02 for s in _MEDIAN_SIZES
        )

    if matches(test) and not matches(val):
        fb.stop(
            "your scores come from the test split: choosing a setting on the test images makes the result look better than it is",
            "tune on the validation images (SPLITS['validation']); the test split is used once, for the final table",
        )
    if not matches(val):
        fb.stop("scores are not median_scores of the validation images", "scores = median_scores(sp_val, x_val)")
    fb.ok("tuned on the validation images")
    best = max(val, key=lambda size: val[size])
    if median_size == min(val, key=lambda size: val[size]) and median_size != best:
        fb.stop(
            f"median_size = {median_size} has the lowest PSNR; a higher PSNR is better",
            "median_size = max(scores, key=scores.get)",
        )
    fb.expect(
        median_size == best,
        f"median_size = {best}, the window with the highest validation PSNR",
        f"median_size = {median_size!r}, but the best validation PSNR is at size {best}",
        "median_size = max(scores, key=scores.get)",
    )


# --------------------------------------------------------------------------------------
# 04-pairs
# --------------------------------------------------------------------------------------
def _pairs_context() -> dict[str, Any]:
    return {"np": np, "x_train": _smooth_images(16, seed=7)}


def _check_one_pair(
    fb: Feedback, name: str, fn: Any, clean: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray] | None:
    fb.require_function(fn, name, "(clean, sigma, rng)", verb="complete")
    out = fn(clean.copy(), sigma, np.random.default_rng(0))
    if not (isinstance(out, tuple) and len(out) == 2):
        fb.stop(f"{name} should return a pair (inputs, targets), got {type(out).__name__}", "return inputs, targets")
    a, b = (np.asarray(o, dtype=np.float64) for o in out)
    if a.shape != clean.shape or b.shape != clean.shape:
        fb.stop(
            f"{name} returned shapes {a.shape} and {b.shape}; both should be {clean.shape}, like the clean batch",
            "add noise to the whole batch at once: clean + sigma * rng.standard_normal(clean.shape)",
        )
    for label, arr in (("inputs", a), ("targets", b)):
        if arr.min() < -1e-6 or arr.max() > 1 + 1e-6:
            fb.stop(
                f"{name}: the {label} have values outside [0, 1] ({arr.min():.2f} … {arr.max():.2f})",
                "a stored image is clipped: np.clip(noisy, 0, 1)",
            )
    return a, b


@exercise(
    "04-pairs",
    "Training pairs: noisy → clean, and Noise2Noise",
    '''
def noisy_to_clean_pairs(clean, sigma, rng):
    """(noisy input, clean target) for a batch of clean images."""
    noisy = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)
    return noisy, clean

def noise2noise_pairs(clean, sigma, rng):
    """(noisy copy A, independent noisy copy B): no clean target is ever used."""
    a = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)
    b = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)   # NEW noise, drawn again
    return a, b
''',
    _pairs_context,
)
def _check_pairs(fb: Feedback, noisy_to_clean_pairs: Any, noise2noise_pairs: Any) -> None:
    clean = _smooth_images(32, seed=8)
    sigma = 0.1
    c = clean.astype(np.float64)

    def noise_level(arr: np.ndarray) -> float:
        return float(np.std(arr - c))

    pair = _check_one_pair(fb, "noisy_to_clean_pairs", noisy_to_clean_pairs, clean, sigma)
    assert pair is not None
    a, b = pair
    if np.allclose(a, b):
        fb.fail(
            "noisy_to_clean_pairs: the target is the noisy input itself — the network would learn the identity "
            "and remove no noise (the syllabus' step 5)",
            "return noisy, clean",
        )
    elif np.allclose(b, c, atol=1e-6):
        fb.ok("noisy_to_clean_pairs: the target is the clean image")
    else:
        fb.fail(
            f"noisy_to_clean_pairs: the target differs from the clean image (noise level {noise_level(b):.3f})",
            "the target of a denoising autoencoder is the clean image, unchanged",
        )
    level = noise_level(a)
    if abs(level - sigma**2) < 0.003:
        fb.fail(
            f"noisy_to_clean_pairs: the input noise has standard deviation {level:.3f} ≈ σ² — σ is the standard deviation",
            "noise = sigma * rng.standard_normal(clean.shape)",
        )
    else:
        fb.expect(
            abs(level - sigma) < 0.015,
            f"noisy_to_clean_pairs: input noise level {level:.3f} ≈ σ = {sigma}",
            f"noisy_to_clean_pairs: input noise has standard deviation {level:.3f}, expected about σ = {sigma}",
            "noise = sigma * rng.standard_normal(clean.shape)",
        )

    pair = _check_one_pair(fb, "noise2noise_pairs", noise2noise_pairs, clean, sigma)
    assert pair is not None
    a, b = pair
    if np.allclose(b, c, atol=1e-6):
        fb.stop(
            "noise2noise_pairs: the target is the clean image — Noise2Noise needs no clean images; its target is a second noisy copy",
            "draw new noise for the target: b = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)",
        )
    if np.allclose(a, b):
        fb.stop(
            "noise2noise_pairs: input and target are the same noisy copy — the network would learn the identity "
            "(the syllabus' step 5), not a denoiser",
            "draw the target's noise again, independently of the input's",
        )
    na, nb = (a - c).ravel(), (b - c).ravel()
    corr = float(np.corrcoef(na, nb)[0, 1])
    fb.expect(
        abs(corr) < 0.1,
        f"noise2noise_pairs: the two copies have independent noise (correlation {corr:+.2f})",
        f"noise2noise_pairs: the noise of input and target is correlated ({corr:+.2f}); it must be independent",
        "call rng.standard_normal twice: one draw for the input, a new one for the target",
    )
    levels = (noise_level(a), noise_level(b))
    fb.expect(
        all(abs(v - sigma) < 0.015 for v in levels),
        f"noise2noise_pairs: both copies have noise level ≈ σ ({levels[0]:.3f}, {levels[1]:.3f})",
        f"noise2noise_pairs: noise standard deviations {levels[0]:.3f} and {levels[1]:.3f}, expected about σ = {sigma}",
        "noise = sigma * rng.standard_normal(clean.shape) for each copy",
    )


# --------------------------------------------------------------------------------------
# 04-bottleneck
# --------------------------------------------------------------------------------------
def _bottleneck_context() -> dict[str, Any]:
    import keras
    from keras import layers

    return {"np": np, "keras": keras, "layers": layers}


_BOTTLENECK_SOLUTION = """
inputs = keras.Input(shape=(28, 28, 1))
h = layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)
h = layers.MaxPooling2D(2)(h)                                            # 14×14
h = layers.Conv2D(8, 3, activation="relu", padding="same")(h)
code = layers.MaxPooling2D(2)(h)                                         # 7×7×8 = 392 numbers
h = layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same")(code)   # 14×14
h = layers.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same")(h)     # 28×28
outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)  # one channel in [0, 1]
my_denoiser = keras.Model(inputs, outputs)
"""


def _narrowest(model: Any) -> tuple[int, str]:
    """The smallest per-image size of any intermediate layer output, and that layer's name."""
    best = (10**9, "")
    for layer in model.layers[1:-1]:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        size = int(np.prod([d for d in shape[1:] if d is not None]))
        best = min(best, (size, layer.name))
    return best


@exercise(
    "04-bottleneck", "A bottleneck denoising autoencoder with a small code", _BOTTLENECK_SOLUTION, _bottleneck_context
)
def _check_bottleneck(fb: Feedback, my_denoiser: Any) -> None:
    import keras

    fb.require_model(my_denoiser, "my_denoiser", "my_denoiser = keras.Model(inputs, outputs)", what="a keras.Model")
    in_shape = tuple(my_denoiser.inputs[0].shape[1:]) if my_denoiser.inputs else None
    if in_shape != (28, 28, 1):
        fb.stop(
            f"my_denoiser takes inputs of shape {in_shape}; expected (28, 28, 1)",
            "inputs = keras.Input(shape=(28, 28, 1))",
        )
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    y = np.asarray(my_denoiser(x, training=False))
    if y.shape != x.shape:
        fb.stop(
            f"output shape {y.shape[1:]} for an input of shape (28, 28, 1): a denoiser returns an image of the input's shape",
            "end with layers.Conv2D(1, 3, activation='sigmoid', padding='same') after upsampling back to 28×28",
        )
    fb.ok("output shape (28, 28, 1), like the input")
    merges = [
        layer.name for layer in my_denoiser.layers if isinstance(layer, (keras.layers.Concatenate, keras.layers.Add))
    ]
    if merges:
        fb.fail(
            f"{merges[0]} is a skip connection: information can go around the bottleneck",
            "the plain bottleneck autoencoder has one path: Conv2D/MaxPooling down, Conv2DTranspose/UpSampling up",
        )
    size, where = _narrowest(my_denoiser)
    fb.expect(
        size <= 392,
        f"the narrowest layer ({where}) holds {size} numbers per image — a real bottleneck",
        f"the narrowest layer ({where}) holds {size} numbers per image, more than half of the 784 pixels",
        "pool twice (28 → 14 → 7) and keep at most 8 channels at 7×7 (7·7·8 = 392)",
    )
    last = my_denoiser.layers[-1]
    act = getattr(getattr(last, "activation", None), "__name__", "")
    big = np.asarray(my_denoiser(10.0 * x - 5.0, training=False))
    fb.expect(
        act == "sigmoid" and float(big.min()) >= 0.0 and float(big.max()) <= 1.0,
        "sigmoid output: every pixel in [0, 1], like the clean images",
        f"the last layer's activation is {act or type(last).__name__!r}; outputs can leave [0, 1] ({big.min():.2f} … {big.max():.2f})",
        "use activation='sigmoid' in the last Conv2D, as the clean target images lie in [0, 1]",
    )

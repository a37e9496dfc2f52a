"""The typical mistakes of 04-psnr, 04-median, 04-pairs, 04-bottleneck
(course_utils/exercises/medical_image_denoising.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake, edit

MISTAKES = {
    "04-psnr": (
        Mistake(
            "def my_psnr(clean, test, data_range=1.0):\n"
            "    mse = np.mean((clean - test) ** 2, axis=(1, 2, 3))\n"
            "    return 10 * np.log10(255 ** 2 / mse)",
            "data range",
            "the peak value of 8-bit images (255) for images scaled to [0, 1]",
        ),
        Mistake(
            "def my_psnr(clean, test, data_range=1.0):\n"
            "    return 10 * np.log10(data_range ** 2 / np.mean((clean - test) ** 2))",
            "one PSNR per image",
            "one MSE over the whole batch instead of one per image",
        ),
        Mistake(
            "def my_psnr(clean, test, data_range=1.0):\n"
            "    mse = np.mean((clean - test) ** 2, axis=(1, 2, 3))\n"
            "    return 20 * np.log10(data_range ** 2 / mse)",
            "20·log10",
            "20·log10 of a squared ratio (the factor 20 belongs to the RMSE form)",
        ),
    ),
    "04-median": (
        Mistake(
            "def median_scores(noisy, clean, sizes=(1, 3, 5, 7)):\n"
            "    return {s: float(np.mean(metrics.psnr(clean, baselines.denoise(noisy, 'median', size=s)))) for s in sizes}\n"
            "scores = median_scores(sp_test, x_test)\n"
            "median_size = max(scores, key=scores.get)",
            "test split",
            "tuned on the test images",
        ),
        Mistake(
            "def median_scores(noisy, clean, sizes=(1, 3, 5, 7)):\n"
            "    return {s: float(np.mean(metrics.psnr(clean, baselines.denoise(noisy, 'median', size=s)))) for s in sizes}\n"
            "scores = median_scores(sp_val, x_val)\n"
            "median_size = min(scores, key=scores.get)",
            "lowest PSNR",
            "picked the worst size (min instead of max)",
        ),
        Mistake(
            "def median_scores(noisy, clean, sizes=(1, 3, 5, 7)):\n"
            "    return {s: float(np.mean((clean - baselines.denoise(noisy, 'median', size=s)) ** 2)) for s in sizes}\n"
            "scores = median_scores(sp_val, x_val)\n"
            "median_size = min(scores, key=scores.get)",
            "does not return the mean PSNR",
            "scored with the MSE instead of the PSNR",
        ),
    ),
    "04-pairs": (
        Mistake(
            "def noisy_to_clean_pairs(clean, sigma, rng):\n"
            "    return np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1), clean\n"
            "def noise2noise_pairs(clean, sigma, rng):\n"
            "    a = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)\n"
            "    return a, a",
            "identity",
            "Noise2Noise target = the same noisy copy (the syllabus' step 5)",
        ),
        Mistake(
            "def noisy_to_clean_pairs(clean, sigma, rng):\n"
            "    noisy = np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1)\n"
            "    return noisy, noisy\n"
            "def noise2noise_pairs(clean, sigma, rng):\n"
            "    return (np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1),\n"
            "            np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1))",
            "identity",
            "noisy → clean with the noisy image as target",
        ),
        Mistake(
            "def noisy_to_clean_pairs(clean, sigma, rng):\n"
            "    return np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1), clean\n"
            "def noise2noise_pairs(clean, sigma, rng):\n"
            "    return np.clip(clean + sigma * rng.standard_normal(clean.shape), 0, 1), clean",
            "needs no clean images",
            "Noise2Noise with the clean image as target",
        ),
        Mistake(
            "def noisy_to_clean_pairs(clean, sigma, rng):\n"
            "    return np.clip(clean + sigma ** 2 * rng.standard_normal(clean.shape), 0, 1), clean\n"
            "def noise2noise_pairs(clean, sigma, rng):\n"
            "    return (np.clip(clean + sigma ** 2 * rng.standard_normal(clean.shape), 0, 1),\n"
            "            np.clip(clean + sigma ** 2 * rng.standard_normal(clean.shape), 0, 1))",
            "standard deviation",
            "sigma² (the variance) used as the standard deviation",
        ),
        Mistake(
            "def noisy_to_clean_pairs(clean, sigma, rng):\n"
            "    return clean + sigma * rng.standard_normal(clean.shape), clean\n"
            "def noise2noise_pairs(clean, sigma, rng):\n"
            "    return clean + sigma * rng.standard_normal(clean.shape), clean + sigma * rng.standard_normal(clean.shape)",
            "outside [0, 1]",
            "forgot to clip",
        ),
    ),
    "04-bottleneck": (
        Mistake(
            edit("04-bottleneck", ('activation="sigmoid"', 'activation="relu"')),
            "sigmoid",
            "ReLU output: values above 1 and no upper bound",
        ),
        Mistake(
            edit("04-bottleneck", ("outputs = layers.Conv2D(1,", "outputs = layers.Conv2D(16,")),
            "output shape",
            "16 output channels instead of 1",
        ),
        Mistake(
            edit(
                "04-bottleneck",
                ("code = layers.MaxPooling2D(2)(h)", "code = h"),
                ("(code)   # 14×14", "(code)   # 28×28"),
                ("h = layers.Conv2DTranspose(16, 3, strides=2,", "h = layers.Conv2DTranspose(16, 3, strides=1,"),
            ),
            "more than half",
            "only one pooling step: the code (14×14×8) is larger than the image",
        ),
        Mistake(
            edit(
                "04-bottleneck",
                (
                    'outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)',
                    "h = layers.Concatenate()([h, inputs])\n"
                    'outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same")(h)',
                ),
            ),
            "skip connection",
            "a skip connection from the input around the bottleneck",
        ),
    ),
}

"""Measuring how digit-like generated images are, and latent-space helpers.

Taught in: 05_variational_autoencoders (is a VAE really generative where a plain autoencoder
is not?) and used by 06_project_ideas (latent-space exploration in the drug-discovery starter).

A picture of generated digits is easy to over-read, so lesson 05 *measures* sample quality
with two independent yardsticks:

* **A digit classifier's opinion** — :func:`build_digit_classifier` /
  :func:`train_digit_classifier` train a small classifier on real digits;
  :func:`classifier_confidence` reports its mean top-class probability (high = it sees a clear
  digit), the mean entropy of its prediction (low = clear digit; ``log(10) ≈ 2.30`` = no idea),
  and the entropy of the *average* prediction (high = the samples cover many classes, low = they
  all look like the same digit).  Classifiers can be over-confident on odd inputs, so this is
  never the only yardstick.
* **Distance to real data** — :func:`nearest_neighbour_distance` gives, for each sample, the
  Euclidean distance to the closest real image: samples that look like digits lie close to some
  real digit; blobs and noise lie far from all of them.

:func:`sample_quality` combines both into one row of a results table.  :func:`interpolate` and
:func:`random_codes_like` produce latent codes to decode: straight lines between two codes, and
random codes that imitate the per-unit statistics of real codes (the fair way to "sample" from a
plain autoencoder, which has no prior).  :func:`kl_per_unit` shows which latent units of a VAE
carry information (the rest have collapsed onto the prior — more of them as ``beta`` grows).

Bad input raises ``ValueError`` with a message saying what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._checks import input_shape as check_input_shape
from ._checks import int_at_least, is_real, positive_float, positive_int, sizes
from ._checks import seed as check_seed
from .runtime import forget_traced_steps

__all__ = [
    "build_digit_classifier",
    "train_digit_classifier",
    "predict_proba",
    "classifier_confidence",
    "nearest_neighbour_distance",
    "sample_quality",
    "interpolate",
    "random_codes_like",
    "kl_per_unit",
]


# --------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------
def _batch(x: ArrayLike, name: str, *, flatten: bool = True) -> np.ndarray:
    """A finite float32 array of samples (first axis), flattened to ``(N, D)`` if asked."""
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array of samples, got {type(x).__name__}") from exc
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty batch of samples shaped (N, ...), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr.reshape(len(arr), -1) if flatten else arr


# --------------------------------------------------------------------------------------
# the judge: a small digit classifier
# --------------------------------------------------------------------------------------
def build_digit_classifier(
    input_shape: Sequence[int] | int = (784,),
    n_classes: int = 10,
    hidden: Sequence[int] | int = (256,),
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    seed: int | None = None,
) -> Any:
    """A small compiled Keras classifier (softmax output) for flat or ``(28, 28, 1)`` digits.

    Used by :func:`train_digit_classifier` (the judge of sample quality).

    (Flatten) -> [Dense(units, relu) -> Dropout(dropout)] for each entry of ``hidden`` ->
    Dense(n_classes, softmax); Adam, sparse categorical cross-entropy, accuracy.  The default
    (784-256-10, ~200k weights) reaches about 95-97 % test accuracy on 8000 MNIST digits in a
    few epochs.  ``seed`` fixes the initial weights and the dropout masks.
    """
    import keras
    from keras import layers

    shape = check_input_shape(input_shape)
    n_classes = int_at_least("n_classes", n_classes, 2)
    units_per_layer = sizes("hidden", hidden, allow_empty=True)
    if not is_real(dropout) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    learning_rate = positive_float("learning_rate", learning_rate)
    seed = check_seed(seed)

    def sub_seed(i: int) -> int | None:
        if seed is None:
            return None
        return int(np.random.SeedSequence([seed, i]).generate_state(1)[0] % (2**31 - 1))

    x_in = keras.Input(shape=shape, name="image")
    h = layers.Flatten(name="flatten")(x_in) if len(shape) > 1 else x_in
    for i, units in enumerate(units_per_layer):
        h = layers.Dense(
            units,
            activation="relu",
            name=f"dense_{i + 1}",
            kernel_initializer=keras.initializers.GlorotUniform(seed=sub_seed(2 * i)),
        )(h)
        if dropout > 0:
            h = layers.Dropout(dropout, seed=sub_seed(2 * i + 1), name=f"dropout_{i + 1}")(h)
    out = layers.Dense(
        n_classes,
        activation="softmax",
        name="class_probabilities",
        kernel_initializer=keras.initializers.GlorotUniform(seed=sub_seed(999)),
    )(h)
    model = keras.Model(x_in, out, name="digit_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _labels(y: ArrayLike, n: int, n_classes: int, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise ValueError(f"{name} must hold one integer label per image, shape ({n},), got {arr.shape}")
    if not (
        np.issubdtype(arr.dtype, np.integer) or (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)))
    ):
        raise ValueError(f"{name} must be integer class labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n_classes:
        raise ValueError(f"{name} must lie in [0, {n_classes - 1}], got values in [{arr.min()}, {arr.max()}]")
    return arr


def train_digit_classifier(
    x: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int = 5,
    batch_size: int = 128,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    hidden: Sequence[int] | int = (256,),
    n_classes: int = 10,
    seed: int | None = 0,
    verbose: str | int | bool = 0,
) -> tuple[Any, dict[str, float]]:
    """Build and train :func:`build_digit_classifier` on images ``x`` with labels ``y``.

    Taught in: 05_variational_autoencoders.  Training is ``model.fit`` on batches streamed by
    :func:`course_utils.training.make_dataset` (one line per epoch if ``verbose``).
    Returns ``(model, info)`` where ``info`` has ``"train_accuracy"`` and, with
    ``validation_data=(x_val, y_val)``, ``"val_accuracy"`` — the judge must be good at
    recognising real digits before its opinion on generated ones means anything.
    """
    from .training import EpochLogger, make_dataset

    xa = _batch(x, "x", flatten=False)
    n_classes = positive_int("n_classes", n_classes)
    ya = _labels(y, len(xa), n_classes, "y")
    if len(np.unique(ya)) < 2:
        raise ValueError("y must contain at least two different classes")
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        xv = _batch(validation_data[0], "x_val", flatten=False)
        if xv.shape[1:] != xa.shape[1:]:
            raise ValueError(f"x_val images must be shaped like x's {xa.shape[1:]}, got {xv.shape[1:]}")
        yv = _labels(validation_data[1], len(xv), n_classes, "y_val")
        val = (xv, yv)
    model = build_digit_classifier(xa.shape[1:], n_classes=n_classes, hidden=hidden, seed=seed)
    epochs = positive_int("epochs", epochs)
    batches = make_dataset(xa, ya, batch_size=batch_size, shuffle=True, seed=seed)
    model.fit(
        batches, epochs=epochs, shuffle=False, verbose=0, callbacks=[EpochLogger(epochs, print_lines=bool(verbose))]
    )
    # The compiled training function is not needed to classify; dropping it saves memory (Binder).
    forget_traced_steps(model)
    info = {"train_accuracy": _accuracy(model, xa, ya)}
    if val is not None:
        info["val_accuracy"] = _accuracy(model, *val)
    return model, info


def predict_proba(classifier: Any, images: ArrayLike, batch_size: int = 512) -> np.ndarray:
    """Class probabilities ``(N, n_classes)`` of ``images`` under a Keras ``classifier``.

    Taught in: 06_project_ideas.  Images are reshaped to the classifier's input
    shape (flat ``(N, 784)`` and ``(N, 28, 28, 1)`` are interchangeable).
    """
    from keras import ops

    arr = _batch(images, "images", flatten=False)
    if not hasattr(classifier, "input_shape"):
        raise ValueError(f"classifier must be a Keras model, got {type(classifier).__name__}")
    shape = tuple(classifier.input_shape[1:])
    if int(np.prod(arr.shape[1:])) != int(np.prod(shape)):
        raise ValueError(f"images of shape {arr.shape[1:]} do not fit the classifier's input shape {shape}")
    arr = arr.reshape((len(arr), *shape))
    batch_size = positive_int("batch_size", batch_size)
    out = [
        ops.convert_to_numpy(classifier(arr[i : i + batch_size], training=False))
        for i in range(0, len(arr), batch_size)
    ]
    probs = np.concatenate(out).astype(np.float64)
    if probs.ndim != 2 or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3) or probs.min() < -1e-6:
        raise ValueError("classifier must output class probabilities (a softmax layer), one row per image")
    return probs


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predict_proba(model, x).argmax(axis=1) == y))


def _entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0)
    return -np.sum(p * np.log(p), axis=-1)


def classifier_confidence(classifier: Any, images: ArrayLike, *, threshold: float = 0.9) -> dict[str, float]:
    """How sure a digit classifier is about ``images`` — high confidence means "looks like a digit".

    Used by :func:`sample_quality`.  Returns a dict:

    * ``"mean_max_prob"`` — mean over images of the top class probability (1/n_classes … 1);
    * ``"mean_entropy"`` — mean entropy of each prediction in nats (0 = certain,
      ``log(n_classes)`` = clueless);
    * ``"confident_fraction"`` — fraction of images whose top probability is ``>= threshold``;
    * ``"class_entropy"`` — entropy of the average prediction: ``log(10) ≈ 2.30`` when the
      images spread evenly over the ten digits, near 0 when they all look like one digit;
    * ``"n"`` — number of images.
    """
    if not is_real(threshold) or not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be a probability in (0, 1], got {threshold!r}")
    probs = predict_proba(classifier, images)
    top = probs.max(axis=1)
    return {
        "mean_max_prob": float(top.mean()),
        "mean_entropy": float(_entropy(probs).mean()),
        "confident_fraction": float(np.mean(top >= threshold)),
        "class_entropy": float(_entropy(probs.mean(axis=0))),
        "n": int(len(probs)),
    }


# --------------------------------------------------------------------------------------
# distance to real data
# --------------------------------------------------------------------------------------
def nearest_neighbour_distance(
    samples: ArrayLike, reference: ArrayLike, *, chunk: int = 256, exclude_self: bool = False
) -> np.ndarray:
    """Euclidean distance from each sample to its nearest reference sample, shape ``(N,)``.

    Taught in: 06_project_ideas.  Samples and reference images are flattened and
    must have the same number of values.  Computed in float64 on blocks of ``chunk`` samples
    against at most ``max(chunk, 2048)`` reference images at a time, so memory stays small
    (a few MB) even for large reference sets.  ``exclude_self=True`` (when ``samples`` *is*
    the reference set) skips zero distances of each sample to itself — use a separate set of
    real images instead whenever you can.
    """
    s = _batch(samples, "samples")
    r = _batch(reference, "reference")
    if s.shape[1] != r.shape[1]:
        raise ValueError(f"samples have {s.shape[1]} values each but reference images have {r.shape[1]}")
    chunk = positive_int("chunk", chunk)
    ref_chunk = max(chunk, 2048)
    out = np.empty(len(s))
    for start in range(0, len(s), chunk):
        block = s[start : start + chunk].astype(np.float64)
        b_sq = np.einsum("ij,ij->i", block, block)[:, None]
        best = np.full(len(block), np.inf)
        for r_start in range(0, len(r), ref_chunk):  # reference in pieces: memory stays small
            ref = r[r_start : r_start + ref_chunk].astype(np.float64)
            d2 = b_sq - 2.0 * (block @ ref.T)
            d2 += np.einsum("ij,ij->i", ref, ref)[None, :]
            np.maximum(d2, 0.0, out=d2)
            if exclude_self:
                d2[d2 <= 1e-12] = np.inf
            best = np.minimum(best, d2.min(axis=1))
        out[start : start + chunk] = np.sqrt(best)
    return out


def sample_quality(classifier: Any, samples: ArrayLike, reference: ArrayLike) -> dict[str, float]:
    """One results-table row: :func:`classifier_confidence` plus nearest-neighbour distances.

    Taught in: 05_variational_autoencoders.  Adds ``"nn_distance_mean"`` and
    ``"nn_distance_median"`` (Euclidean, in pixel units of ``[0, 1]`` images) to the
    classifier's numbers.  Use a ``reference`` set the samples were not drawn from.
    """
    row = classifier_confidence(classifier, samples)
    d = nearest_neighbour_distance(samples, reference)
    row["nn_distance_mean"] = float(d.mean())
    row["nn_distance_median"] = float(np.median(d))
    return row


# --------------------------------------------------------------------------------------
# latent codes
# --------------------------------------------------------------------------------------
def _code(z: ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric latent code, got {type(z).__name__}") from exc
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be one latent code shaped (latent_dim,), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def interpolate(z_a: ArrayLike, z_b: ArrayLike, steps: int = 10) -> np.ndarray:
    """``steps`` codes on the straight line from ``z_a`` to ``z_b`` (both ends included).

    Taught in: 05_variational_autoencoders (decode them to morph one digit into another).
    Returns float32 ``(steps, latent_dim)``; row 0 is ``z_a`` and the last row ``z_b``.
    """
    a, b = _code(z_a, "z_a"), _code(z_b, "z_b")
    if a.shape != b.shape:
        raise ValueError(f"z_a and z_b must have the same length, got {a.size} and {b.size}")
    steps = positive_int("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two end points), got {steps}")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return ((1.0 - t) * a[None, :] + t * b[None, :]).astype(np.float32)


def random_codes_like(codes: ArrayLike, n: int, seed: int | None = None, *, clip: bool = True) -> np.ndarray:
    """``n`` random codes with the per-unit mean and standard deviation of real ``codes``.

    Taught in: 05_variational_autoencoders.  A plain autoencoder has no prior to sample from;
    the fairest guess is to draw each code unit independently from a normal distribution with
    that unit's observed mean and standard deviation.  ``clip=True`` keeps each unit inside the
    range seen in ``codes`` (e.g. never negative for ReLU codes).  What this misses — the
    *dependence* between units — is exactly what makes decoded random codes fail to look like
    digits.  Returns float32 ``(n, code_dim)``; the same ``seed`` gives the same codes.
    """
    c = _batch(codes, "codes")
    if len(c) < 2:
        raise ValueError("codes must contain at least two real codes to estimate each unit's spread")
    n = positive_int("n", n)
    rng = np.random.default_rng(check_seed(seed))
    mean, std = c.mean(axis=0), c.std(axis=0)
    out = rng.normal(mean, std, size=(n, c.shape[1]))
    if clip:
        out = np.clip(out, c.min(axis=0), c.max(axis=0))
    return out.astype(np.float32)


def kl_per_unit(z_mean: ArrayLike, z_log_var: ArrayLike) -> np.ndarray:
    """Mean ``KL(q(z_j|x) || N(0, 1))`` of each latent unit ``j`` over a batch, in nats, shape ``(latent_dim,)``.

    Taught in: 05_variational_autoencoders (what beta trades off).  Pass ``vae.encode(x)``'s
    two arrays.  A unit whose KL is near 0 ignores its input (its posterior *is* the prior): it
    is "inactive".  The sum over units is the VAE's ``kl_loss``.  Units above ~0.05 nats are
    usually counted as active.  Computed with the lesson's ``kl_divergence`` (one formula, one place).
    """
    from keras import ops

    from .lessons.variational_autoencoders import kl_divergence  # the formula's one home: lesson 05

    mu = _batch(z_mean, "z_mean").astype(np.float64)
    lv = _batch(z_log_var, "z_log_var").astype(np.float64)
    if mu.shape != lv.shape:
        raise ValueError(f"z_mean and z_log_var must have the same shape, got {mu.shape} and {lv.shape}")
    # one latent unit per row: kl_divergence sums over the units of a row, here just that one unit
    per_unit = ops.convert_to_numpy(kl_divergence(mu.reshape(-1, 1), lv.reshape(-1, 1)))
    return np.asarray(per_unit, dtype=np.float64).reshape(mu.shape).mean(axis=0)

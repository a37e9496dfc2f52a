"""Measure the peak memory (RSS) of a 3-epoch dense-autoencoder run on 60k x 784 inputs.

Usage (from the repository root):

    .venv/bin/python tools/memcheck_train.py                 # through course_utils.training.train
    .venv/bin/python tools/memcheck_train.py --feed fit      # plain model.fit(x, x) for comparison
    .venv/bin/python tools/memcheck_train.py --limit-gb 1.0  # exit 1 if the peak exceeds 1 GB

The inputs are synthetic float32 values in [0, 1] shaped like flattened MNIST (60,000 x 784,
188 MB); the model is the seed's 784-32-784 autoencoder.  Peak RSS is the high-water mark of the
whole process (``course_utils.runtime.peak_rss_mb``, MB = 10**6 bytes), which includes Python,
TensorFlow, the array itself and everything training allocates.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's course_utils

import numpy as np

from course_utils import models, runtime, training


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60_000, help="number of samples (default 60000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (default 3)")
    parser.add_argument("--batch-size", type=int, default=128, help="batch size (default 128)")
    parser.add_argument(
        "--feed",
        choices=("train", "fit"),
        default="train",
        help="'train': course_utils.training.train (default); 'fit': model.fit(x, x) on the array",
    )
    parser.add_argument("--limit-gb", type=float, default=None, help="exit with status 1 if the peak exceeds this")
    args = parser.parse_args(argv)

    after_import = runtime.peak_rss_mb()
    rng = np.random.default_rng(0)
    x = rng.random((args.n, 784), dtype=np.float32)
    model = models.build_dense_autoencoder(seed=0)
    before = runtime.peak_rss_mb()
    start = time.perf_counter()
    if args.feed == "train":
        history = training.train(model, x, epochs=args.epochs, batch_size=args.batch_size, seed=0, verbose=0)
    else:
        history = model.fit(x, x, epochs=args.epochs, batch_size=args.batch_size, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    peak = runtime.peak_rss_mb()
    print(
        f"feed: {args.feed}  data: {args.n} x 784 float32 ({x.nbytes / 1e6:.0f} MB)  "
        f"epochs: {args.epochs}  batch: {args.batch_size}  time: {seconds:.1f} s  "
        f"final loss: {history.history['loss'][-1]:.4f}"
    )
    print(
        f"peak RSS after imports: {after_import:.0f} MB; before training: {before:.0f} MB; "
        f"after training: {peak:.0f} MB ({peak / 1000:.2f} GB); current RSS: {runtime.current_rss_mb():.0f} MB"
    )
    if args.limit_gb is not None and peak / 1000 > args.limit_gb:
        print(f"FAIL: peak RSS {peak / 1000:.2f} GB exceeds the limit of {args.limit_gb} GB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

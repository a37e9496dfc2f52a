"""Section 3 -- quality: each lesson's autoencoders against their classical baselines, built by the
lessons' own code (``course_utils.lessons.*``, exported from the notebooks' ``#@save`` cells) and
trained with the lessons' recipes (one module per lesson; lesson 04 has its own section, 6)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from ...report import check, log
from ...settings import Settings
from .. import result
from . import breast_cancer, generative, mnist

Part = Callable[[Settings], tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
PARTS: list[tuple[str, Part]] = [
    ("MNIST variants vs PCA-32", mnist.run),
    ("breast cancer vs PCA-7", breast_cancer.run_reconstruction),
    ("anomaly detection", breast_cancer.run_anomaly),
    ("VAE vs plain AE", generative.run),
]


def run(s: Settings) -> dict[str, Any]:
    """Section 3: every part's table and checks; a failing part is reported, the others still run."""
    tf.get_logger().setLevel("ERROR")  # retracing warnings of every new small model stay out of the log
    tables: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    notes: list[str] = []
    summaries: list[str] = []
    data_out: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, part in PARTS:
        try:
            t, c, extra = part(s)
        except Exception as exc:  # noqa: BLE001 - one failing table must not hide the others
            log(f"quality/{name}: FAILED: {exc!r}")
            checks.append(check(f"{name}: computed", f"FAILED: {type(exc).__name__}: {exc}", False))
            notes.append(f"{name} failed:\n{traceback.format_exc(limit=3)}")
            continue
        tables.append(t)
        checks.extend(c)
        summaries.append(extra.pop("summary", name))
        for key, value in extra.pop("sources", {}).items():
            sources.setdefault(key, value)
        data_out.update(extra)
    n_met = sum(1 for c in checks if c["met"])
    summary = f"{n_met}/{len(checks)} checks met; " + "; ".join(summaries)
    return result(checks, tables, summary, notes=notes, data=data_out, sources=sources)

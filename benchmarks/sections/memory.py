"""Section 2 -- peak memory of every lesson notebook's kernel, in fast and in student mode
(``tools/run_notebooks.py``, the runner behind ``make run-all``)."""

from __future__ import annotations

from typing import Any

from ..report import check, column, table
from ..settings import GIB_MB, Settings
from . import notebooks


def run(s: Settings) -> dict[str, Any]:
    """Section 2: the peak memory of every lesson notebook's kernel, per mode."""
    runs = notebooks.runs(s)
    names: list[str] = []
    for run in runs.values():
        for r in run["results"]:
            if r["notebook"] not in names:
                names.append(r["notebook"])
    rows = []
    for name in names:
        row: dict[str, Any] = {"notebook": name}
        for mode, run in runs.items():
            r = next((r for r in run["results"] if r["notebook"] == name), None)
            if r is not None:
                row[f"{mode}_mb"] = r["peak_rss_mb"]
                row[f"{mode}_ok"] = "ok" if r["ok"] else f"FAILED: {r['error']}"
        rows.append(row)
    cols = [column("notebook", "Notebook")]
    checks = []
    for mode in ("student", "fast"):
        cols += [column(f"{mode}_mb", f"{mode} mode peak MB"), column(f"{mode}_ok", f"{mode} run")]
        run = runs.get(mode)
        if run is None:
            checks.append(
                check(
                    f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB",
                    f"not measured ({s.mode} mode skips {mode}-mode notebook runs)",
                    None,
                )
            )
        elif run.get("problem"):
            checks.append(
                check(
                    f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB", f"not measured: {run['problem']}", None
                )
            )
        else:
            worst = max(run["results"], key=lambda r: r["peak_rss_mb"])
            failed = [r["notebook"] for r in run["results"] if not r["ok"]]
            met = worst["peak_rss_mb"] <= GIB_MB
            measured = f"max {worst['peak_rss_mb']} MB ({worst['notebook']})"
            if failed:
                measured += f"; FAILED to run: {', '.join(failed)}"
            checks.append(check(f"{mode} mode: every notebook's peak kernel RSS <= 1.0 GiB", measured, met))
    t = table("Peak resident memory of the notebook's kernel (MB = 10^6 bytes)", cols, rows)
    parts = []
    for mode in ("student", "fast"):
        run = runs.get(mode)
        if run and run["results"]:
            worst = max(run["results"], key=lambda r: r["peak_rss_mb"])
            parts.append(f"{mode} mode max {worst['peak_rss_mb']} MB ({worst['notebook'].split('_')[0]})")
        else:
            parts.append(f"{mode} mode not measured")
    notes = [
        "Measured by tools/run_notebooks.py (the `make run-all` runner): the larger of the kernel process "
        "tree's resident memory polled every 0.2 s and the kernel's own high-water mark "
        f"(course_utils.runtime.peak_rss_mb); 1.0 GiB = {GIB_MB:.0f} MB."
    ]
    dirty = sorted({n for run in runs.values() for n in run.get("uncommitted_notebooks", [])})
    if dirty:
        notes.append(
            "The working tree was run; these notebooks had uncommitted changes at the time: " + ", ".join(dirty) + "."
        )
    return {
        "summary": "; ".join(parts),
        "checks": checks,
        "tables": [t],
        "notes": notes,
        "data": dict(runs),
        "seconds": notebooks.seconds(runs),
    }

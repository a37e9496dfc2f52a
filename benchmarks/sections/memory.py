"""Section 2 -- peak memory of every lesson notebook's kernel, in fast and in student mode
(``tools/run_notebooks.py``, the runner behind ``make run-all``); and whether each notebook runs to the
end with its kernel under a real memory limit (``tools/memory_limit.py``: a cgroup, as Binder enforces)."""

from __future__ import annotations

from typing import Any

from ..report import check, table
from ..settings import GIB_MB, Settings
from . import notebooks, result


def run(s: Settings) -> dict[str, Any]:
    """Section 2: the peak memory of every lesson notebook's kernel, per mode."""
    runs = notebooks.runs(s)
    limited = notebooks.runs(s, limit_mb=s.memory_limit_mb) if s.memory_limit_mb else {}
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
            lr = next((r for r in limited.get(mode, {}).get("results", []) if r["notebook"] == name), None)
            if lr is not None:
                row[f"{mode}_limited"] = _limited_cell(lr)
        rows.append(row)
    cols = [("notebook", "Notebook")]
    checks = []
    for mode in ("student", "fast"):
        cols += [(f"{mode}_mb", f"{mode} mode peak MB"), (f"{mode}_ok", f"{mode} run")]
        if limited.get(mode, {}).get("memory_limit_mb"):
            cols.append((f"{mode}_limited", f"{mode} mode under a {s.memory_limit_mb:.0f} MB limit"))
        if s.memory_limit_mb and mode in runs:
            checks.append(_limit_check(mode, s.memory_limit_mb, limited.get(mode), runs[mode]))
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
        f"(course_utils.runtime.peak_rss_mb); 1.0 GiB = {GIB_MB:.0f} MB.",
        "RSS over-counts what a memory limit counts: ~390 MB of a kernel's RSS are pages of TensorFlow's "
        "shared libraries, clean file pages that Linux drops and reads again at the limit (and that two "
        "kernels share). What cannot be dropped is anonymous memory: past the limit the kernel is killed, as "
        "on Binder. So each notebook is also run with its kernel under a real limit (a memory cgroup, page "
        "cache dropped first; needs Linux and root): 'ok' there means it ran to the end and nothing was killed; "
        "the seconds show whether the limit slowed it down, and the RSS under the limit is lower than without.",
    ]
    dirty = sorted({n for run in runs.values() for n in run.get("uncommitted_notebooks", [])})
    if dirty:
        notes.append(
            "The working tree was run; these notebooks had uncommitted changes at the time: " + ", ".join(dirty) + "."
        )
    return result(
        checks,
        [t],
        "; ".join(parts),
        notes=notes,
        data={**runs, **{f"{mode} under a limit": run for mode, run in limited.items()}},
        seconds=notebooks.seconds(runs) + notebooks.seconds(limited),
    )


def _limited_cell(r: dict[str, Any]) -> str:
    """One notebook's run under the limit: ok / killed / failed, its time and its RSS there."""
    enforced = r.get("enforced") or {}
    if enforced.get("oom_kills"):
        state = "KILLED at the limit"
    else:
        state = "ok" if r["ok"] else f"FAILED: {r['error']}"
    return f"{state} ({r['seconds']:.0f} s, RSS {r['peak_rss_mb']} MB)"


def _limit_check(mode: str, limit_mb: float, run: dict[str, Any] | None, free: dict[str, Any]) -> dict[str, Any]:
    goal = f"{mode} mode: every notebook runs to the end with its kernel under a real {limit_mb:,.0f} MB limit"
    if run is None or run.get("problem"):
        return check(goal, f"not measured: {(run or {}).get('problem', 'no run')}", None)
    if not run.get("memory_limit_mb"):
        return check(
            goal, "not measured: this machine cannot enforce a memory limit (needs Linux, root, cgroups)", None
        )
    res = run["results"]
    killed = [r["notebook"] for r in res if (r.get("enforced") or {}).get("oom_kills")]
    failed = [r["notebook"] for r in res if not r["ok"] and r["notebook"] not in killed]
    limited_s, free_s = sum(r["seconds"] for r in res), sum(r["seconds"] for r in free.get("results", []))
    measured = f"{len(res) - len(killed) - len(failed)}/{len(res)} ran to the end in {limited_s:.0f} s (no limit: {free_s:.0f} s)"
    if killed:
        measured += f"; killed: {', '.join(killed)}"
    if failed:
        measured += f"; failed: {', '.join(failed)}"
    return check(goal, measured, not killed and not failed)

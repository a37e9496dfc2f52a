"""Section 5 -- the whole course: ``make run-all`` wall time in fast and in student mode (the same
notebook runs as section 2)."""

from __future__ import annotations

from typing import Any

from ..report import check, table
from ..settings import RUNALL_GOALS, Settings
from . import notebooks, result


def run(s: Settings) -> dict[str, Any]:
    """Section 5: the wall time of running every lesson notebook headless, per mode."""
    runs = notebooks.runs(s)
    rows, checks = [], []
    for mode in ("fast", "student"):
        goal = RUNALL_GOALS[mode]
        run = runs.get(mode)
        text = f"`make run-all` in {mode} mode <= {goal:.0f} s"
        if run is None:
            checks.append(check(text, f"not measured ({s.mode} mode skips {mode}-mode notebook runs)", None))
            continue
        if run.get("problem"):
            checks.append(check(text, f"not measured: {run['problem']}", None))
            continue
        ok = all(r["ok"] for r in run["results"])
        wall = run["wall_seconds"]
        rows.append(
            {
                "mode": mode,
                "notebooks": len(run["results"]),
                "wall_seconds": wall,
                "sum_seconds": run.get("total_seconds"),
                "all_ok": "yes" if ok else "NO",
                "goal_seconds": goal,
            }
        )
        measured = f"{wall:.0f} s for {len(run['results'])} notebooks" + ("" if ok else " (some notebooks FAILED)")
        checks.append(check(text, measured, bool(ok and wall <= goal)))
    t = table(
        "Executing every lesson notebook headless (tools/run_notebooks.py)",
        [
            ("mode", "Mode"),
            ("notebooks", "Notebooks"),
            ("wall_seconds", "Wall s", ".0f"),
            ("sum_seconds", "Sum of notebooks s", ".0f"),
            ("all_ok", "All ran"),
            ("goal_seconds", "Goal s", ".0f"),
        ],
        rows,
        note="Wall time of the whole command (Python start-up, one fresh kernel per notebook); "
        "the per-notebook times are in section 2's JSON.",
    )
    summary = (
        "; ".join(
            f"{r['mode']} mode {r['wall_seconds']:.0f} s ({r['notebooks']} notebooks"
            + ("" if r["all_ok"] == "yes" else ", some FAILED")
            + ")"
            for r in rows
        )
        or "not measured"
    )
    return result(checks, [t], summary, seconds=notebooks.seconds(runs))

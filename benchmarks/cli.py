"""Command line of the benchmark (``python -m benchmarks.run``, ``make bench``, ``make bench-quick``).

    python -m benchmarks.run                       # full benchmark -> benchmarks/results.{md,json}
    python -m benchmarks.run --quick               # minutes, tiny settings -> build/bench-quick/
    python -m benchmarks.run --sections grading,quality --update   # re-run some sections only

Nothing is downloaded: ``COURSE_OFFLINE=1`` is set for the run; ``COURSE_DATA_DIR`` (e.g.
``/work/shared/data`` with the real MNIST test set) is used when set and named in the report.
Exit status: 0 when every section ran (whether or not its goals are met), 1 if a section failed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from course_utils import config

from . import sections as section_modules
from .machine import machine_info
from .report import build_report, log, make_section, merge_reports, write_report
from .settings import (
    BENCH_DIR,
    ROOT,
    RUN_FIRST,
    SECTION_ORDER,
    Settings,
    full_settings,
    parse_sections,
    quick_settings,
)

# Environment of a run, restored afterwards (the tests call main() in their own process): a benchmark
# never downloads; TensorFlow's start-up lines and interactive plot windows are kept out by default.
FORCED_ENV = {config.OFFLINE_ENV: "1"}
DEFAULT_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}


def run_sections(s: Settings, sections: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Run the named sections (RUN_FIRST first, then report order); their results in report order and
    the data sources used."""
    sources: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    order = sorted(sections, key=lambda sid: (sid not in RUN_FIRST, SECTION_ORDER.index(sid)))
    for sid in order:
        log(f"section {sid}: start")
        start = time.perf_counter()
        try:
            out = section_modules.module(sid).run(s)
            for key, value in out.get("sources", {}).items():
                sources.setdefault(key, value)
            seconds = out.get("seconds", time.perf_counter() - start)
            results[sid] = make_section(
                sid, out["checks"], out["tables"], out["notes"], out["data"], seconds, summary=out.get("summary", "")
            )
        except Exception as exc:  # noqa: BLE001 - a failing section is reported, the others still run
            results[sid] = make_section(
                sid,
                [],
                [],
                seconds=time.perf_counter() - start,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}",
            )
        log(f"section {sid}: {results[sid]['status']} ({results[sid]['seconds']:.0f} s)")
    return [results[sid] for sid in SECTION_ORDER if sid in results], sources


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Command line entry point; ``settings`` overrides the --quick/full presets (used by the tests)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="minutes: tiny epochs/subsets, fast-mode notebooks only")
    parser.add_argument("--sections", default=None, help=f"comma-separated subset of {','.join(SECTION_ORDER)}")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where results.md/json go (default benchmarks/; with --quick build/bench-quick/, "
        "so a smoke run never overwrites the committed full results)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=ROOT / "build" / "bench",
        help="executed notebooks and run-all JSON (default build/bench/)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other sections of an existing results.json and replace only those run now",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        default=None,
        metavar="RESULTS_JSON",
        help="run nothing: combine the sections of these results.json files (later files win) "
        "into --out-dir's report, e.g. sections measured by separate runs",
    )
    parser.add_argument("--notebooks", nargs="+", type=Path, default=None, help="notebooks for sections 2 and 5")
    parser.add_argument("--submissions", type=int, default=None, help="number of generated quiz submissions")
    parser.add_argument("--note", action="append", default=[], help="a note for the report header (repeatable)")
    args = parser.parse_args(argv)
    if args.out_dir is None:
        args.out_dir = ROOT / "build" / "bench-quick" if args.quick else BENCH_DIR
    sections = parse_sections(args.sections)
    s = settings or (quick_settings() if args.quick else full_settings())
    if args.notebooks is not None:
        s = replace(s, notebooks=[str(p) for p in args.notebooks])
    if args.submissions is not None:
        if args.submissions < 1:
            raise ValueError(f"--submissions must be a positive integer, got {args.submissions}")
        s = replace(s, n_submissions=args.submissions)

    s = replace(s, work_dir=str(args.work_dir))
    saved = {k: os.environ.get(k) for k in (*FORCED_ENV, *DEFAULT_ENV)}
    os.environ.update(FORCED_ENV)
    for k, v in DEFAULT_ENV.items():
        os.environ.setdefault(k, v)
    try:
        return _run(args, s, sections)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(args: argparse.Namespace, s: Settings, sections: list[str]) -> int:
    if args.merge:
        missing = [p for p in args.merge if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"--merge: no such results file: {', '.join(map(str, missing))}")
        report = merge_reports([json.loads(p.read_text()) for p in args.merge])
        report["header"]["notes"] = list(dict.fromkeys([*report["header"].get("notes", []), *args.note]))
        md, js = write_report(report, args.out_dir)
        log(f"merged {len(args.merge)} reports into {md} and {js}")
        return 0
    machine = machine_info()
    log(
        f"{s.mode} mode, sections {','.join(sections)}; machine: {machine['cpu']}, "
        f"{machine['usable_cores']} cores, load {machine['load_average_1_5_15']}"
    )
    args.work_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results, sources = run_sections(s, sections)
    previous = None
    if args.update:  # read now, not at the start: another run may have written it meanwhile
        js = args.out_dir / "results.json"
        if not js.is_file():
            raise FileNotFoundError(f"--update needs an existing {js}")
        previous = json.loads(js.read_text())
    report = build_report(s, results, sources, machine, time.perf_counter() - start, args.note, previous)
    md, js = write_report(report, args.out_dir)
    log(f"wrote {md} and {js} in {report['header']['total_seconds']:.0f} s")
    for r in report["summary"]:
        log(f"  {r['met']:<13} {r['section']}: {r['result']}")
    return 1 if any(sec.get("error") for sec in results) else 0

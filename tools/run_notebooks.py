"""Execute lesson notebooks headless; report wall time and peak kernel memory.

Used by ``make run-all`` (student mode by default; ``COURSE_FAST=1`` for the
fast CI configuration) and by the benchmarks.  Executed copies go to
``build/executed/`` (never into ``notebooks/``, which stays output-free in git).

    python tools/run_notebooks.py [notebooks ...] [--out build/executed] [--json results.json]

Exit status 1 if any notebook raises.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


class PeakRSS:
    """Poll a process tree's resident memory in a background thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak = 0
        self.pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Record the tree's current RSS (also called after every cell, so short cells count)."""
        if self.pid is None:
            return
        try:
            proc = psutil.Process(self.pid)
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            self.peak = max(self.peak, rss)
        except psutil.Error:
            pass

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_notebook(path: Path, out_dir: Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    start = time.perf_counter()
    with PeakRSS() as mem:
        # nbclient creates the kernel lazily; start it ourselves to learn its pid.
        with client.setup_kernel():
            km = client.km
            provisioner = getattr(km, "provisioner", None)
            proc = getattr(provisioner, "process", None)
            mem.pid = getattr(proc, "pid", None) or getattr(provisioner, "pid", None)
            try:
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
                    mem.sample()
            except CellExecutionError as exc:
                error = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            except Exception as exc:  # cell timeout, dead kernel ...: report it, keep going
                error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return {
        "notebook": path.name,
        "seconds": round(wall, 1),
        "peak_rss_mb": round(mem.peak / 2**20),
        "ok": error is None,
        "error": error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    mode = "fast" if os.environ.get("COURSE_FAST", "").lower() in {"1", "true", "yes", "on"} else "student"
    print(f"Executing {len(paths)} notebook(s) in {mode} mode → {args.out}")
    results = []
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook not found: {p}")
        r = run_notebook(p, args.out, args.timeout)
        results.append(r)
        status = "ok" if r["ok"] else f"FAILED: {r['error']}"
        print(f"  {r['notebook']:<40} {r['seconds']:>7.1f} s  peak kernel RSS {r['peak_rss_mb']:>5} MB  {status}", flush=True)
    total = sum(r["seconds"] for r in results)
    print(f"  {'total':<40} {total:>7.1f} s  max peak {max(r['peak_rss_mb'] for r in results):>5} MB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"mode": mode, "results": results, "total_seconds": round(total, 1)}, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Execute lesson notebooks headless; report wall time and peak kernel memory.

Used by ``make run-all`` (student mode by default; ``COURSE_FAST=1`` for the
fast CI configuration) and by the benchmarks.  Executed copies go to
``build/executed/`` (never into ``notebooks/``, which stays output-free in git).

    python -m tools.run_notebooks [notebooks ...] [--out build/executed] [--json results.json]
                                  [--memory-limit-mb 1000]

With ``--memory-limit-mb`` each kernel runs under a real memory limit where the machine allows it
(Linux, root: a memory cgroup, as in a Binder container; see ``memory_limit.py``): a notebook whose
kernel is killed there fails.  Elsewhere the option is reported as not enforced and ignored.

Memory is in MB (10**6 bytes): the larger of the kernel process tree's resident memory, polled
every 0.2 s and after every cell, and the kernel's own high-water mark
(``course_utils.runtime.peak_rss_mb``, asked after the last cell), which also catches spikes
shorter than the polling interval.  Exit status 1 if any notebook raises, 2 for a bad
``COURSE_FAST`` value.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils import config  # the checkout's course_utils, installed in editable mode
from tools.memory_limit import MemoryLimit, unavailable
from tools.procs import PeakRSS

ROOT = Path(__file__).resolve().parents[1]


# Run in the kernel after the last cell: its own peak and current memory, one JSON line.
PROBE = (
    "import json as _json\n"
    "from course_utils import runtime as _runtime\n"
    'print(_json.dumps({"peak_mb": _runtime.peak_rss_mb(), "now_mb": _runtime.current_rss_mb()}))'
)


def kernel_pid(client: NotebookClient) -> int | None:
    """The process id of the kernel ``client`` started (None if the provisioner hides it)."""
    provisioner = getattr(client.km, "provisioner", None)
    proc = getattr(provisioner, "process", None)
    return getattr(proc, "pid", None) or getattr(provisioner, "pid", None)


def probe_memory(client: NotebookClient, nb: nbformat.NotebookNode) -> dict[str, float]:
    """Ask the running kernel for its own peak and current memory (MB); {} if it cannot answer."""
    cell = nbformat.v4.new_code_cell(PROBE)
    nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        return {k: float(v) for k, v in json.loads(text.strip().splitlines()[-1]).items()}
    except Exception:  # noqa: BLE001 - a dead kernel or a kernel without course_utils: no reading
        return {}
    finally:
        nb.cells.remove(cell)


def run_notebook(path: Path, out_dir: Path, timeout: int, limit_mb: float | None = None) -> dict:
    """Execute ``path`` into ``out_dir``; with ``limit_mb`` its kernel runs under that memory limit."""
    with contextlib.ExitStack() as stack:
        # count_held: TensorFlow's pages held by running processes would be shared uncharged
        limit = stack.enter_context(MemoryLimit(limit_mb, count_held=True)) if limit_mb else None
        result = _run(path, out_dir, timeout, limit)
        if limit is not None:
            result["enforced"] = limit.stats()
            result["ok"] = result["ok"] and result["enforced"]["oom_kills"] == 0
    return result


def _run(path: Path, out_dir: Path, timeout: int, limit: MemoryLimit | None) -> dict:
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
        if limit is not None:
            limit.enter()  # the kernel starts inside the limited group ...
        with client.setup_kernel():
            if limit is not None:
                limit.leave()  # ... and this process goes back out
            mem.pid = kernel_pid(client)
            try:
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
                    mem.sample()
            except CellExecutionError as exc:
                error = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            except Exception as exc:  # noqa: BLE001 - cell timeout, dead kernel ...: report it, keep going
                error = f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - start
            own = probe_memory(client, nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    polled = mem.peak
    return {
        "notebook": path.name,
        "seconds": round(wall, 1),
        "peak_rss_mb": round(max(polled, own.get("peak_mb", 0.0))),
        "polled_peak_mb": round(polled),
        "polled_peak_anon_mb": round(mem.peak_anon),  # what a memory limit cannot take back (tools/procs.py)
        "kernel_peak_mb": round(own["peak_mb"]) if "peak_mb" in own else None,
        "ok": error is None,
        "error": error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--memory-limit-mb",
        type=float,
        default=None,
        help="run each kernel under this real memory limit (a cgroup: Linux, root); ignored where impossible",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    try:
        mode = config.mode_name()
    except ValueError as exc:  # the kernels would raise the same error in their first cell
        print(f"error: {exc}", file=sys.stderr)
        return 2
    limit_mb = args.memory_limit_mb
    reason = unavailable() if limit_mb else None
    if reason:
        print(f"note: memory limit of {limit_mb:.0f} MB not enforced ({reason}); measuring RSS only")
        limit_mb = None
    print(
        f"Executing {len(paths)} notebook(s) in {mode} mode → {args.out}"
        + (f"; each kernel under a real {limit_mb:.0f} MB memory limit" if limit_mb else "")
    )
    results = []
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook not found: {p}")
        r = run_notebook(p, args.out, args.timeout, limit_mb)
        results.append(r)
        status = "ok" if r["ok"] else f"FAILED: {r['error'] or 'killed at the memory limit'}"
        if "enforced" in r:
            status += f" (under {r['enforced']['limit_mb']} MB: {r['enforced']['oom_kills']} killed)"
            if r["enforced"]["lowered_by_mb"]:
                status += f" [limit lowered by {r['enforced']['lowered_by_mb']} MB: TensorFlow held elsewhere]"
        print(
            f"  {r['notebook']:<40} {r['seconds']:>7.1f} s  peak kernel RSS {r['peak_rss_mb']:>5} MB "
            f"(anonymous {r['polled_peak_anon_mb']:>4} MB)  {status}",
            flush=True,
        )
    total = sum(r["seconds"] for r in results)
    print(f"  {'total':<40} {total:>7.1f} s  max peak {max(r['peak_rss_mb'] for r in results):>5} MB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"mode": mode, "memory_limit_mb": limit_mb, "results": results, "total_seconds": round(total, 1)},
                indent=2,
            )
        )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

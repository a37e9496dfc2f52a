"""Two lessons in two live kernels behind one Jupyter server: does it fit in Binder's 2 GB?

A student rarely shuts a kernel down: they finish lesson 01 (Run All), leave its kernel idle,
open lesson 02 and run it.  This tool does exactly that behind a real ``jupyter server`` (as on
Binder): it opens the first notebook in a session, runs every code cell, leaves the kernel alive
and idle, optionally runs ``runtime.release_memory(globals())`` in it first (``--release``: what
each lesson's last cell will do), then opens the second notebook in a second kernel and runs it.
The resident memory of the server and all its kernels together is polled every 0.2 s.

Where the machine allows it (Linux, root, a memory cgroup: see ``memory_limit.py``) the server and its
kernels run under a real ``--limit-mb`` memory limit, as in a Binder container, and the test is the one
Binder applies: no kernel is killed.  The summed RSS is reported too; it over-counts what a limit
counts (the kernels share TensorFlow's library pages, which RSS counts once per kernel).  Elsewhere
(``--enforce no``, or no cgroups) the summed RSS must stay under the limit instead: a stricter test.

    python -m tools.two_kernels [FIRST.ipynb SECOND.ipynb] [--release] [--json out.json] [--limit-mb 2000]
                                [--enforce auto|yes|no]

Default notebooks: lessons 01 and 02.  Student mode unless ``COURSE_FAST=1`` (see
``course_utils.config``).  MB = 10**6 bytes.  Exit status 1 if a cell fails, a kernel dies (the idle
one included), a process is killed at the enforced limit, or, without one, the summed RSS of the server
and both kernels exceeds ``--limit-mb``.  ``make two-kernels`` runs it in student mode, with and without
``--release``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
import psutil
from jupyter_client import BlockingKernelClient

from course_utils import config  # the checkout's course_utils, installed in editable mode
from tools.memory_limit import MemoryLimit, unavailable
from tools.procs import PeakRSS, free_port, rss_mb

ROOT = Path(__file__).resolve().parents[1]


BIN = Path(sys.executable).parent
RELEASE = "from course_utils import runtime as _runtime\n_runtime.release_memory(globals())"
PROBE = (
    "import json as _json\nfrom course_utils import runtime as _runtime\n"
    'print(_json.dumps({"peak_mb": _runtime.peak_rss_mb(), "now_mb": _runtime.current_rss_mb()}))'
)
SETTLE_SECONDS = 3.0  # let an idle kernel's memory settle before reading it


class Server:
    """A ``jupyter server`` on a free local port with a token, its runtime files in a temporary folder."""

    def __init__(self, root: Path, runtime_dir: Path, limit: MemoryLimit | None = None) -> None:
        self.port, self.token, self.runtime_dir = free_port(), "two-kernels", runtime_dir
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime_dir), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
        env.pop("MPLBACKEND", None)  # kernels use the inline backend, as in JupyterLab
        env.setdefault("MALLOC_ARENA_MAX", "2")  # as binder/start sets it
        cmd = [
            str(BIN / "jupyter"),
            "server",
            "--no-browser",
            f"--ServerApp.root_dir={root}",
            f"--ServerApp.port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit.enter if limit else None,  # the server and every kernel it starts, limited
        )

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
        return json.loads(text) if text else None

    def wait(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter server exited: {self.proc.stderr.read()[-2000:] if self.proc.stderr else ''}"
                )
            try:
                self.api("GET", "status")
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"jupyter server did not answer within {timeout:.0f} s")

    def open(self, notebook: Path, root: Path) -> tuple[str, BlockingKernelClient]:
        """A session for ``notebook`` (kernel started in its folder, as JupyterLab does) and a client to it."""
        rel = notebook.resolve().relative_to(root.resolve()).as_posix()
        session = self.api(
            "POST", "sessions", {"path": rel, "type": "notebook", "name": notebook.name, "kernel": {"name": "python3"}}
        )
        kernel_id = session["kernel"]["id"]
        connection = self.runtime_dir / f"kernel-{kernel_id}.json"
        for _ in range(100):
            if connection.is_file():
                break
            time.sleep(0.1)
        client = BlockingKernelClient(connection_file=str(connection))
        client.load_connection_file()
        client.start_channels(hb=False)  # the server watches the kernel; a slow start must not count as death
        client.wait_for_ready(timeout=300)
        return kernel_id, client

    def kernel_pid(self, kernel_id: str) -> int | None:
        """The kernel's process: the server's child whose command line names its connection file."""
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if any(kernel_id in part for part in child.cmdline()):
                    return int(child.pid)
            except psutil.Error:
                continue
        return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def alive(pid: int | None) -> bool:
    """Is the kernel process still the one we started?  (A killed kernel is restarted by the server.)"""
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def execute(client: BlockingKernelClient, code: str, timeout: float, pid: int | None = None) -> tuple[str | None, str]:
    """Run ``code``; returns (error or None, what it printed).  If the kernel process ``pid`` dies
    meanwhile (killed at the memory limit, say), returns at once with that error."""
    msg_id = client.execute(code, store_history=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = client.get_shell_msg(timeout=1)
        except queue.Empty:
            if pid is not None and not alive(pid):
                return "the kernel died (killed at the memory limit?)", ""
            if time.monotonic() > deadline:
                return f"TimeoutError: no reply within {timeout:.0f} s", ""
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    printed: list[str] = []
    while True:  # what the cell printed, up to the kernel's "idle" for this request
        try:
            msg = client.get_iopub_msg(timeout=10)
        except queue.Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
            printed.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
            break
    content = reply["content"]
    if content["status"] != "ok":
        return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}", "".join(printed)
    return None, "".join(printed)


def run_lesson(
    client: BlockingKernelClient, notebook: Path, timeout: float, pid: int | None = None
) -> tuple[str | None, float]:
    """Every code cell of ``notebook`` in order; stops at the first error. Returns (error, seconds)."""
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        error, _ = execute(client, cell.source, timeout, pid)
        if error is not None:
            return f"cell {index}: {error}", time.perf_counter() - start
    return None, time.perf_counter() - start


def kernel_memory(client: BlockingKernelClient, pid: int | None = None) -> dict[str, float]:
    """The kernel's own peak and current memory (course_utils.runtime), MB."""
    error, printed = execute(client, PROBE, 120, pid)
    if error is not None or not printed.strip():
        return {}
    return {k: round(float(v)) for k, v in json.loads(printed.strip().splitlines()[-1]).items()}


def _run_and_measure(out: dict[str, Any], which: str, client: Any, lesson: Path, timeout: int, pid: int | None) -> None:
    """Run ``lesson`` in the kernel of ``client``; record ``<which>_seconds``, ``<which>_kernel`` and any error."""
    error, secs = run_lesson(client, lesson, timeout, pid)
    out[f"{which}_seconds"] = round(secs, 1)
    if error:
        out["errors"].append(f"{lesson.name} {error}")
    out[f"{which}_kernel"] = kernel_memory(client, pid)


def measure(first: Path, second: Path, release: bool, timeout: float, limit_mb: float | None = None) -> dict[str, Any]:
    """Run ``first`` then ``second`` in two live kernels; memory figures of every phase (MB).
    With ``limit_mb`` the server and its kernels run under that real memory limit (``memory_limit.py``)."""
    out: dict[str, Any] = {
        "first": first.name,
        "second": second.name,
        "mode": config.mode_name(),
        "release_memory": release,
        "errors": [],
    }
    root = (
        ROOT
        if all(ROOT in nb.resolve().parents for nb in (first, second))
        else Path(os.path.commonpath([first.resolve().parent, second.resolve().parent]))
    )
    with contextlib.ExitStack() as stack:
        limit = stack.enter_context(MemoryLimit(limit_mb, count_held=True)) if limit_mb else None
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="two-kernels-"))
        server = Server(root, Path(tmp), limit)
        try:
            server.wait()
            with PeakRSS(server.proc.pid) as total:
                out["server_alone_mb"] = round(rss_mb(server.proc.pid))
                id1, k1 = server.open(first, root)
                pid1 = server.kernel_pid(id1)
                _run_and_measure(out, "first", k1, first, timeout, pid1)
                time.sleep(SETTLE_SECONDS)
                out["first_kernel_idle_mb"] = round(rss_mb(pid1)) if pid1 else None
                if release:
                    error, _ = execute(k1, RELEASE, 300, pid1)
                    if error:
                        out["errors"].append(f"release_memory: {error}")
                    time.sleep(SETTLE_SECONDS)
                    out["first_kernel_released_mb"] = round(rss_mb(pid1)) if pid1 else None
                out["idle_total_mb"] = round(total.sample())
                id2, k2 = server.open(second, root)
                pid2 = server.kernel_pid(id2)
                _run_and_measure(out, "second", k2, second, timeout, pid2)
                if not alive(pid1):  # the idle kernel, the student's finished lesson, must survive too
                    out["errors"].append(f"{first.name}: its idle kernel died while {second.name} ran")
                out["end_total_mb"] = round(total.sample())
                out["server_end_mb"] = round(rss_mb(server.proc.pid, children=False))
                for client in (k1, k2):
                    client.stop_channels()
            out["peak_total_mb"] = round(total.peak)
        finally:
            server.stop()
            if limit is not None:
                out["enforced"] = limit.stats()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.two_kernels", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="the first and the second lesson")
    parser.add_argument(
        "--release",
        action="store_true",
        help="run runtime.release_memory(globals()) in the first kernel before opening the second",
    )
    parser.add_argument("--limit-mb", type=float, default=2000.0, help="Binder's memory limit (default 2000 MB)")
    parser.add_argument(
        "--enforce",
        choices=("auto", "yes", "no"),
        default="auto",
        help="run under a real memory limit of --limit-mb (a cgroup; auto: where the machine allows it)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per cell")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    try:
        config.check_environment()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[:2]
    if len(notebooks) != 2:
        parser.error("give exactly two notebooks (default: the first two lessons)")
    for nb in notebooks:
        if not nb.is_file():
            parser.error(f"notebook not found: {nb}")
    reason = unavailable() if args.enforce != "no" else "--enforce no"
    if reason and args.enforce == "yes":
        print(f"error: cannot enforce a memory limit: {reason}", file=sys.stderr)
        return 2
    first, second = notebooks
    print(
        f"Two kernels ({config.mode_name()} mode): {first.name}, left idle"
        f"{' after release_memory' if args.release else ''}, then {second.name}; "
        + (
            f"under a real {args.limit_mb:.0f} MB memory limit (cgroup)"
            if not reason
            else f"summed RSS must stay under {args.limit_mb:.0f} MB (no enforced limit: {reason})"
        ),
        flush=True,
    )
    out = measure(first, second, args.release, args.timeout, None if reason else args.limit_mb)
    out["limit_mb"] = args.limit_mb
    enforced = out.get("enforced")
    # Under a real limit the test is Binder's (no kernel killed); without one, the stricter summed RSS.
    fits = enforced["oom_kills"] == 0 if enforced else out["peak_total_mb"] <= args.limit_mb
    out["ok"] = not out["errors"] and fits
    k1 = out.get("first_kernel", {})
    print(f"  Jupyter server alone:                    {out['server_alone_mb']:>6} MB")
    print(
        f"  kernel 1 ({first.name}): {out['first_seconds']} s, peak {k1.get('peak_mb', '?')} MB, "
        f"idle {out['first_kernel_idle_mb']} MB"
        + (f", {out.get('first_kernel_released_mb')} MB after release_memory" if args.release else "")
    )
    print(
        f"  kernel 2 ({second.name}): {out['second_seconds']} s, "
        f"peak {out.get('second_kernel', {}).get('peak_mb', '?')} MB"
    )
    print(f"  server + idle kernel 1:                   {out['idle_total_mb']:>6} MB")
    print(f"  peak of server + both kernels (summed RSS): {out['peak_total_mb']:>6} MB (limit {args.limit_mb:.0f} MB)")
    if enforced:
        print(
            f"  real limit (cgroup {enforced['cgroup']}): highest usage {enforced['max_usage_mb']} MB of "
            f"{enforced['limit_mb']} MB (page cache included, which Linux reclaims at the limit), "
            f"{enforced['oom_kills']} processes killed"
            + (
                f"; the group's limit lowered by {enforced['lowered_by_mb']} MB for TensorFlow held by "
                f"processes {enforced['tensorflow_held_by']}"
                if enforced["lowered_by_mb"]
                else ""
            )
        )
    for error in out["errors"]:
        print(f"  FAILED: {error}")
    print("  " + ("ok" if out["ok"] else "NOT ok"))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

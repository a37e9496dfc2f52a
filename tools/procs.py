"""Process helpers the tools and the tests share: a free local port and a process tree's memory.

One home for each: ``run_notebooks`` and ``two_kernels`` poll memory with :class:`PeakRSS`; the
JupyterLab tests (tests/test_tools.py, tests/browser/) and ``two_kernels`` start servers on
:func:`free_port`.  Memory is in MB (10**6 bytes), as ``course_utils.runtime.peak_rss_mb`` reports it.
"""

from __future__ import annotations

import socket
import threading

import psutil


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the system picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int, children: bool = True) -> float:
    """Resident memory (MB) of process ``pid`` and, with ``children``, every process it started (0 once gone)."""
    return _memory_mb(pid, children)[0]


def _memory_mb(pid: int, children: bool = True) -> tuple[float, float]:
    """(resident, anonymous) memory in MB of a process tree; (0, 0) once it is gone.

    Anonymous = resident minus file-backed and shared pages (Linux: ``RssAnon``); elsewhere psutil reports no
    shared pages and the two are equal. Of a lesson kernel's RSS about 380 MB are TensorFlow's library pages,
    which a memory limit such as Binder's drops and reads back when needed; anonymous memory cannot be dropped."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)] if children else [proc]
        infos = [p.memory_info() for p in procs]
    except psutil.Error:
        return 0.0, 0.0
    rss = sum(i.rss for i in infos)
    return rss / 1e6, (rss - sum(getattr(i, "shared", 0) for i in infos)) / 1e6


class PeakRSS:
    """The peak resident memory (MB) of a process tree, polled every ``interval`` s in a background thread.

    ``pid`` may be set after the poller has started (a kernel whose pid is known only once it runs);
    :meth:`sample` also records a reading on demand (after every cell, so short cells count too).
    """

    def __init__(self, pid: int | None = None, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak, self.peak_anon = pid, interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> float:
        """Read the tree's resident memory now (MB), keep the peaks (``peak``, and ``peak_anon`` of its
        anonymous part), return the resident reading."""
        now, anon = _memory_mb(self.pid) if self.pid is not None else (0.0, 0.0)
        self.peak, self.peak_anon = max(self.peak, now), max(self.peak_anon, anon)
        return now

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

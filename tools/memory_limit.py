"""A hard memory limit for a group of processes, enforced the way Binder enforces its 2 GB: a Linux
memory cgroup (what Kubernetes gives each container), with the kernel's own accounting and OOM killer.

Why not add up resident memory (RSS)?  Because a cgroup does not count what RSS counts.  About 390 MB
of a TensorFlow kernel's RSS are pages of TensorFlow's shared libraries: two kernels share them (the
cgroup counts them once, RSS once per kernel), and they are clean file pages that the kernel can drop
and read back under pressure.  What a limit cannot take back is anonymous memory (arrays, tensors,
Python objects): past the limit the process is killed, as on Binder.  So the honest test of "does it
fit in N MB" is to run it under an N MB limit and see whether it survives, and how long it takes.

Needs Linux, root and a writable memory controller (cgroup v1 ``/sys/fs/cgroup/memory`` or v2
``/sys/fs/cgroup``); :func:`unavailable` says why not otherwise.  The page cache is dropped when the
group is created, so the libraries' pages are read again and charged to the group, as in a fresh
Binder container.

    with MemoryLimit(2000, count_held=True) as limit:
        subprocess.Popen(cmd, preexec_fn=limit.enter)     # the process and its children are limited
        ...                                               # (or limit.enter(); start it; limit.leave())
        limit.stats()  # {"cgroup", "limit_mb", "max_usage_mb", "oom_kills", "lowered_by_mb", ...}

``count_held``: TensorFlow's pages already held by running processes (another kernel, a test runner)
would be shared uncharged, so the group's limit is lowered by what they hold (:func:`held_elsewhere`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _controller(root: Path = CGROUP_ROOT) -> tuple[Path, int] | None:
    """Where new memory cgroups can be made, and the cgroup version: (folder, 1 or 2), or None."""
    v1 = root / "memory"
    if (v1 / "memory.limit_in_bytes").is_file():
        return v1, 1
    if (root / "cgroup.controllers").is_file() and "memory" in (root / "cgroup.controllers").read_text().split():
        return root, 2
    return None


def _own_group(base: Path, version: int) -> Path:
    """The cgroup folder this process is in (under ``base``), from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, rel = line.split(":", 2)
        if (version == 1 and "memory" in controllers.split(",")) or (version == 2 and controllers == ""):
            group = base / rel.lstrip("/")
            if group.is_dir():
                return group
    return base


def unavailable(root: Path = CGROUP_ROOT) -> str | None:
    """Why a limit cannot be enforced on this machine, or None if it can."""
    if not root.is_dir():
        return "no Linux cgroups on this machine"
    found = _controller(root)
    if found is None:
        return f"no memory cgroup controller under {root}"
    if not os.access(found[0], os.W_OK):
        return f"{found[0]} is not writable (run as root to enforce a memory limit)"
    return None


def held_elsewhere(fragment: str = "/tensorflow/") -> tuple[float, list[int]]:
    """Resident MB of files whose path contains ``fragment`` (TensorFlow's libraries), in the running
    process that holds most of them, and the pids of every process that maps them.

    Those pages stay in memory, charged to the holders' group: a limited kernel that imports TensorFlow
    shares them uncharged.  Lowering the limit by this much keeps the test as in a fresh Binder container,
    where the kernel's own import brings them in (and the limit counts them)."""
    most, pids = 0.0, []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if fragment not in (proc / "maps").read_text():
                continue
            kb, mapping = 0, ""
            for line in (proc / "smaps").read_text().splitlines():
                head = line.split()
                if head and not head[0].endswith(":"):  # a mapping's first line: address, perms, ..., path
                    mapping = head[5] if len(head) > 5 else ""
                elif head[:1] == ["Rss:"] and fragment in mapping:
                    kb += int(head[1])
        except (OSError, IndexError, ValueError):
            continue
        pids.append(int(proc.name))
        most = max(most, kb * 1024 / 1e6)
    return most, pids


def drop_page_cache() -> bool:
    """Ask Linux to drop clean cached file pages (root only); True if it did."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


class MemoryLimit:
    """A fresh memory cgroup limited to ``limit_mb`` (10**6 bytes), without swap; removed on exit.
    With ``count_held`` the group's own limit is lowered by TensorFlow's pages that processes outside
    it hold (see :func:`held_elsewhere`)."""

    def __init__(
        self, limit_mb: float, *, root: Path = CGROUP_ROOT, drop_caches: bool = True, count_held: bool = False
    ) -> None:
        if not limit_mb > 0:
            raise ValueError(f"limit_mb must be a positive number of MB, got {limit_mb!r}")
        reason = unavailable(root)
        if reason is not None:
            raise OSError(f"cannot enforce a memory limit: {reason}")
        base, self.version = _controller(root)  # type: ignore[misc]
        self.limit_mb = limit_mb
        self.held_mb, self.held_by = held_elsewhere() if count_held else (0.0, [])
        if not limit_mb > self.held_mb:
            raise ValueError(f"a {limit_mb} MB limit leaves nothing after {self.held_mb:.0f} MB held elsewhere")
        self.limit = int((limit_mb - self.held_mb) * 1e6)  # bytes, what the cgroup enforces
        self.home = _own_group(base, self.version)  # where this process is: the new group goes inside it
        self.path = self.home / f"course-memory-limit-{os.getpid()}-{time.monotonic_ns()}"
        self.drop_caches = drop_caches

    def _write(self, name: str, value: object) -> None:
        (self.path / name).write_text(f"{value}\n")

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text()
        except OSError:
            return ""

    def __enter__(self) -> MemoryLimit:
        self.path.mkdir()
        try:
            if self.version == 1:
                self._write("memory.limit_in_bytes", self.limit)
                if (self.path / "memory.memsw.limit_in_bytes").is_file():
                    self._write("memory.memsw.limit_in_bytes", self.limit)  # no swap, as on Binder
                try:  # a process moved in brings the pages it holds (refused by newer Linux: start in the group)
                    self._write("memory.move_charge_at_immigrate", 3)
                except OSError:
                    pass
            else:
                self._write("memory.max", self.limit)
                if (self.path / "memory.swap.max").is_file():
                    self._write("memory.swap.max", 0)
        except OSError:
            self.path.rmdir()
            raise
        if self.drop_caches:
            drop_page_cache()
        return self

    def add(self, pid: int) -> None:
        """Move process ``pid`` into the group (the processes it starts later are in it too)."""
        self._write("cgroup.procs", pid)

    def enter(self) -> None:
        """Move the calling process into the group: use as ``subprocess.Popen(..., preexec_fn=limit.enter)``."""
        self.add(os.getpid())

    def leave(self) -> None:
        """Move the calling process back to where it was (the processes it started stay limited)."""
        (self.home / "cgroup.procs").write_text(f"{os.getpid()}\n")

    def pids(self) -> list[int]:
        return [int(p) for p in self._read("cgroup.procs").split()]

    def stats(self) -> dict[str, Any]:
        """The limit asked for, the group's highest usage (page cache included), how many processes were
        killed, and by how much the group's limit was lowered for TensorFlow held elsewhere (and by whom)."""
        if self.version == 1:
            events = dict(line.split() for line in self._read("memory.oom_control").splitlines() if line.strip())
            peak = self._read("memory.max_usage_in_bytes").strip()
        else:
            events = dict(line.split() for line in self._read("memory.events").splitlines() if line.strip())
            peak = self._read("memory.peak").strip()
        return {
            "cgroup": f"v{self.version}",
            "limit_mb": round(self.limit_mb),
            "max_usage_mb": round(int(peak) / 1e6) if peak else None,
            "oom_kills": int(events.get("oom_kill", 0)),
            "lowered_by_mb": round(self.held_mb),
            "tensorflow_held_by": self.held_by,
        }

    def __exit__(self, *exc: object) -> None:
        parent = self.home / "cgroup.procs"
        for _ in range(50):
            for pid in self.pids():  # survivors go back to the parent group, so the folder can go
                try:
                    parent.write_text(f"{pid}\n")
                except OSError:
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)

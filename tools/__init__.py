"""Contributor tools: `make run-all` (run_notebooks), `make export` (export_lessons), `make two-kernels`
(two_kernels), the memory cgroup behind them (memory_limit) and their process helpers (procs).

An importable package (``from tools import procs``), not installed with the course: run its tools from
the repository root as modules, ``python -m tools.run_notebooks``, which puts the root on ``sys.path``.
"""

"""Contributor tools: `make run-all` (run_notebooks), `make export` (export_lessons), `make two-kernels`
(two_kernels), the memory cgroup behind them (memory_limit) and their process helpers (procs).

An importable package (``from tools import procs``, ``python -m tools.run_notebooks``); each module also
runs as a script (``python tools/run_notebooks.py``), which puts the repository root on ``sys.path``.
"""

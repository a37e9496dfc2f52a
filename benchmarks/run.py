"""Run the course's benchmark: ``python -m benchmarks.run [--quick] [--sections speed,quality,...]``.

The entry point ``make bench`` and ``make bench-quick`` call, from the repository root (``-m`` puts it
on ``sys.path``: the ``benchmarks`` package is not installed with the course); the code lives in the
``benchmarks`` package (see ``benchmarks/__init__.py`` and ``benchmarks/README.md``).
"""

from __future__ import annotations

import sys

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Run the course's benchmark: ``python benchmarks/run.py [--quick] [--sections speed,quality,...]``.

The entry point ``make bench`` and ``make bench-quick`` call; the code lives in the ``benchmarks``
package (see ``benchmarks/__init__.py`` and ``benchmarks/README.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())

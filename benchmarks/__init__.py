"""The course measures itself: speed, memory, quality and grading throughput in one report.

``python -m benchmarks.run`` (``make bench`` / ``make bench-quick``) runs :func:`benchmarks.cli.main`.

* :mod:`benchmarks.settings` -- the sections, their goals, the full and quick presets;
* :mod:`benchmarks.sections` -- one module per section, each behind ``run(settings)``;
* :mod:`benchmarks.report` -- tables, checks, the report dict, results.md / results.json;
* :mod:`benchmarks.machine` -- the header's facts (machine, load, versions, commit);
* :mod:`benchmarks.cli` -- the command line: which sections, where to write, --update, --merge.
"""

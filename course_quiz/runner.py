"""Run the code cells of a rebuilt quiz notebook in a plain Python process.

Started by ``course_quiz.nbgrader_plugins.SubprocessExecute`` as ``python -I <path of this file>``.  It
reads ``{"cells": [source, ...], "timeout": seconds}`` as JSON from stdin, runs the
cells one after another in one namespace (like a kernel would) and writes one list
of nbformat outputs per cell, as JSON, to the file descriptor that was stdout.

What it reproduces of an IPython kernel, because nbgrader grades from outputs:
``print`` -> a ``stdout`` stream, anything written to ``sys.stderr`` (warnings
included) -> a ``stderr`` stream, an exception -> an ``error`` output, the value
of a final expression -> an ``execute_result``.  A cell that runs longer than the
timeout is interrupted with a ``CellTimeoutError``.  IPython magics are not
supported (quiz cells are plain Python).

Only the instructor's cells and the literal answers written by the rebuild step
ever reach this script; it is a light, isolated replacement of a Jupyter kernel
(about 50 ms to start instead of about a second).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import signal
import sys
import traceback


class CellTimeoutError(Exception):
    """Raised inside a cell that runs longer than the timeout."""


def _on_alarm(signum, frame):
    raise CellTimeoutError("the cell ran longer than the grading timeout")


def _stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def _error(error: BaseException) -> dict:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return {
        "output_type": "error",
        "ename": type(error).__name__,
        "evalue": str(error),
        "traceback": [line.rstrip("\n") for line in lines],
    }


def run_cell(source: str, namespace: dict, timeout: int, count: int) -> list[dict]:
    """Execute one cell; return its outputs in nbformat form."""
    out, err = io.StringIO(), io.StringIO()
    outputs: list[dict] = []
    result = None
    failure = None
    try:
        signal.alarm(max(1, int(timeout)))
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                tree = ast.parse(source, filename=f"<cell {count}>")
                last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
                if last is not None:
                    tree.body = tree.body[:-1]
                exec(compile(tree, f"<cell {count}>", "exec"), namespace)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"<cell {count}>", "eval"), namespace)
                    if value is not None:
                        result = {
                            "output_type": "execute_result",
                            "execution_count": count,
                            "data": {"text/plain": repr(value)},
                            "metadata": {},
                        }
        finally:
            signal.alarm(0)
    except BaseException as error:  # noqa: BLE001 - a kernel reports every exception as an output
        failure = _error(error)
    if out.getvalue():
        outputs.append(_stream("stdout", out.getvalue()))
    if err.getvalue():
        outputs.append(_stream("stderr", err.getvalue()))
    if result is not None:
        outputs.append(result)
    if failure is not None:
        outputs.append(failure)
    return outputs


def main() -> None:
    request = json.load(sys.stdin)
    results_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray writes to the raw stdout cannot corrupt the results
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    results = [
        run_cell(source, namespace, request["timeout"], count) for count, source in enumerate(request["cells"], start=1)
    ]
    with os.fdopen(results_fd, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()

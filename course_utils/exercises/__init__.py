"""Checked coding exercises: ``check("<id>", *answers)`` says what is right, what is wrong, and a hint.

Taught in: every lesson (01–05 each have at least three exercises, 06 one per project starter).

An exercise is three cells in a lesson: a short task in markdown, a scaffold the
student completes (it already runs: the answer starts as ``None`` or ``...``), and a
check cell::

    from course_utils import exercises
    exercises.check("02-deep", deep_model)

``check`` examines *behaviour* (output shapes, parameter counts, layer types, a loss
reached after a short training, values against a reference computed on the spot),
prints one line per finding and returns ``True`` only when everything passes.  It
never raises for a wrong, missing (``None`` / ``...``) or badly typed answer, or for
a model that fails to run — Run All must always get through a lesson — and raises
``ValueError`` only for an exercise id it does not know.

``solution("<id>")`` prints a worked solution (try first!), ``progress("02")``
prints a one-line summary of the lesson's exercises in this session, and
:data:`EXERCISES` maps every id to its notebook and title (:data:`NOTEBOOKS` names the
notebook of each lesson number).

Exercises are defined in one module per lesson in this package (``background``,
``mnist_autoencoder``, ...), each with :func:`exercise`; see ARCHITECTURE.md for
how to add one.

Solutions are code, not strings: ``solution`` is a plain function whose parameters
are names from the exercise's ``context()`` namespace (passed by name) and which
returns the answer, or a tuple of answers in the order the checker takes them::

    def _solution(x_train):
        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32)])
        return model

so that linters, type checkers and coverage see it.  ``solution("<id>")`` prints
its body as the cell a student would write (the final ``return`` of the answer
names is left out).  A string of code that defines the answer variables works too.

Each exercise's typical mistakes, which its check must reject with a useful message,
are test data: they live in ``tests/exercise_mistakes/``, not in the package students install.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import pkgutil
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import redirect_stderr
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO, TypeAlias

__all__ = [
    "EXERCISES",
    "Exercise",
    "Feedback",
    "NOTEBOOKS",
    "check",
    "call_with_context",
    "exercise",
    "function_body",
    "is_missing",
    "progress",
    "run_in_context",
    "solution",
]

#: A worked answer: a function of context names returning the answer(s), or (older) code defining them.
Source: TypeAlias = str | Callable[..., Any]


class _Stop(Exception):
    """Raised inside a checker by :meth:`Feedback.stop` to end the check early (never escapes)."""


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    ``checker(fb, *answers)`` reports through ``fb`` (a :class:`Feedback`).
    ``answers`` names the variables the student's scaffold defines, in the order
    ``check`` receives them (the checker's parameters after ``fb``).  ``solution`` is the
    worked solution: a function whose parameters are names from ``context()`` and which
    returns the answer (a tuple of answers when there are several), or code that defines
    those variables; ``context()`` returns the namespace the lesson has at that point
    (small data in tests), so that the tests can run the solution and the typical
    mistakes (``tests/exercise_mistakes/``) through the checker.
    """

    id: str
    notebook: str
    title: str
    answers: tuple[str, ...]
    checker: Callable[..., None]
    solution: Source
    context: Callable[[], dict[str, Any]]

    @property
    def lesson(self) -> str:
        """The two-digit lesson number, e.g. ``"02"``."""
        return self.notebook[:2]

    @property
    def solution_text(self) -> str:
        """The worked solution as a student reads it: the code of the cell they would write."""
        if isinstance(self.solution, str):
            return self.solution.strip("\n")
        return function_body(self.solution, self.answers)


class Feedback:
    """What a checker reports: ``ok`` / ``fail`` lines, hints, and early stops."""

    def __init__(self, ex: Exercise, out: TextIO) -> None:
        self.exercise = ex
        self.out = out
        self.passed: list[str] = []
        self.failed: list[str] = []

    def ok(self, message: str) -> None:
        """Something the answer gets right."""
        self.passed.append(message)
        print(f"  ✓ {message}", file=self.out)

    def fail(self, message: str, hint: str | None = None) -> None:
        """Something wrong, with an optional hint on how to fix it (the check goes on)."""
        self.failed.append(message)
        print(f"  ✗ {message}", file=self.out)
        if hint:
            print(f"    Hint: {hint}", file=self.out)

    def stop(self, message: str, hint: str | None = None) -> NoReturn:
        """Like :meth:`fail`, then end the check (later tests would make no sense)."""
        self.fail(message, hint)
        raise _Stop

    def require_function(
        self, value: Any, name: str, signature: str, *, verb: str = "define it with", returning: str = ""
    ) -> None:
        """Stop unless the answer ``name`` is callable, hinting "<verb> `def <name><signature>:`" (+ " returning …")."""
        if not callable(value):
            self.stop(
                f"{name} should be a function, got {type(value).__name__}",
                f"{verb} `def {name}{signature}:`" + (f" returning {returning}" if returning else ""),
            )

    def require_model(self, value: Any, name: str, hint: str, *, what: str = "a Keras model") -> None:
        """Stop unless the answer ``name`` is a ``keras.Model``: "<name> should be <what>, got <type>"."""
        import keras

        if not isinstance(value, keras.Model):
            self.stop(f"{name} should be {what}, got {type(value).__name__}", hint)

    def expect(self, condition: bool, ok: str, fail: str, hint: str | None = None) -> bool:
        """``ok(ok)`` if ``condition`` else ``fail(fail, hint)``; returns ``condition``."""
        if condition:
            self.ok(ok)
        else:
            self.fail(fail, hint)
        return bool(condition)


#: Every exercise of the course, by id (``"02-deep"`` …), filled in by the lesson modules.
EXERCISES: dict[str, Exercise] = {}
_RESULTS: dict[str, bool] = {}  # id -> last result in this session
_LOADED = False


#: The notebook of each lesson number: exercise ``"02-conv"`` belongs to ``02_mnist_autoencoder``.
NOTEBOOKS = {
    "01": "01_background",
    "02": "02_mnist_autoencoder",
    "03": "03_breast_cancer_autoencoder",
    "04": "04_medical_image_denoising",
    "05": "05_variational_autoencoders",
    "06": "06_project_ideas",
}


def exercise(
    id: str, title: str, solution: Source, context: Callable[[], dict[str, Any]]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``@exercise(id, title, solution, context)``: register the decorated function as the checker of exercise
    ``id``, shown to students as ``title``.

    ``id`` is the lesson number, a dash and a name (``"02-deep"`` is an exercise of
    ``02_mnist_autoencoder``, see :data:`NOTEBOOKS`).  The checker is called as
    ``checker(fb, *answers)``: its parameters after ``fb`` name the variables the
    student's scaffold defines, in the order ``check`` receives them.  ``solution`` is a
    function of context names returning the answer(s) (preferred) or a string of code
    defining them.
    """
    if not (isinstance(solution, str) or callable(solution)):
        raise ValueError(f"exercise {id!r}: solution must be a function or a string, got {type(solution).__name__}")
    if not (isinstance(id, str) and len(id) > 3 and id[2] == "-" and id[:2] in NOTEBOOKS):
        raise ValueError(
            f"exercise id {id!r} must be a lesson number ({', '.join(NOTEBOOKS)}), a dash and a name, e.g. 02-deep"
        )

    def register(checker: Callable[..., None]) -> Callable[..., None]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id!r} is defined twice")
        params = list(inspect.signature(checker).parameters.values())
        if len(params) < 2 or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
            raise ValueError(
                f"exercise {id!r}: write the checker as `def {checker.__name__}(fb, answer1, ...)`, "
                "one plain parameter per answer after the Feedback"
            )
        EXERCISES[id] = Exercise(
            id=id,
            notebook=NOTEBOOKS[id[:2]],
            title=title,
            answers=tuple(p.name for p in params[1:]),
            checker=checker,
            solution=solution.strip("\n") if isinstance(solution, str) else solution,
            context=context,
        )
        return checker

    return register


def _load_all() -> None:
    """Import every lesson module of this package so that :data:`EXERCISES` is complete."""
    global _LOADED
    if _LOADED:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def _get(exercise_id: Any) -> Exercise:
    _load_all()
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"unknown exercise id {exercise_id!r}; the exercises are: {known}")
    return EXERCISES[exercise_id]


def is_missing(value: Any) -> bool:
    """True for an answer the student has not written yet (``None`` or ``...``)."""
    return value is None or value is Ellipsis


def check(exercise_id: str, *answers: Any, out: TextIO | None = None) -> bool:
    """Check the student's answer(s) to ``exercise_id``; print findings; return True if all pass.

    Never raises for the answer itself (missing, wrong type, a model that crashes);
    raises ``ValueError`` only for an unknown ``exercise_id``.
    """
    ex = _get(exercise_id)
    out = out if out is not None else sys.stdout
    print(f"Exercise {ex.id} · {ex.title}", file=out)
    if len(answers) != len(ex.answers):
        expected = ", ".join(ex.answers)
        print(
            f"  ✗ check({ex.id!r}, ...) expects {len(ex.answers)} answer(s) ({expected}), got {len(answers)}", file=out
        )
        _RESULTS[ex.id] = False
        return False
    missing = [name for name, value in zip(ex.answers, answers) if is_missing(value)]
    if missing:
        print(
            f"  · not attempted yet: {', '.join(missing)} still None/...  (write your code above, then run this cell again)",
            file=out,
        )
        _RESULTS.setdefault(ex.id, False)
        return False
    fb = Feedback(ex, out)
    noise = io.StringIO()
    try:
        with redirect_stderr(noise):  # Keras/TF warnings would appear as red text
            ex.checker(fb, *answers)
    except _Stop:
        pass
    except Exception as err:  # the student's code failed inside the check: report, never raise
        where = traceback.extract_tb(err.__traceback__)[-1]
        fb.fail(
            f"running your answer raised {type(err).__name__}: {err}".rstrip(),
            hint=f"(raised in {where.name}, line {where.lineno}) — run your cell on its own to see the full error",
        )
    passed = not fb.failed and bool(fb.passed)
    if passed:
        print(f"  Passed: all {len(fb.passed)} checks. Well done!", file=out)
    else:
        print(
            f"  Not yet: {len(fb.failed)} problem(s) above. `exercises.solution({ex.id!r})` shows a worked solution.",
            file=out,
        )
    _RESULTS[ex.id] = passed
    return passed


def solution(exercise_id: str, out: TextIO | None = None) -> str:
    """Print (and return) the worked solution of ``exercise_id``. Try the exercise first!"""
    ex = _get(exercise_id)
    out = out if out is not None else sys.stdout
    text = ex.solution_text
    print(f"# Worked solution of exercise {ex.id} · {ex.title}\n{text}", file=out)
    return text


def function_body(func: Callable[..., Any], answers: Iterable[str] = ()) -> str:
    """The body of ``func`` as top-level code a student would write in a cell.

    The docstring becomes comment lines; a final ``return`` of exactly the answer
    names (``return model`` / ``return threshold, precision``) is dropped, any other
    final ``return EXPR`` becomes ``name1, name2 = EXPR``.  Used by :func:`solution`.
    """
    source = textwrap.dedent(inspect.getsource(func))
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"{func!r} is not defined with `def`; write the solution as a function")
    lines = source.splitlines()
    body = list(node.body)
    header: list[str] = []
    doc = ast.get_docstring(node)
    if doc and isinstance(body[0], ast.Expr):
        header = [f"# {line}".rstrip() for line in doc.splitlines()]
        body = body[1:]
    if not body:
        return "\n".join(header)
    decorators = getattr(body[0], "decorator_list", [])  # they come before a nested def's line
    start = min([body[0].lineno] + [d.lineno for d in decorators])
    code = textwrap.dedent("\n".join(lines[start - 1 : body[-1].end_lineno])).splitlines()
    last = body[-1]
    if isinstance(last, ast.Return):
        names = tuple(answers)
        value = last.value
        elements = value.elts if isinstance(value, ast.Tuple) else [value]
        first = last.lineno - start  # the return's first line within `code`
        if len(elements) == len(names) and all(isinstance(e, ast.Name) and e.id == n for e, n in zip(elements, names)):
            code = code[:first]  # `return model`: the cell already defines `model`
        else:
            code[first] = code[first].replace("return", f"{', '.join(names) or '_'} =", 1)
    return "\n".join(header + code).strip("\n")


def for_notebook(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (``"02"`` or ``"02_mnist_autoencoder"``), in id order of definition."""
    _load_all()
    return [ex for ex in EXERCISES.values() if ex.notebook.startswith(lesson[:2]) and lesson[:2].isdigit()]


def progress(lesson: str, out: TextIO | None = None) -> dict[str, bool | None]:
    """Print one line: which of the lesson's exercises passed in this session.

    Returns ``{id: True (passed) / False (tried, not passed) / None (not checked)}``.
    """
    exs = for_notebook(lesson)
    if not exs:
        raise ValueError(f"no exercises for lesson {lesson!r}")
    status = {ex.id: _RESULTS.get(ex.id) for ex in exs}
    n_ok = sum(v is True for v in status.values())
    marks = {True: "passed", False: "not passed yet", None: "not checked"}
    detail = ", ".join(f"{k} {marks[v]}" for k, v in status.items())
    print(
        f"Exercises of lesson {exs[0].lesson}: {n_ok}/{len(exs)} passed in this session ({detail})",
        file=out or sys.stdout,
    )
    return status


def call_with_context(func: Callable[..., Any], namespace: Mapping[str, Any]) -> Any:
    """Call ``func`` with the entries of ``namespace`` its parameters name (defaults fill the rest)."""
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"{func.__name__}: *args/**kwargs are not context names")
        if name in namespace:
            kwargs[name] = namespace[name]
        elif param.default is param.empty:
            known = ", ".join(sorted(k for k in namespace if not k.startswith("__")))
            raise ValueError(f"{func.__name__} takes {name!r}, which the exercise's context lacks (it has: {known})")
    return func(**kwargs)


def run_in_context(ex: Exercise, source: Source) -> Mapping[str, Any]:
    """Run a solution or a typical mistake in a fresh copy of ``ex.context()``; return the namespace (used by tests).

    ``source`` is a string of code (run in the namespace) or a function of context names
    returning the answer(s); its results are stored under the names of ``ex.answers``.
    """
    namespace = dict(ex.context())
    if isinstance(source, str):
        exec(compile(source, f"<{ex.id}>", "exec"), namespace)
        return namespace
    result = call_with_context(source, namespace)
    if len(ex.answers) == 1:
        values: tuple[Any, ...] = (result,)
    elif isinstance(result, tuple) and len(result) == len(ex.answers):
        values = result
    else:
        raise ValueError(
            f"{ex.id}: the function must return a tuple of {len(ex.answers)} answers ({', '.join(ex.answers)})"
        )
    namespace.update(zip(ex.answers, values))
    return namespace

"""Argument checks shared by the course_utils modules (private): one message per kind of mistake.

Each check returns the value converted to a plain Python type, or raises ``ValueError`` naming
the argument, what was expected and what was given.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any


def is_int(value: Any) -> bool:
    """True for Python/NumPy integers, False for bools and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for finite or infinite Python/NumPy real numbers, False for bools and everything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer, else a ValueError naming ``name``."""
    if not is_int(value) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def int_at_least(name: str, value: Any, low: int) -> int:
    """``value`` as an int if it is an integer ``>= low``."""
    if not is_int(value) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def non_negative_int(name: str, value: Any) -> int:
    """``value`` as an int if it is an integer ``>= 0``."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def optional_positive_int(name: str, value: Any) -> int | None:
    """``None``, or ``value`` as an int if it is a positive integer."""
    if value is None:
        return None
    if not is_int(value) or value <= 0:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return int(value)


def seed(value: Any, *, allow_none: bool = True) -> int | None:
    """A random seed: a non-negative integer (or ``None`` = not seeded, when allowed)."""
    if value is None and allow_none:
        return None
    if not is_int(value) or value < 0:
        raise ValueError(f"seed must be a non-negative integer{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def positive_float(name: str, value: Any) -> float:
    """``value`` as a float if it is a finite number ``> 0``."""
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def non_negative_float(name: str, value: Any) -> float:
    """``value`` as a float if it is a finite number ``>= 0``."""
    if not is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def number_in(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``."""
    if not is_real(value) or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def flag(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, options))}")
    return value


def sizes(name: str, value: Any, *, allow_empty: bool = False) -> tuple[int, ...]:
    """A tuple of positive ints from one int or a sequence of ints (layer widths, filters ...)."""
    if is_int(value):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    out = tuple(value)
    if not out and not allow_empty:
        raise ValueError(f"{name} must contain at least one positive integer, got {value!r}")
    if not all(is_int(s) and s > 0 for s in out):
        raise ValueError(f"{name} must contain only positive integers, got {value!r}")
    return tuple(int(s) for s in out)


def input_shape(value: Any, ndims: tuple[int, ...] = (1, 2, 3)) -> tuple[int, ...]:
    """A model's input shape: one int (features) or a tuple of ``ndims`` positive ints."""
    if is_int(value):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) not in ndims:
        raise ValueError(f"input_shape must be (features,) or (height, width, channels), got {value!r}")
    if not all(is_int(s) and s > 0 for s in value):
        raise ValueError(f"input_shape must contain positive integers, got {value!r}")
    return tuple(int(s) for s in value)

"""Validate what student code returned before anything is compared with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.checks.failure import CheckFailed


def describe(value: Any) -> str:
    """A short, student-readable description of a returned value."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {value!r}" if isinstance(value, int | float) else repr(value)


def expect_tuple(value: Any, names: Sequence[str], function: str) -> tuple[Any, ...]:
    """``function`` must have returned a tuple (or list) of the values ``names``."""
    if not isinstance(value, tuple | list) or len(value) != len(names):
        raise CheckFailed(
            f"{function} should return a tuple ({', '.join(names)}); it returned {describe(value)}"
        )
    return tuple(value)


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    """``what`` must be a dict (a config or a param dict)."""
    if not isinstance(value, dict):
        raise CheckFailed(f"{what}: expected a dict, got {describe(value)}")
    return value


def expect_array(
    value: Any, name: str, shape: tuple[int, ...] | None = None, finite: bool = True
) -> np.ndarray:
    """``value`` must be a numeric numpy array of ``shape``, with no NaN or inf."""
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{name}: expected a numpy array, got {describe(value)}")
    if value.dtype.kind not in "biuf":
        raise CheckFailed(f"{name}: expected a real-valued array, got dtype {value.dtype}")
    if shape is not None and value.shape != tuple(shape):
        raise CheckFailed(f"{name}: expected shape {tuple(shape)}, got shape {value.shape}")
    if finite:
        _expect_finite(value, name)
    return value


def expect_number(value: Any, name: str) -> float:
    """``value`` must be a finite real scalar (Python or numpy number, or a 0-d/size-1 array)."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        value = value.reshape(())[()]
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CheckFailed(f"{name}: expected a number, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # a Python int beyond any float (numpy would make it an object)
        raise CheckFailed(
            f"{name}: expected a number, got an integer of {int(value).bit_length()} bits, "
            "too large for a float"
        ) from None
    _expect_finite(np.asarray(number), name)
    return number


def _expect_finite(value: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(value)
    if bad.any():
        kinds = " and ".join(
            k for k, m in (("NaN", np.isnan(value)), ("inf", np.isinf(value))) if m.any()
        )
        raise CheckFailed(
            f"{name} contains {kinds} ({int(bad.sum())} of {value.size} values); "
            "look for a division by zero, a log of 0 or an overflowing exp"
        )

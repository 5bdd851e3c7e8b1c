"""Compare a student's result with the expected one, explaining the difference."""

from __future__ import annotations

import numpy as np

from grader.checks.failure import CheckFailed
from grader.checks.values import expect_array, expect_number


def rel_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Max elementwise relative error, safe where both values are near zero."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    denominator = np.maximum(1e-8, np.abs(actual) + np.abs(expected))
    return float(np.max(np.abs(actual - expected) / denominator)) if actual.size else 0.0


def two_numbers(expected: float, found: float) -> str:
    """The pair for a message ("expected E, got F"), each number with 6 significant digits, or
    with as many as tell them apart (float32's 2e-7 off reads the same as float64 at 6)."""
    for digits in (6, 9, 12, 17):
        shown = f"{expected:.{digits}g}", f"{found:.{digits}g}"
        if shown[0] != shown[1]:
            break
    return f"expected {shown[0]}, got {shown[1]}"


def _precision_hint(found: np.ndarray, error: float) -> str:
    """Why a result that is nearly right may still fail: it was computed in low precision."""
    if found.dtype.kind == "f" and found.dtype.itemsize < 8 and error < 1e-4:
        digits = np.finfo(found.dtype).precision
        return (f"; your result is {found.dtype}, which keeps about {digits} digits: compute "
                "in float64, as the inputs are")  # fmt: skip
    return ""


def assert_close(actual: object, expected: object, name: str, tolerance: float) -> None:
    """``actual`` must match ``expected`` (an array or number) within relative ``tolerance``."""
    if np.ndim(expected) == 0 and not isinstance(expected, np.ndarray):
        found = expect_number(actual, name)
        error = rel_error(np.float64(found), np.float64(expected))
        if error > tolerance:
            raise CheckFailed(
                f"{name} is wrong: {two_numbers(float(expected), found)} "
                f"(relative error {error:.1e}, tolerance {tolerance:.0e})"
            )
        return
    expected = np.asarray(expected)
    found = expect_array(actual, name, shape=expected.shape)
    error = rel_error(found, expected)
    if error > tolerance:
        worst = np.unravel_index(
            np.argmax(
                np.abs(found - expected) / np.maximum(1e-8, np.abs(found) + np.abs(expected))
            ),
            expected.shape,
        )
        raise CheckFailed(
            f"{name} is wrong: relative error {error:.1e} (tolerance {tolerance:.0e}); "
            f"for example at index {tuple(int(i) for i in worst)} "
            f"{two_numbers(expected[worst], found[worst])}{_precision_hint(found, error)}"
        )

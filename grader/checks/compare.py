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


def assert_close(actual: object, expected: object, name: str, tolerance: float) -> None:
    """``actual`` must match ``expected`` (an array or number) within relative ``tolerance``."""
    if np.ndim(expected) == 0 and not isinstance(expected, np.ndarray):
        found = expect_number(actual, name)
        error = rel_error(np.float64(found), np.float64(expected))
        if error > tolerance:
            raise CheckFailed(
                f"{name} is wrong: expected {float(expected):.6g}, got {found:.6g} "
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
            f"for example at index {tuple(int(i) for i in worst)} expected "
            f"{expected[worst]:.6g}, got {found[worst]:.6g}"
        )

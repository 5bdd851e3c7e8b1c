"""Numerical gradients by central differences, always in float64."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from grader.checks.compare import rel_error
from grader.checks.failure import CheckFailed
from grader.checks.values import expect_array


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:
    """Gradient of ``sum(f(x) * dout)`` (of ``f(x)`` itself when it is a scalar) w.r.t. ``x``.

    ``f`` is called on a perturbed float64 copy of ``x``, two calls per element; ``x`` itself is
    left unchanged.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    weights = None if dout is None else np.asarray(dout, dtype=np.float64)

    def value() -> float:
        out = np.asarray(f(x), dtype=np.float64)
        return float(out) if weights is None else float(np.sum(out * weights))

    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = value()
        x[index] = original - h
        minus = value()
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def assert_gradient(
    analytic: object,
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None,
    name: str,
    tolerance: float,
) -> None:
    """A returned gradient must match the numerical gradient of ``f`` at ``x``."""
    expected = numerical_gradient(f, x, dout)
    expect_array(analytic, name, shape=expected.shape)
    error = rel_error(analytic, expected)
    if error > tolerance:
        raise CheckFailed(
            f"{name} does not match the numerical gradient: relative error {error:.1e} "
            f"(tolerance {tolerance:.0e})"
        )

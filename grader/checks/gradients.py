"""Numerical derivatives by central differences in float64, evaluated in batches.

An objective is the scalar ``sum(forward(x)[out] * dout)`` as a function of one input: a plain
callable from a list of points to their values, so that a function running in the worker
process costs one round trip per batch, not one per point (:func:`summed` makes one from a
function of one point). Two ways to use it:

- :func:`elementwise_gradient`: the classic per-element gradient, two evaluations per element
  (or per sampled element);
- :func:`directional_mismatch`: compare ``<analytic, v>`` with ``(f(x + hv) - f(x - hv)) / 2h``
  for a few random directions ``v``: two evaluations per direction, whatever the size of ``x``
  (the idea of torch.autograd.gradcheck's fast mode).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from grader.checks.failure import NoReferenceAnswer

Points = Sequence[np.ndarray]
#: Values of a scalar function at each of a list of points.
Batched = Callable[[Points], Sequence[float]]


class Objective:
    """A batched objective that counts its evaluations and checks it got one value a point."""

    def __init__(self, evaluate: Batched) -> None:
        self._evaluate = evaluate
        self.evaluations = 0

    def __call__(self, points: Points) -> np.ndarray:
        self.evaluations += len(points)
        values = np.asarray(self._evaluate(points), dtype=np.float64)
        if values.shape != (len(points),):
            raise ValueError(f"objective returned {values.shape} values for {len(points)} points")
        return values


def summed(f: Callable[[np.ndarray], object], dout: np.ndarray | None = None) -> Batched:
    """``sum(f(x) * dout)`` (or ``f(x)`` itself when it is a scalar), one call of ``f`` a point."""
    weights = None if dout is None else np.asarray(dout, dtype=np.float64)

    def evaluate(points: Points) -> list[float]:
        values = []
        for point in points:
            out = np.asarray(f(point), dtype=np.float64)
            values.append(float(out) if weights is None else float(np.sum(out * weights)))
        return values

    return evaluate


def elementwise_gradient(
    objective: Batched,
    x: np.ndarray,
    h: float = 1e-6,
    indices: Sequence[tuple[int, ...]] | None = None,
) -> np.ndarray:
    """Central-difference derivative for each element of ``x`` (or only at ``indices``, the
    others left NaN), from one batch of ``2 * len(indices)`` evaluations."""
    x = np.asarray(x, dtype=np.float64)
    chosen = list(np.ndindex(x.shape)) if indices is None else list(indices)
    points = []
    for index in chosen:
        for sign in (1.0, -1.0):
            point = x.copy()
            point[index] += sign * h
            points.append(point)
    values = objective(points)
    grad = np.full(x.shape, np.nan)
    for k, index in enumerate(chosen):
        grad[index] = (values[2 * k] - values[2 * k + 1]) / (2 * h)
    return grad


def directional_mismatch(
    analytic: np.ndarray,
    objective: Batched,
    x: np.ndarray,
    rng: np.random.Generator,
    directions: int = 2,
    h: float = 1e-6,
) -> float:
    """The worst relative disagreement between ``<analytic, v>`` and the central difference of
    the objective along ``v``, over ``directions`` random Gaussian directions.

    A direction whose estimate changes when the step shrinks tenfold crosses a kink (a ReLU at
    0, a max-pool tie): it is replaced by a fresh one, at most three times per direction.
    """
    x = np.asarray(x, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    worst, kept, attempts = 0.0, 0, 0
    while kept < directions and attempts < 4 * directions:
        attempts += 1
        v = rng.standard_normal(x.shape)
        plus, minus = objective([x + h * v, x - h * v])
        numeric = (plus - minus) / (2 * h)
        exact = float(np.sum(analytic * v))
        error = _relative(exact, numeric, analytic, v)
        if error > 1e-8:
            try:
                fine_plus, fine_minus = objective([x + 0.1 * h * v, x - 0.1 * h * v])
                fine = (fine_plus - fine_minus) / (0.2 * h)
            except NoReferenceAnswer:  # a recording knows only the first step: keep v
                fine = numeric
            if _relative(fine, numeric, analytic, v) > 1e-6:
                continue  # not smooth along v: a kink, try another direction
        worst = max(worst, error)
        kept += 1
    return worst


def _relative(a: float, b: float, analytic: np.ndarray, v: np.ndarray) -> float:
    scale = max(abs(a), abs(b), 1e-3 * float(np.linalg.norm(analytic) * np.linalg.norm(v)), 1e-12)
    return abs(a - b) / scale


def numerical_gradient(
    f: Callable[[np.ndarray], object], x: np.ndarray, dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:  # fmt: skip
    """Gradient of ``sum(f(x) * dout)`` (of ``f(x)`` when it is a scalar), element by element."""
    return elementwise_gradient(summed(f, dout), x, h)

"""Numerical derivatives by central differences in float64, evaluated in batches.

An objective is the scalar ``sum(forward(x)[out] * dout)`` as a function of one input: a plain
callable from a list of points to their values, so that a function running in the worker
process costs one round trip per batch, not one per point (:func:`summed` makes one from a
function of one point). Two ways to use it:

- :func:`elementwise_gradient`: the classic per-element gradient, two evaluations per element
  (or per sampled element);
- :func:`directional_mismatch`: compare ``<analytic, v>`` with ``(f(x + hv) - f(x - hv)) / 2h``
  for a few random directions ``v``: two evaluations for the first direction (one when the
  caller knows f(x)) and usually one for each other, whatever the size of ``x`` (the idea of
  torch.autograd.gradcheck's fast mode).
"""

from __future__ import annotations

import math
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


def weighted_sum(out: object, dout: np.ndarray | None = None) -> float:
    """``sum(out * dout)`` in float64 (``out`` itself when it is a scalar): the value
    :func:`summed` gives a point whose forward returned ``out``, to the last bit."""
    value = np.asarray(out, dtype=np.float64)
    return float(value) if dout is None else float(np.sum(value * np.asarray(dout, np.float64)))


def summed(f: Callable[[np.ndarray], object], dout: np.ndarray | None = None) -> Batched:
    """``sum(f(x) * dout)`` (or ``f(x)`` itself when it is a scalar), one call of ``f`` a point."""
    weights = None if dout is None else np.asarray(dout, dtype=np.float64)

    def evaluate(points: Points) -> list[float]:
        return [weighted_sum(f(point), weights) for point in points]

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
    tolerance: float = 1e-6,
    center: float | None = None,
) -> float:
    """The worst relative disagreement between ``<analytic, v>`` and the numerical derivative
    of the objective along ``v``, over ``directions`` random Gaussian directions.

    ``center`` is f(x) when the caller has it (a test that ran the forward at x anyway).
    Without it, the first direction takes a central difference (two evaluations), which also
    gives f(x) to second order. Each later direction, and with ``center`` the first too, first
    takes one evaluation, ``(f(x + hv) - f(x)) / h``:
    exact for a function linear along v (an affine or convolutional layer, a ReLU away from
    0), it is kept when it agrees within a tenth of ``tolerance``; otherwise the central
    difference decides, as for the first. A direction whose error exceeds ``tolerance`` and
    whose estimate changes when the step shrinks tenfold crosses a kink (a ReLU at 0, a
    max-pool tie): it is replaced by a fresh one, at most three times per direction.
    """
    x = np.asarray(x, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    # Dot products with np.vdot and norms from them: this loop's own arithmetic is a sizeable
    # share of a fast check when the objective is a small layer (a third for a1's conv).
    length = float(np.sqrt(np.vdot(analytic, analytic)))
    worst, kept, attempts = 0.0, 0, 0
    while kept < directions and attempts < 4 * directions:
        attempts += 1
        v = rng.standard_normal(x.shape)
        exact = float(np.vdot(analytic, v))
        floor = 1e-3 * length * float(np.sqrt(np.vdot(v, v)))  # where errors are too small
        step = h * v
        if center is None:
            plus, minus = objective([x + step, x - step])
        else:
            (plus,) = objective([x + step])
            error = _relative(exact, (plus - center) / h, floor)
            if error <= tolerance / 10:
                worst, kept = max(worst, error), kept + 1
                continue
            try:
                (minus,) = objective([x - step])
            except NoReferenceAnswer:  # a recording holds only what a right gradient needs
                worst, kept = max(worst, error), kept + 1
                continue
        numeric = (plus - minus) / (2 * h)
        error = _relative(exact, numeric, floor)
        if error > tolerance and not _smooth(objective, x, v, h, numeric, floor):
            continue  # a kink along v: try another direction
        worst, kept = max(worst, error), kept + 1
        if center is None:
            center = (plus + minus) / 2
    return worst if kept else math.inf  # no direction could be checked: nothing is confirmed


def _smooth(
    objective: Batched, x: np.ndarray, v: np.ndarray, h: float, numeric: float, floor: float
) -> bool:
    """Whether the central difference along ``v`` stays the same with a tenth of the step."""
    try:  # the points as ever, bit for bit: a handout's recording holds values by point
        fine_plus, fine_minus = objective([x + 0.1 * h * v, x - 0.1 * h * v])
    except NoReferenceAnswer:  # a recording knows only the first step: take v as smooth
        return True
    fine = (fine_plus - fine_minus) / (0.2 * h)
    return _relative(fine, numeric, floor) <= 1e-6


def _relative(a: float, b: float, floor: float) -> float:
    """|a - b| relative to the larger of them, or to ``floor`` (a thousandth of |analytic| |v|)
    when both are smaller."""
    error = abs(a - b) / max(abs(a), abs(b), floor, 1e-12)
    return error if math.isfinite(error) else math.inf  # a NaN agrees with nothing


def numerical_gradient(
    f: Callable[[np.ndarray], object], x: np.ndarray, dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:  # fmt: skip
    """Gradient of ``sum(f(x) * dout)`` (of ``f(x)`` when it is a scalar), element by element."""
    return elementwise_gradient(summed(f, dout), x, h)

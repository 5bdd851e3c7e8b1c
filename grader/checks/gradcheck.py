"""The gradient checker grading tests use: fast by default, full on request, and explanatory
when a gradient is wrong.

Modes (the manifest's ``gradient_check.mode``):
- ``fast``: a few random directional derivatives per gradient (two evaluations each), so the
  cost does not grow with the number of elements;
- ``full``: the classic per-element central differences (two evaluations per element).

When a check fails, the message says which gradient, how it is wrong (a known pattern or where
the wrong elements are, from the reference gradient or per-element checks on a sample), and
whether the student's backward at least agrees with the student's own forward.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.compare import rel_error
from grader.checks.diagnose import describe_gradient_error, describe_shape_error
from grader.checks.failure import CheckFailed, depends_on
from grader.checks.gradients import Objective, directional_mismatch, elementwise_gradient
from grader.checks.inputs import assert_unchanged
from grader.checks.values import expect_array, expect_tuple
from grader.sandbox.errors import StudentCodeError

MODES = ("fast", "full")
#: Elements checked one by one to localise an error when no reference gradient is at hand.
SAMPLE = 24


class GradientChecker:
    """Checks gradients against numerical derivatives; one per test (it counts evaluations)."""

    def __init__(
        self, tolerance: float, rng: np.random.Generator, mode: str = "fast", directions: int = 2,
        h: float = 1e-6,
    ) -> None:  # fmt: skip
        if mode not in MODES:
            raise ValueError(f"gradient check mode must be one of {MODES}, not {mode!r}")
        self.tolerance, self.rng, self.mode = tolerance, rng, mode
        self.directions, self.h = directions, h
        #: Objective evaluations and seconds spent in numerical checks (not in diagnoses).
        self.evaluations = 0
        self.seconds = 0.0

    def check(
        self,
        name: str,
        analytic: object,
        objective: Objective,
        x: np.ndarray,
        expected: Callable[[], np.ndarray] | None = None,
        own: tuple[str, Objective] | None = None,
        batch_size: int | None = None,
        one_example: Callable[[int], np.ndarray] | None = None,
    ) -> None:
        """``analytic`` must be the gradient of ``objective`` at ``x``.

        ``expected`` computes the right gradient exactly (a reference backward) for the failure
        message; ``own`` names the student's forward and gives the same objective through it, to
        tell the student whether the gradient at least agrees with their own forward;
        ``one_example(k)`` is the right gradient when only example k of the batch counts, to
        recognise a gradient that forgot to sum over the batch.
        """
        x = np.asarray(x, dtype=np.float64)
        if isinstance(analytic, np.ndarray) and analytic.shape != x.shape:
            raise CheckFailed(describe_shape_error(name, analytic.shape, x.shape))
        found = expect_array(analytic, name, shape=x.shape).astype(np.float64)
        started = time.perf_counter()
        try:
            error = self._error(found, objective, x)
        finally:
            self.evaluations += objective.evaluations
            self.seconds += time.perf_counter() - started
        if error <= self.tolerance:
            return
        try:
            right = expected() if expected is not None else self._sampled(objective, x)
            message = self._explain(name, found, right, error, batch_size, one_example)
        except LookupError:  # a handout's recorded reference cannot answer a diagnosis
            message = (f"{name} does not match the numerical gradient (relative error "
                       f"{error:.1e}, tolerance {self.tolerance:.0e}); the detailed diagnosis "
                       "runs when you submit.")  # fmt: skip
        if own is not None:
            message = f"{message} {self._consistency(found, *own, x)}".rstrip()
        raise CheckFailed(message)

    def _error(self, found: np.ndarray, objective: Objective, x: np.ndarray) -> float:
        if self.mode == "fast":
            return directional_mismatch(found, objective, x, self.rng, self.directions, self.h)
        numeric = elementwise_gradient(objective, x, self.h)
        scale = max(float(np.linalg.norm(found) + np.linalg.norm(numeric)), 1e-12)
        return float(np.linalg.norm(found - numeric)) / scale

    def _sampled(self, objective: Objective, x: np.ndarray) -> np.ndarray:
        """Per-element derivatives at up to SAMPLE random elements (NaN elsewhere)."""
        flat = self.rng.choice(x.size, size=min(SAMPLE, x.size), replace=False)
        indices = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in flat]
        return elementwise_gradient(objective, x, self.h, indices)

    def _explain(
        self, name: str, found: np.ndarray, right: np.ndarray, error: float,
        batch_size: int | None, one_example: Callable[[int], np.ndarray] | None,
    ) -> str:  # fmt: skip
        headline = (
            f"{name} does not match the numerical gradient (relative error {error:.1e}, "
            f"tolerance {self.tolerance:.0e})."
        )
        if one_example is not None and batch_size and batch_size > 1:
            for k in (0, batch_size - 1):
                if np.allclose(found, one_example(k), rtol=1e-6, atol=1e-9):
                    return (f"{headline} {name} only counts example {k} of the batch: it must "
                            f"sum the contributions of all {batch_size} examples.")  # fmt: skip
        known = ~np.isnan(right)
        if known.all():
            detail = describe_gradient_error(name, found, right, self.tolerance, batch_size)
            return f"{headline} {detail}"
        checked = [tuple(int(i) for i in index) for index in np.argwhere(known)]
        wrong = [i for i in checked if rel_error(found[i], right[i]) > self.tolerance]
        if not wrong:
            return headline
        first = wrong[0]
        return (
            f"{headline} Checked one by one, {len(wrong)} of {len(checked)} sampled elements "
            f"are wrong; for example at index {first} expected {right[first]:.6g}, got "
            f"{found[first]:.6g}."
        )

    def _consistency(self, found: np.ndarray, forward: str, own: Objective, x: np.ndarray) -> str:
        try:
            error = directional_mismatch(found, own, x, self.rng, self.directions, self.h)
        except StudentCodeError:
            return ""
        finally:
            self.evaluations += own.evaluations
        if error <= self.tolerance:
            return (
                f"It does agree with your own {forward}, so the mistake is probably in "
                f"{forward}: its output differs from the expected one."
            )
        return f"It does not agree with your own {forward} either."

    # -- the standard check of a layer ----------------------------------------------------------
    def backward(
        self,
        student: Any,
        reference: ModuleType,
        layer: tuple[str, str],
        inputs: dict[str, np.ndarray],
        extra: Sequence[Any] = (),
        *,
        grad: str,
        returns: Sequence[str],
        dout: np.ndarray,
    ) -> None:
        """The student's backward, fed the cache of the student's own forward, must return
        ``grad`` equal to the derivative of the *reference* forward, so that a wrong forward
        costs the forward's points, not the backward's.

        ``layer`` is (forward, backward); ``inputs`` the forward's array arguments by name, in
        order; ``extra`` its other arguments (param dicts, copied afresh for every call);
        ``returns`` the names the backward returns, in order; ``grad`` one of them: the gradient
        of the input named ``grad[1:]``.
        """
        forward, backward = layer
        args = list(inputs.values())
        with depends_on(backward, forward):
            returned = getattr(student, forward)(*args, *copy.deepcopy(list(extra)))
            _, cache = expect_tuple(returned, ("out", "cache"), forward)
        call = getattr(student, backward).trace(dout, cache)
        assert_unchanged((dout,), call.args[:1], ("dout",), backward)
        value = call.value
        if len(returns) > 1:
            value = expect_tuple(value, returns, backward)[list(returns).index(grad)]
        position = list(inputs).index(grad[1:])
        forward_fn = getattr(reference, forward)

        def at(point: np.ndarray) -> list[Any]:
            return [*args[:position], point, *args[position + 1 :], *copy.deepcopy(list(extra))]

        def expected(upstream: np.ndarray = dout) -> np.ndarray:
            _, reference_cache = forward_fn(*at(args[position]))
            grads = getattr(reference, backward)(upstream, reference_cache)
            return np.asarray(grads[list(returns).index(grad)] if len(returns) > 1 else grads)

        def one_example(k: int) -> np.ndarray:
            only_k = np.zeros_like(dout)
            only_k[k] = dout[k]
            return expected(only_k)

        reference_objective = Objective.of(lambda point: forward_fn(*at(point))[0], dout)
        student_forward = getattr(student, forward)
        own = Objective(lambda points: student_forward.objective([at(p) for p in points], 0, dout))
        batch_size = args[0].shape[0] if args[0].ndim > 1 else None
        self.check(grad, value, reference_objective, args[position], expected, (forward, own),
                   batch_size, one_example if batch_size else None)  # fmt: skip

    def loss(self, student: Any, reference: ModuleType, function: str, x: np.ndarray,
             y: np.ndarray) -> None:  # fmt: skip
        """``function(x, y) -> (loss, dx)``: the student's dx must be the derivative of the
        reference loss with respect to the scores x."""
        returned = getattr(student, function)(x, y)
        _, dx = expect_tuple(returned, ("loss", "dx"), function)
        reference_fn, student_fn = getattr(reference, function), getattr(student, function)
        objective = Objective.of(lambda scores: reference_fn(scores, y)[0])
        own = Objective(lambda points: student_fn.objective([(p, y) for p in points], 0))
        self.check("dx", dx, objective, x, lambda: np.asarray(reference_fn(x, y)[1]),
                   (function, own), batch_size=x.shape[0])  # fmt: skip

"""The gradient checker grading tests use: fast by default, full on request, and explanatory
when a gradient is wrong.

Modes (the manifest's ``gradient_check.mode``):
- ``fast``: a few random directional derivatives per gradient (two evaluations for the first,
  one when the test gives f(x), usually one for each other: grader.checks.gradients), so the
  cost does not grow with the number of elements;
- ``full``: the classic per-element central differences (two evaluations per element).

When a check fails, the message says which gradient, how it is wrong (a known pattern or where
the wrong elements are, from the reference gradient or per-element checks on a sample), and
whether the student's backward at least agrees with the student's own forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from grader.checks.compare import rel_error, two_numbers
from grader.checks.diagnose import describe_gradient_error, describe_shape_error
from grader.checks.failure import CheckFailed, NoReferenceAnswer
from grader.checks.gradients import Batched, Objective, directional_mismatch, elementwise_gradient
from grader.checks.values import expect_array
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
        objective: Batched,
        x: np.ndarray,
        expected: Callable[[], np.ndarray] | None = None,
        students_forward: tuple[str, Batched] | None = None,
        batch_size: int | None = None,
        one_example: Callable[[int], np.ndarray] | None = None,
        center: float | None = None,
    ) -> None:
        """``analytic`` must be the gradient of ``objective`` (values at a list of points) at
        ``x``; ``center``, when the caller has it, is the objective's value at ``x`` (it saves
        the fast mode one evaluation).

        ``expected`` computes the right gradient exactly (a reference backward) for the failure
        message; ``students_forward`` names the student's forward and gives the same objective
        through it, to tell the student whether the gradient at least agrees with their own
        forward; ``one_example(k)`` is the right gradient when only example k of the batch
        counts, to recognise a gradient that forgot to sum over the batch.
        """
        x = np.asarray(x, dtype=np.float64)
        if isinstance(analytic, np.ndarray) and analytic.shape != x.shape:
            raise CheckFailed(describe_shape_error(name, analytic.shape, x.shape))
        found = expect_array(analytic, name, shape=x.shape).astype(np.float64)
        counted = Objective(objective)
        started = time.perf_counter()
        try:
            error = self._error(found, counted, x, center)
        finally:
            self.evaluations += counted.evaluations
            self.seconds += time.perf_counter() - started
        if error <= self.tolerance:
            return
        try:
            right = expected() if expected is not None else self._sampled(counted, x)
            message = self._explain(name, found, right, error, batch_size, one_example)
        except NoReferenceAnswer:
            message = (f"{name} does not match the numerical gradient (relative error "
                       f"{error:.1e}, tolerance {self.tolerance:.0e}); the detailed diagnosis "
                       "runs when you submit.")  # fmt: skip
        if students_forward is not None:
            message = f"{message} {self._consistency(found, *students_forward, x)}".rstrip()
        raise CheckFailed(message)

    def _error(
        self, found: np.ndarray, objective: Objective, x: np.ndarray, center: float | None
    ) -> float:
        if self.mode == "fast":
            return directional_mismatch(
                found, objective, x, self.rng, self.directions, self.h, self.tolerance, center
            )
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
            f"are wrong; for example at index {first} {two_numbers(right[first], found[first])}."
        )

    def _consistency(self, found: np.ndarray, forward: str, through: Batched, x: np.ndarray) -> str:
        counted = Objective(through)
        try:
            error = directional_mismatch(
                found, counted, x, self.rng, self.directions, self.h, self.tolerance
            )
        except StudentCodeError:
            return ""
        finally:
            self.evaluations += counted.evaluations
        if error <= self.tolerance:
            return (
                f"It does agree with your own {forward}, so the mistake is probably in "
                f"{forward}: its output differs from the expected one."
            )
        return f"It does not agree with your own {forward} either."

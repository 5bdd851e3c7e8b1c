"""The ``gradcheck`` fixture: the gradient checker bound to a test's student and reference, so
that a test names the function it grades instead of passing both modules and every name.

``gradcheck.backward("layers.affine_backward", inputs, grad="dx", dout=dout)`` checks a
backward of the ``(out, cache)`` kind against the reference forward;
``gradcheck.loss("layers.softmax_loss", x, y)`` a ``(loss, dx)`` function. Layers written as
classes take :func:`grader.checks.modules.check_backward` with this same checker.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from grader.checks.failure import depends_on
from grader.checks.gradcheck import GradientChecker
from grader.checks.gradients import summed, weighted_sum
from grader.checks.inputs import assert_unchanged
from grader.checks.values import expect_tuple


class BoundChecker(GradientChecker):
    """A :class:`GradientChecker` that knows the test's ``student`` and ``reference``."""

    def __init__(self, student: Any, reference: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.student, self.reference = student, reference

    def _functions(self, module: str, function: str) -> tuple[Any, Any]:
        """The student's and the reference's ``module.function``."""
        return getattr(getattr(self.student, module), function), getattr(
            getattr(self.reference, module), function
        )

    def backward(
        self,
        backward: str,
        inputs: dict[str, np.ndarray],
        *extra: Any,
        grad: str,
        dout: np.ndarray,
        forward: str | None = None,
        out: np.ndarray | None = None,
    ) -> None:
        """``backward`` ("module.function"), fed the cache of the student's own forward, must
        return ``grad`` equal to the derivative of the *reference* forward, so that a wrong
        forward costs the forward's points, not the backward's.

        ``inputs`` are the forward's array arguments by name, in order; the backward returns
        their gradients, ``d`` + name each, in the same order (``grad`` is one of them).
        ``extra`` are the forward's other arguments (param dicts, copied afresh for every
        call). ``forward`` defaults to the backward's name with "backward" made "forward".
        ``out`` is the reference forward's output at ``inputs``, for a test that computed it
        anyway (for the shape of ``dout``): the fast check then takes one evaluation less.
        """
        module, backward_name = backward.split(".")
        forward_name = forward or backward_name.replace("backward", "forward")
        student_forward, reference_forward = self._functions(module, forward_name)
        student_backward, reference_backward = self._functions(module, backward_name)
        returns = [f"d{name}" for name in inputs]
        args = list(inputs.values())
        with depends_on(backward_name, forward_name):
            returned = student_forward(*args, *copy.deepcopy(list(extra)))
            _, cache = expect_tuple(returned, ("out", "cache"), forward_name)
        call = student_backward.trace(dout, cache)
        assert_unchanged((dout,), call.args[:1], ("dout",), backward_name)
        value = call.value
        if len(returns) > 1:
            value = expect_tuple(value, returns, backward_name)[returns.index(grad)]
        position = returns.index(grad)

        def at(point: np.ndarray) -> list[Any]:
            return [*args[:position], point, *args[position + 1 :], *copy.deepcopy(list(extra))]

        def expected(upstream: np.ndarray = dout) -> np.ndarray:
            _, reference_cache = reference_forward(*at(args[position]))
            grads = reference_backward(upstream, reference_cache)
            return np.asarray(grads[position] if len(returns) > 1 else grads)

        def one_example(k: int) -> np.ndarray:
            only_k = np.zeros_like(dout)
            only_k[k] = dout[k]
            return expected(only_k)

        objective = summed(lambda point: reference_forward(*at(point))[0], dout)

        def through_student(points: list[np.ndarray]) -> list[float]:
            return student_forward.objective([at(p) for p in points], 0, dout)

        batch_size = args[0].shape[0] if args[0].ndim > 1 else None
        self.check(grad, value, objective, args[position], expected,
                   (forward_name, through_student), batch_size,
                   one_example if batch_size else None,
                   None if out is None else weighted_sum(out, dout))  # fmt: skip

    def loss(self, function: str, x: np.ndarray, y: np.ndarray) -> None:
        """``function(x, y) -> (loss, dx)`` ("module.function"): the student's dx must be the
        derivative of the reference loss with respect to the scores x."""
        module, name = function.split(".")
        student_fn, reference_fn = self._functions(module, name)
        _, dx = expect_tuple(student_fn(x, y), ("loss", "dx"), name)
        objective = summed(lambda scores: reference_fn(scores, y)[0])

        def through_student(points: list[np.ndarray]) -> list[float]:
            return student_fn.objective([(p, y) for p in points], 0)

        self.check("dx", dx, objective, x, lambda: np.asarray(reference_fn(x, y)[1]),
                   (name, through_student), batch_size=x.shape[0])  # fmt: skip

"""The standard check of a layer's backward pass."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.compare import rel_error
from grader.checks.failure import CheckFailed, depends_on
from grader.checks.gradients import assert_gradient
from grader.checks.inputs import assert_unchanged
from grader.checks.values import expect_tuple


def assert_backward(
    student: Any,
    reference: ModuleType,
    layer: tuple[str, str],
    inputs: dict[str, np.ndarray],
    extra: Sequence[Any] = (),
    *,
    grad: str,
    returns: Sequence[str],
    dout: np.ndarray,
    tolerance: float,
) -> None:
    """The student's backward, fed the cache of the student's own forward, must return ``grad``
    equal to the numerical gradient of the *reference* forward, so that a wrong forward costs
    only the forward's points.

    ``layer`` is (forward, backward) names; ``inputs`` the forward's array arguments by name, in
    order; ``extra`` its other arguments (a param dict, copied afresh for every evaluation);
    ``returns`` the names the backward returns in order (``("dx", "dw", "db")``); ``grad`` is one
    of them, the gradient of the input named ``grad[1:]``.
    """
    forward, backward = layer
    args = list(inputs.values())
    with depends_on(backward, forward):
        returned = getattr(student, forward)(*args, *copy.deepcopy(list(extra)))
        out, cache = expect_tuple(returned, ("out", "cache"), forward)
    call = getattr(student, backward).trace(dout, cache)
    assert_unchanged((dout,), call.args[:1], ("dout",), backward)
    value = call.value
    if len(returns) > 1:
        value = expect_tuple(value, returns, backward)[list(returns).index(grad)]
    position = list(inputs).index(grad[1:])

    def reference_forward(perturbed: np.ndarray) -> np.ndarray:
        call_args = list(args)
        call_args[position] = perturbed
        return getattr(reference, forward)(*call_args, *copy.deepcopy(list(extra)))[0]

    try:
        assert_gradient(value, reference_forward, args[position], dout, grad, tolerance)
    except CheckFailed as failure:
        expected = reference_forward(args[position])
        if _differs(out, expected, tolerance):
            raise CheckFailed(
                f"{failure} This is probably because {forward} is wrong: its output differs from "
                f"the expected one, and {backward} works from its cache. Fix {forward} first."
            ) from None
        raise


def _differs(out: Any, expected: np.ndarray, tolerance: float) -> bool:
    if not isinstance(out, np.ndarray) or out.shape != expected.shape:
        return True
    return rel_error(out, expected) > tolerance

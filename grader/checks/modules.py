"""Checks of layers written as classes (assignment 3): parameters set as attributes, ``forward``
and ``backward`` called as methods, gradients read back as attributes.

The gradient check is a1's (:class:`grader.checks.gradcheck.GradientChecker`: directional
derivatives, diagnoses of a wrong gradient, the agreement with the student's own forward),
applied to an object: the student's backward is fed the state of the student's own forward,
and the gradient it stores must be the derivative of the *reference* layer's forward with
respect to the input or to a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.checks.compare import assert_close
from grader.checks.failure import CheckFailed, depends_on
from grader.checks.gradcheck import GradientChecker
from grader.checks.gradients import summed
from grader.checks.inputs import assert_unchanged
from grader.checks.values import expect_array

#: Which parameter each parameter gradient is the gradient of.
PARAMETER_OF = {"dw": "weight", "db": "bias"}


def set_parameters(layer: Any, parameters: dict[str, np.ndarray]) -> None:
    """Set each parameter as an attribute (a fresh copy: the layer may keep it)."""
    for name, value in parameters.items():
        setattr(layer, name, value.copy())


def assert_parameters_unchanged(layer: Any, parameters: dict[str, np.ndarray], method: str) -> None:
    """Reading each parameter back must give what the test set (``method`` ran since)."""
    for name, value in parameters.items():
        found = getattr(layer, name)
        if not (
            isinstance(found, np.ndarray)
            and found.shape == value.shape
            and np.array_equal(found, value)
        ):
            raise CheckFailed(
                f"{method} changed self.{name}; a layer must not modify its parameters in "
                f"forward or backward (work on a copy, avoid in-place operations like +=)"
            )


def check_forward(
    layer: Any,
    reference: Any,
    inputs: Sequence[np.ndarray],
    parameters: dict[str, np.ndarray],
    *,
    name: str,
    tolerance: float,
) -> np.ndarray:
    """``layer.forward(*inputs)`` with ``parameters`` set must return the reference layer's
    output, leaving its inputs and parameters unchanged; returns the output."""
    set_parameters(layer, parameters)
    set_parameters(reference, parameters)
    call = layer.forward.trace(*inputs)
    expected = np.asarray(reference.forward(*inputs))
    out = expect_array(call.value, f"the output of {name}.forward")
    if out.shape != expected.shape:
        raise CheckFailed(
            f"{name}.forward returned shape {out.shape}; expected {expected.shape} for an input "
            f"of shape {np.shape(inputs[0])}"
        )
    assert_close(out, expected, "out", tolerance)
    names = ("x", "y")[: len(inputs)]
    assert_unchanged(list(inputs), call.args[: len(inputs)], names, f"{name}.forward")
    assert_parameters_unchanged(layer, parameters, f"{name}.forward")
    return out


def check_backward(
    checker: GradientChecker,
    layer: Any,
    reference: Any,
    inputs: Sequence[Any],
    parameters: dict[str, np.ndarray],
    *,
    name: str,
    grad: str,
    dout: np.ndarray | None,
    output: int | None = None,
) -> None:
    """``layer.backward(dout)`` (``backward()`` when ``dout`` is None: a loss) after
    ``layer.forward(*inputs)`` must store ``grad`` equal to the derivative of the reference
    layer's forward (its ``output``-th result for a loss) with respect to ``inputs[0]`` (dx) or
    to a parameter (dw, db). ``name`` is the class, for messages."""
    forward, backward = f"{name}.forward", f"{name}.backward"
    set_parameters(layer, parameters)
    with depends_on(backward, forward):
        layer.forward(*inputs)
    call = layer.backward.trace(*([] if dout is None else [dout]))
    if dout is not None:
        assert_unchanged((dout,), call.args[:1], ("dout",), backward)
    value = getattr(layer, grad)
    assert_parameters_unchanged(layer, parameters, f"{forward} or {backward}")
    vary: int | str = PARAMETER_OF.get(grad, 0)
    point = parameters[vary] if isinstance(vary, str) else inputs[0]

    def at(point: np.ndarray) -> list[Any]:
        """The reference set up for a forward at ``point``; returns the forward's arguments."""
        if isinstance(vary, str):
            set_parameters(reference, {**parameters, vary: point})
            return list(inputs)
        set_parameters(reference, parameters)
        return [point, *inputs[1:]]

    def reference_forward(point: np.ndarray) -> Any:
        out = reference.forward(*at(point))
        return out[output] if output is not None else out

    def expected(upstream: np.ndarray | None = dout) -> np.ndarray:
        reference.forward(*at(point))
        reference.backward(*([] if upstream is None else [upstream]))
        return np.asarray(getattr(reference, grad))

    def one_example(k: int) -> np.ndarray:
        assert dout is not None
        only_k = np.zeros_like(dout)
        only_k[k] = dout[k]
        return expected(only_k)

    def through_student(points: Sequence[np.ndarray]) -> list[float]:
        return layer.forward.objective(tuple(inputs), vary, list(points), output, dout)

    first = np.asarray(inputs[0])
    batch_size = first.shape[0] if first.ndim > 1 else None
    checker.check(
        grad, value, summed(reference_forward, dout), point, expected, (forward, through_student),
        batch_size,
        one_example if batch_size and dout is not None else None,
    )  # fmt: skip

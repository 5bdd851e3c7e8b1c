import numpy as np
import pytest

from grader.checks import (
    assert_close,
    assert_unchanged,
    expect_tuple,
)

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]


def away_from_zero(rng, shape):
    """Values in [-2, -0.1] or [0.1, 2]: never near the kink of ReLU and leaky ReLU at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward(student, reference, rng, tolerance, name):
    """{name}_forward: out matches the reference, x unchanged"""
    x = away_from_zero(rng, (3, 4, 2))
    function = f"{name}_forward"
    call = getattr(student.layers, function).trace(x)
    out, _ = expect_tuple(call.value, ("out", "cache"), function)
    assert_close(out, getattr(reference.layers, function)(x)[0], "out", tolerance("forward"))
    assert_unchanged((x,), call.args, ("x",), function)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward(student, reference, rng, gradcheck, name):
    """{name}_backward: dx matches the numerical gradient"""
    x = away_from_zero(rng, (4, 5))
    gradcheck.backward(
        student.layers,
        reference.layers,
        (f"{name}_forward", f"{name}_backward"),
        {"x": x},
        grad="dx",
        returns=("dx",),
        dout=rng.standard_normal(x.shape),
    )


def test_leaky_relu_alpha(student, reference, rng, tolerance):
    """leaky_relu_forward: uses the alpha it is given"""
    x = away_from_zero(rng, (6,))
    out, _ = expect_tuple(
        student.layers.leaky_relu_forward(x, alpha=0.2), ("out", "cache"), "leaky_relu_forward"
    )
    expected = reference.layers.leaky_relu_forward(x, alpha=0.2)[0]
    assert_close(out, expected, "out with alpha=0.2", tolerance("forward"))


def test_sigmoid_extreme_inputs(student, reference, tolerance):
    """sigmoid_forward: finite and right for inputs like -1000 and 1000"""
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    out, _ = expect_tuple(student.layers.sigmoid_forward(x), ("out", "cache"), "sigmoid_forward")
    assert_close(out, reference.layers.sigmoid_forward(x)[0], "out", tolerance("forward"))

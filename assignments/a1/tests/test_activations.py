import numpy as np
import pytest

from grader.testing import assert_close, assert_unchanged, depends_on, layer_forward, rel_error

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]


def away_from_zero(rng, shape):
    """Values in [-2, -0.1] or [0.1, 2]: never near the kink of ReLU and leaky ReLU at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward(student, reference, rng, tolerance, name):
    """{name}_forward: out matches the reference, x unchanged"""
    x = away_from_zero(rng, (3, 4, 2))
    function = f"{name}_forward"
    out, _, args = layer_forward(getattr(student.layers, function), x)
    assert_close(out, getattr(reference.layers, function)(x)[0], "out", tolerance("forward"))
    assert_unchanged((x,), args, ("x",), function)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward(student, reference, rng, gradcheck, name):
    """{name}_backward: dx matches the numerical gradient"""
    x = away_from_zero(rng, (4, 5))
    dout = rng.standard_normal(x.shape)
    gradcheck.backward(f"layers.{name}_backward", {"x": x}, grad="dx", dout=dout)


def test_leaky_relu_alpha(student, reference, rng, tolerance):
    """leaky_relu_forward: uses the alpha it is given"""
    x = away_from_zero(rng, (6,))
    x[:3] = -np.abs(x[:3])  # negative inputs, where alpha shows (all 6 positive: 1 run in 64)
    out, _, _ = layer_forward(student.layers.leaky_relu_forward, x, alpha=0.2)
    expected = reference.layers.leaky_relu_forward(x, alpha=0.2)[0]
    assert_close(out, expected, "out with alpha=0.2", tolerance("forward"))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_extreme_inputs(student, reference, tolerance, name):
    """{name}_forward: finite and right for inputs like -1000 and 1000"""
    x = np.array([[-1000.0, -50.0, -0.5], [0.5, 50.0, 1000.0]])  # exp(1000) overflows
    function = f"{name}_forward"
    out, _, _ = layer_forward(getattr(student.layers, function), x)
    assert_close(out, getattr(reference.layers, function)(x)[0], "out", tolerance("forward"))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_extreme_inputs(student, reference, rng, tolerance, name):
    """{name}_backward: finite and right for inputs like -1000 and 1000"""
    x = np.array([[-1000.0, -50.0, -0.5], [0.5, 50.0, 1000.0]])  # exp(1000) overflows
    forward = f"{name}_forward"
    dout = rng.standard_normal(x.shape)
    with depends_on(f"{name}_backward", forward):
        out, cache, _ = layer_forward(getattr(student.layers, forward), x)
    expected_out, expected_cache = getattr(reference.layers, forward)(x)
    right = isinstance(out, np.ndarray) and out.shape == expected_out.shape
    if not (right and rel_error(out, expected_out) <= tolerance("forward")):  # NaN: not right
        # The backward needs its own forward's cache: its forward's test already takes the points.
        pytest.skip(f"Not graded at these inputs: {forward} is wrong there, and the backward "
                    "needs what it returns.")  # fmt: skip
    dx = getattr(student.layers, f"{name}_backward")(dout, cache)
    expected = getattr(reference.layers, f"{name}_backward")(dout, expected_cache)
    assert_close(dx, expected, "dx", tolerance("forward"))

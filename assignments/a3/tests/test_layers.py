"""Linear, ReLU and Sigmoid: forward against the reference, gradients against the numerical
gradient of the reference forward, inputs and parameters left unchanged."""

import numpy as np
import pytest

from grader.testing import CheckFailed, assert_close, check_backward, check_forward, expect_array


def linear(student, reference, rng):
    """A Linear layer of the student and of the reference, its input and parameters."""
    x = rng.standard_normal((4, 2, 3, 2))
    parameters = {"weight": rng.standard_normal((12, 5)), "bias": rng.standard_normal(5)}
    return student.modules.Linear(12, 5), reference.modules.Linear(12, 5), x, parameters


def away_from_zero(rng, shape):
    """Values at least 0.1 away from 0, where ReLU has its kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def test_linear_forward(student, reference, rng, tolerance):
    """Linear: forward matches the reference; x, weight and bias unchanged"""
    layer, ref, x, parameters = linear(student, reference, rng)
    check_forward(layer, ref, (x,), parameters, name="Linear", tolerance=tolerance("forward"))


@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
def test_linear_backward(student, reference, rng, gradcheck, grad):
    """Linear: backward sets {grad} to the numerical gradient"""
    layer, ref, x, parameters = linear(student, reference, rng)
    dout = rng.standard_normal((4, 5))
    check_backward(gradcheck, layer, ref, (x,), parameters, name="Linear", grad=grad, dout=dout)


@pytest.mark.parametrize("activation", ["ReLU", "Sigmoid"])
def test_activation_forward(student, reference, rng, tolerance, activation):
    """{activation}: forward matches the reference and x is unchanged"""
    layer, ref = getattr(student.modules, activation)(), getattr(reference.modules, activation)()
    x = away_from_zero(rng, (3, 4, 5))
    check_forward(layer, ref, (x,), {}, name=activation, tolerance=tolerance("forward"))


@pytest.mark.parametrize("activation", ["ReLU", "Sigmoid"])
def test_activation_backward(student, reference, rng, gradcheck, activation):
    """{activation}: backward sets dx to the numerical gradient"""
    layer, ref = getattr(student.modules, activation)(), getattr(reference.modules, activation)()
    x, dout = away_from_zero(rng, (3, 4, 5)), rng.standard_normal((3, 4, 5))
    check_backward(gradcheck, layer, ref, (x,), {}, name=activation, grad="dx", dout=dout)


def test_sigmoid_extreme_inputs(student, reference, tolerance):
    """Sigmoid: finite and right for inputs of -1000 and 1000"""
    x = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    out = expect_array(student.modules.Sigmoid().forward(x), "out", shape=x.shape)
    assert_close(out, reference.modules.Sigmoid().forward(x), "out", tolerance("forward"))
    if not (out[0, 0] >= 0 and out[0, -1] <= 1):
        raise CheckFailed("sigmoid must stay within [0, 1]")

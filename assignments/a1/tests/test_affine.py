import numpy as np
import pytest

from grader.testing import assert_close, assert_unchanged, layer_forward

CASES = {"x of shape (2, 4, 5)": ((2, 4, 5), 3), "N=1": ((1, 6), 2)}


def affine_inputs(rng, x_shape, m):
    d = int(np.prod(x_shape[1:]))
    return {
        "x": rng.standard_normal(x_shape),
        "w": rng.standard_normal((d, m)),
        "b": rng.standard_normal(m),
    }


@pytest.mark.parametrize("x_shape, m", CASES.values(), ids=CASES.keys())
def test_affine_forward_output(student, reference, rng, tolerance, x_shape, m):
    """affine_forward: out matches the reference, inputs unchanged"""
    inputs = affine_inputs(rng, x_shape, m)
    out, _, args = layer_forward(student.layers.affine_forward, *inputs.values())
    expected, _ = reference.layers.affine_forward(*inputs.values())
    assert_close(out, expected, "out", tolerance("forward"))
    assert_unchanged(list(inputs.values()), args, list(inputs), "affine_forward")


@pytest.mark.parametrize("x_shape, m", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
def test_affine_backward_gradients(student, reference, rng, gradcheck, grad, x_shape, m):
    """affine_backward: {grad} matches the numerical gradient"""
    inputs = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    gradcheck.backward("layers.affine_backward", inputs, grad=grad, dout=dout)

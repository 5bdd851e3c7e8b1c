import numpy as np
import pytest

from grader.checks import (
    assert_close,
    assert_gradient,
    assert_unchanged,
    depends_on,
    expect_tuple,
)

SHAPES = {"N=2, x of shape (2, 4, 5)": ((2, 4, 5), 3), "N=1": ((1, 6), 2)}


def random_inputs(rng, x_shape, m):
    d = int(np.prod(x_shape[1:]))
    return rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)


@pytest.mark.parametrize("x_shape, m", SHAPES.values(), ids=SHAPES.keys())
def test_affine_forward_output(student, reference, rng, tolerance, x_shape, m):
    """affine_forward: out matches the reference on random inputs"""
    x, w, b = random_inputs(rng, x_shape, m)
    call = student.layers.affine_forward.trace(x, w, b)
    out, _ = expect_tuple(call.value, 2, "affine_forward should return (out, cache); it")
    expected, _ = reference.layers.affine_forward(x, w, b)
    assert_close(out, expected, "out", tolerance("forward"))
    assert_unchanged((x, w, b), call.args, ("x", "w", "b"), "affine_forward")


@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
def test_affine_backward_gradient(student, reference, rng, tolerance, grad):
    """affine_backward: {grad} matches the numerical gradient"""
    inputs = random_inputs(rng, (3, 2, 3), 4)
    dout = rng.standard_normal((3, 4))
    with depends_on("affine_backward", "affine_forward"):
        _, cache = expect_tuple(student.layers.affine_forward(*inputs), 2, "affine_forward")
    grads = expect_tuple(student.layers.affine_backward(dout, cache), 3, "affine_backward")
    index = ["dx", "dw", "db"].index(grad)

    def forward(value):
        args = list(inputs)
        args[index] = value
        return reference.layers.affine_forward(*args)[0]

    assert_gradient(grads[index], forward, inputs[index], dout, grad, tolerance("gradient"))

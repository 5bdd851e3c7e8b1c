import pytest

from grader.checks import (
    CheckFailed,
    assert_close,
    assert_unchanged,
    expect_array,
    expect_tuple,
)

# (x shape, w shape, stride, pad), by case name.
BASIC = {"3x3 filters, stride 1, pad 1": ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1)}
EDGE = {
    "non-square input and filters, stride 2, pad 0": ((3, 3, 9, 8), (4, 3, 3, 2), 2, 0),
    "N=1, stride 2, pad 2": ((1, 3, 8, 10), (2, 3, 3, 3), 2, 2),
}
GRADS = ("dx", "dw", "db")


def conv_inputs(rng, x_shape, w_shape):
    return {
        "x": rng.standard_normal(x_shape),
        "w": rng.standard_normal(w_shape),
        "b": rng.standard_normal(w_shape[0]),
    }


def check_forward(student, reference, rng, tolerance, x_shape, w_shape, stride, pad):
    inputs = conv_inputs(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    call = student.layers.conv_forward_naive.trace(*inputs.values(), param)
    out, _ = expect_tuple(call.value, ("out", "cache"), "conv_forward_naive")
    expected, _ = reference.layers.conv_forward_naive(*inputs.values(), dict(param))
    out = expect_array(out, "out")
    if out.shape != expected.shape:
        raise CheckFailed(
            f"out has shape {out.shape}; expected {expected.shape} for x {x_shape}, w {w_shape}, "
            f"stride {stride}, pad {pad}: H' = 1 + (H + 2 * pad - HH) // stride, and likewise W'"
        )
    assert_close(out, expected, "out", tolerance("forward"))
    assert_unchanged(list(inputs.values()), call.args[:3], list(inputs), "conv_forward_naive")


def check_backward(student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad):
    inputs = conv_inputs(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, _ = reference.layers.conv_forward_naive(*inputs.values(), dict(param))
    gradcheck.backward(
        student.layers,
        reference.layers,
        ("conv_forward_naive", "conv_backward_naive"),
        inputs,
        [param],
        grad=grad,
        returns=GRADS,
        dout=rng.standard_normal(out.shape),
    )


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", BASIC.values(), ids=BASIC.keys())
def test_conv_forward(student, reference, rng, tolerance, x_shape, w_shape, stride, pad):
    """conv_forward_naive: out matches the reference, inputs unchanged"""
    check_forward(student, reference, rng, tolerance, x_shape, w_shape, stride, pad)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", EDGE.values(), ids=EDGE.keys())
def test_conv_forward_edge_cases(student, reference, rng, tolerance, x_shape, w_shape, stride, pad):
    """conv_forward_naive: out matches the reference"""
    check_forward(student, reference, rng, tolerance, x_shape, w_shape, stride, pad)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", BASIC.values(), ids=BASIC.keys())
@pytest.mark.parametrize("grad", GRADS)
def test_conv_backward(student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad):
    """conv_backward_naive: {grad} matches the numerical gradient"""
    check_backward(student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", EDGE.values(), ids=EDGE.keys())
@pytest.mark.parametrize("grad", GRADS)
def test_conv_backward_edge_cases(
    student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad
):
    """conv_backward_naive: {grad} matches the numerical gradient"""
    check_backward(student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad)

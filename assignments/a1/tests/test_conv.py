import pytest

from grader.testing import CheckFailed, assert_close, assert_unchanged, expect_array, layer_forward

#: Edge cases are shown to students after the due date (the self-check counts them).
EDGE_CASE = pytest.mark.visibility("after_due_date")
#: (x shape, w shape, stride, pad). Every case keeps the contract's promise that
#: (H + 2 * pad - HH) % stride == 0 and likewise for W: CS231n's docstrings let students assume
#: it (many assert it), so correct code must never lose points on a geometry outside it.
CASES = [
    pytest.param((2, 3, 8, 8), (4, 3, 3, 3), 1, 1, id="3x3 filters, stride 1, pad 1"),
    pytest.param(
        (3, 3, 9, 8), (4, 3, 3, 2), 2, 0, id="non-square input and filters, stride 2, pad 0",
        marks=EDGE_CASE,
    ),
    pytest.param(
        (1, 3, 7, 9), (2, 3, 3, 5), 2, 2, id="N=1, non-square filters, stride 2, pad 2",
        marks=EDGE_CASE,
    ),
]  # fmt: skip


def conv_inputs(rng, x_shape, w_shape):
    return {
        "x": rng.standard_normal(x_shape),
        "w": rng.standard_normal(w_shape),
        "b": rng.standard_normal(w_shape[0]),
    }


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CASES)
def test_conv_forward(student, reference, rng, tolerance, x_shape, w_shape, stride, pad):
    """conv_forward_naive: out matches the reference, inputs unchanged"""
    inputs = conv_inputs(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, _, args = layer_forward(student.layers.conv_forward_naive, *inputs.values(), param)
    expected, _ = reference.layers.conv_forward_naive(*inputs.values(), dict(param))
    out = expect_array(out, "out")
    if out.shape != expected.shape:
        raise CheckFailed(
            f"out has shape {out.shape}; expected {expected.shape} for x {x_shape}, w {w_shape}, "
            f"stride {stride}, pad {pad}: H' = 1 + (H + 2 * pad - HH) // stride, and likewise W'"
        )
    assert_close(out, expected, "out", tolerance("forward"))
    assert_unchanged(list(inputs.values()), args[:3], list(inputs), "conv_forward_naive")


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CASES)
@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
def test_conv_backward(student, reference, rng, gradcheck, grad, x_shape, w_shape, stride, pad):
    """conv_backward_naive: {grad} matches the numerical gradient"""
    inputs = conv_inputs(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, _ = reference.layers.conv_forward_naive(*inputs.values(), dict(param))
    dout = rng.standard_normal(out.shape)
    gradcheck.backward("layers.conv_backward_naive", inputs, param, grad=grad, dout=dout, out=out)

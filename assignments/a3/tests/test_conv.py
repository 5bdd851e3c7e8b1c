"""Conv2D and MaxPooling, with the cases where their mistakes hide: stride 2, padding,
non-square inputs, a batch of one, pooling windows that overlap or leave gaps."""

import numpy as np
import pytest

from grader.testing import check_backward, check_forward

#: Edge cases are shown to students after the due date (the self-check counts them).
EDGE_CASE = pytest.mark.visibility("after_due_date")
#: (x shape, out channels, kernel size, stride, padding)
CONV_CASES = [
    pytest.param((2, 3, 8, 8), 4, 3, 1, 1, id="3x3, stride 1, padding 1"),
    pytest.param((2, 2, 7, 9), 3, 3, 2, 1, id="non-square input, stride 2, padding 1"),
    pytest.param((1, 3, 8, 6), 2, 2, 2, 0, id="N=1, 2x2, stride 2, no padding", marks=EDGE_CASE),
    pytest.param((2, 2, 5, 5), 3, 3, 2, 2, id="stride 2, padding 2", marks=EDGE_CASE),
]  # fmt: skip
#: (x shape, kernel size, stride)
POOL_CASES = [
    pytest.param((2, 3, 8, 8), 2, 2, id="2x2 windows, stride 2"),
    pytest.param((2, 2, 7, 9), 3, 2, id="overlapping 3x3 windows, stride 2"),
    pytest.param((1, 2, 8, 11), 2, 3, id="N=1, 2x2 windows with gaps, stride 3", marks=EDGE_CASE),
]  # fmt: skip


def conv(student, reference, rng, x_shape, filters, kernel, stride, padding):
    """A Conv2D of the student and of the reference, its input and parameters."""
    channels = x_shape[1]
    args = (channels, filters)
    options = {"kernel_size": kernel, "stride": stride, "padding": padding}
    parameters = {
        "weight": rng.standard_normal((filters, channels, kernel, kernel)),
        "bias": rng.standard_normal(filters),
    }
    return (student.modules.Conv2D(*args, **options), reference.modules.Conv2D(*args, **options),
            rng.standard_normal(x_shape), parameters)  # fmt: skip


def distinct(rng, shape):
    """Values without ties (a permutation), so that every pooling window has one maximum."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size / 2) / size * 4


@pytest.mark.parametrize("x_shape, filters, kernel, stride, padding", CONV_CASES)
def test_conv_forward(student, reference, rng, tolerance, x_shape, filters, kernel, stride,
                      padding):  # fmt: skip
    """Conv2D: forward matches the reference; x, weight and bias unchanged"""
    layer, ref, x, parameters = conv(student, reference, rng, x_shape, filters, kernel, stride,
                                     padding)  # fmt: skip
    check_forward(layer, ref, (x,), parameters, name="Conv2D", tolerance=tolerance("forward"))


@pytest.mark.parametrize("x_shape, filters, kernel, stride, padding", CONV_CASES)
@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
def test_conv_backward(student, reference, rng, gradcheck, grad, x_shape, filters, kernel,
                       stride, padding):  # fmt: skip
    """Conv2D: backward sets {grad} to the numerical gradient"""
    layer, ref, x, parameters = conv(student, reference, rng, x_shape, filters, kernel, stride,
                                     padding)  # fmt: skip
    dout = rng.standard_normal(ref.forward(x).shape)
    check_backward(gradcheck, layer, ref, (x,), parameters, name="Conv2D", grad=grad, dout=dout)


@pytest.mark.parametrize("x_shape, kernel, stride", POOL_CASES)
def test_pool_forward(student, reference, rng, tolerance, x_shape, kernel, stride):
    """MaxPooling: forward matches the reference and x is unchanged"""
    layer = student.modules.MaxPooling(kernel, stride)
    ref = reference.modules.MaxPooling(kernel, stride)
    x = distinct(rng, x_shape)
    check_forward(layer, ref, (x,), {}, name="MaxPooling", tolerance=tolerance("forward"))


@pytest.mark.parametrize("x_shape, kernel, stride", POOL_CASES)
def test_pool_backward(student, reference, rng, gradcheck, x_shape, kernel, stride):
    """MaxPooling: backward sets dx to the numerical gradient"""
    layer = student.modules.MaxPooling(kernel, stride)
    ref = reference.modules.MaxPooling(kernel, stride)
    x = distinct(rng, x_shape)
    dout = rng.standard_normal(ref.forward(x).shape)
    check_backward(gradcheck, layer, ref, (x,), {}, name="MaxPooling", grad="dx", dout=dout)

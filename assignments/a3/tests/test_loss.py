"""SoftmaxCrossEntropy: forward returns (probs, loss), backward() sets dx."""

import numpy as np

from grader.testing import (
    assert_close,
    assert_unchanged,
    check_backward,
    expect_array,
    expect_tuple,
)


def scores(rng, n=6, k=5):
    return rng.standard_normal((n, k)) * 3, rng.integers(0, k, size=n)


def check_loss_forward(student, reference, x, y, tolerance):
    call = student.modules.SoftmaxCrossEntropy().forward.trace(x, y)
    probs, loss = expect_tuple(call.value, ("probs", "loss"), "SoftmaxCrossEntropy.forward")
    expected_probs, expected_loss = reference.modules.SoftmaxCrossEntropy().forward(x, y)
    assert_close(expect_array(probs, "probs"), expected_probs, "probs", tolerance)
    assert_close(loss, expected_loss, "loss", tolerance)
    assert_unchanged((x, y), call.args, ("x", "y"), "SoftmaxCrossEntropy.forward")


def test_loss_forward(student, reference, rng, tolerance):
    """SoftmaxCrossEntropy: forward returns the reference's probs and loss; x, y unchanged"""
    x, y = scores(rng)
    check_loss_forward(student, reference, x, y, tolerance("forward"))


def test_loss_backward(student, reference, rng, gradcheck):
    """SoftmaxCrossEntropy: backward() sets dx to the numerical gradient of the loss"""
    x, y = scores(rng)
    check_backward(
        gradcheck, student.modules.SoftmaxCrossEntropy(), reference.modules.SoftmaxCrossEntropy(),
        (x, y), {}, name="SoftmaxCrossEntropy", grad="dx", dout=None, output=1,
    )  # fmt: skip


def test_loss_large_scores(student, reference, tolerance):
    """SoftmaxCrossEntropy: finite and right for scores of +-1000, even when the right class's
    probability underflows"""
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [3.0, -1000.0, 2.0]])
    y = np.array([0, 0, 1])
    check_loss_forward(student, reference, x, y, tolerance("forward"))

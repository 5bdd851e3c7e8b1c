import numpy as np
import pytest

from grader.checks import assert_close, assert_gradient, assert_unchanged, expect_tuple

LOSSES = ["softmax_loss", "svm_loss"]


def scores_and_labels(rng, n=5, c=4):
    """Scores spaced at least 0.05 apart from every SVM margin, so no hinge sits at its kink."""
    y = rng.integers(0, c, size=n)
    x = rng.standard_normal((n, c))
    for i in range(n):
        for j in range(c):
            gap = x[i, j] - x[i, y[i]] + 1.0
            if j != y[i] and abs(gap) < 0.05:
                x[i, j] += 0.1
    return x, y


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_value_and_gradient(student, reference, rng, tolerance, loss):
    """{loss}: loss and dx match the reference"""
    x, y = scores_and_labels(rng)
    call = getattr(student.layers, loss).trace(x, y)
    value, dx = expect_tuple(call.value, 2, f"{loss} should return (loss, dx); it")
    expected_loss, expected_dx = getattr(reference.layers, loss)(x, y)
    assert_close(value, expected_loss, "loss", tolerance("forward"))
    assert_close(dx, expected_dx, "dx", tolerance("forward"))
    assert_unchanged((x, y), call.args, ("x", "y"), loss)


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_numerical_gradient(student, reference, rng, tolerance, loss):
    """{loss}: dx matches the numerical gradient of the loss"""
    x, y = scores_and_labels(rng)
    _, dx = expect_tuple(getattr(student.layers, loss)(x, y), 2, loss)

    def value(scores):
        return getattr(reference.layers, loss)(scores, y)[0]

    assert_gradient(dx, value, x, None, "dx", tolerance("gradient"))


def test_softmax_loss_large_scores(student, reference, tolerance):
    """softmax_loss: stays finite and right for scores like [1000, 1001, 1002]"""
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    y = np.array([2, 0])
    value, dx = expect_tuple(student.layers.softmax_loss(x, y), 2, "softmax_loss")
    expected_loss, expected_dx = reference.layers.softmax_loss(x, y)
    assert_close(value, expected_loss, "loss (subtract each row's max before exp)", 1e-7)
    assert_close(dx, expected_dx, "dx", tolerance("forward"))

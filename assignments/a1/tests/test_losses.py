import numpy as np
import pytest

from grader.testing import (
    CheckFailed,
    assert_close,
    assert_unchanged,
    expect_array,
    expect_tuple,
    known_mistake,
    rel_error,
)

LOSSES = ["softmax_loss", "svm_loss"]


def scores_and_labels(rng, n=5, c=4):
    """Scores kept at least 0.05 away from every SVM margin, so no hinge sits at its kink."""
    y = rng.integers(0, c, size=n)
    x = rng.standard_normal((n, c))
    for i in range(n):
        for j in range(c):
            gap = x[i, j] - x[i, y[i]] + 1.0
            if j != y[i] and abs(gap) < 0.05:
                x[i, j] += 0.1
    return x, y


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_matches_reference(student, reference, rng, tolerance, loss):
    """{loss}: loss and dx match the reference, inputs unchanged"""
    x, y = scores_and_labels(rng)
    call = getattr(student.layers, loss).trace(x, y)
    value, dx = expect_tuple(call.value, ("loss", "dx"), loss)
    expected_loss, expected_dx = getattr(reference.layers, loss)(x, y)
    assert_close(value, expected_loss, "loss", tolerance("forward"))
    assert_close(dx, expected_dx, "dx", tolerance("forward"))
    assert_unchanged((x, y), call.args, ("x", "y"), loss)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("n", [1, 6])
def test_loss_numerical_gradient(student, reference, rng, gradcheck, loss, n):
    """{loss}: dx matches the numerical gradient of the loss (N={n})"""
    x, y = scores_and_labels(rng, n=n)
    gradcheck.loss(f"layers.{loss}", x, y)


@pytest.mark.parametrize("case", ["scores like [1000, 1001, 1002]", "correct class far below"])
@pytest.mark.parametrize("loss", LOSSES)
def test_loss_large_scores(student, reference, tolerance, loss, case):
    """{loss}: finite and right for extreme scores"""
    # Large scores overflow exp without the max shift. Correct classes 60 and 300 below their
    # row's maximum have probabilities (e^-60, e^-300) that vanish next to a clamp such as
    # log(p + 1e-20), yet are exact in float64.
    x, y = {
        "scores like [1000, 1001, 1002]": (
            [[1000.0, 1001.0, 1002.0], [1002.0, 1000.0, 1001.0], [-1000.0, -1001.0, -999.0]],
            [2, 0, 1],
        ),
        "correct class far below": (
            [[0.0, 60.0, -3.0], [-250.0, 50.0, 2.0], [1.5, 0.3, -0.9]],
            [0, 0, 1],
        ),
    }[case]
    x, y = np.array(x), np.array(y)
    value, dx = expect_tuple(getattr(student.layers, loss)(x, y), ("loss", "dx"), loss)
    expected_loss, expected_dx = getattr(reference.layers, loss)(x, y)
    hint = (
        " (subtract each row's maximum before exp, and never clamp a probability: "
        "log(p + 1e-20) is wrong when p is tiny)"
        if loss == "softmax_loss"
        else ""
    )
    assert_close(value, expected_loss, f"loss{hint}", tolerance("forward"))
    found = expect_array(dx, "dx", shape=expected_dx.shape)
    mistake = np.all(np.isfinite(found)) and known_mistake("dx", found, expected_dx, len(y))
    if mistake and rel_error(found, expected_dx) > tolerance("forward"):
        raise CheckFailed(mistake)  # not a matter of stability: the same at any scores
    assert_close(found, expected_dx, f"dx{hint}", tolerance("forward"))

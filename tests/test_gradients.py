"""The numerical-derivative machinery and the gradient checker's verdicts and explanations."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, GradientChecker, NoReferenceAnswer, summed
from grader.checks.diagnose import describe_gradient_error, describe_shape_error
from grader.checks.gradients import (
    Objective,
    directional_mismatch,
    elementwise_gradient,
    weighted_sum,
)

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 3))


def smooth(x):
    return np.tanh(x) @ A  # (N, 4) -> (N, 3)


def smooth_grad(x, dout):
    return (dout @ A.T) * (1 - np.tanh(x) ** 2)


@pytest.fixture
def case():
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    return x, dout, smooth_grad(x, dout)


def test_objective_counts_and_checks_its_values():
    objective = Objective(summed(lambda x: x.sum()))
    assert list(objective([np.ones(2), np.zeros(2)])) == [2.0, 0.0]
    assert objective.evaluations == 2
    with pytest.raises(ValueError, match="returned"):
        Objective(lambda points: [1.0])([np.ones(1), np.ones(1)])


def test_elementwise_gradient_matches_the_analytic_one(case):
    x, dout, grad = case
    objective = Objective(summed(smooth, dout))
    np.testing.assert_allclose(elementwise_gradient(objective, x), grad, rtol=1e-6)
    assert objective.evaluations == 2 * x.size
    sample = elementwise_gradient(summed(smooth, dout), x, indices=[(0, 1), (4, 3)])
    assert np.isnan(sample).sum() == x.size - 2
    assert sample[0, 1] == pytest.approx(grad[0, 1], rel=1e-6)


def test_directional_mismatch_is_tiny_for_right_and_large_for_wrong_gradients(case):
    x, dout, grad = case
    right = directional_mismatch(grad, summed(smooth, dout), x, np.random.default_rng(2))
    assert right < 1e-8
    one_wrong = grad.copy()
    one_wrong[2, 1] += 0.5
    wrong = directional_mismatch(one_wrong, summed(smooth, dout), x,
                                 np.random.default_rng(2))  # fmt: skip
    assert wrong > 1e-3


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_an_objective_that_is_not_finite_confirms_no_gradient(case, value):
    """A forward that returns NaN or inf at the checked points (a student's, when a wrong
    gradient is compared with the student's own forward) agrees with no gradient: each of its
    directions looked like a kink, and the check used to pass with an error of 0."""
    x, dout, grad = case
    broken = summed(lambda point: np.full((5, 3), value), dout)
    with np.errstate(invalid="ignore"):  # inf times dout's signs sums to NaN
        assert directional_mismatch(grad, broken, x, np.random.default_rng(2)) == np.inf


def test_directions_that_cross_a_kink_are_replaced():
    x = np.array([3e-7, -0.5, 0.8, 1.2])  # the first element sits within one step of ReLU's kink
    relu_grad = (x > 0).astype(float)
    objective = Objective(summed(lambda v: np.maximum(v, 0).sum()))
    error = directional_mismatch(relu_grad, objective, x, np.random.default_rng(3), directions=3)
    assert error < 1e-6
    assert objective.evaluations > 6  # some directions were tried again


def test_a_linear_function_costs_one_evaluation_per_later_direction():
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((6, 5)), rng.standard_normal((5, 3))
    dout = rng.standard_normal((6, 3))
    objective = Objective(summed(lambda v: v @ w, dout))
    error = directional_mismatch(dout @ w.T, objective, x, rng, directions=3)
    assert error < 1e-7  # rounding only: within a tenth of the tolerance
    assert objective.evaluations == 2 + 1 + 1
    wrong = directional_mismatch(dout @ w.T * 1.01, summed(lambda v: v @ w, dout), x, rng)
    assert wrong > 1e-3


def test_a_known_center_saves_the_first_directions_second_evaluation():
    """With f(x) from the test (the reference output it computed for dout's shape), a linear
    layer costs one evaluation a direction; the center is only a shortcut: a wrong one sends
    every direction back to a central difference, with the same verdicts."""
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((6, 5)), rng.standard_normal((5, 3))
    dout = rng.standard_normal((6, 3))
    center = weighted_sum(x @ w, dout)
    assert center == float(np.sum((x @ w) * dout))  # summed()'s arithmetic, to the last bit
    for given, evaluations in [(center, 2), (center + 1.0, 4), (np.nan, 4)]:
        objective = Objective(summed(lambda v: v @ w, dout))
        error = directional_mismatch(dout @ w.T, objective, x, np.random.default_rng(5),
                                     center=given)  # fmt: skip
        assert error < 1e-6
        assert objective.evaluations == evaluations
        wrong = directional_mismatch(dout @ w.T * 1.01, summed(lambda v: v @ w, dout), x,
                                     np.random.default_rng(5), center=given)  # fmt: skip
        assert wrong > 1e-3


def test_a_known_center_still_takes_central_differences_where_a_layer_curves(case):
    """tanh is not linear: the one-sided difference misses by more than a tenth of the
    tolerance, so each direction takes its central difference too."""
    x, dout, grad = case
    objective = Objective(summed(smooth, dout))
    center = weighted_sum(smooth(x), dout)
    assert directional_mismatch(grad, objective, x, np.random.default_rng(2), center=center) < 1e-8
    assert objective.evaluations == 4


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_checker_modes_agree_and_count_evaluations(case, mode):
    x, dout, grad = case
    checker = GradientChecker(1e-6, np.random.default_rng(4), mode=mode)
    checker.check("dx", grad, summed(smooth, dout), x)
    assert checker.evaluations == (4 if mode == "fast" else 2 * x.size)
    with pytest.raises(CheckFailed, match="dx does not match the numerical gradient"):
        checker.check("dx", grad * 2, summed(smooth, dout), x, batch_size=2)


def test_checker_localises_with_a_sample_when_no_reference_gradient():
    rng = np.random.default_rng(5)
    x, dout = rng.standard_normal((20, 4)), rng.standard_normal((20, 3))
    wrong = smooth_grad(x, dout)
    wrong[:, 0] = 0.0
    checker = GradientChecker(1e-6, rng, mode="fast")
    with pytest.raises(CheckFailed, match=r"Checked one by one, \d+ of 24 sampled elements"):
        checker.check("dx", wrong, summed(smooth, dout), x)


def test_checker_says_whether_the_gradient_agrees_with_the_students_forward(case):
    x, dout, grad = case
    checker = GradientChecker(1e-6, np.random.default_rng(6))
    students = summed(lambda v: smooth(v) * 3, dout)  # a forward that is 3 times too large
    with pytest.raises(CheckFailed, match="agree with your own layer_forward, so the mistake"):
        checker.check("dx", grad * 3, summed(smooth, dout), x, lambda: grad,
                      students_forward=("layer_forward", students))  # fmt: skip


def answers_once(f, dout, error):
    """An objective that answers its first batch, then raises ``error`` (a handout's recording
    holds the first step's answers only)."""
    batches = []

    def evaluate(points):
        batches.append(len(points))
        if len(batches) > 1:
            raise error
        return summed(f, dout)(points)

    return evaluate


def test_a_recording_without_the_diagnosis_still_fails_the_check(case):
    x, dout, grad = case
    checker = GradientChecker(1e-6, np.random.default_rng(8), directions=1)
    objective = answers_once(smooth, dout, NoReferenceAnswer("not recorded"))
    with pytest.raises(CheckFailed, match="the detailed diagnosis runs when you submit"):
        checker.check("dx", grad * 2, objective, x)


def test_a_key_error_in_the_reference_is_not_taken_for_a_missing_recording(case):
    x, dout, grad = case
    checker = GradientChecker(1e-6, np.random.default_rng(8), directions=1)
    with pytest.raises(KeyError):
        checker.check("dx", grad * 2, answers_once(smooth, dout, KeyError("a bug")), x)


def test_shape_mismatch_is_explained(case):
    x, dout, grad = case
    checker = GradientChecker(1e-6, np.random.default_rng(7))
    with pytest.raises(CheckFailed, match=r"expected shape \(5, 4\), got shape \(4, 5\): it looks"):
        checker.check("dw", grad.T, summed(smooth, dout), x)


EXPECTED = np.arange(1.0, 13.0).reshape(3, 4)


@pytest.mark.parametrize(
    "found, batch, text",
    [
        (np.zeros((3, 4)), 3, "dx is all zeros."),
        (-EXPECTED, 3, "dx has the wrong sign"),
        (3 * EXPECTED, 3, "dx is 3 times too large (N = 3)"),
        (EXPECTED / 3, 3, "dx is 3 times too small (N = 3)"),
        (2.5 * EXPECTED, 3, "off by a constant factor: it is 2.5 times"),
        (EXPECTED + np.array([[0.0], [0.0], [1.0]]), 3, "wrong at 4 of 12 elements (only in "
         "example 2 of the batch)"),
    ],
)  # fmt: skip
def test_known_patterns_are_named(found, batch, text):
    assert text in describe_gradient_error("dx", found, EXPECTED, 1e-6, batch)


def test_transposed_square_gradient_is_named():
    square = np.arange(1.0, 10.0).reshape(3, 3)
    assert "looks transposed" in describe_gradient_error("dw", square.T, square, 1e-6, None)


def test_border_and_channel_regions_are_named():
    expected = np.ones((2, 3, 6, 6))
    border = expected.copy()
    border[:, :, 0, :] = 5.0
    assert "only on the border of each image" in describe_gradient_error(
        "dx", border, expected, 1e-6, 2
    )
    channel = expected.copy()
    channel[:, 1, 2:4, 2:4] = 5.0
    assert "only in channel 1" in describe_gradient_error("dx", channel, expected, 1e-6, 2)


@pytest.mark.parametrize(
    "found, expected, text",
    [
        ((2, 3, 7, 7), (2, 3, 5, 5), "still includes the zero padding"),
        ((4, 3), (3, 4), "looks transposed"),
        ((8, 3), (3,), "forget to sum over the batch"),
        ((2, 2), (3, 3), "got shape (2, 2)."),
    ],
)
def test_shape_hints(found, expected, text):
    assert text in describe_shape_error("dx", found, expected)

"""Comparing a student's result with the expected one: the message must show the difference."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close
from grader.checks.compare import two_numbers
from grader.checks.diagnose import known_mistake


def test_numbers_that_differ_beyond_six_digits_are_shown_with_more():
    assert two_numbers(0.5880081, 0.5880082) == "expected 0.5880081, got 0.5880082"
    assert two_numbers(1.0, 1.00000002) == "expected 1, got 1.00000002"
    assert two_numbers(0.25, 0.5) == "expected 0.25, got 0.5"


def test_a_float32_result_is_told_to_compute_in_float64():
    """A float32 output one rounding away from float64's: the numbers differ in the message,
    and the message says why."""
    expected = np.array([[0.588008123456789, -2.661736781234]])
    found = expected.astype(np.float32)
    with pytest.raises(CheckFailed) as info:
        assert_close(found, expected, "out", 1e-8)
    message = str(info.value)
    shown = message.split("expected ")[1].split("; ")[0]
    expected_text, found_text = shown.split(", got ")
    assert expected_text != found_text, message
    assert message.endswith(
        "your result is float32, which keeps about 6 digits: compute in float64, as the inputs are"
    )


def test_a_wrong_float64_result_gets_no_precision_hint():
    with pytest.raises(CheckFailed) as info:
        assert_close(np.array([1.0, 2.0]) * 1.5, np.array([1.0, 2.0]), "out", 1e-7)
    assert "float64" not in str(info.value) and "expected 1, got 1.5" in str(info.value)


def test_a_gradient_right_but_for_rounding_is_no_known_mistake():
    """float32 noise is no constant factor ("1 times the right gradient"): nothing to name."""
    expected = np.array([[0.1, 0.2], [0.3, -0.6]])
    assert known_mistake("dx", expected.astype(np.float32) * (1 + 3e-7), expected, 2) is None
    assert known_mistake("dx", 2 * expected, expected, 2).startswith("dx is 2 times too large")

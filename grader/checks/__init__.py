"""The checks grading tests are built from (a test imports them from grader.testing). Each
failure raises CheckFailed with a message for the student: what was expected, what was found,
and what to look at."""

from grader.checks.compare import assert_close, rel_error
from grader.checks.failure import CheckFailed, NoReferenceAnswer, depends_on
from grader.checks.gradcheck import GradientChecker
from grader.checks.gradients import numerical_gradient, summed
from grader.checks.inputs import assert_unchanged
from grader.checks.values import expect_array, expect_dict, expect_number, expect_tuple

__all__ = [
    "CheckFailed",
    "GradientChecker",
    "NoReferenceAnswer",
    "assert_close",
    "assert_unchanged",
    "depends_on",
    "expect_array",
    "expect_dict",
    "expect_number",
    "expect_tuple",
    "numerical_gradient",
    "rel_error",
    "summed",
]

"""The one import of a grading test: ``from grader.testing import ...``.

Checks raise :class:`CheckFailed` with a message for the student. The fixtures a test asks for
(``student``, ``reference``, ``rng``, ``gradcheck``, ``tolerance``, ``training``, ``note``,
``leaderboard_entry``, ``manifest``) come from the grading plugin; this module holds the rest,
so that a test never reaches into the sandbox or the training internals.
"""

from gradescope_utils.autograder_utils.decorators import leaderboard, partial_credit

from grader.checks import (
    CheckFailed,
    assert_close,
    assert_unchanged,
    depends_on,
    expect_array,
    expect_dict,
    expect_number,
    expect_tuple,
    numerical_gradient,
    rel_error,
)
from grader.checks.diagnose import known_mistake
from grader.checks.forward import LayerOutput, layer_forward
from grader.checks.modules import check_backward, check_forward, set_parameters
from grader.sandbox.codec import Seed
from grader.sandbox.errors import StudentCodeError, StudentRaised
from grader.training.datasets import digits, drawn_digits
from grader.training.trainer import accuracy

__all__ = [
    "CheckFailed",
    "LayerOutput",
    "Seed",
    "StudentCodeError",
    "StudentRaised",
    "accuracy",
    "assert_close",
    "assert_unchanged",
    "check_backward",
    "check_forward",
    "depends_on",
    "digits",
    "drawn_digits",
    "expect_array",
    "expect_dict",
    "expect_number",
    "expect_tuple",
    "known_mistake",
    "layer_forward",
    "leaderboard",
    "numerical_gradient",
    "partial_credit",
    "rel_error",
    "set_parameters",
]

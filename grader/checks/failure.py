"""The exceptions of checks: CheckFailed, an AssertionError whose text is for the student, and
NoReferenceAnswer, for a check that needs a reference answer a handout does not hold."""

from collections.abc import Iterator
from contextlib import contextmanager

from grader.sandbox.errors import StudentCodeError


class CheckFailed(AssertionError):
    """A check found the student's result wrong; ``str(exc)`` explains it to the student."""


class NoReferenceAnswer(Exception):
    """The reference holds recorded answers, not code (a student's handout), and has none for
    this call: a check that only explains a failure (a diagnosis, a kink test) goes without it,
    and the full check runs when the student submits."""


@contextmanager
def depends_on(function: str, dependency: str) -> Iterator[None]:
    """Blame a failure inside the block on ``dependency``, which ``function`` cannot be graded
    without (a backward needs the cache of its own forward)."""
    try:
        yield
    except (StudentCodeError, CheckFailed) as exc:
        raise CheckFailed(
            f"{function} could not be graded because {dependency} failed, and {function} needs "
            f"what {dependency} returns. {dependency}: {exc}"
        ) from None

"""Failures caused by student code, each carrying the message the student should read."""

from __future__ import annotations


class StudentCodeError(Exception):
    """A call into student code failed; ``str(exc)`` is written for the student."""


class NotImplementedByStudent(StudentCodeError):
    """The function raises NotImplementedError (a stub, or code that calls one)."""


class UntouchedStub(NotImplementedByStudent):
    """NotImplementedError from the first statement of the only submission function the call
    went through: nothing of the student's ran before it."""


class StudentRaised(StudentCodeError):
    """The student function raised an exception."""


class StudentTimeout(StudentCodeError):
    """The call ran past its time limit and the worker was killed."""


class WorkerCrashed(StudentCodeError):
    """The worker process died during the call (exit, signal, memory)."""


class SubmissionFileError(StudentCodeError):
    """A submission file is missing, or failed to import (syntax error, import error...)."""


class ImportFailed(SubmissionFileError):
    """The file's import failed for a reason of the file's own (a syntax error, a module it
    imports that is not there): it would fail the same in any fresh worker."""


class ImportFailedBefore(SubmissionFileError):
    """The file's import failed in an earlier call: said again without running anything."""


class MissingFunction(StudentCodeError):
    """The module imported but does not define the requested function."""


class BadValue(StudentCodeError):
    """The function returned something the grader cannot receive."""


#: The worker reports failures as a ``kind`` string; this maps each kind to its exception.
ERROR_KINDS: dict[str, type[StudentCodeError]] = {
    "not_implemented": NotImplementedByStudent,
    "untouched_stub": UntouchedStub,
    "exception": StudentRaised,
    "file": SubmissionFileError,
    "import_failed": ImportFailed,
    "missing_function": MissingFunction,
    "bad_value": BadValue,
}

"""Grading test files that do not load (a syntax error, a failed import): a staff-side error
that names the file and line, never a results file that looks like a grade."""

from __future__ import annotations

import traceback
from pathlib import Path

from grader.manifest import ManifestError


class TestFileError(ManifestError):
    """A grading test file of the assignment could not be loaded. Like a broken manifest, it
    is the staff's to fix: grading stops, and the student is told it is not their fault."""

    __test__ = False  # not a pytest test class, despite the name


def load_error(path: Path, exc: BaseException) -> TestFileError:
    """The error for test file ``path``, whose import raised ``exc`` (pytest wraps the import's
    own exception in a CollectError: its ``__cause__``)."""
    cause = exc.__cause__ or exc
    line: int | None = None
    where = path
    if isinstance(cause, SyntaxError):
        where, line = Path(cause.filename or path), cause.lineno
        what = f"SyntaxError: {cause.msg}"
    else:
        frames = traceback.extract_tb(cause.__traceback__)
        inside = [f for f in frames if Path(f.filename).resolve().is_relative_to(path.parent)]
        if inside:
            where, line = Path(inside[-1].filename), inside[-1].lineno
        what = "".join(traceback.format_exception_only(cause)).strip().splitlines()[-1]
    at = f", line {line}" if line else ""
    return TestFileError(f"{where}{at}: the grading tests could not be loaded: {what}")

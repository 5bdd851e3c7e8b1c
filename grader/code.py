"""The two codes a grading test compares, as its fixtures: ``student`` (the submission's
modules, called in the sandboxed worker) and ``reference`` (the solution, in this process)."""

from __future__ import annotations

import pytest

from grader.context import context_of
from grader.recording import RecordingReference, ReplayReference
from grader.reference import Reference
from grader.reporting.outcomes import visibility_of
from grader.sandbox.proxy import Student


@pytest.fixture
def student(request: pytest.FixtureRequest) -> Student:
    """The submission's modules, called in the worker process (a fresh one, with nothing
    left of student code's state, for a visible test after a hidden one)."""
    context = context_of(request)
    meta = context.meta[request.node.nodeid]
    context.sandbox.begin_test(hidden=visibility_of(meta, context.manifest) != "visible")
    return Student(context.sandbox)


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> Reference | RecordingReference | ReplayReference:
    """The reference solution's modules, imported in this (trusted) process. A fixture of each
    test: a handout's recording notes which test made each call (and a module's or session's
    fixture cannot ask for it, so no call is made on behalf of several tests)."""
    solution = context_of(request).solution
    if isinstance(solution, RecordingReference):
        solution.test = request.node.nodeid
    return solution

"""The two codes a grading test compares, as its fixtures: ``student`` (the submission's
modules, called in the sandboxed worker) and ``reference`` (the solution, in this process)."""

from __future__ import annotations

import pytest

from grader.context import CONTEXT, context_of
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


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Reference | RecordingReference | ReplayReference:
    """The reference solution's modules, imported in this (trusted) process. One for the run:
    a fixture set up afresh for each test cost about 60 us a test in pytest's machinery."""
    return context_of(request).solution


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures are set up: they may call it
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A handout's recording notes which test made each reference call."""
    solution = item.config.stash[CONTEXT].solution
    if isinstance(solution, RecordingReference):
        solution.test = item.nodeid

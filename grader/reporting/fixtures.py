"""Fixtures through which a test adds to its own entry of the results: ``note``,
``leaderboard_entry`` and pytest's ``record_property``. What they gather rides on the test's
user_properties."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from grader.reporting.results import LeaderboardEntry

#: user_properties names of a test's notes (lines of its output) and leaderboard columns.
NOTES = "grader.notes"
BOARD = "grader.leaderboard"


@pytest.fixture
def note(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``note(text)``: a line for the test's output, whether it passes or fails."""
    notes: list[str] = []
    request.node.user_properties.append((NOTES, notes))
    return notes.append


@pytest.fixture
def leaderboard_entry(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``leaderboard_entry(column, value, order="desc")``: a leaderboard column beyond the
    one gradescope-utils' decorator gives a test (kept only if the test passes)."""
    entries: list[LeaderboardEntry] = []
    request.node.user_properties.append((BOARD, entries))

    def add(name: str, value: float | str, order: str = "desc") -> None:
        entries.append(LeaderboardEntry(name, value, order))

    return add


@pytest.fixture
def record_property(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """pytest's ``record_property(name, value)``, as its junitxml plugin defines it: gradings
    turn that plugin off (it imports an XML library in every grade), and a course's tests may
    still use its fixtures."""

    def record(name: str, value: object) -> None:
        request.node.user_properties.append((name, value))

    return record


@pytest.fixture
def record_xml_attribute() -> Callable[[str, object], None]:
    """junitxml's ``record_xml_attribute(name, value)``: as in pytest without an XML report,
    accepted and unused."""

    def record(name: str, value: object) -> None:
        pass

    return record


@pytest.fixture(scope="session")
def record_testsuite_property() -> Callable[[str, object], None]:
    """junitxml's ``record_testsuite_property(name, value)``: accepted, and unused without an
    XML report."""

    def record(name: str, value: object) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name parameter needs to be a string, but {type(name).__name__} given")

    return record

"""Fewer garbage collections in the grader's own process, which lives for one command.

CPython collects its youngest objects every 700 net allocations of containers, and the older
generations every tenth of those collections; at exit it makes one more full collection. A grade
allocates a few hundred thousand containers (imports, pytest's collection, reports), almost none
of them garbage that refcounting does not free: for a1, about 140 collections, 65 to 80 ms of the
grader's CPU, and 35 to 45 ms more at exit. With the youngest threshold at 100,000 an a1 grade
makes no collection while it runs (its peak memory grows from 60 to 61 MB), and with its objects
frozen before the exit the last one passes them by.

Only the ``grader`` command and run_autograder do this (:func:`run_command`), never a process
that calls the grader and goes on (a test suite, ``grader batch``'s grading processes, which
keep Python's thresholds). Student code never runs under these settings: the worker is another
process (and grader.sandbox.zygote gives it Python's own).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pytest

#: Net container allocations between two collections of the youngest generation (CPython: 700).
YOUNGEST_THRESHOLD = 100_000


def run_command(main: Callable[[], int]) -> NoReturn:
    """Run a command's ``main`` with fewer collections, then exit with its status without the
    full collection at exit (what exists is frozen first, so that collection passes it by;
    atexit handlers still run and open files still close)."""
    fewer_collections()
    status = main()
    gc.freeze()
    sys.exit(status)


def fewer_collections() -> None:
    """Raise the youngest generation's threshold; the older ones keep their ratios."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)


class CollectAfterFailures:
    """pytest plugin: a failed test's frames, and the arrays in them, freed once it is over.
    pytest keeps them in a reference cycle (the frame of ``CallInfo.from_call`` holds the
    exception, whose traceback holds that frame) and in ``sys.last_traceback`` (for a debugger's
    post-mortem) until the next failure: a collection then finds the cycle in an older
    generation, which Python's own thresholds rarely collect and the raised one never does in a
    grade. Twenty failed tests that each held a 25 MB array took the grader's process to 550 MB;
    with ``sys.last_*`` dropped and the youngest generation collected after each failed test,
    74 MB. Those collections find mostly the test's own garbage: 50 to 65 ms for the 128 failed
    tests of a1's stubs, against 12 collections of 100,000 objects (100 ms) when only the
    threshold collects."""

    def __init__(self) -> None:
        self._failed = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._failed |= report.failed

    def pytest_runtest_logfinish(self) -> None:
        """After the test's last report: nothing but the cycle and sys.last_* holds it."""
        if self._failed:
            self._failed = False
            for name in ("last_type", "last_value", "last_traceback", "last_exc"):
                if hasattr(sys, name):
                    delattr(sys, name)
            gc.collect(0)

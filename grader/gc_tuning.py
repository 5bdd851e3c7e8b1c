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
keep Python's thresholds); a failed test's frames are freed when it ends whatever the threshold
(grader.failed_frames). Student code never runs under these settings: the worker is another
process (and grader.sandbox.zygote gives it Python's own).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import NoReturn

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

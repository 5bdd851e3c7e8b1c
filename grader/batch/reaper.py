"""A watcher that kills what a grading process started once that process is gone.

The sandbox's fork server and workers live in sessions of their own, so a grading process
killed outright (out of memory, a Ray node shutting down, a cancelled task) would leave them
running until their own time limits. :func:`guard` starts, once per grading process, a small
process that notes that process's descendants every ``INTERVAL`` seconds and kills them when it
ends; it is in a session of its own (a terminal's Ctrl-C is not for it) and ends with it.

Run as ``python -m grader.batch.reaper PID``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import psutil

INTERVAL = 1.0

_guarded: set[int] = set()


def guard() -> None:
    """Watch this process (once): its descendants die with it."""
    if os.getpid() in _guarded:
        return
    _guarded.add(os.getpid())
    subprocess.run(
        [sys.executable, "-m", "grader.batch.reaper", str(os.getpid())],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's Ctrl-C is for the batch, not for this
        check=True,
    )  # fmt: skip


def watch(pid: int) -> None:
    try:
        parent = psutil.Process(pid)
    except psutil.Error:
        return
    known: dict[int, psutil.Process] = {}
    while parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE:
        with contextlib.suppress(psutil.Error):
            for child in parent.children(recursive=True):
                known.setdefault(child.pid, child)
        time.sleep(INTERVAL)
    for process in known.values():
        with contextlib.suppress(psutil.Error):  # psutil refuses a pid that was reused
            process.kill()


if __name__ == "__main__":
    # Detach (the caller waits for this first process only): Ray kills a dead worker's
    # children, and this watcher must outlive the worker to do its job.
    if os.fork() == 0:
        watch(int(sys.argv[1]))
    os._exit(0)

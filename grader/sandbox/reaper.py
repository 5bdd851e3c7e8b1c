"""A watcher that kills what a grading process started, and removes its temporary files, once
that process is gone.

The sandbox's fork server and workers live in sessions of their own, so a grading process
killed outright (out of memory, a Ray node shutting down, a cancelled task, a batch stopped by
Ctrl-C) would leave them running until their own time limits, and its copies of the submission
and of the staff's tests in the temporary folder for good. :func:`guard` starts, once per
grading process, a small process that notes that process's descendants every ``INTERVAL``
seconds and kills them when it ends, then removes the temporary folder that the grading
process's own temporary folders are made in from then on; the watcher is in a session of its
own (a terminal's Ctrl-C is not for it) and ends with it.

Run as ``python -m grader.sandbox.reaper PID FOLDER``. It lives in the sandbox's package,
which imports nothing, so that starting it costs a grading process 0.1 s, not the 0.5 s of
importing ``grader.batch`` (pytest, the grading) that ``-m grader.batch.reaper`` cost.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from grader.sandbox.user import SandboxUser, remove_tree, student_uids

INTERVAL = 1.0

_guarded: set[int] = set()


def guard() -> None:
    """Watch this process (once): its descendants die with it, and the temporary folders it
    makes from now on (in a folder of its own: ``tempfile.tempdir``) are removed after it."""
    if os.getpid() in _guarded:
        return
    _guarded.add(os.getpid())
    folder = tempfile.mkdtemp(prefix="grader-process-")
    os.chmod(folder, 0o711)  # student code's user passes through it to its scratch folder
    try:
        _start_watcher(folder)
    except BaseException:
        os.rmdir(folder)
        raise
    tempfile.tempdir = folder


def _start_watcher(folder: str) -> None:
    subprocess.run(
        [sys.executable, "-I", "-m", "grader.sandbox.reaper", str(os.getpid()), folder],
        cwd="/",  # nothing of the grading's folder on its path (-I: nor the environment's)
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's Ctrl-C is for the batch, not for this
        check=True,
    )  # fmt: skip


def watch(pid: int, folder: Path) -> None:
    """Wait for ``pid`` to end, then kill every descendant it was seen with (and, as root,
    every process of the uids its student code ran under) and remove ``folder``."""
    with contextlib.suppress(psutil.Error):  # else gone already
        _kill_when_gone(psutil.Process(pid))
    # As root, also every process of the uids student code ran under, wherever it went (none
    # may change the folder while it is removed), unless another grading holds the uid now
    # (taking it killed them)
    users = [u for u in map(SandboxUser.unless_held, _student_uids(folder)) if u is not None]
    try:
        for user in users:
            user.clean_up()
        with contextlib.suppress(OSError):
            remove_tree(folder)
    finally:
        for user in users:
            user.unlock()


def _kill_when_gone(parent: psutil.Process) -> None:
    """Note ``parent``'s descendants until it ends, then kill them."""
    known: dict[int, psutil.Process] = {}
    while _alive(parent):
        with contextlib.suppress(psutil.Error):
            for child in parent.children(recursive=True):
                if child.pid not in known or not known[child.pid].is_running():  # pid reused
                    known[child.pid] = child
        # Not itself: it may be seen under ``pid`` before its first process has left
        known.pop(os.getpid(), None)
        time.sleep(INTERVAL)
    for process in known.values():
        with contextlib.suppress(psutil.Error):  # psutil refuses a pid that was reused
            process.kill()
    psutil.wait_procs(known.values(), timeout=5)


def _student_uids(folder: Path) -> set[int]:
    """The uids of the student code that ran in gradings of ``folder``: the owners of their
    scratch folders' homes (none unless the grader is root)."""
    uids = student_uids()
    if uids is None:
        return set()
    found = set()
    for home in folder.glob("grader-scratch-*/home"):
        with contextlib.suppress(OSError):
            found.add(home.lstat().st_uid)
    return {uid for uid in found if uid in uids}


def _alive(process: psutil.Process) -> bool:
    """Whether ``process`` still runs (it may end, and be reaped, while it is asked)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


if __name__ == "__main__":
    # Detach (the caller waits for this first process only): Ray kills a dead worker's
    # children, and this watcher must outlive the worker to do its job.
    if os.fork() == 0:
        watch(int(sys.argv[1]), Path(sys.argv[2]))
    os._exit(0)

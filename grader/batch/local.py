"""The local process pool: ``workers`` grading processes on this machine, the default backend.

A grading process that dies (killed, out of memory) costs only the submission it was grading:
that one is graded again in a fresh process, at most ``MAX_ATTEMPTS`` times in all, then
recorded as a failed grade with the reason. Stopping (Ctrl-C) kills every grading process and
everything it started, within seconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

import psutil
from threadpoolctl import threadpool_limits

from grader.batch.discover import Submission
from grader.batch.fingerprint import Fingerprint
from grader.batch.task import failed_grade, grade_submission
from grader.manifest import Manifest
from grader.reporting.results import Results
from grader.sandbox import reaper

#: Attempts at one submission whose grading process dies each time.
MAX_ATTEMPTS = 3
#: Seconds a stopping grading process gets to kill its own workers before it is killed.
STOP_GRACE = 2.0
#: Imported once by the fork server: the grader, pytest, numpy, and the training datasets'
#: reader (which reads scikit-learn's digits file without importing scikit-learn).
PRELOAD = ["grader.batch.task", "grader.training.datasets"]

Done = Callable[[Submission, Results], None]


@dataclass
class _Slot:
    process: Any
    connection: Connection
    job: Submission | None = None


def grade_all(jobs: list[Submission], manifest: Manifest, made_with: Fingerprint, workers: int,
              done: Done) -> None:  # fmt: skip
    """Grade ``jobs`` on ``workers`` processes, calling ``done`` (in this process) for each."""
    # Grading processes are forked from a fork server that has imported the grader once (not
    # from this process: no inherited state or threads), so that each does not pay for the
    # imports again; that work was most of what kept 2 workers from being twice as fast as 1.
    if not jobs:
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    pending = deque(jobs)
    attempts: dict[str, int] = {}
    slots: list[_Slot] = []

    def start() -> _Slot:
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, manifest, made_with), daemon=True)
        process.start()
        theirs.close()
        return _Slot(process, ours)

    try:
        slots = [start() for _ in range(max(1, min(workers, len(jobs))))]
        while pending or any(slot.job for slot in slots):
            for slot in slots:
                if slot.job is None and pending:
                    slot.job = pending.popleft()
                    attempts[slot.job.id] = attempts.get(slot.job.id, 0) + 1
                    slot.connection.send((slot.job.path, attempts[slot.job.id]))
            busy = [slot for slot in slots if slot.job]
            wait([s.connection for s in busy] + [s.process.sentinel for s in busy])
            for index, slot in enumerate(slots):
                job = slot.job
                if job is None:
                    continue
                reply = _reply(slot)
                if reply is not None:
                    slot.job = None
                    done(job, reply)
                elif not slot.process.is_alive():
                    _stop(slot)
                    slots[index] = start()
                    if attempts[job.id] < MAX_ATTEMPTS:
                        pending.appendleft(job)
                    else:
                        died = f"the grading process {_death(slot.process.exitcode)}"
                        reason = f"{died} on each of {MAX_ATTEMPTS} attempts"
                        failed = failed_grade(reason, made_with, attempts[job.id], True)
                        done(job, failed)
    finally:
        for slot in slots:
            _stop(slot)


def _reply(slot: _Slot) -> Results | None:
    with contextlib.suppress(EOFError, OSError):
        if slot.connection.poll():
            return slot.connection.recv()
    return None


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}"
    return f"exited with status {exitcode}"


def _stop(slot: _Slot) -> None:
    """Ask the grading process to stop (it kills its workers), then kill what is left of it
    and of every process it started."""
    try:
        family = [psutil.Process(slot.process.pid)]
        family += family[0].children(recursive=True)
    except psutil.Error:
        family = []
    with contextlib.suppress(OSError, ValueError):
        slot.connection.close()
    if slot.job is None:  # idle: it leaves by itself on the closed pipe
        slot.process.join(STOP_GRACE)
    if slot.process.is_alive():
        with contextlib.suppress(OSError):
            slot.process.terminate()
        slot.process.join(STOP_GRACE)
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.kill()
    slot.process.join()


_stopping = False


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM from the driver: unwind the grading (the sandbox kills its workers on the way)."""
    global _stopping
    _stopping = True
    raise KeyboardInterrupt


def _serve(connection: Connection, manifest: Manifest, made_with: Fingerprint) -> None:
    """A grading process: grade each submission the driver sends until it closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    signal.signal(signal.SIGTERM, _interrupt)
    reaper.guard()  # if this process is killed outright, its sandboxed workers go too
    threadpool_limits(1)  # one core per grading: the pool is what uses the others
    try:
        while True:
            try:
                path, attempt = connection.recv()
            except EOFError:
                return
            results = grade_submission(path, manifest, made_with, attempt)
            if _stopping:
                return
            connection.send(results)
    except KeyboardInterrupt:
        return
    finally:  # leaving: a stop that comes now has nothing to unwind (and no traceback to print)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

"""Student code that writes to the worker's own pipes: forged replies, a request pipe it stops
reading, a signal the grader has no name for. Each ends as a clear error of the student's, with
the worker replaced, never as a hung or crashed grader."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import student_in

from grader.sandbox.client import Limits
from grader.sandbox.errors import BadValue, StudentTimeout, WorkerCrashed

pytestmark = pytest.mark.usefixtures("readable")

#: Finds the worker's pipes in its serve() frame and writes frames of its own to the grader.
HOSTILE = """
import fcntl, json, os, signal, struct, sys, time

_LEN = struct.Struct("<Q")
_ARRAY = {"$nd": 0, "dtype": "<f8", "shape": [2]}


def _pipes():
    frame = sys._getframe()
    while "write_fd" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["read_fd"], frame.f_locals["write_fd"]


def _reply(tree, blobs=()):
    header = json.dumps({"$dict": tree}).encode()
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(blobs))]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    body = b"".join(parts)
    os.write(_pipes()[1], _LEN.pack(len(body)) + body)


def ok_is_an_array():
    _reply({"ok": _ARRAY, "value": None}, [bytes(16)])
    os._exit(0)


def kind_is_a_list():
    _reply({"ok": False, "kind": [], "message": "x"})
    os._exit(0)


def traced_args_missing(x):
    _reply({"ok": True, "value": None, "args": 7, "kwargs": {"$dict": {}}})
    os._exit(0)


class Thing:
    def __getattr__(self, name):
        _reply({"ok": True, "value": None, "method": _ARRAY}, [bytes(16)])
        os._exit(0)


def make_thing():
    return Thing()


def real_time_signal():
    os.kill(os.getpid(), signal.SIGRTMIN + 1)


def stop_reading():
    read_fd, _ = _pipes()
    fcntl.fcntl(read_fd, 1031, 4096)  # F_SETPIPE_SZ: a pipe of one page
    _reply({"ok": True, "value": 1})  # this call's reply, forged; the next request is never read
    time.sleep(3600)
"""


@pytest.fixture
def student(tmp_path: Path):
    with student_in(tmp_path, {"hostile": HOSTILE}, Limits(call_timeout=3, memory_mb=512)) as s:
        yield s


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.hostile.ok_is_an_array(),
        lambda s: s.hostile.kind_is_a_list(),
        lambda s: s.hostile.traced_args_missing.trace(np.ones(2)),
        lambda s: s.hostile.make_thing().anything,
    ],
    ids=["ok-array", "kind-list", "traced-args", "method-array"],
)
def test_a_forged_reply_of_the_wrong_shape_is_the_students_error(student, call):
    with pytest.raises(BadValue, match="sent back a malformed reply"):
        call(student)


def test_a_signal_without_a_name_is_reported_by_number(student):
    with pytest.raises(WorkerCrashed, match=r"was killed by signal \d+"):
        student.hostile.real_time_signal()


def test_a_worker_that_stops_reading_its_requests_times_out(student):
    """The request does not fit in the pipe: writing it must end at the call's time limit."""
    assert student.hostile.stop_reading() == 1
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match="did not finish within 3 s"):
        student.hostile.ok_is_an_array(np.zeros(100_000))
    assert time.monotonic() - started < 10

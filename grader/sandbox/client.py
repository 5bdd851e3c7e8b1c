"""The grader's side of the sandbox: starts, calls, times out and replaces worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox import channel, codec
from grader.sandbox.errors import ERROR_KINDS, BadValue, StudentTimeout, WorkerCrashed
from grader.sandbox.output import OutputCapture
from grader.sandbox.user import SandboxUser

#: Seconds a fresh worker gets to import numpy and say it is ready.
STARTUP_TIMEOUT = 60.0

_SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    # One thread per BLAS: workers must not fight the grader for the cores, and a memory
    # limit is only predictable without per-thread buffers.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class Limits:
    """What one worker may use; set from the assignment manifest."""

    call_timeout: float = 10.0
    memory_mb: int | None = 512
    cpu_seconds: int = 600
    file_mb: int = 16
    open_files: int = 64
    #: New processes (and threads) the worker may start beyond those its user already has.
    processes: int = 16


@dataclass(frozen=True)
class TimeLimit:
    """How long a call may take, and which limit that is (for the message)."""

    seconds: float
    reason: str = "the time limit for one call"


@dataclass
class CallResult:
    """A completed call: its return value and, if asked for, the arguments after the call."""

    value: Any
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] | None = None


@dataclass
class Worker:
    """One worker process serving one submission directory."""

    submission: Path
    modules: list[str]
    limits: Limits = field(default_factory=Limits)
    user: SandboxUser = field(default_factory=SandboxUser)
    home: Path | None = None
    #: Per missing file, the likely fix, added to the student's message.
    hints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.submission = self.submission.resolve()
        self._pid: int | None = None
        self._zygote: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._output: OutputCapture | None = None
        self._to_worker = self._from_worker = -1
        self._printed = ""
        #: In the environment of the fork server, its workers and every process they start.
        self._marker = f"GRADER_WORKER={secrets.token_hex(8)}"

    @property
    def alive(self) -> bool:
        return self._pid is not None

    def start(self) -> None:
        """Fork a fresh worker from the fork server (started first if needed) and wait until
        it is ready; it imports no student code until a call needs it."""
        if self._zygote is None or self._zygote.poll() is not None:
            self._start_zygote()
        assert self._control is not None
        ours_read, theirs_write = os.pipe()
        theirs_read, ours_write = os.pipe()
        output_read, output_write = os.pipe()
        try:
            socket.send_fds(self._control, [b"fork"], [theirs_read, theirs_write, output_write])
            self._pid = int(self._control.recv(64))
        except (OSError, ValueError) as exc:
            for fd in (ours_read, ours_write, output_read):
                os.close(fd)
            self._stop_zygote()
            raise WorkerCrashed(f"the process that starts your code failed ({exc})") from None
        finally:
            for fd in (theirs_read, theirs_write, output_write):
                os.close(fd)
        self._output = OutputCapture(output_read)
        self._to_worker, self._from_worker = ours_write, ours_read
        self._exchange(None, TimeLimit(STARTUP_TIMEOUT, "the time limit to start"), "your code")

    def _start_zygote(self) -> None:
        """The fork server: a process with Python and numpy loaded, the limits applied and the
        unprivileged user taken, that forks workers on request."""
        self._stop_zygote()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        memory = str(self.limits.memory_mb or 0)
        command = [
            sys.executable, "-I", "-B", "-u", "-m", "grader.sandbox.zygote", str(theirs.fileno()),
            str(self.submission), memory, json.dumps(self.hints), *self.modules,
        ]  # fmt: skip
        bounds = self._bounds()
        try:
            self._zygote = subprocess.Popen(
                command,
                cwd=self.submission,
                env=_worker_env(self.home, self._marker),
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
                preexec_fn=lambda: self._enter_sandbox(bounds),
            )
        finally:
            theirs.close()
        ours.settimeout(STARTUP_TIMEOUT)
        self._control = ours
        try:
            ready = ours.recv(64)
        except OSError:
            ready = b""
        if ready != b"ready\n":
            self._stop_zygote()
            raise WorkerCrashed("the process that starts your code could not start")

    def _stop_zygote(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._zygote is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._zygote.pid, signal.SIGKILL)
            self._zygote.wait()
            self._zygote = None

    def _exit_status(self, pid: int) -> int | None:
        """The worker's exit code (negative: the signal that killed it), from the fork server."""
        if self._control is None:
            return None
        try:
            self._control.sendall(f"wait {pid}".encode())
            status = int(self._control.recv(64))
        except (OSError, ValueError):
            return None
        return os.waitstatus_to_exitcode(status) if status >= 0 else None

    def call(
        self,
        module: str,
        function: str,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        return_args: bool = False,
        limit: TimeLimit | None = None,
    ) -> CallResult:
        """Run ``module.function(*args, **kwargs)`` in the worker.

        Raises a StudentCodeError subclass when the student's code fails in any way.
        """
        request = {
            "op": "call", "module": module, "function": function,
            "args": tuple(args), "kwargs": dict(kwargs or {}), "return_args": return_args,
        }  # fmt: skip
        reply = self._request(request, limit)
        return CallResult(reply.get("value"), reply.get("args"), reply.get("kwargs"))

    def objective(
        self, module: str, function: str, calls: list[tuple[Any, ...]], output: int | None,
        weights: Any, limit: TimeLimit | None = None,
    ) -> list[float]:  # fmt: skip
        """``sum(function(*args)[output] * weights)`` for each argument tuple, in one round trip."""
        request = {
            "op": "objective", "module": module, "function": function,
            "calls": [tuple(c) for c in calls], "output": output, "weights": weights,
        }  # fmt: skip
        values = self._request(request, limit).get("value")
        if type(values) is not list or not all(type(v) is float for v in values):
            raise BadValue(f"{function} sent back malformed values")
        return values

    def request(self, request: dict[str, Any], limit: TimeLimit | None = None) -> dict[str, Any]:
        """Any other request (those on student objects: grader.sandbox.objects), with the same
        limits and failures as a call; ``request["function"]`` names it in messages."""
        return self._request(request, limit)

    def printed(self) -> str:
        """What student code printed since the last time this was asked (bounded)."""
        text = self._printed + (self._output.take() if self._output else "")
        self._printed = ""
        return text

    def _request(self, request: dict[str, Any], limit: TimeLimit | None) -> dict[str, Any]:
        """Send a request (starting the worker if needed); a failure reply raises."""
        if not self.alive:
            self.start()
        limit = limit or TimeLimit(self.limits.call_timeout)
        reply = self._exchange(request, limit, request["function"])
        if not reply.get("ok"):
            error = ERROR_KINDS.get(reply.get("kind"), WorkerCrashed)
            raise error(_join(reply.get("message"), reply.get("details")))
        return reply

    def _exchange(self, request: dict[str, Any] | None, limit: TimeLimit, what: str) -> dict:
        deadline = time.monotonic() + max(limit.seconds, 0.0)
        try:
            if request is not None:
                channel.send(self._to_worker, codec.encode(request))
            reply = codec.decode(channel.recv(self._from_worker, deadline))
        except channel.ChannelTimeout:
            self.stop()
            raise StudentTimeout(
                f"{what} did not finish within {limit.seconds:.3g} s ({limit.reason}); "
                "look for an infinite loop or very slow code"
            ) from None
        except (channel.ChannelClosed, BrokenPipeError):
            raise WorkerCrashed(self._crash_message(what)) from None
        except (codec.CodecError, channel.FrameTooLarge) as exc:
            self.stop()
            raise BadValue(f"{what} sent back something the grader cannot read: {exc}") from None
        if type(reply) is not dict:
            self.stop()
            raise BadValue(f"{what} sent back a malformed reply")
        return reply

    def _crash_message(self, what: str) -> str:
        code = self._exit_status(self._pid) if self._pid is not None else None
        self.stop()
        if code is not None and code < 0:
            how = f"was killed by signal {signal.Signals(-code).name}"
            if -code == signal.SIGXCPU:
                how += f" for using more than {self.limits.cpu_seconds} s of CPU time"
            elif -code == signal.SIGXFSZ:
                how += f" for writing a file larger than {self.limits.file_mb} MB"
        else:
            how = f"exited with status {code}"
        message = f"the process running your code {how} during {what}"
        printed = self.printed().strip()
        return f"{message}.\nYour code printed:\n{printed}" if printed else f"{message}."

    def _bounds(self) -> list[tuple[int, int]]:
        """The resource limits of a new worker, computed before forking it."""
        limits = self.limits
        bounds = [
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, _processes_of(self.user.uid) + limits.processes),
        ]
        if limits.memory_mb:
            bounds.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024))
        return bounds

    def _enter_sandbox(self, bounds: list[tuple[int, int]]) -> None:
        """In the child, before exec: limits first (as root they could be raised again later,
        not after giving up root), then the unprivileged user."""
        for kind, value in bounds:
            resource.setrlimit(kind, (value, value))
        self.user.become()

    def stop(self) -> None:
        """Kill the worker's whole process group and every process it started (found by the
        marker in their environment), and release the pipes. The fork server stays."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._pid, signal.SIGKILL)
            keep = {self._zygote.pid} if self._zygote is not None else set()
            self.user.kill_marked(self._marker, keep)
            self._exit_status(self._pid)  # reaps it
            self._pid = None
        if self._output is not None:
            self._output.close()
            self._printed += self._output.take()
            self._output = None
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1

    def close(self) -> None:
        """Stop the worker and the fork server."""
        self.stop()
        self._stop_zygote()
        self.user.kill_marked(self._marker, set())


def _join(message: Any, details: Any) -> str:
    message = message if isinstance(message, str) else "your code failed"
    return f"{message}\n{details}" if isinstance(details, str) and details else message


def _worker_env(home: Path | None, marker: str) -> dict[str, str]:
    env = dict(_SAFE_ENV)
    scratch = str(home) if home else "/tmp"
    name, value = marker.split("=", 1)
    env.update({"HOME": scratch, "TMPDIR": scratch, name: value})
    return env


def _processes_of(uid: int | None) -> int:
    """Processes (and threads) the user already runs: RLIMIT_NPROC counts them all."""
    uid = os.getuid() if uid is None else uid
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(list((entry / "task").iterdir()))
    return count

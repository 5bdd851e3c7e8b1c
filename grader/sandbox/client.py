"""The grader's side of the sandbox: starts, calls, times out and replaces worker processes."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox import channel, codec
from grader.sandbox.errors import ERROR_KINDS, BadValue, StudentTimeout, WorkerCrashed

#: Seconds a fresh worker gets to import numpy and say it is ready.
STARTUP_TIMEOUT = 60.0
#: Bytes of the worker's own output quoted to the student when it crashes.
OUTPUT_TAIL = 2000

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
    memory_mb: int | None = 1024


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

    def __post_init__(self) -> None:
        self.submission = self.submission.resolve()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self._to_worker = self._from_worker = -1

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the process and wait until it has imported numpy and is ready."""
        ours_read, theirs_write = os.pipe()
        theirs_read, ours_write = os.pipe()
        command = [
            sys.executable, "-I", "-B", "-u", "-m", "grader.sandbox.worker",
            str(self.submission), str(theirs_read), str(theirs_write), *self.modules,
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            command,
            cwd=self.submission,
            env=_worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(theirs_read, theirs_write),
            start_new_session=True,
            preexec_fn=self._apply_limits,
        )
        os.close(theirs_read)
        os.close(theirs_write)
        self._to_worker, self._from_worker = ours_write, ours_read
        self._exchange(None, STARTUP_TIMEOUT, "starting your code")

    def call(
        self,
        module: str,
        function: str,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        return_args: bool = False,
    ) -> CallResult:
        """Run ``module.function(*args, **kwargs)`` in the worker.

        Raises a StudentCodeError subclass when the student's code fails in any way.
        """
        request = {
            "op": "call", "module": module, "function": function,
            "args": tuple(args), "kwargs": dict(kwargs or {}), "return_args": return_args,
        }  # fmt: skip
        reply = self._request(request)
        return CallResult(reply.get("value"), reply.get("args"), reply.get("kwargs"))

    def objective(
        self, module: str, function: str, calls: list[tuple[Any, ...]], output: int | None,
        weights: Any,
    ) -> list[float]:  # fmt: skip
        """``sum(function(*args)[output] * weights)`` for each argument tuple, in one round trip."""
        request = {
            "op": "objective", "module": module, "function": function,
            "calls": [tuple(c) for c in calls], "output": output, "weights": weights,
        }  # fmt: skip
        values = self._request(request).get("value")
        if type(values) is not list or not all(type(v) is float for v in values):
            raise BadValue(f"{function} sent back malformed values")
        return values

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send a request (starting the worker if needed); a failure reply raises."""
        if not self.alive:
            self.start()
        reply = self._exchange(request, self.limits.call_timeout, request["function"])
        if not reply.get("ok"):
            error = ERROR_KINDS.get(reply.get("kind"), WorkerCrashed)
            raise error(_join(reply.get("message"), reply.get("details")))
        return reply

    def _exchange(self, request: dict[str, Any] | None, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        try:
            if request is not None:
                channel.send(self._to_worker, codec.encode(request))
            reply = codec.decode(channel.recv(self._from_worker, deadline))
        except channel.ChannelTimeout:
            self.stop()
            raise StudentTimeout(
                f"{what} did not finish within {timeout:g} s (the time limit for one call); "
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
        code = self._proc.wait() if self._proc else None
        self.stop()
        if code is not None and code < 0:
            how = f"was killed by signal {signal.Signals(-code).name}"
            if -code == signal.SIGKILL and self.limits.memory_mb:
                how += f" (possibly for using more than {self.limits.memory_mb} MB of memory)"
        else:
            how = f"exited with status {code}"
        message = f"the process running your code {how} during {what}"
        tail = self.output_tail()
        return f"{message}.\nLast output of your code:\n{tail}" if tail else f"{message}."

    def output_tail(self) -> str:
        """The last bytes the student's code printed, decoded leniently."""
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(size - OUTPUT_TAIL, 0))
        return self._log.read().decode("utf-8", "replace").strip()

    def _apply_limits(self) -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.limits.memory_mb:
            limit = self.limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def stop(self) -> None:
        """Kill the worker's whole process group and release the pipes."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            self._proc = None
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1

    def close(self) -> None:
        self.stop()
        self._log.close()


def _join(message: Any, details: Any) -> str:
    message = message if isinstance(message, str) else "your code failed"
    return f"{message}\n{details}" if isinstance(details, str) and details else message


def _worker_env() -> dict[str, str]:
    env = dict(_SAFE_ENV)
    env["HOME"] = tempfile.gettempdir()
    return env

"""The grader's side of the sandbox: starts, calls, times out and replaces worker processes."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import blas
from grader.sandbox import channel, codec, isolation
from grader.sandbox.errors import (
    ERROR_KINDS,
    BadValue,
    ImportFailed,
    ImportFailedBefore,
    StudentTimeout,
    WorkerCrashed,
)
from grader.sandbox.output import OutputCapture
from grader.sandbox.user import SandboxUser, SandboxUserError, kill_until_gone

#: Seconds a fresh worker (or the fork server) gets to say it is ready; once student code has
#: run, never more than the time left to the run.
STARTUP_TIMEOUT = 60.0
#: Seconds to kill student processes and collect the worker's exit status after a call.
KILL_TIMEOUT = 5.0
#: Time-outs of a file's import, each with at least SLOW_IMPORT_SHARE of a call's limit, after
#: which later calls into it fail at once (once would let a single slow import, from a cold
#: disk cache or a loaded machine, cost every later test of the file).
SLOW_IMPORT_TIMEOUTS = 2
#: An import that times out with less than this share of a call's limit was cut short (by the
#: test's or the run's end); a call that times out after an import that took this share of its
#: limit says so.
SLOW_IMPORT_SHARE = 0.5

_SAFE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    # One thread per BLAS: workers must not fight the grader for the cores, and a memory
    # limit is only predictable without per-thread buffers.
    **dict.fromkeys(blas.THREAD_VARIABLES, "1"),
}
#: What a process that died for want of memory printed last: glibc's loader ("cannot allocate
#: memory for thread-local data"), C++ libraries (std::bad_alloc), Python (MemoryError).
_MEMORY_GONE = re.compile(r"cannot allocate memory|bad_alloc|MemoryError|out of memory", re.I)
#: Signals that end a worker for another reason than memory: its CPU time, a file's size, a kill.
_LIMIT_SIGNALS = (signal.SIGXCPU, signal.SIGXFSZ, signal.SIGKILL)
#: Passed through from the grader's environment: which accelerators this grading may use (a
#: scheduler on a multi-GPU node sets them; without them student code would see every GPU).
DEVICE_VARIABLES = (
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
)  # fmt: skip


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
class WorkerProcess:
    """The grader's handle on the worker process serving one submission directory: starts it
    (forked by the fork server), sends it calls under time limits, replaces it after a failure."""

    submission: Path
    modules: list[str]
    limits: Limits = field(default_factory=Limits)
    user: SandboxUser = field(default_factory=SandboxUser)
    home: Path | None = None
    #: Per missing file, the likely fix, added to the student's message.
    hints: dict[str, str] = field(default_factory=dict)
    #: Staff folders and files that student code must not see (hidden with a mount namespace).
    hide: list[Path] = field(default_factory=list)
    #: time.monotonic() by which the whole run ends: starting the fork server may take until
    #: then (a call's own limit covers forking a worker from it).
    run_deadline: float | None = None
    #: Modules the fork server imports before forking any worker (torch): each worker starts
    #: with them, and student code's own import of them costs nothing on its clock.
    preload: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.submission = self.submission.resolve()
        self.isolation = dataclasses.replace(
            isolation.probe(os.geteuid() == 0), own_uid=self.user.drops_privileges
        )
        self._pid: int | None = None
        #: File systems the last worker could not make read-only (enter_worker_namespaces).
        self.left_writable: list[str] = []
        #: Whether the last worker refused the kernel's keyrings to student code (seccomp).
        self.keyrings_refused = False
        self._zygote: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._output: OutputCapture | None = None
        self._to_worker = self._from_worker = -1
        self._printed = ""
        self._student_ran = False
        #: Modules the current worker has imported (each is imported as a step of its own).
        self._imported: set[str] = set()
        #: The limits under which each module's import ran out of time (not cut short), until
        #: one finishes: see _refuse_slow_import.
        self._import_timeouts: dict[str, list[TimeLimit]] = {}
        #: Why each module's import failed for a reason of its own (a syntax error, a missing
        #: import: ImportFailed) as the first request of a fresh worker, said again at once to
        #: later calls instead of importing it anew in each fresh worker, each test.
        self._import_failures: dict[str, str] = {}
        #: The last request the current worker answered: it was alive then, so a death that
        #: the next request's send finds happened in between.
        self._answered = ""

    @property
    def alive(self) -> bool:
        return self._pid is not None

    def start(self) -> None:
        """Fork a fresh worker from the fork server (started first if needed) and wait until
        it is ready; it imports no student code until a call needs it. Starting is not a
        call's time, but once student code has run, it must end with the run."""
        self._ensure_zygote()
        deadline = self._startup_deadline()
        if deadline <= time.monotonic():
            raise StudentTimeout("no time was left to run your code (the whole run's time)")
        assert self._control is not None
        ours_read, theirs_write = os.pipe()
        theirs_read, ours_write = os.pipe()
        output_read, output_write = os.pipe()
        try:
            socket.send_fds(self._control, [b"fork"], [theirs_read, theirs_write, output_write])
            self._pid = int(self._answer(deadline))
        except (OSError, ValueError) as exc:
            for fd in (ours_read, ours_write, output_read):
                os.close(fd)
            self._stop_zygote()
            raise WorkerCrashed(f"the process that starts your code failed ({exc})") from None
        finally:
            for fd in (theirs_read, theirs_write, output_write):
                os.close(fd)
        self._output = OutputCapture(output_read)
        self._imported = set()
        self._answered = ""
        os.set_blocking(ours_write, False)  # requests are sent by a deadline (channel.send)
        self._to_worker, self._from_worker = ours_write, ours_read
        startup = TimeLimit(deadline - time.monotonic(), "the time limit to start")
        ready = self._exchange(None, startup, "your code", deadline)
        if ready.get("unreadable"):
            raise SandboxUserError(_unreachable_message(self.user, ready["unreadable"]))
        # Said before any student code ran: the worker's own word.
        self.left_writable = [str(p) for p in ready.get("writable") or [] if isinstance(p, str)]
        self.keyrings_refused = ready.get("keyrings_refused") is True

    def _answer(self, deadline: float) -> bytes:
        """The fork server's answer, waited for no later than ``deadline``."""
        assert self._control is not None
        self._control.settimeout(max(deadline - time.monotonic(), 0.001))
        answer = self._control.recv(4096)
        if not answer:
            raise OSError("the fork server is gone")
        return answer

    def _ensure_zygote(self) -> None:
        if self._zygote is None or self._zygote.poll() is not None:
            self._start_zygote(self._startup_deadline())

    def _startup_deadline(self) -> float:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        if self._student_ran and self.run_deadline is not None:
            return min(deadline, self.run_deadline)
        return deadline

    def _start_zygote(self, deadline: float) -> None:
        """The fork server: a process with Python and numpy loaded that forks workers; it
        runs as the grader (unreachable by them) and never holds the grader's stdout."""
        self._stop_zygote()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {
            "submission": str(self.submission), "scratch": str(self.home or self.submission),
            "hide": [str(p) for p in self.hide], "bounds": self._bounds(),
            "uid": self.user.uid, "gid": self.user.gid, "memory_mb": self.limits.memory_mb or 0,
            "hints": self.hints, "modules": self.modules, "preload": self.preload,
            "isolation": dataclasses.asdict(self.isolation),
        }  # fmt: skip
        # The configuration goes over the socket, not in argv: workers are forks of the fork
        # server, and its command line (/proc/self/cmdline) would name the hidden staff paths.
        command = [sys.executable, "-I", "-B", "-u", "-m", "grader.sandbox.zygote",
                   str(theirs.fileno())]  # fmt: skip
        try:
            self._zygote = subprocess.Popen(
                command,
                cwd="/",
                env=_worker_env(self.home),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._control = ours
        try:
            ours.sendall(json.dumps(config).encode())
        except OSError as exc:  # a fork server already gone, or a message too long (200 KB)
            self._stop_zygote()
            raise WorkerCrashed(
                f"the process that starts your code got no settings ({exc})"
            ) from None
        try:
            ready = self._answer(deadline)
        except OSError:
            ready = b""
        if ready.startswith(b"preload "):
            self._stop_zygote()
            raise SandboxUserError(
                f"the fork server could not import what the manifest's preload lists: "
                f"{ready[8:].decode(errors='replace')}; install it, or take it out of preload"
            )
        if ready != b"ready\n":
            self._stop_zygote()
            raise WorkerCrashed("the process that starts your code could not start")

    def _stop_zygote(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._zygote is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._zygote.pid, signal.SIGKILL)  # our own child: its pid is sure
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._zygote.wait(5)
            self._zygote = None

    def _exit_status(self, pid: int, deadline: float) -> int | None:
        """The worker's exit code (negative: the signal that killed it), from the fork server,
        waited for no later than ``deadline``; a fork server that does not answer is replaced."""
        if self._control is None:
            return None
        try:
            self._control.sendall(f"wait {pid}".encode())
            status = int(self._answer(deadline))
        except (OSError, ValueError):
            self._stop_zygote()
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
        """Send a request (starting the worker if needed); a failure reply raises. A module
        the worker has not imported yet is imported first, as a step of its own within the
        same time limit, so that a time-out or a crash there is said to be the import's."""
        limit = limit or TimeLimit(self.limits.call_timeout)
        module = request.get("module")
        importing = module is not None and not (self.alive and module in self._imported)
        if importing and module in self._import_failures:
            raise ImportFailedBefore(self._import_failures[module])
        if importing:
            self._refuse_slow_import(module, limit)
        if not self.alive:
            self.start()
        self._student_ran = True
        deadline = time.monotonic() + max(limit.seconds, 0.0)
        took = self._import(module, limit, deadline) if importing else 0.0
        try:
            return self._reply(request, limit, deadline)
        except StudentTimeout as exc:
            if not importing or took < SLOW_IMPORT_SHARE * limit.seconds:
                raise
            raise StudentTimeout(f"{exc}; importing {module}.py took {took:.3g} s of them: "
                                 f"{_top_level_advice(module)}") from None  # fmt: skip

    def forget_import_failures(self) -> None:
        """Import files anew: called where nothing of earlier tests may reach later ones (a
        visible test after hidden ones), since an import's failure message (or its time-out)
        is student code's and could tell what it saw."""
        self._import_failures.clear()
        self._import_timeouts.clear()  # that one timed out is a bit of what a hidden test saw

    def _refuse_slow_import(self, module: str, limit: TimeLimit) -> None:
        """Fail at once a call whose file's import ran out of time, not cut short, under a
        limit at least as long as this one's, SLOW_IMPORT_TIMEOUTS times: every fresh worker
        would run that import again, and each test of the file would wait for its time-out."""
        timeouts = [t for t in self._import_timeouts.get(module, []) if t.seconds >= limit.seconds]
        if len(timeouts) >= SLOW_IMPORT_TIMEOUTS:
            longest = max(timeouts, key=lambda t: t.seconds)
            raise StudentTimeout(_slow_import(module, longest, earlier=True))

    def _import(self, module: str, limit: TimeLimit, deadline: float) -> float:
        """Import ``module`` in the worker by ``deadline``; returns the seconds it took."""
        started, fresh = time.monotonic(), not self._answered
        request = {"op": "import", "module": module, "function": f"the import of {module}.py"}
        try:
            self._reply(request, limit, deadline)
        except ImportFailed as exc:
            if fresh:  # not after earlier calls, whose state (a module they set up) may be why
                self._import_failures[module] = str(exc)
            raise
        except StudentTimeout:
            if limit.seconds < SLOW_IMPORT_SHARE * self.limits.call_timeout:  # cut short: the
                raise  # test's or the run's time nearly spent, not the file's fault
            self._import_timeouts.setdefault(module, []).append(limit)
            raise StudentTimeout(_slow_import(module, limit)) from None
        self._imported.add(module)
        self._import_timeouts.pop(module, None)  # it can finish: a slow one was chance
        return time.monotonic() - started

    def _reply(self, request: dict[str, Any], limit: TimeLimit, deadline: float) -> dict[str, Any]:
        """The worker's reply to ``request`` by ``deadline``; a failure reply raises."""
        reply = self._exchange(request, limit, request["function"], deadline)
        if not _well_formed(reply, request):
            self.stop()  # student code wrote to the worker's pipe itself
            raise BadValue(f"{request['function']} sent back a malformed reply")
        if not reply["ok"]:
            error = ERROR_KINDS.get(reply.get("kind"), WorkerCrashed)
            raise error(_join(reply.get("message"), reply.get("details")))
        return reply

    def _exchange(
        self, request: dict[str, Any] | None, limit: TimeLimit, what: str,
        deadline: float | None = None,
    ) -> dict:  # fmt: skip
        """Send ``request`` and read the reply by ``deadline`` (default: ``limit`` from now);
        the reply may hold at most what :func:`codec.reply_bounds` allows for that request."""
        if deadline is None:
            deadline = time.monotonic() + max(limit.seconds, 0.0)
        try:
            sent = b""
            if request is not None:
                sent = codec.encode(request)
                try:
                    channel.send(self._to_worker, sent, deadline)
                except BrokenPipeError:  # no reader: the worker ended before this request
                    raise WorkerCrashed(self._crash_message(what, deadline, idle=True)) from None
            bounds = codec.reply_bounds(sent)
            reply = codec.decode(channel.recv(self._from_worker, deadline, bounds.size), bounds)
        except channel.ChannelTimeout:
            self.stop()
            raise StudentTimeout(
                f"{what} did not finish within {max(limit.seconds, 0):.3g} s ({limit.reason}); "
                "look for an infinite loop or very slow code"
            ) from None
        except channel.ChannelClosed:
            raise WorkerCrashed(self._crash_message(what, deadline)) from None
        except (codec.CodecError, channel.FrameTooLarge) as exc:
            self.stop()
            raise BadValue(f"{what} sent back something the grader cannot read: {exc}") from None
        if type(reply) is not dict:
            self.stop()
            raise BadValue(f"{what} sent back a malformed reply")
        if request is not None:
            self._answered = what
        return reply

    def _crash_message(self, what: str, deadline: float, idle: bool = False) -> str:
        """Why the worker is gone, ``what`` it was asked; ``idle``: it ended before it was
        asked, after its last answer (code left running by an earlier call ended it)."""
        pid = self._pid
        self._kill_workers()
        code = self._exit_status(pid, deadline) if pid is not None else None
        self._pid = None
        self.stop()
        if code is not None and code < 0:
            how = f"was killed by signal {_signal_name(-code)}"
            if -code == signal.SIGXCPU:
                how += f" for using more than {self.limits.cpu_seconds} s of CPU time"
            elif -code == signal.SIGXFSZ:
                how += f" for writing a file larger than {self.limits.file_mb} MB"
        elif code is not None:
            how = f"exited with status {code}"
        else:
            how = "ended"
        if idle and self._answered:
            message = (f"the process running your code {how} between two calls, after "
                       f"{self._answered} finished and before {what}: code that a call left "
                       "running (a thread, a timer, a child process) ended it")  # fmt: skip
        elif idle:  # no code of the student's had run in it
            message = f"the process for your code {how} before {what}, before any of it ran"
        else:
            message = f"the process running your code {how} during {what}"
        printed = self.printed().strip()
        killed_for_a_limit = code is not None and -code in _LIMIT_SIGNALS
        if self.limits.memory_mb and not killed_for_a_limit and _MEMORY_GONE.search(printed[-300:]):
            message += f", out of memory (it may use {self.limits.memory_mb} MB)"
        return f"{message}.\nYour code printed:\n{printed}" if printed else f"{message}."

    def _bounds(self) -> list[tuple[int, int]]:
        """The resource limits of a new worker, applied between fork and student code."""
        limits = self.limits
        # RLIMIT_NPROC counts every process of the worker's user: a grading's own uid has none
        # but the worker's; the grader's user has its own.
        already = 1 if self.user.drops_privileges else _processes_of(os.getuid())
        bounds = [
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, already + limits.processes),
        ]
        if limits.memory_mb:
            bounds.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024))
        return bounds

    def _kill_workers(self, deadline: float | None = None) -> None:
        """Kill every process of student code: as root, every process of the grading's uid;
        otherwise every process under the fork server (a subreaper: orphans come back to it)
        but the grading's PID namespace's first process: the fork server's own child, first in
        its namespace (student code's may start namespaces of their own, whose first process it
        is too, but under a worker)."""
        deadline = deadline or self._kill_deadline()
        if self.user.drops_privileges:
            self.user.kill_all(deadline)
        elif self._zygote is not None:
            server = self._zygote.pid

            def doomed(pid: int, status: dict[str, Any], tree: dict[int, int]) -> bool:
                first = tree.get(pid) == server and status.get("NSpid", (0,))[-1] == 1
                return _under(server, pid, tree) and not first

            kill_until_gone(doomed, deadline)

    def _kill_deadline(self) -> float:
        """When killing student processes and collecting the worker's status must be done:
        soon, and never after the end of the run."""
        deadline = time.monotonic() + KILL_TIMEOUT
        return min(deadline, self.run_deadline) if self.run_deadline else deadline

    def stop(self) -> None:
        """Kill the worker and every process it started, and release the pipes. The fork
        server stays."""
        if self._pid is not None:
            pid, self._pid = self._pid, None
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)  # not reaped yet (only _exit_status does): ours
            self._exit_status(pid, self._kill_deadline())  # reaps it
            self._kill_workers()  # whatever it started: one scan of /proc finds none, mostly
        if self._output is not None:
            self._output.close()
            self._printed += self._output.take()
            self._output = None
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1

    def close(self) -> None:
        """Stop the worker and the fork server (taking the time that needs, even after the
        end of the run: nothing may be left running)."""
        self.stop()
        self._kill_workers(time.monotonic() + KILL_TIMEOUT)
        self._stop_zygote()


def _slow_import(module: str, limit: TimeLimit, earlier: bool = False) -> str:
    """Why a call failed: importing its file took longer than ``limit`` (in this test, or in
    ``earlier`` ones)."""
    when = " in earlier tests, so this one was not run" if earlier else ""
    return (f"importing {module}.py did not finish within {limit.seconds:.3g} s "
            f"({limit.reason}){when}: {_top_level_advice(module)}")  # fmt: skip


def _top_level_advice(module: str) -> str:
    """What to do about a slow import: most often a script left at a file's top level."""
    return (f"the code at the top level of {module}.py (and of the files it imports) runs when "
            "the grader imports it; put scripts, demos and training loops under "
            "'if __name__ == \"__main__\":', or look there for an infinite loop or very slow "
            "code")  # fmt: skip


def _well_formed(reply: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether a reply has the fields the grader reads, of their types: ``ok``; a failure's
    ``kind``; whether an attribute is a ``method``; a traced call's arguments, as many as were
    sent, and keyword arguments."""
    ok, kind = reply.get("ok"), reply.get("kind")
    if type(ok) is not bool or not (ok or kind is None or type(kind) is str):
        return False
    if type(reply.get("method", False)) is not bool:
        return False
    if not (ok and request.get("return_args")):
        return True
    args, kwargs = reply.get("args"), reply.get("kwargs")
    sent = len(request["args"])
    return type(args) in (tuple, list) and len(args) == sent and type(kwargs) is dict


def _signal_name(number: int) -> str:
    """SIGKILL, or the number of a signal the enum lacks (the real-time ones)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _join(message: Any, details: Any) -> str:
    message = message if isinstance(message, str) else "your code failed"
    return f"{message}\n{details}" if isinstance(details, str) and details else message


def _worker_env(home: Path | None) -> dict[str, str]:
    env = dict(_SAFE_ENV)
    env.update({name: os.environ[name] for name in DEVICE_VARIABLES if name in os.environ})
    scratch = str(home) if home else "/tmp"
    env.update({"HOME": scratch, "TMPDIR": scratch})
    return env


def _under(ancestor: int, pid: int, tree: dict[int, int]) -> bool:
    """Whether ``pid`` descends from ``ancestor`` in ``tree`` (pid -> parent pid)."""
    seen = set()
    while pid in tree and pid not in seen:
        seen.add(pid)
        pid = tree[pid]
        if pid == ancestor:
            return True
    return False


def _unreachable_message(user: SandboxUser, folders: list[str]) -> str:
    """Which folders the student's user cannot read, and the command that lets it: ``o+x`` on
    the folders above them that other users cannot enter, ``o+rx`` on themselves."""
    commands = []
    for folder in folders:
        closed = isolation.closed_ancestor(folder)
        commands.append(f"chmod o+x {closed}" if closed else f"chmod o+rx {folder}")
    return (
        f"student code runs as {user.name or 'another user'}, which cannot read "
        f"{folders[0]} (this Python's files); run `{' && '.join(sorted(set(commands)))}` "
        "(or install Python where every user can read it) and grade again"
    )


def _processes_of(uid: int) -> int:
    """Processes (and threads) the user already runs: RLIMIT_NPROC counts them all."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(list((entry / "task").iterdir()))
    return count

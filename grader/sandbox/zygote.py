"""A fork server for workers: a process that has imported Python, numpy and the manifest's
``preload`` modules (torch) once, but no student code, and forks a fresh worker on request, so
that replacing a worker after a failure costs a fork instead of a new interpreter and imports.

Started by :class:`grader.sandbox.client.WorkerProcess` as ``python -I -m grader.sandbox.zygote
CONTROL_FD`` (its configuration is the first message on that socket) under the grader's own
identity, with /dev/null as stdin, stdout and stderr (student code never inherits the
grader's). It is out of student code's reach: as root it stays root while each worker takes the
grading's uid; with a PID namespace its workers cannot even name it. Each worker, between fork
and student code: a session of its own, the namespaces of the isolation plan, the rlimits, then
the grading's uid (or, in a user namespace, no capabilities).

Requests on the control socket:
- ``fork`` with three file descriptors (requests in, replies out, output): forks a worker,
  answers its pid;
- ``wait PID``: waits for that worker to end, answers its wait status.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import resource
import signal
import socket
import sys
import traceback
from typing import Any

from grader.sandbox import isolation, keyrings, syscalls
from grader.sandbox.isolation import Isolation
from grader.sandbox.user import SandboxUser


def serve(control: socket.socket, config: dict[str, Any]) -> None:
    control.sendall(b"ready\n")
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1024, 3)
        if not message:
            return
        words = message.decode().split()
        if words[:1] == ["fork"] and len(fds) == 3:
            gc.freeze()  # see main
            pid = os.fork()
            if pid == 0:
                _become_worker(control, fds, config)
            for fd in fds:
                os.close(fd)
            control.sendall(f"{pid}\n".encode())
        elif words[:1] == ["wait"] and len(words) == 2:
            try:
                _, status = os.waitpid(int(words[1]), 0)
            except ChildProcessError:
                status = -1
            control.sendall(f"{status}\n".encode())
            _reap()
        else:
            for fd in fds:
                os.close(fd)
            control.sendall(b"error\n")


def _reap() -> None:
    """Collect orphans of student code reparented here (the fork server is a subreaper)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _become_worker(control: socket.socket, fds: list[int], config: dict[str, Any]) -> None:
    try:
        gc.enable()  # student code runs with Python's collector as it always is
        control.close()
        os.setsid()
        read_fd, write_fd, output_fd = fds
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        plan = Isolation(**config["isolation"])
        writable: list[str] = []  # file systems that could not be made read-only
        if plan.mount_ns or plan.net_ns:
            keep = [config["submission"], config["scratch"], *config["imports"]]
            writable = isolation.enter_worker_namespaces(
                plan, keep, config["hide"], config["closed"], [config["scratch"]]
            )
        for kind, value in config["bounds"]:
            resource.setrlimit(kind, (value, value))
        isolation.prctl(isolation.PR_SET_NO_NEW_PRIVS, 1)
        if config["uid"] is not None:
            SandboxUser(config["uid"], config["gid"]).become()
        elif plan.user_ns:
            isolation.drop_capabilities()
        keyrings.fresh_keyrings()  # nothing an earlier worker kept there, nothing of the grader's
        refused = syscalls.refuse_keyrings()  # and none of them for student code
        isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGKILL)  # after: a new uid clears it
        os.closerange(3, min(read_fd, write_fd))
        os.closerange(max(read_fd, write_fd) + 1, 1 << 16)
        os.chdir(config["submission"])
        unreadable = [p for p in config["imports"] if not os.access(p, os.R_OK | os.X_OK)]
        argv = [config["submission"], str(read_fd), str(write_fd), str(config["memory_mb"]),
                json.dumps(config["hints"]), *config["modules"]]  # fmt: skip
        # The frames below student code hold this dict (here, in serve, in main): it names the
        # hidden staff paths. Emptied, it leaves them in no live object of the worker's.
        config.clear()
        from grader.sandbox import worker

        worker.main(argv, {"unreadable": unreadable, "writable": writable,
                           "keyrings_refused": refused})  # fmt: skip
    except BaseException:  # the grader's fault, or this machine's: shown to staff
        traceback.print_exc()
        os._exit(1)
    finally:
        os._exit(0)


def _start_init() -> None:
    """Fork the PID namespace's first process: it only reaps orphans, and when it ends the
    kernel kills every process left in the namespace."""
    if os.fork() != 0:
        return
    isolation.prctl(isolation.PR_SET_PDEATHSIG, signal.SIGKILL)  # ends with the fork server
    os.closerange(3, 1 << 16)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        signal.sigwait({signal.SIGCHLD})


def main(argv: list[str]) -> None:
    # Python's recipe for a process that forks without exec (gc.freeze's documentation): no
    # collections here (they cost the imports 10 ms), and everything frozen before each fork,
    # so that a worker's collections never walk (nor copy on write) what this process imported.
    gc.disable()
    (control_fd,) = argv
    control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(control_fd))
    config = json.loads(control.recv(1 << 20))
    plan = Isolation(**config["isolation"])
    isolation.prctl(isolation.PR_SET_CHILD_SUBREAPER, 1)
    if plan.pid_ns:  # before numpy: a user namespace needs a single-threaded process
        if plan.user_ns:
            isolation.enter_user_namespace(isolation.CLONE_NEWPID)
        else:
            isolation.unshare(isolation.CLONE_NEWPID)
        _start_init()
    import numpy  # noqa: F401 - the point of the fork server: imported once, before any fork

    for name in config["preload"]:  # the manifest's (torch): staff-chosen, as trusted as numpy
        try:
            importlib.import_module(name)
        except BaseException as exc:  # a staff error: said to the grader, which stops there
            control.sendall(f"preload {name}: {type(exc).__name__}: {exc}".encode()[:2000])
            return
    import grader.sandbox.worker  # also names the package (below)

    # sys.path, and the grader's own package: an editable install finds it through a finder of
    # its own, and the worker imports some of it late (the notebook loader), after its private
    # /tmp would have hidden a checkout there.
    package = os.path.dirname(os.path.dirname(grader.sandbox.worker.__file__))
    config["imports"] = [*(p for p in sys.path if os.path.isdir(p)), package]
    closed = {isolation.closed_ancestor(p) for p in config["imports"]} - {None}
    config["closed"] = sorted(closed) if config["uid"] is not None else []
    serve(control, config)


if __name__ == "__main__":
    main(sys.argv[1:])

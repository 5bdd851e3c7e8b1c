"""A fork server for workers: a process that has imported Python and numpy once (but no student
code) and forks a fresh worker on request, so that replacing a worker after a failure costs a
fork instead of a new interpreter.

Started by :class:`grader.sandbox.client.Worker` with the worker's limits and user already
applied (its forks inherit them) as ``python -I -m grader.sandbox.zygote CONTROL_FD ARGS...``,
where ARGS are a worker's arguments after its pipes. Requests on the control socket:
- ``fork`` with three file descriptors (requests in, replies out, output): forks a worker in a
  session of its own, answers its pid;
- ``wait PID``: waits for that worker to end, answers its wait status.
"""

from __future__ import annotations

import os
import socket
import sys

import numpy  # noqa: F401 - the point of the fork server: imported once, before any fork

from grader.sandbox import worker


def serve(control: socket.socket, args: list[str]) -> None:
    control.sendall(b"ready\n")
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1024, 3)
        if not message:
            return
        words = message.decode().split()
        if words[:1] == ["fork"] and len(fds) == 3:
            pid = os.fork()
            if pid == 0:
                _become_worker(control, fds, args)
            for fd in fds:
                os.close(fd)
            control.sendall(f"{pid}\n".encode())
        elif words[:1] == ["wait"] and len(words) == 2:
            try:
                _, status = os.waitpid(int(words[1]), 0)
            except ChildProcessError:
                status = -1
            control.sendall(f"{status}\n".encode())
        else:
            for fd in fds:
                os.close(fd)
            control.sendall(b"error\n")


def _become_worker(control: socket.socket, fds: list[int], args: list[str]) -> None:
    try:
        control.close()
        os.setsid()
        read_fd, write_fd, output_fd = fds
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        submission, *rest = args
        worker.main([submission, str(read_fd), str(write_fd), *rest])
    finally:
        os._exit(0)


def main(argv: list[str]) -> None:
    control_fd, *args = argv
    serve(socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(control_fd)), args)


if __name__ == "__main__":
    main(sys.argv[1:])

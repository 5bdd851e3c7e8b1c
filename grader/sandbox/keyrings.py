"""The kernel's keyrings, which outlive processes: a user keyring belongs to its uid, not to a
process, and a session keyring is inherited (a worker's, from the grader's login session).
Student code could keep what it saw there, for a later test (a hidden test's inputs, read by a
visible one) or for the next grading that gets the same uid. Workers join a session keyring of
their own, and a grading's uid has its user keyrings emptied whenever it is cleaned up.

The keyctl system call has no wrapper in glibc or Python. Where a container's seccomp profile
refuses it (Docker's does), student code cannot use keyrings either; on a machine whose keyctl
number is not listed here, nothing is done (the README lists this under what does not hold).
"""

from __future__ import annotations

import ctypes
import os
import platform

from grader.sandbox.isolation import libc

#: keyctl's number, by machine.
_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
#: The calling process's user keyring and user session keyring.
USER_KEYRINGS = (-4, -5)


def keyctl(operation: int, *args: int) -> int:
    """The keyctl system call; -1 where it is unknown or refused."""
    if _KEYCTL is None:
        return -1
    return int(libc.syscall(_KEYCTL, ctypes.c_long(operation), *map(ctypes.c_long, args)))


def join_new_session() -> None:
    """In a worker, before student code: a new, empty session keyring, gone with its processes,
    in place of the grader's."""
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)


def clear_user_keyrings(uid: int, gid: int) -> None:
    """As root, with none of ``uid``'s processes left: empty its user keyrings (only a process of
    that uid may), in a child that takes the uid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            for keyring in USER_KEYRINGS:
                keyctl(KEYCTL_CLEAR, keyring)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)

"""The kernel's keyrings, which outlive processes: a user keyring belongs to its uid, not to a
process (so does its persistent keyring, kept for days), and a session keyring is inherited
(a worker's, from the grader's login session).
Student code could keep what it saw there, for a later test (a hidden test's inputs, read by a
visible one) or for the next grading that gets the same uid. Workers join a session keyring of
their own and start with an empty persistent keyring (their uid's, or their user namespace's),
and a grading's uid has its keyrings emptied whenever it is cleaned up.

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
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_GET_PERSISTENT = 1, 7, 22
#: The calling process's user keyring and user session keyring; its process keyring.
USER_KEYRINGS, PROCESS_KEYRING = (-4, -5), -2


def keyctl(operation: int, *args: int) -> int:
    """The keyctl system call; -1 where it is unknown or refused."""
    if _KEYCTL is None:
        return -1
    return int(libc.syscall(_KEYCTL, ctypes.c_long(operation), *map(ctypes.c_long, args)))


def fresh_keyrings() -> None:
    """In a worker, before student code: a new, empty session keyring, gone with its processes,
    in place of the grader's, and its persistent keyring emptied (as a plain user, the user
    namespace's, which all the grading's workers share: a hidden test's worker could leave
    its inputs there for a visible test's)."""
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)
    _clear(_persistent())


def _persistent() -> list[int]:
    """This process's persistent keyring (linked into its process keyring), if it has one."""
    keyring = keyctl(KEYCTL_GET_PERSISTENT, -1, PROCESS_KEYRING)  # -1: its own uid
    return [keyring] if keyring > 0 else []


def _clear(keyrings: list[int]) -> None:
    for keyring in keyrings:
        keyctl(KEYCTL_CLEAR, keyring)


def clear_user_keyrings(uid: int, gid: int) -> None:
    """As root, with none of ``uid``'s processes left: empty its user keyrings and its
    persistent keyring (only a process of that uid may), in a child that takes the uid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            _clear([*USER_KEYRINGS, *_persistent()])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)

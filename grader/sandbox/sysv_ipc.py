"""Removing the System V IPC objects (shared memory, message queues, semaphores) a uid made.

They outlive the processes that made them, like files in /tmp: without an IPC namespace of its
own, a hidden test's worker could leave its inputs in one for a later worker to read. A worker
in a mount namespace also has an IPC namespace of its own (grader.sandbox.isolation), whose
objects go with it; this is for gradings without namespaces (a container that forbids them).
"""

from __future__ import annotations

from pathlib import Path

from grader.sandbox.isolation import libc

IPC_RMID = 0
#: /proc/sysvipc table, and how to remove one of its objects by id.
_TABLES = {
    "shm": lambda ident: libc.shmctl(ident, IPC_RMID, None),
    "msg": lambda ident: libc.msgctl(ident, IPC_RMID, None),
    "sem": lambda ident: libc.semctl(ident, 0, IPC_RMID),
}


def remove_owned_ipc(uid: int, proc: Path = Path("/proc/sysvipc")) -> int:
    """Remove every System V IPC object that ``uid`` owns or created; returns how many."""
    removed = 0
    for table, remove in _TABLES.items():
        for ident in _owned(proc / table, uid):
            removed += remove(ident) == 0
    return removed


def _owned(table: Path, uid: int) -> list[int]:
    """The ids in a /proc/sysvipc table whose owner or creator is ``uid``."""
    try:
        header, *rows = table.read_text().splitlines()
    except (OSError, ValueError):  # no System V IPC in this kernel, or an empty table
        return []
    columns = header.split()  # the id is the second column: shmid, msqid, semid
    owner, creator = columns.index("uid"), columns.index("cuid")
    found = []
    for row in rows:
        fields = row.split()
        if len(fields) > max(owner, creator) and str(uid) in (fields[owner], fields[creator]):
            found.append(int(fields[1]))
    return found

"""Linux namespaces for student code, probed at run time: where the kernel allows them (as root,
or through a user namespace), every worker gets a private mount namespace (fresh /tmp, /var/tmp
and /dev/shm, staff folders hidden, every other file system read-only), no network and, per
grading, a PID namespace of its own.

Python 3.11 has no ``os.unshare``, so libc's ``unshare`` and ``mount`` are called through ctypes.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
#: The per-mount options of /proc/self/mountinfo that a read-only remount keeps: in a user
#: namespace they are locked, and a remount that leaves one out is refused.
KEPT_OPTIONS = {
    "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024,
    "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24, "nosymfollow": 256,
}  # fmt: skip
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
#: Set to "off" to use no namespaces at all.
SWITCH_VARIABLE = "GRADER_NAMESPACES"
#: Shared temporary folders: each worker gets empty private ones.
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm")
TEMP_SIZE = "size=64m"

#: The C library, through the symbols already loaded into Python (``dlopen(NULL)``): no
#: ``ctypes.util.find_library``, which imports subprocess and runs ``ldconfig -p``.
libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Isolation:
    """What separates a grading's student code from the rest, beyond the rlimits."""

    #: As root: student code runs under a uid of its own grading (see grader.sandbox.user).
    own_uid: bool = False
    #: Not root: the namespaces below are entered through a user namespace.
    user_ns: bool = False
    pid_ns: bool = False
    mount_ns: bool = False
    net_ns: bool = False

    def report(
        self, hidden: list[str] | None = None, writable: list[str] | None = None
    ) -> list[str]:
        """For staff: what holds and what does not, one line each; ``hidden``: the staff
        folders and files that a mount namespace would hide; ``writable``: the file systems
        that a worker could not make read-only."""
        if self.own_uid:
            who = (
                "student code runs under a uid of its own grading: it cannot signal, trace or "
                "read the processes and private files of the grader or of other gradings"
            )
        elif self.pid_ns:
            who = "student code runs as the grader's user, in namespaces of its own"
        else:
            who = (
                "NOT ISOLATED: student code runs as the grader's own user with no namespaces: "
                "it can read what this user can (tests, reference solution), signal the grader "
                "and other gradings, and leave files behind; grade untrusted code as root"
            )
        exposed = [path for path in hidden or [] if readable_by_others(path)]
        return [
            who,
            "private /tmp, /var/tmp, /dev/shm and System V IPC per worker; staff folders hidden; "
            + (
                f"file systems read-only but {', '.join(writable)}"
                if writable
                else "other file systems read-only"
            )
            if self.mount_ns
            else "no mount namespace: files readable by every user stay readable by student "
            "code (staff files are closed to its uid by an ACL where the file system allows)"
            + (f"; still readable: {', '.join(exposed)}" if exposed else ""),
            "own PID namespace" if self.pid_ns else "no PID namespace: other processes visible",
            "no network" if self.net_ns else "no network namespace: network reachable",
        ]


def unshare(flags: int) -> None:
    if libc.unshare(flags) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare: {os.strerror(error)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    if libc.mount(encode(source), target.encode(), encode(fstype), flags, encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def prctl(option: int, value: int) -> None:
    libc.prctl(option, value, 0, 0, 0)


def enter_user_namespace(extra: int) -> None:
    """As a plain user: a user namespace (with ``extra`` namespaces) mapping only our own ids."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | extra)
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def enter_worker_namespaces(
    plan: Isolation, keep: list[str], hide: list[str], closed: list[str] | None = None,
    writable: list[str] | None = None,
) -> list[str]:  # fmt: skip
    """In a fresh worker, still privileged: private temporary folders and System V IPC (its
    shared memory and queues go with the worker), empty ``closed`` folders (those other users
    cannot enter, above this Python's: /root for a pyenv Python), those of ``keep`` (the
    submission, the scratch folder, this Python's folders) that were under one of them mounted
    back, ``hide`` made empty, every file system read-only but the temporary folders and
    ``writable`` (the scratch folder), and a /proc that shows only this grading's PID
    namespace. Returns the file systems that could not be made read-only."""
    unshare(
        (CLONE_NEWNS | CLONE_NEWIPC if plan.mount_ns else 0) | (CLONE_NEWNET if plan.net_ns else 0)
    )
    if not plan.mount_ns:
        return []
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    replaced = [*SHARED_TEMP, *(closed or [])]
    under = [p for p in keep if any(Path(p).is_relative_to(folder) for folder in replaced)]
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in under]
    for path in replaced:
        if os.path.isdir(path):
            mode = "1777" if path in SHARED_TEMP else "0755"
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},{TEMP_SIZE}")
    os.umask(0o022)  # the folders above ``keep`` must be open to the student's user
    for path, handle in handles:
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        os.close(handle)
    for path in hide:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0,size=4k")
        elif os.path.isfile(path):
            mount("/dev/null", path, None, MS_BIND)
    left = _read_only_but(writable or [])
    if plan.pid_ns:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return left


def _read_only_but(writable: list[str]) -> list[str]:
    """Remount every mount of this namespace read-only, but the private temporary folders and
    ``writable`` (each made a mount of its own first). Otherwise student code could write
    wherever the worker's user may: as a plain user, the user's home and the grader's own
    Python (a .pth file in its site-packages runs in every later Python started there); as
    root, folders every user may write (/run/lock). Returns the mounts that this kernel
    refused to remount."""
    writable = [os.path.realpath(path) for path in writable]  # as /proc/self/mountinfo has them
    for path in writable:
        mount(path, path, None, MS_BIND)
    spared = {*(os.path.realpath(path) for path in SHARED_TEMP), *writable}
    refused = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])  # \040: space
        options = fields[5].split(",")
        if point in spared or "ro" in options:
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for option in options:
            flags |= KEPT_OPTIONS.get(option, 0)
        try:
            mount(None, point, None, flags)
        except OSError as exc:  # gone or shadowed (ENOENT, EINVAL): out of student code's reach
            if exc.errno in (errno.EPERM, errno.EACCES):
                refused.append(point)
    return refused


def readable_by_others(path: str) -> bool:
    """Whether a user with no right to ``path`` but "other"'s may read it."""
    if not os.path.exists(path) or closed_ancestor(path) is not None:
        return False
    need = 0o005 if os.path.isdir(path) else 0o004
    return os.stat(path).st_mode & need == need


def closed_ancestor(path: str) -> str | None:
    """The first folder above ``path`` that other users cannot enter (no o+x), if any."""
    for folder in [*reversed(Path(path).parents)][1:]:
        if not os.stat(folder).st_mode & 0o001:
            return str(folder)
    return None


def drop_capabilities() -> None:
    """Give up the capabilities a user namespace gave (they would let student code undo the
    mounts); no set-uid program may give them back."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]

    if libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def probe(root: bool) -> Isolation:
    """Which namespaces this kernel (and container) lets us use, tried in throwaway children;
    none when ``GRADER_NAMESPACES=off`` (a uid of its own still isolates gradings as root)."""
    if os.environ.get(SWITCH_VARIABLE, "").lower() in ("off", "0", "no"):
        return Isolation(own_uid=root)
    return _probe(root)


@functools.cache
def _probe(root: bool) -> Isolation:
    user = 0 if root else CLONE_NEWUSER
    if not root and not _works(lambda: enter_user_namespace(0)):
        return Isolation()
    pid = _works(lambda: _pid_namespace(root))
    mount_ns = _works(lambda: _mounts(root, pid))
    net = _works(lambda: enter_user_namespace(CLONE_NEWNET) if user else unshare(CLONE_NEWNET))
    return Isolation(own_uid=root, user_ns=not root, pid_ns=pid, mount_ns=mount_ns, net_ns=net)


def _pid_namespace(root: bool) -> None:
    if root:
        unshare(CLONE_NEWPID)
    else:
        enter_user_namespace(CLONE_NEWPID)
    _in_child(lambda: None)


def _mounts(root: bool, pid: bool) -> None:
    if not root:
        enter_user_namespace(CLONE_NEWPID if pid else 0)
    elif pid:
        unshare(CLONE_NEWPID)
    plan = Isolation(pid_ns=pid, mount_ns=True)
    here = os.path.dirname(os.path.abspath(__file__))
    _in_child(lambda: enter_worker_namespaces(plan, [here], [here]))


def _in_child(action: Callable[[], None]) -> None:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            action()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise OSError("failed in a child")


def _works(action: Callable[[], None]) -> bool:
    """Whether ``action`` succeeds in a forked child (namespaces never leak into this process)."""
    try:
        _in_child(action)
    except OSError:
        return False
    return True

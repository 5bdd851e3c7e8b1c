"""Who runs student code, and how everything it left is found again.

As root (Gradescope's container, a TA's ``grader batch``), every grading takes a uid of its own
from a range (``GRADER_UID_RANGE``, default 64000-64999; no passwd entry needed), held with an
flock'ed lock file for as long as the grading runs: concurrent gradings can neither signal, trace
nor read each other's processes and files, nor the grader's. Cleaning up kills every process of
that uid and removes every file it owns in the shared temporary folders and the scratch folder.
Without root, student code runs as the grader's own user (see grader.sandbox.isolation for what
still separates it).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import re
import signal
import stat
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.isolation import SHARED_TEMP
from grader.sandbox.keyrings import clear_user_keyrings
from grader.sandbox.sysv_ipc import remove_owned_ipc

#: ``FIRST-LAST``: the uids (and gids) gradings run student code under, as root.
RANGE_VARIABLE = "GRADER_UID_RANGE"
DEFAULT_RANGE = (64000, 64999)
#: Lock files, one per uid in use; root's own, so student code cannot hold or fake one.
LOCK_FOLDER = Path("/run/grader-uids")
#: Where a uid may have left files (world-writable folders; the scratch folder is added).
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


class SandboxUserError(RuntimeError):
    """Student code cannot be given an identity of its own, or cannot run under it."""


@dataclass(frozen=True)
class SandboxUser:
    """The identity student code runs under; ``uid`` is None when privileges are not dropped."""

    uid: int | None = None
    gid: int | None = None
    name: str = ""
    #: The flock'ed lock file that reserves ``uid`` for this grading.
    lock: int | None = None

    @classmethod
    def for_this_process(cls) -> SandboxUser:
        """As root, a uid no other grading holds (the caller must :meth:`release` it); else the
        grader's own user."""
        if os.geteuid() != 0:
            return cls()
        first, last = _uid_range()
        folder = _lock_folder()
        start = first + _secrets().randbelow(last - first + 1)  # spread concurrent gradings
        for offset in range(last - first + 1):
            uid = first + (start - first + offset) % (last - first + 1)
            user = None if _has_account(uid) else cls.unless_held(uid, folder)
            if user is not None:
                user.clean_up()  # whatever a crashed grading left under this uid
                return user
        raise SandboxUserError(f"every uid of {first}-{last} ({RANGE_VARIABLE}) is in use")

    @classmethod
    def unless_held(cls, uid: int, folder: Path | None = None) -> SandboxUser | None:
        """As root: ``uid``, locked for the caller (who must :meth:`release` or :meth:`unlock`
        it), unless a grading holds it."""
        folder = folder or _lock_folder()
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(uid, uid, f"uid {uid}", fd)

    @property
    def drops_privileges(self) -> bool:
        return self.uid is not None

    def become(self) -> None:
        """In a worker, before student code: give up root for good (no supplementary groups)."""
        if self.uid is not None and self.gid is not None:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)

    def private_folder(self, path: Path) -> Path:
        """Create ``path``, writable by student code and nobody else (its HOME, its TMPDIR)."""
        path.mkdir(mode=0o700)
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)
        return path

    def kill_all(self, deadline: float) -> bool:
        """Kill every process of this uid, wherever it runs and whatever it did to its
        environment; True when none is left."""
        if self.uid is None:
            return True
        uid = self.uid
        return kill_until_gone(lambda pid, status, tree: uid in status.get("Uid", ()), deadline)

    def clean_up(self, *scratch: Path, private_temp: bool = False) -> None:
        """Kill this uid's processes and remove its System V IPC objects, its files from the
        shared temporary folders and from ``scratch`` (removed whole). ``private_temp``: every
        process of this uid had private temporary folders (a mount namespace's, gone with
        them): only the others are searched."""
        self.kill_all(time.monotonic() + 10)
        if self.uid is not None and self.gid is not None:
            clear_user_keyrings(self.uid, self.gid)
            remove_owned_ipc(self.uid)
            for folder in SHARED_FOLDERS:
                if not (private_temp and folder in SHARED_TEMP):
                    remove_owned(Path(folder), self.uid)
        for folder in scratch:
            if folder.exists():
                remove_tree(folder)

    def release(self, *scratch: Path, private_temp: bool = False) -> None:
        """Clean up (``private_temp`` as for :meth:`clean_up`), then let another grading have
        the uid."""
        self.clean_up(*scratch, private_temp=private_temp)
        self.unlock()

    def unlock(self) -> None:
        """Let another grading have the uid."""
        if self.lock is not None:
            os.close(self.lock)


def student_uids() -> range | None:
    """Every uid (each also a gid) a grading's student code may run as; None when the grader
    is not root, and student code runs as the grader's own user."""
    if os.geteuid() != 0:
        return None
    first, last = _uid_range()
    return range(first, last + 1)


def _uid_range() -> tuple[int, int]:
    text = os.environ.get(RANGE_VARIABLE)
    if not text:
        return DEFAULT_RANGE
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise SandboxUserError(
            f"{RANGE_VARIABLE} must look like 64000-64999, not {text!r}"
        ) from None
    if not 0 < first <= last:
        raise SandboxUserError(f"{RANGE_VARIABLE} {text!r} is empty or includes root")
    return first, last


def _lock_folder() -> Path:
    LOCK_FOLDER.mkdir(mode=0o700, exist_ok=True)
    info = LOCK_FOLDER.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUserError(f"{LOCK_FOLDER} must be a folder only root can write")
    return LOCK_FOLDER


_STATUS_FIELDS = re.compile(rb"^(Uid|PPid|NSpid|State):([^\n]*)", re.MULTILINE)


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def process_status(pid: str) -> dict[str, tuple[int, ...] | str]:
    """The fields of /proc/PID/status this module needs: Uid (real, effective, saved, fs),
    PPid, NSpid and State. Unlike /proc/PID's owner, it is right for non-dumpable processes.
    Read with one system call and parsed as bytes: a grading reads every process's, twice per
    replaced worker."""
    fd = os.open(f"/proc/{pid}/status", os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, 1 << 16)
    finally:
        os.close(fd)
    fields: dict[str, tuple[int, ...] | str] = {}
    for key, value in _STATUS_FIELDS.findall(data):
        if key == b"State":
            fields["State"] = value.strip().decode()
        else:
            fields[key.decode()] = tuple(int(v) for v in value.split())
    return fields


def kill_until_gone(doomed: Callable[[int, dict, dict[int, int]], bool], deadline: float) -> bool:
    """SIGKILL every live process that ``doomed(pid, status, tree)`` selects (``tree``: pid ->
    parent pid, of every process), again and again (their children may have been forked
    meanwhile) until none is left or ``deadline`` passes; True when none is left."""
    while True:
        statuses = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                with contextlib.suppress(OSError, ValueError):
                    statuses[int(entry)] = process_status(entry)
        tree = {pid: status.get("PPid", (0,))[0] for pid, status in statuses.items()}
        found = [pid for pid, status in statuses.items()
                 if not str(status.get("State", "")).startswith(("Z", "X"))
                 and doomed(pid, status, tree)]  # fmt: skip
        if not found:
            return True
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def remove_owned(folder: Path, uid: int) -> None:
    """Remove everything ``uid`` owns in ``folder`` and in the world-writable folders under it
    (the only places it could create files), without following links."""
    pending = [folder]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError), os.scandir(current) as entries:
            for entry in list(entries):
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if info.st_uid == uid:
                        remove_tree(Path(entry.path))
                    elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH:
                        pending.append(Path(entry.path))


def remove_tree(path: Path) -> None:
    """Remove ``path`` and all below it, whatever its depth: each folder's subfolders are first
    moved up beside ``path``, so there is neither recursion nor a long path nor many open files.
    Safe while a process of the tree's owner still changes it: no name is followed as a link
    (a folder listed, then swapped for a link, is never entered nor has its mode changed)."""
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        pending = [path.name]
        while pending:
            name = pending.pop()
            _let_owner_in(name, parent)  # its owner may have made it unreadable
            try:
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
            except OSError as exc:
                if exc.errno not in _NOT_A_FOLDER:
                    raise
                os.unlink(name, dir_fd=parent)  # a file, a link, or a link swapped in
                continue
            try:
                with os.scandir(fd) as entries:
                    for entry in list(entries):
                        with contextlib.suppress(FileNotFoundError):  # gone since listed
                            if entry.is_dir(follow_symlinks=False):
                                moved = f".grader-removing-{_secrets().token_hex(8)}"
                                _let_owner_in(entry.name, fd)  # renaming it writes its ".."
                                os.rename(entry.name, moved, src_dir_fd=fd, dst_dir_fd=parent)
                                pending.append(moved)
                            else:
                                os.unlink(entry.name, dir_fd=fd)
            finally:
                os.close(fd)
            os.rmdir(name, dir_fd=parent)
    finally:
        os.close(parent)


#: What opening a name with O_DIRECTORY | O_NOFOLLOW raises when it is a file or a link.
_NOT_A_FOLDER = (errno.ENOTDIR, errno.ELOOP)


def _let_owner_in(name: str, folder: int) -> None:
    """Mode 0700 for the folder ``name`` in ``folder``, changed through a handle on that folder
    itself (O_PATH, no link followed): ``chmod`` by name would follow a link that replaced it
    since it was listed, and change the mode of whatever the link points to. Nothing where
    ``name`` is no folder (any more), or not ours to change."""
    try:
        handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
    except OSError as exc:
        if exc.errno in _NOT_A_FOLDER:
            return
        raise
    try:
        with contextlib.suppress(PermissionError):
            os.chmod(f"/proc/self/fd/{handle}", 0o700)
    finally:
        os.close(handle)


def _secrets() -> types.ModuleType:
    """The secrets module, imported when the grader needs it: the fork server imports this
    module for SandboxUser.become, and secrets would cost it 8 ms of imports (hashlib, hmac)."""
    import secrets

    return secrets

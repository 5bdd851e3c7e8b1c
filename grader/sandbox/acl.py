"""Staff files closed to one uid, for as long as its grading runs, where no mount namespace can
hide them (a container that forbids namespaces, such as Gradescope's): a POSIX ACL entry
``user:UID:---`` denies that uid alone, and nobody else's access (nor any file's mode) changes.
The entry is removed when the grading ends; if the grader is killed first, it keeps denying a uid
that has no account and is only ever used for grading.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
from collections.abc import Iterator
from pathlib import Path

_XATTR = "system.posix_acl_access"
_HEADER, _ENTRY = struct.Struct("<I"), struct.Struct("<HHI")
_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_ANY = 0xFFFFFFFF


def deny(paths: list[Path], uid: int, lock: Path) -> list[Path]:
    """Add ``user:uid:---`` to each path's ACL; returns those where the file system took it."""
    denied = []
    with _locked(lock):
        for path in paths:
            with contextlib.suppress(OSError):
                entries = [e for e in _read(path) if e[:3:2] != (_USER, uid)]
                _write(path, _with_mask([*entries, (_USER, 0, uid)]))
                denied.append(path)
    return denied


def allow(paths: list[Path], uid: int, lock: Path) -> None:
    """Remove what :func:`deny` added; an ACL left with no named entry is removed whole."""
    with _locked(lock):
        for path in paths:
            with contextlib.suppress(OSError):
                entries = [e for e in _read(path) if e[:3:2] != (_USER, uid)]
                if any(tag in (_USER, _GROUP) for tag, _, _ in entries):
                    _write(path, entries)
                else:
                    os.removexattr(path, _XATTR, follow_symlinks=False)


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """Gradings edit the same ACLs: one at a time."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> list[tuple[int, int, int]]:
    """The ACL's entries (tag, permissions, id); the mode's three when there is none."""
    try:
        data = os.getxattr(path, _XATTR, follow_symlinks=False)
    except OSError as exc:
        if exc.errno != errno.ENODATA:
            raise
        mode = os.lstat(path).st_mode
        return [(_USER_OBJ, mode >> 6 & 7, _ANY), (_GROUP_OBJ, mode >> 3 & 7, _ANY),
                (_OTHER, mode & 7, _ANY)]  # fmt: skip
    count = (len(data) - _HEADER.size) // _ENTRY.size
    return [_ENTRY.unpack_from(data, _HEADER.size + i * _ENTRY.size) for i in range(count)]


def _with_mask(entries: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """A named entry needs a mask; the group's own permissions, so that nobody loses any."""
    if any(tag == _MASK for tag, _, _ in entries):
        return entries
    group = next(perm for tag, perm, _ in entries if tag == _GROUP_OBJ)
    return [*entries, (_MASK, group, _ANY)]


def _write(path: Path, entries: list[tuple[int, int, int]]) -> None:
    entries = sorted(entries, key=lambda entry: (entry[0], entry[2]))  # as the kernel wants
    data = _HEADER.pack(_VERSION) + b"".join(_ENTRY.pack(*entry) for entry in entries)
    os.setxattr(path, _XATTR, data, follow_symlinks=False)

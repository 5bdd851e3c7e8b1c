"""Write results.json atomically, so Gradescope never reads a half-written file, and bounded, so
that no text student code chose can make it large."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from grader.reporting.caps import bounded
from grader.reporting.results import Results


def write_results(results: Results, path: Path) -> None:
    """Write to a temporary file in the same folder, then rename it over ``path``; every string
    is capped (grader.reporting.caps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():  # planted by student code: not ours to keep
        path.rename(path.with_name(f"{path.name}.moved-aside-{time.time_ns()}"))
    text = json.dumps(bounded(results.to_gradescope()), indent=2, allow_nan=False) + "\n"
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Let ``write`` fill a temporary file in ``path``'s folder, then rename it over ``path``:
    never half a file, and never through a link planted at ``path`` (the rename replaces the
    link itself, not what it points to)."""
    fd, tmp = tempfile.mkstemp(prefix=".grader-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class UnsafeOutput(ValueError):
    """The results path lies where student code could write (and so plant a folder there)."""


def check_destination(path: Path, student_uids: range | None) -> None:
    """Refuse a results path that student code, running as any of ``student_uids`` (each also
    its gid), could take over first: one in a folder such a uid can write, or under a folder in
    which it could replace the next one. Without dropped privileges (``None``) student code runs
    as the grader's user and nothing is private from it (see the README); ``write_results``
    then at least moves aside whatever was planted at the path."""
    if student_uids is None:
        return
    path = Path(os.path.abspath(path))
    child, folder = path, path.parent
    while True:
        if folder.exists():
            info = folder.stat()
            writable = info.st_uid in student_uids or info.st_mode & (
                0o020 if info.st_gid in student_uids else 0o002
            )
            sticky = (
                info.st_mode & stat.S_ISVTX
                and child.exists()
                and child.lstat().st_uid not in student_uids
            )
            if writable and (child == path or not sticky):
                first, last = student_uids[0], student_uids[-1]
                raise UnsafeOutput(
                    f"{path}: student code (running as a uid of {first}-{last}) can write in "
                    f"{folder}, so it could plant a folder or a link in the way of the results; "
                    "write them in a folder only this user can write"
                )
        if folder.parent == folder:
            return
        child, folder = folder, folder.parent

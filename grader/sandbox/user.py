"""Who runs student code. As root (Gradescope's container), an unprivileged user: files of the
grader made private to root cannot be read by it and it cannot signal the grader. Otherwise the
grader's own user, with only the process limits to hold it."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Environment variable naming the unprivileged account used when the grader runs as root.
USER_VARIABLE = "GRADER_SANDBOX_USER"
DEFAULT_USER = "nobody"


class SandboxUserError(RuntimeError):
    """Running as root, but the unprivileged account is missing."""


@dataclass(frozen=True)
class SandboxUser:
    """The account student code runs as; ``uid`` is None when privileges are not dropped."""

    uid: int | None = None
    gid: int | None = None
    name: str = ""

    @classmethod
    def for_this_process(cls) -> SandboxUser:
        if os.geteuid() != 0:
            return cls()
        name = os.environ.get(USER_VARIABLE, DEFAULT_USER)
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise SandboxUserError(
                f"running as root, student code must run as an unprivileged user, but there is "
                f"no user {name!r}: create one, or name another in {USER_VARIABLE}"
            ) from None
        if entry.pw_uid == 0:
            raise SandboxUserError(f"{USER_VARIABLE} names {name!r}, which is root")
        return cls(entry.pw_uid, entry.pw_gid, name)

    @property
    def drops_privileges(self) -> bool:
        return self.uid is not None

    def become(self) -> None:
        """In the worker's child process, before exec: give up root for good."""
        if self.uid is not None and self.gid is not None:
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A private writable folder for student code (its HOME and TMPDIR)."""
        folder = tempfile.TemporaryDirectory(prefix="grader-scratch-")
        if self.uid is not None and self.gid is not None:
            os.chown(folder.name, self.uid, self.gid)
        return folder

    def protect(self, *paths: Path) -> None:
        """Close grader folders (tests, reference, results) to the student's user."""
        if self.uid is None:
            return
        for path in paths:
            if path.exists():
                path.chmod(path.stat().st_mode & 0o700)

    def kill_marked(self, marker: str, keep: set[int]) -> None:
        """Kill every process of the student's user whose environment carries ``marker``, but
        those in ``keep``: the worker's descendants, including those that left its process group
        (a double fork)."""
        uid = os.getuid() if self.uid is None else self.uid
        needle = marker.encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in (os.getpid(), *keep):
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid and needle in (entry / "environ").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)

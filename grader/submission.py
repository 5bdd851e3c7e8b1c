"""Turning what a student handed in (a folder or a .zip) into a clean folder for the worker."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: A zip that unpacks to more than this is refused (zip bombs).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


class SubmissionError(Exception):
    """The submission cannot be read at all (not a folder, not a valid zip...)."""


@dataclass
class StagedSubmission:
    """The expected files found in a submission, copied into ``folder``."""

    folder: Path
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def stage(submission: Path, expected: tuple[str, ...], workdir: Path) -> StagedSubmission:
    """Copy the expected files of a folder or zip into ``workdir``/submission."""
    if not submission.exists():
        raise SubmissionError(f"{submission} does not exist")
    if submission.is_dir():
        source = submission
    elif zipfile.is_zipfile(submission):
        source = workdir / "unzipped"
        _unzip(submission, source)
    else:
        raise SubmissionError(f"{submission} is neither a folder nor a .zip file")
    root = _root(source, expected)
    staged = StagedSubmission(workdir / "submission")
    staged.folder.mkdir(parents=True)
    for name in expected:
        if (root / name).is_file():
            shutil.copyfile(root / name, staged.folder / name)
            staged.found.append(name)
        else:
            staged.missing.append(name)
    return staged


def _root(source: Path, expected: tuple[str, ...]) -> Path:
    """The folder holding the files: ``source`` itself, or a single folder it wraps."""
    if any((source / name).is_file() for name in expected):
        return source
    entries = [p for p in source.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return _root(entries[0], expected)
    return source


def _unzip(archive: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise SubmissionError(
                    f"{archive.name} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB"
                )
            for info in infos:
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith("/") or ".." in parts:
                    raise SubmissionError(
                        f"{archive.name} contains an entry outside its folder: {info.filename}"
                    )
            zf.extractall(target)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"cannot unpack {archive.name}: {exc}") from None

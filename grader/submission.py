"""Turning what a student handed in (a folder or a .zip) into a clean folder for the worker.

Students zip the wrong folder, nest their files, rename them by accident ("Layers.py",
"layers (1).py") or submit links. Each expected file is looked for anywhere in the submission;
what is missing is reported with the most likely mistake, and whatever is there is graded.
"""

from __future__ import annotations

import difflib
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader import notebook

#: A zip that unpacks to more than this, or holds more files than this, is refused (zip bombs).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
#: A submission file larger than this is not graded.
MAX_FILE_BYTES = 2 * 1024 * 1024
_IGNORED = ("__MACOSX", ".git", "__pycache__", ".ipynb_checkpoints")
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy|\s+copy|[-_ ]\d+)$", re.IGNORECASE)


class SubmissionError(Exception):
    """The submission cannot be read at all (not a folder, not a valid zip...)."""


@dataclass
class StagedSubmission:
    """The expected files found in a submission, copied into ``folder``."""

    folder: Path
    missing: list[str] = field(default_factory=list)
    #: For the student: where files were found, what is missing and what to rename.
    notes: list[str] = field(default_factory=list)
    #: Per missing file, the likely fix ("your submission has Layers.py: rename it").
    hints: dict[str, str] = field(default_factory=dict)


def stage(submission: Path, expected: tuple[str, ...], workdir: Path) -> StagedSubmission:
    """Copy the expected files of a folder or zip into ``workdir``/submission."""
    if not submission.exists():
        raise SubmissionError(f"{submission} does not exist")
    if submission.is_dir():
        source = submission
    elif submission.suffix == ".ipynb":
        source = workdir / "notebook"
        source.mkdir()
        shutil.copyfile(submission, source / submission.name)
    elif zipfile.is_zipfile(submission):
        source = workdir / "unzipped"
        _unzip(submission, source)
    else:
        raise SubmissionError(f"{submission} is neither a folder nor a .zip file")
    staged = StagedSubmission(workdir / "submission")
    staged.folder.mkdir(parents=True)
    files = _files(source)
    if not files:
        staged.notes.append("Your submission is empty: it contains no files.")
    for name in expected:
        path = _choose(name, files, source, staged)
        if path is None:
            staged.missing.append(name)
            continue
        shutil.copyfile(path, staged.folder / name)
        _saved_notebook(staged.folder / name, staged)
    notebooks = [p for p in files if p.suffix == ".ipynb" and not p.is_symlink()]
    if staged.missing and len(notebooks) == 1:
        _from_notebook(notebooks[0], staged)
    for name in staged.missing:
        _explain_missing(name, files, source, staged)
    return staged


def _from_notebook(path: Path, staged: StagedSubmission) -> None:
    """The notebook's definitions stand in for every expected file that is missing."""
    try:
        source, notes = notebook.extract(path)
    except notebook.NotebookError as exc:
        staged.notes.append(str(exc))
        return
    for name in staged.missing:
        (staged.folder / name).write_text(source, encoding="utf-8")
    staged.notes.append(f"Graded the definitions in {path.name}.")
    staged.notes.extend(notes)
    staged.missing = []


def _saved_notebook(path: Path, staged: StagedSubmission) -> None:
    """A notebook saved as a script stands in for its file as the notebook would: its
    definitions, not its demos and training loops (nor the magics that fail outside Jupyter)."""
    converted = notebook.from_script(path)
    if converted is None:
        return
    source, notes = converted
    path.write_text(source, encoding="utf-8")
    staged.notes.append(f"{path.name} looks like a notebook saved as a script (it calls "
                        "get_ipython()): its imports and definitions were graded, as a "
                        "notebook's are.")  # fmt: skip
    staged.notes.extend(notes)


def _files(source: Path) -> list[Path]:
    """Every file below ``source``, shallowest first, skipping system clutter."""
    found = [
        path for path in source.rglob("*")
        if not any(part in _IGNORED or part.startswith("._") for part in path.parts)
        and (path.is_file() or path.is_symlink())
    ]  # fmt: skip
    return sorted(found, key=lambda p: (len(p.relative_to(source).parts), str(p)))


def _choose(name: str, files: list[Path], source: Path, staged: StagedSubmission) -> Path | None:
    matches = [p for p in files if p.name == name]
    for link in [p for p in matches if p.is_symlink()]:
        staged.notes.append(f"{_rel(link, source)} is a link, not a file: submit the file itself.")
    matches = [p for p in matches if not p.is_symlink()]
    if matches:
        chosen = matches[0]
        if chosen.stat().st_size > MAX_FILE_BYTES:
            staged.notes.append(f"{_rel(chosen, source)} is larger than "
                                f"{MAX_FILE_BYTES // 2**20} MB and was not graded.")  # fmt: skip
            return None
        if chosen.parent != source:
            staged.notes.append(f"Found {name} in {_rel(chosen.parent, source)}/.")
        if len(matches) > 1:
            others = ", ".join(_rel(p, source) for p in matches[1:])
            staged.notes.append(f"Graded {_rel(chosen, source)}; ignored {others}.")
        return chosen
    return None


def _explain_missing(name: str, files: list[Path], source: Path, staged: StagedSubmission) -> None:
    """Name the file the student probably meant, if there is one."""
    near = _near_miss(name, [p for p in files if not p.is_symlink()])
    if near is not None:
        hint = f"your submission has {_rel(near, source)!r}: rename it to {name}"
        staged.hints[name] = hint
        staged.notes.append(f"{name} is missing: {hint}.")


def _near_miss(name: str, files: list[Path]) -> Path | None:
    """A file the student probably meant as ``name``: other case, a copy's suffix, a typo."""
    stem = Path(name).stem.lower()
    for path in files:
        candidate = path.name.lower()
        for suffix in (".txt", ".py.txt"):
            candidate = candidate.removesuffix(suffix)
        if candidate.endswith(".py"):
            base = _COPY_SUFFIX.sub("", candidate[:-3]).strip()
            if base == stem:
                return path
    python = {p.name.lower(): p for p in files if p.suffix.lower() == ".py"}
    close = difflib.get_close_matches(name.lower(), list(python), n=1, cutoff=0.8)
    return python[close[0]] if close else None


def _rel(path: Path, source: Path) -> str:
    return str(path.relative_to(source))


def unzip(archive: Path, target: Path, max_bytes: int, max_entries: int) -> None:
    """Unpack a zip safely (no entry outside ``target``, bounded size); SubmissionError if not."""
    _unzip(archive, target, max_bytes, max_entries)


def _unzip(
    archive: Path, target: Path, max_bytes: int = MAX_UNPACKED_BYTES, max_entries: int = MAX_ENTRIES
) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise SubmissionError(f"{archive.name} holds more than {max_entries} files")
            if sum(i.file_size for i in infos) > max_bytes:
                raise SubmissionError(
                    f"{archive.name} unpacks to more than {max_bytes // 2**20} MB"
                )
            for info in infos:
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
                    raise SubmissionError(
                        f"{archive.name} contains an entry outside its folder: {info.filename}"
                    )
            zf.extractall(target)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"cannot unpack {archive.name}: {exc}") from None

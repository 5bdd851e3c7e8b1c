"""The submissions of a course: a folder of submissions (folders, zips, notebooks) or
Gradescope's "Export Submissions" zip, with the students named in its submission_metadata.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.submission import unzip

METADATA_NAME = "submission_metadata.yml"
#: An export zip holds a whole course: allow far more than one submission.
MAX_EXPORT_BYTES = 4 * 1024**3
MAX_EXPORT_ENTRIES = 200_000
#: What the batch itself writes in OUTDIR: no submission may be given one of these names.
RESERVED = frozenset({"summary.csv", "report.md", "histogram.png"})
#: Longest name, email or SID kept from the metadata (a student's text, written to a CSV).
MAX_FIELD = 200


@dataclass(frozen=True)
class Student:
    name: str = ""
    email: str = ""
    sid: str = ""


@dataclass(frozen=True)
class Submission:
    #: Unique in the batch and safe as a folder name in OUTDIR.
    id: str
    path: Path
    students: tuple[Student, ...] = ()


def discover(source: Path, workdir: Path) -> list[Submission]:
    """The submissions in a folder or an export zip (unpacked into ``workdir``)."""
    if source.is_file():
        unzip(source, workdir / "export", MAX_EXPORT_BYTES, MAX_EXPORT_ENTRIES)
        source = workdir / "export"
        entries = [p for p in source.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        if len(entries) == 1 and entries[0].is_dir() and not (source / METADATA_NAME).exists():
            source = entries[0]  # the export's own top folder
    students = _students(source / METADATA_NAME)
    paths = [
        path for path in sorted(source.iterdir())
        if not path.name.startswith((".", "__MACOSX")) and path.name != METADATA_NAME
        and (path.is_dir() or path.suffix in (".zip", ".ipynb"))
    ]  # fmt: skip
    ids = _unique_ids(paths)
    return [Submission(ids[path], path, students.get(path.name, ())) for path in paths]


def _unique_ids(paths: list[Path]) -> dict[Path, str]:
    """A folder keeps its name, a file its stem (``alice.zip``: ``alice``) unless another
    submission or one of the batch's own outputs has it: then its whole name, numbered if
    need be. Compared without case, so that ids stay apart on any file system."""
    stems = [path.stem if path.is_file() else path.name for path in paths]
    clashing = {s.lower() for s in stems if [t.lower() for t in stems].count(s.lower()) > 1}
    taken = {name.lower() for name in RESERVED}
    ids = {}
    for path, stem in zip(paths, stems, strict=True):
        candidate = path.name if stem.lower() in clashing | taken else stem
        number, unique = 1, candidate
        while unique.lower() in taken:
            number += 1
            unique = f"{candidate}-{number}"
        taken.add(unique.lower())
        ids[path] = unique
    return ids


def _students(path: Path) -> dict[str, tuple[Student, ...]]:
    """Submission folder -> its students, from Gradescope's submission_metadata.yml."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    found = {}
    for folder, info in data.items() if isinstance(data, dict) else []:
        if not isinstance(folder, str):
            continue
        submitters = _field(info, "submitters") if isinstance(info, dict) else None
        people = [
            Student(_text(_field(s, "name")), _text(_field(s, "email")), _text(_field(s, "sid")))
            for s in submitters if isinstance(s, dict)
        ] if isinstance(submitters, list) else []  # fmt: skip
        found[folder] = tuple(people)
    return found


def _field(mapping: dict[Any, Any], key: str) -> Any:
    """Gradescope writes keys as Ruby symbols (``:name``); accept plain ones too."""
    return mapping.get(f":{key}", mapping.get(key))


def _text(value: Any) -> str:
    """A scalar as text, bounded; anything else (a list, a mapping: a YAML alias can make one
    that prints to megabytes) is no name at all."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)[:MAX_FIELD]

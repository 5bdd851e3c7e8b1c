"""Finding an assignment: a bundled one by name, or any folder holding a manifest.yaml."""

from __future__ import annotations

from pathlib import Path

from grader.manifest import MANIFEST_NAME, Manifest, load

#: Assignments shipped with this checkout (assignments/<name>/manifest.yaml).
BUNDLED = Path(__file__).resolve().parent.parent / "assignments"


class AssignmentNotFound(LookupError):
    """Neither a bundled assignment of that name nor a folder with a manifest."""


def bundled_names() -> list[str]:
    return sorted(p.parent.name for p in BUNDLED.glob(f"*/{MANIFEST_NAME}"))


def find(name_or_path: str) -> Manifest:
    """Load the manifest of a bundled assignment (``a1``) or of an assignment folder."""
    path = Path(name_or_path)
    candidates = [path if path.suffix in (".yaml", ".yml") else path / MANIFEST_NAME]
    if path.name == name_or_path and name_or_path not in (".", ".."):
        candidates.append(BUNDLED / name_or_path / MANIFEST_NAME)
    for candidate in candidates:
        if candidate.is_file():
            return load(candidate.resolve())
    known = ", ".join(bundled_names()) or "none"
    raise AssignmentNotFound(
        f"no assignment '{name_or_path}': give a bundled name ({known}) "
        f"or a folder that contains {MANIFEST_NAME}"
    )


def tests_folder(manifest: Manifest) -> Path:
    return manifest.folder / "tests"

"""What a result was made with: the grader's version and code, the assignment's files and its
manifest. A result whose fingerprint differs from today's is stale and is graded again; a
cluster node whose fingerprint differs from the driver's refuses to grade."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grader
from grader.manifest import Manifest

_GRADER = Path(grader.__file__).resolve().parent
_SKIPPED = ("__pycache__", ".pytest_cache")


@dataclass(frozen=True)
class Fingerprint:
    grader_version: str
    #: Hash of the grader's own files (a changed check changes scores at the same version).
    grader: str
    #: Hash of the manifest, the tests, the support code and the reference solution.
    assignment: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def differences(self, other: Any) -> list[str]:
        """What differs from ``other`` (a fingerprint or a results document's record of one)."""
        theirs = other if isinstance(other, dict) else {}
        return [key for key, value in self.as_dict().items() if theirs.get(key) != value]


def _hash_tree(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder)
            if any(part in _SKIPPED for part in relative.parts) or path.suffix == ".pyc":
                continue
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def fingerprint(manifest: Manifest) -> Fingerprint:
    """This process's grader and the assignment as it is on this machine's disk."""
    folders = [manifest.folder, *([manifest.reference] if manifest.reference else [])]
    return Fingerprint(grader.__version__, _hash_tree(_GRADER), _hash_tree(*folders))

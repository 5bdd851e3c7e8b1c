"""``grader autograder build``: the zip uploaded to Gradescope.

Gradescope unzips it *into* /autograder/source and runs ``setup.sh`` from there, so everything
lies at the zip's root: ``setup.sh`` and ``run_autograder`` (Gradescope's contract), the grader
package with its ``pyproject.toml`` (installed by setup.sh), the pinned requirements, the
assignment folder (manifest, tests, support code, stubs) as ``assignment/``, the reference
solution as ``reference/``, and ``autograder.json`` saying so.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from grader.manifest import Manifest
from grader.packaging.run import CONFIG_NAME

FILES = Path(__file__).resolve().parent / "files"
#: The grader's own source: the package and what pip needs to install it.
ROOT = Path(__file__).resolve().parents[2]
_SKIP = ("__pycache__", ".pytest_cache", ".ruff_cache")
EXECUTABLES = ("setup.sh", "run_autograder")
#: The zip's README.md (pyproject.toml names one): what the zip is, not the project's manual, so
#: that editing the manual leaves the zip, and the images built from it, unchanged.
README = """# Autograder for {title}

Built by `grader autograder build`: upload this zip unchanged to Gradescope ("Configure
Autograder", default Ubuntu 22.04 base). Gradescope unzips it into /autograder/source and runs
setup.sh there once, as root; run_autograder then grades each submission.
"""


def build(manifest: Manifest, output: Path) -> list[str]:
    """Write the zip; returns the names it holds."""
    entries: dict[str, Path | str] = {
        "setup.sh": FILES / "setup.sh",
        "run_autograder": FILES / "run_autograder",
        "requirements.txt": FILES / "requirements.txt",
        "requirements-assignment.txt": "".join(f"{p}\n" for p in manifest.python_packages),
        "pyproject.toml": ROOT / "pyproject.toml",
        "README.md": README.format(title=manifest.title),
        CONFIG_NAME: json.dumps(
            {"assignment": "assignment", "reference": "reference" if manifest.reference else None}
        ),
    }
    entries.update(_tree(ROOT / "grader", "grader"))
    entries.update(_tree(manifest.folder, "assignment"))
    if manifest.reference is not None:
        entries.update(_tree(manifest.reference, "reference"))
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(entries.items()):
            # A fixed date: the same sources make the same zip (container images are keyed by it).
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in EXECUTABLES else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = content.read_bytes() if isinstance(content, Path) else content.encode()
            archive.writestr(info, data)
    return sorted(entries)


def _tree(folder: Path, prefix: str) -> dict[str, Path]:
    return {
        f"{prefix}/{path.relative_to(folder).as_posix()}": path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part in _SKIP for part in path.parts)
    }

"""Write results.json atomically, so Gradescope never reads a half-written file, and bounded, so
that no text student code chose can make it large."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.reporting.caps import bounded


def write_results(results: dict[str, Any], path: Path) -> None:
    """Write to a temporary file in the same folder, then rename it over ``path``; every string
    is capped (grader.reporting.caps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(bounded(results), handle, indent=2, allow_nan=False)
            handle.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""The body of run_autograder: grade /autograder/submission into /autograder/results.

Every path comes from the environment (set by run_autograder, which defaults them to
Gradescope's layout), so that tests run the real entry point against a temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from grader import assignment, blas, gc_tuning
from grader.manifest import Manifest
from grader.packaging import rate_limit
from grader.reporting.results import Results
from grader.reporting.table import render

#: Written at the zip's root (/autograder/source on Gradescope) by ``grader autograder build``.
CONFIG_NAME = "autograder.json"


def _metadata(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _manifest(source: Path) -> Manifest:
    config = json.loads((source / CONFIG_NAME).read_text())
    manifest = assignment.find(str(source / config["assignment"]))
    reference = config.get("reference")
    return dataclasses.replace(manifest, reference=(source / reference) if reference else None)


def main() -> int:
    blas.one_thread()  # before grader.runner imports numpy
    from grader.runner import MISUSE, grade_to_file

    env = os.environ
    source, submission = Path(env["GRADER_SOURCE"]), Path(env["GRADER_SUBMISSION"])
    output = Path(env["GRADER_RESULTS"]) / "results.json"
    metadata = _metadata(Path(env["GRADER_METADATA"]))
    # stdout, shown to instructors only on Gradescope: wide enough that no line of the results
    # is cut (a test's name has at most 1,000 characters, its message's first line 200)
    console = Console(width=1_400)
    try:
        return grade_to_file(
            submission, lambda: _manifest(source), output, console,
            grade_unless=lambda manifest: rate_limit.check(manifest.rate_limit, metadata),
            curves=False,  # Gradescope shows no file but results.json: a second of CPU saved
            show=_log,
        )  # fmt: skip
    except MISUSE as exc:  # results.json already says so
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2


def _log(results: Results, console: Console, title: str) -> int:
    """The results in the log, one line per test: Gradescope shows this output to instructors
    only, and rich's table of a1's 128 tests cost 0.1 s of CPU of the half CPU a submission
    gets."""
    render(results, console, title, lines=True)
    return 0


if __name__ == "__main__":
    gc_tuning.run_command(main)

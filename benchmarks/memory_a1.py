"""Peak memory of a full grade of assignment 1: the grader process and its workers.

Run: .venv/bin/python benchmarks/memory_a1.py

Gradescope's container has 768 MB by default for everything: the grader and the process running
student code. This grades the reference solution and the stubs in this process and prints the
peak resident memory of this process and of the largest worker (ru_maxrss).
"""

from __future__ import annotations

import resource
from pathlib import Path

from grader import assignment
from grader.grading import grade

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    manifest = assignment.find("a1")
    for submission in (ROOT / "solutions" / "a1", ROOT / "assignments" / "a1"):
        grade(submission, manifest)
    grader = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: grader {grader:.0f} MB, largest worker {worker:.0f} MB; "
          f"worker address-space limit {manifest.memory_mb} MB")  # fmt: skip


if __name__ == "__main__":
    main()

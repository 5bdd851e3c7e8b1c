"""Peak memory of a full grade: the grader process and its workers, against Gradescope's 768 MB.

Run: .venv/bin/python benchmarks/memory.py [--assignment a1]

Gradescope's container has 768 MB by default for everything: the grader and the process running
student code. This grades the reference solution and the stubs of the assignment in this
process and prints the peak resident memory of this process and of the largest worker
(ru_maxrss; a worker is the fork server's child, waited for, so its peak reaches this process's
RUSAGE_CHILDREN). Both peaks can coincide: their sum is the bound to compare with 768 MB.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

from grader import assignment
from grader.grading import grade

ROOT = Path(__file__).resolve().parent.parent
ENVELOPE_MB = 768


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="a1", help="a bundled assignment (a1, a2, a3)")
    args = parser.parse_args()
    manifest = assignment.find(args.assignment)
    for submission in (
        ROOT / "solutions" / args.assignment,
        ROOT / "assignments" / args.assignment,
    ):
        grade(submission, manifest)
    grader = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{args.assignment}: peak resident memory: grader {grader:.0f} MB, largest worker "
          f"{worker:.0f} MB, sum {grader + worker:.0f} MB of the envelope's {ENVELOPE_MB} MB; "
          f"worker address-space limit {manifest.memory_mb} MB")  # fmt: skip


if __name__ == "__main__":
    main()

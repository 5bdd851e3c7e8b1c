"""How long a full grade of assignment 1 takes: the reference solution and the stubs.

Run: .venv/bin/python benchmarks/grade_a1.py [--runs 5]

Each figure is the median of --runs runs of the whole `grader grade` command in a fresh process
(interpreter start, imports, worker start, every test), as a TA or Gradescope runs it.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = {
    "reference solution": ROOT / "solutions" / "a1",
    "stubs": ROOT / "assignments" / "a1",
}


def time_grade(submission: Path, runs: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "grader.cli", "grade", str(submission), "-a", "a1",
                 "-o", str(Path(out) / "results.json")],
                check=True, capture_output=True,
            )  # fmt: skip
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}")  # fmt: skip
    print(f"{'submission':<20} {'median s':>9} {'min s':>7} {'max s':>7}  (runs: {args.runs})")
    for name, path in SUBMISSIONS.items():
        times = time_grade(path, args.runs)
        print(f"{name:<20} {statistics.median(times):>9.2f} {min(times):>7.2f} {max(times):>7.2f}")


if __name__ == "__main__":
    main()

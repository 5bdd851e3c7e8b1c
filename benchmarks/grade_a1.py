"""How long a full grade of assignment 1 takes: the reference solution and the stubs.

Run: .venv/bin/python benchmarks/grade_a1.py [--runs 5] [--baseline PYTHON]

Each figure is the median of --runs runs of the whole `grader grade` command in a fresh process
(interpreter start, imports, worker start, every test), as a TA or Gradescope runs it. With
--baseline, the same command also runs under another interpreter (one whose `grader` is an
earlier version), alternating run by run, and the ratio this / baseline is printed.
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


def time_grade(submission: Path, runs: int, pythons: list[str]) -> list[list[float]]:
    """Seconds of each run, per interpreter; the interpreters take turns."""
    times: list[list[float]] = [[] for _ in pythons]
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            for python, measured in zip(pythons, times, strict=True):
                started = time.perf_counter()
                subprocess.run(
                    [python, "-m", "grader.cli", "grade", str(submission), "-a", "a1",
                     "-o", str(Path(out) / "results.json")],
                    check=True, capture_output=True,
                )  # fmt: skip
                measured.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="another interpreter to compare with, run by run")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}")  # fmt: skip
    pythons = [sys.executable, *([args.baseline] if args.baseline else [])]
    header = f"{'submission':<20} {'median s':>9} {'min s':>7} {'max s':>7}"
    if args.baseline:
        header += f" {'baseline median s':>18} {'ratio':>6}"
    print(f"{header}  (runs: {args.runs})")
    for name, path in SUBMISSIONS.items():
        times = time_grade(path, args.runs, pythons)
        line = (f"{name:<20} {statistics.median(times[0]):>9.2f} {min(times[0]):>7.2f} "
                f"{max(times[0]):>7.2f}")  # fmt: skip
        if args.baseline:
            ratio = statistics.median(times[0]) / statistics.median(times[1])
            line += f" {statistics.median(times[1]):>18.2f} {ratio:>6.2f}"
        print(line)


if __name__ == "__main__":
    main()

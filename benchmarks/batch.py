"""Batch grading throughput: the local pool with 1 and 2 workers, and a private local Ray
cluster against the local pool, on the same a1 submissions.

Run: .venv/bin/python benchmarks/batch.py [--submissions 40] [--runs 3]

Each figure is the wall time of a whole `grader batch ... --regrade` command in a fresh process
(interpreter start, Ray's start for --cluster local, every grading, the summaries). The modes
are run in turn, round after round, so that each ratio compares runs taken under the same load
(the machine is shared); the ratios are medians of the per-round ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fixtures.a1_variants import BUGGY  # noqa: E402 - the test suite's realistic variants

MODES = {
    "local, 1 worker": ["--workers", "1"],
    "local, 2 workers": ["--workers", "2"],
    "ray local, 2 CPUs": ["--workers", "2", "--cluster", "local"],
}


def submissions(folder: Path, count: int) -> Path:
    """``count`` submissions: the reference every fourth, buggy variants in between."""
    for index in range(count):
        target = folder / f"student_{index:03d}"
        if index % 4 == 0:
            shutil.copytree(ROOT / "solutions" / "a1", target)
        else:
            BUGGY[index % len(BUGGY)].write(target)
    return folder


def time_batch(source: Path, out: Path, options: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(source), "-a", "a1", "-o", str(out),
         "--regrade", *options],
        check=True, capture_output=True, cwd=out.parent,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{args.submissions} submissions, {args.runs} rounds")  # fmt: skip
    times: dict[str, list[float]] = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory() as work:
        source = submissions(Path(work) / "subs", args.submissions)
        for round_ in range(args.runs):
            for mode in args.modes:
                times[mode].append(time_batch(source, Path(work) / "out", MODES[mode]))
                print(f"round {round_ + 1}: {mode}: {times[mode][-1]:.1f} s", flush=True)
    print(f"\n{'mode':<20} {'median s':>9} {'min s':>7} {'max s':>7} {'per submission s':>17}")
    for mode, values in times.items():
        median = statistics.median(values)
        print(f"{mode:<20} {median:>9.1f} {min(values):>7.1f} {max(values):>7.1f} "
              f"{median / args.submissions:>17.2f}")  # fmt: skip
    pairs = [("local, 1 worker", "local, 2 workers"), ("ray local, 2 CPUs", "local, 2 workers")]
    for slow, fast in pairs:
        if slow in times and fast in times:
            ratios = [a / b for a, b in zip(times[slow], times[fast], strict=True)]
            print(f"{slow} / {fast}: median ratio {statistics.median(ratios):.2f} "
                  f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip


if __name__ == "__main__":
    main()

"""Where one grade's time goes, phase by phase: CPU and wall time of the grader's own process
from its start to each phase's end, and the CPU of its children (fork server, workers).

Run: .venv/bin/python benchmarks/grade_phases.py [SUBMISSION] [--assignment a1] [--runs 3]

Each run is a fresh process running ``grader grade SUBMISSION -a ASSIGNMENT`` (no -o) with
markers added from outside: the grader's modules imported, the worker ready (staging, the
sandbox and the fork server started), pytest configured, the tests collected, the tests run,
the results built, the results schema checked, and the end (the table printed). Printed: the
median over the runs of each phase's own CPU and wall seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Run in the measured process: markers on the grader's own functions, then the CLI.
PROBE = """
import atexit, json, resource, sys, time, types

marks = [("start", time.process_time(), time.perf_counter())]


def mark(name):
    marks.append((name, time.process_time(), time.perf_counter()))


from grader import blas, gc_tuning

blas.one_thread()  # as grader.cli.main does, before numpy is imported
gc_tuning.fewer_collections()  # as grader.cli.run does, before the imports
import grader.grading as grading
import grader.runner as runner
from grader.sandbox.sandbox import Sandbox

mark("imports")
hooks = types.ModuleType("phase_marks")
hooks.pytest_configure = lambda config: mark("sandbox and worker ready; pytest configured")
hooks.pytest_collection_finish = lambda session: mark("tests collected")
hooks.pytest_sessionfinish = lambda session: mark("tests run")
grading.FIXTURES = (*grading.FIXTURES, hooks)
check = runner.validation_errors


def validated(document):
    mark("results built")
    problems = check(document)
    mark("results schema checked")
    return problems


runner.validation_errors = validated


def report():
    mark("table printed, end")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"marks": marks, "children": children.ru_utime + children.ru_stime}))


atexit.register(report)
from grader.cli import main

main(sys.argv[1:])
"""


def run(submission: str, assignment: str) -> tuple[list[tuple[str, float, float]], float]:
    """The phases of one grade (name, CPU s, wall s) and its children's CPU seconds."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "grade", submission, "-a", assignment],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    data = json.loads(done.stdout.strip().splitlines()[-1])
    marks = data["marks"]
    phases = [(name, cpu - marks[i][1], wall - marks[i][2])
              for i, (name, cpu, wall) in enumerate(marks[1:])]  # fmt: skip
    return phases, data["children"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(ROOT / "solutions" / "a1"))
    parser.add_argument("--assignment", "-a", default="a1")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [run(args.submission, args.assignment) for _ in range(args.runs)]
    print(f"{args.runs} runs of grader grade {args.submission} -a {args.assignment} (medians)")
    print("| phase (grader's process) | CPU s | wall s |")
    print("|---|---|---|")
    for index, (name, _, _) in enumerate(runs[0][0]):
        cpu = statistics.median(phases[index][1] for phases, _ in runs)
        wall = statistics.median(phases[index][2] for phases, _ in runs)
        print(f"| {name} | {cpu:.3f} | {wall:.3f} |")
    total = statistics.median(sum(p[1] for p in phases) for phases, _ in runs)
    children = statistics.median(c for _, c in runs)
    print(f"| all of the grader's process | {total:.3f} | |")
    print(f"| its children (fork server, workers) | {children:.3f} | |")


if __name__ == "__main__":
    main()

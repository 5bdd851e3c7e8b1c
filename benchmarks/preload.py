"""What the manifest's ``preload`` does for a2: its reference graded with ``preload: [torch]``
and, alternately, with a copy of the assignment that has no preload.

Run: .venv/bin/python benchmarks/preload.py [--runs 5]

Each grade is ``grader grade solutions/a2 -a <assignment>`` in a fresh process. Printed per
mode, medians over the runs: the grade's wall time; the training clock that results.json
reports (the training test's ``seconds``: every worker call of the a2 tests, student code's
import of torch included when it is not preloaded); and, as root where the cgroup v1 memory
controller is mounted, the peaks of a memory cgroup holding the grade (its high-water mark, page
cache included, and the largest resident total sampled every 50 ms), against Gradescope's 768 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CGROUP = Path("/sys/fs/cgroup/memory")
ENVELOPE_MB = 768


def without_preload(folder: Path) -> Path:
    """A copy of a2 whose manifest has no preload (its reference path made absolute)."""
    shutil.copytree(ROOT / "assignments" / "a2", folder)
    manifest = folder / "manifest.yaml"
    text = re.sub(r"(?m)^preload:.*\n", "", manifest.read_text())
    text = re.sub(r"(?m)^reference: .*$", f"reference: {ROOT / 'solutions' / 'a2'}", text)
    manifest.write_text(text)
    return folder


def grade(assignment: str, out: Path) -> dict[str, float]:
    """One grade of the a2 reference: wall seconds, training clock, cgroup peaks (MB)."""
    command = [sys.executable, "-m", "grader.cli", "grade", str(ROOT / "solutions" / "a2"),
               "-a", assignment, "-o", str(out / "results.json")]  # fmt: skip
    measured: dict[str, float] = {}
    group = CGROUP / f"grader-preload-{os.getpid()}"
    use_cgroup = os.geteuid() == 0 and CGROUP.is_dir()
    if use_cgroup:
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(ENVELOPE_MB << 20))
        command = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *command]
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for line in (group / "memory.stat").read_text().splitlines():
                if line.startswith("total_rss "):
                    peak[0] = max(peak[0], int(line.split()[1]))

    sampler = threading.Thread(target=sample) if use_cgroup else None
    if sampler:
        sampler.start()
    started = time.perf_counter()
    try:
        subprocess.run(command, check=True, capture_output=True, cwd=out)
        measured["wall"] = time.perf_counter() - started
    finally:
        done.set()
        if sampler:
            sampler.join()
            measured["cgroup peak"] = int((group / "memory.max_usage_in_bytes").read_text()) / 2**20
            measured["resident peak"] = peak[0] / 2**20
            group.rmdir()
    document = json.loads((out / "results.json").read_text())
    (training,) = [t["extra_data"]["training"] for t in document["tests"]
                   if "training" in t["extra_data"]]  # fmt: skip
    measured["training clock"] = training["seconds"]
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out"
        out.mkdir(mode=0o700)  # student code must not be able to write where results go
        modes = {"preload": "a2", "no preload": str(without_preload(Path(work) / "a2"))}
        rows: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        for run in range(args.runs):
            for mode, assignment in modes.items():
                rows[mode].append(grade(assignment, out))
                figures = ", ".join(f"{k} {v:.2f}" for k, v in rows[mode][-1].items())
                print(f"run {run + 1}, {mode}: {figures}", flush=True)
    for mode, measured in rows.items():
        medians = {k: statistics.median(m[k] for m in measured) for k in measured[0]}
        print(f"median over {args.runs} runs, {mode}: " + ", ".join(
            f"{k} {v:.2f} {'MB' if 'peak' in k else 's'}" for k, v in medians.items()
        ))  # fmt: skip


if __name__ == "__main__":
    main()

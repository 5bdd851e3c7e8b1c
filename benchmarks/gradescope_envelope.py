"""Time and peak memory of one grade inside the emulated Gradescope envelope: the image that
docker/gradescope-emulate.sh builds from the zip (FROM the local Debian base; a2 with the host's
CPU wheel of torch, as tests/test_container_gradescope.py builds it), graded by docker/grade.sh
as root with half a CPU, 768 MB, no network and user ids of its own, the reference solution of
each assignment.

For each grade, in a fresh container: the wall time of docker/grade.sh (container start to exit,
the image already built), and two peaks of the container's memory cgroup (cgroup v1, read while
it runs): memory.max_usage_in_bytes, the high-water mark the 768 MB limit is enforced against
(it counts page cache too), and the largest total_rss seen (sampled every 50 ms).

    .venv/bin/python benchmarks/gradescope_envelope.py [--runs 3]

Needs podman and localhost/debian-base:bookworm (../shared/containers/setup-podman.sh), as root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
BASE = "localhost/debian-base:bookworm"
CGROUP = Path("/sys/fs/cgroup/memory/libpod_parent")
MB = 1024 * 1024


def torch_wheelhouse(folder: Path) -> Path:
    """The CPU wheel of a2's torch, from the host's pip, and a constraint admitting only it."""
    sys.path.insert(0, str(ROOT))
    from grader import assignment

    (torch,) = (p for p in assignment.find("a2").python_packages if p.startswith("torch=="))
    if not list(folder.glob("torch-*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-index", "--no-deps",
                        "--dest", str(folder), f"{torch}+cpu"], check=True)  # fmt: skip
    (folder / "constraints.txt").write_text(f"{torch}+cpu\n")
    return folder


def image(name: str, work: Path, env: dict[str, str]) -> str:
    zip_path = work / f"{name}.zip"
    subprocess.run([sys.executable, "-m", "grader.cli", "autograder", "build", "-a", name,
                    "-o", str(zip_path)], check=True, cwd=ROOT, capture_output=True)  # fmt: skip
    done = subprocess.run([str(DOCKER / "gradescope-emulate.sh"), str(zip_path)], env=env,
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout.split()[-1]


def watch(tag: str, stop: threading.Event, peaks: dict[str, int]) -> None:
    """Poll the cgroup of the container running ``tag`` until ``stop``."""
    folder = None
    while not stop.is_set():
        if folder is None:
            query = ["ps", "--no-trunc", "--filter", f"ancestor={tag}", "--format", "{{.ID}}"]
            found = subprocess.run(["podman", *query], capture_output=True, text=True)
            if found.stdout.strip():
                folder = CGROUP / f"libpod-{found.stdout.split()[0]}"
        else:
            try:
                peaks["max_usage"] = int((folder / "memory.max_usage_in_bytes").read_text())
                stat = dict(
                    line.split() for line in (folder / "memory.stat").read_text().splitlines()
                )
                peaks["rss"] = max(peaks.get("rss", 0), int(stat["total_rss"]))
            except (OSError, KeyError, ValueError):
                pass
        stop.wait(0.05)


def grade_once(tag: str, name: str, work: Path) -> tuple[float, int, int]:
    results = Path(tempfile.mkdtemp(dir=work))
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=watch, args=(tag, stop, peaks))
    watcher.start()
    started = time.perf_counter()
    command = [str(DOCKER / "grade.sh"), tag, str(ROOT / "solutions" / name), str(results),
               "--gradescope-limits", "--own-user-ids"]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, env={**os.environ, "GRADER_ENGINE": "podman"}
    )
    seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    document = json.loads((results / "results.json").read_text())
    score = sum(t["score"] for t in document["tests"])
    points = sum(t["max_score"] for t in document["tests"])
    assert done.returncode == 0 and abs(score - points) < 1e-6, (score, points)
    return seconds, peaks.get("max_usage", 0), peaks.get("rss", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gradescope-envelope-"))
    env = {**os.environ, "BASE_IMAGE": BASE, "GRADER_ENGINE": "podman"}
    wheelhouse = torch_wheelhouse(ROOT / "build" / "container-tests" / "wheelhouse")
    images = {
        "a1": image("a1", work, env),
        "a2": image("a2", work, {**env, "GS_WHEELHOUSE": str(wheelhouse),
                                 "GRADER_PIP_EXTRA_INDEX": ""}),
    }  # fmt: skip
    print(f"{args.runs} grades of each reference solution, 0.5 CPU, 768 MB, no network")
    print(
        "| assignment | median s | min s | max s | peak cgroup MB (median) | peak RSS MB (median) |"
    )
    print("|---|---|---|---|---|---|")
    for name, tag in images.items():
        runs = [grade_once(tag, name, work) for _ in range(args.runs)]
        seconds = [r[0] for r in runs]
        print(f"| {name} | {statistics.median(seconds):.1f} | {min(seconds):.1f} | "
              f"{max(seconds):.1f} | {statistics.median(r[1] for r in runs) / MB:.0f} | "
              f"{statistics.median(r[2] for r in runs) / MB:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()

"""How long a full grade of assignment 1 takes, against the floor any pytest-based grader pays.

Run: .venv/bin/python benchmarks/grade_a1.py [--runs 5] [--envelope] [--user UID]
     [--baseline PYTHON] [--output] [--failing-import]

Each round runs, one after the other: the floor (``python -c "import numpy, pytest"``), then the
whole ``grader grade SUBMISSION -a a1`` command in a fresh process for the reference solution and
for the stubs (interpreter start, imports, worker start, every test, the table), as Gradescope's
run_autograder runs it (which also writes results.json but draws no curves); ``--output`` adds
``-o results.json``, with the training curves a TA's ``grader grade -o`` draws. Printed per row:
the median wall and CPU seconds
(the command and every process it waited for: fork server, workers), and the median of the
per-round ratios grade / floor, so that each ratio compares runs taken under the same load.

--envelope: Gradescope's default envelope, emulated: every command in a memory cgroup of 768 MB
(cgroup v1) and pinned to one core that a busy loop, pinned there too, shares half and half
(CFS quotas are not enforced on these machines). Needs root.
--user UID: the commands run as that uid instead of root (student code then runs as the
grader's own user: the plain-user figure).
--baseline: the same grades also run under another interpreter (an earlier ``grader``), run by
run, and the ratio this / baseline is printed.
--failing-import: a third submission, the reference whose layers.py imports matplotlib.pyplot
and then CS231n's ``cs231n.data_utils`` (not there): every layers.py test fails on that import,
as real submissions do.

Each interpreter's ``grader`` package is byte-compiled first, as the autograder image's
``pip install`` (setup.sh) leaves it: a checkout installed with ``pip install -e`` has no
``.pyc`` files, and with PYTHONDONTWRITEBYTECODE set (as on the development machine) would
compile its sixty modules from source in every grade.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = {
    "reference solution": ROOT / "solutions" / "a1",
    "stubs": ROOT / "assignments" / "a1",
}
FLOOR = ["-c", "import numpy, pytest"]
CGROUP = Path("/sys/fs/cgroup/memory")
ENVELOPE_MB = 768


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    command: list[str], prefix: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Wall and CPU seconds of ``command`` (and of every process it waited for), run in ``cwd``
    (not this checkout: ``python -m`` would import its grader even for a baseline)."""
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([*prefix, *command], check=True, capture_output=True, env=env, cwd=cwd)
    return time.perf_counter() - started, _children_cpu() - cpu


def grade_command(python: str, submission: Path, results: Path | None) -> list[str]:
    """``grader grade``; with ``results``, also results.json and the training curves."""
    output = ["-o", str(results)] if results is not None else []
    return [python, "-m", "grader.cli", "grade", str(submission), "-a", "a1", *output]


def time_grade(submission: Path, runs: int) -> list[float]:
    """Wall seconds of each of ``runs`` grades of ``submission`` (for benchmarks/notebook_vs_py)."""
    out = Path(tempfile.mkdtemp(prefix="grade-a1-"))
    out.chmod(0o700)  # the results' folder: student code must not be able to write there
    command = grade_command(sys.executable, submission, out / "results.json")
    return [run(command, [], dict(os.environ), out)[0] for _ in range(runs)]


@contextlib.contextmanager
def envelope() -> Iterator[list[str]]:
    """A command prefix that runs a command in a 768 MB memory cgroup on core 0, which a busy
    loop shares with it; both are removed afterwards."""
    group = CGROUP / f"grader-envelope-{os.getpid()}"
    group.mkdir()
    busy = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
    try:
        (group / "memory.limit_in_bytes").write_text(str(ENVELOPE_MB * 1024 * 1024))
        enter = f'echo $$ > {group}/cgroup.procs && exec "$@"'
        yield ["taskset", "-c", "0", "sh", "-c", enter, "sh"]
    finally:
        busy.kill()
        busy.wait()
        peak = int((group / "memory.max_usage_in_bytes").read_text()) / 2**20
        print(f"envelope cgroup peak (memory.max_usage_in_bytes, page cache included): "
              f"{peak:.0f} MB of {ENVELOPE_MB}")  # fmt: skip
        group.rmdir()


def failing_import(folder: Path) -> Path:
    """The reference, with a layers.py whose import takes matplotlib's time and then fails."""
    shutil.copytree(SUBMISSIONS["reference solution"], folder)
    layers = folder / "layers.py"
    imports = "import matplotlib.pyplot as plt\nfrom cs231n.data_utils import load_CIFAR10\n"
    layers.write_text(imports + layers.read_text())
    return folder


def byte_compile(python: str, cwd: Path) -> None:
    """Compile the ``grader`` package ``python`` imports, as pip does when it installs one."""
    where = "import grader, os; print(os.path.dirname(grader.__file__))"
    folder = subprocess.run([python, "-c", where], check=True, capture_output=True, text=True,
                            cwd=cwd).stdout.strip()  # fmt: skip
    subprocess.run([python, "-m", "compileall", "-q", folder], check=True, cwd=cwd)


def as_user(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--envelope", action="store_true", help="half a core, 768 MB")
    parser.add_argument("--user", type=int, help="run as this uid, not root")
    parser.add_argument("--baseline", help="another interpreter to compare with, run by run")
    parser.add_argument(
        "--output", action="store_true", help="grade -o results.json, with the training curves"
    )
    parser.add_argument("--failing-import", action="store_true",
                        help="also a submission whose layers.py fails to import")  # fmt: skip
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()}, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    pythons = [sys.executable, *([args.baseline] if args.baseline else [])]
    out = Path(tempfile.mkdtemp(prefix="grade-a1-"))
    env = {**os.environ}
    prefix = []
    if args.user is not None:
        prefix = as_user(args.user)
        os.chown(out, args.user, args.user)
        env["HOME"] = str(out)
    out.chmod(0o700)
    submissions = dict(SUBMISSIONS)
    if args.failing_import:
        submissions["failing import"] = failing_import(out / "failing-import")
    for python in pythons:
        byte_compile(python, out)
    results = out / "results.json"
    floor: list[tuple[float, float]] = []
    grades: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with envelope() if args.envelope else contextlib.nullcontext([]) as wrap:
        for _ in range(args.runs):
            floor.append(run([sys.executable, *FLOOR], [*wrap, *prefix], env, out))
            for name, path in submissions.items():
                for python in pythons:
                    command = grade_command(python, path, results if args.output else None)
                    timed = run(command, [*wrap, *prefix], env, out)
                    grades.setdefault((name, python), []).append(timed)
    floor_wall = statistics.median(w for w, _ in floor)
    floor_cpu = statistics.median(c for _, c in floor)
    print(f"{args.runs} runs{' in the envelope' if args.envelope else ''}"
          f"{f' as uid {args.user}' if args.user is not None else ' as root'}")  # fmt: skip
    print("| command | median wall s | min s | max s | median CPU s | ratio to floor (wall) |")
    print("|---|---|---|---|---|---|")
    print(f"| floor: `python -c \"import numpy, pytest\"` | {floor_wall:.2f} | "
          f"{min(w for w, _ in floor):.2f} | {max(w for w, _ in floor):.2f} | {floor_cpu:.2f} "
          "| 1 |")  # fmt: skip
    for (name, python), times in grades.items():
        walls = [w for w, _ in times]
        ratio = statistics.median(w / f for (w, _), (f, _) in zip(times, floor, strict=True))
        label = name if python == sys.executable else f"{name} (baseline)"
        print(f"| {label} | {statistics.median(walls):.2f} | {min(walls):.2f} | {max(walls):.2f} "
              f"| {statistics.median(c for _, c in times):.2f} | {ratio:.1f} |")  # fmt: skip
    if args.baseline:
        for name in submissions:
            this, base = grades[(name, pythons[0])], grades[(name, pythons[1])]
            ratio = statistics.median(a[0] / b[0] for a, b in zip(this, base, strict=True))
            print(f"{name}: this / baseline {ratio:.2f}")


if __name__ == "__main__":
    main()

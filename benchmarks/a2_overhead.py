"""The grader's overhead around a2's training: its training test against the same training in
torch's own loop, side by side.

Run: .venv/bin/python benchmarks/a2_overhead.py [--runs 5]

Each round runs, one after the other, in fresh processes:
- the grade: ``grader grade solutions/a2 -a a2 -o results.json``; from results.json, the
  training test's duration (pytest's: building the model, sending the data, the warm-up step,
  12 epochs each ending with an evaluation of the validation images, predicting the test
  images, every round trip to the worker and the budget's clock), plus the time the training
  curves take to draw from those results;
- torch's own loop: the same model, optimizer, data, batch size, warm-up step and 12 epochs of
  ``train_step`` in one process, then the test images' predictions, with no evaluation between
  epochs, the same thread count as the grader's worker (1) and the data already in memory; a
  model and its optimizer built and the model run once before the clock starts, as the grader's
  test_build_model does in the worker before the training test.

overhead = (grade's training test + curves) / torch's own loop - 1, the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPOCHS, BATCH = 12, 64

#: torch's own loop, in a process of its own: prints its seconds.
OWN_LOOP = f"""
import sys, time, random
sys.path.insert(0, {str(ROOT / "solutions" / "a2")!r})
import numpy as np, torch
import model as student
from grader.training.datasets import drawn_digits
torch.set_num_threads(1)
data = drawn_digits(1)
random.seed(0); np.random.seed(0); torch.manual_seed(0)
# As the grader's test_build_model does before the training test, in the same worker: a model
# and its optimizer built, the model run once (torch's first calls import and set up what later
# ones reuse: a second and a half for the first optimizer), not timed.
warm = student.build_model((1, 8, 8), 10).eval()
student.make_optimizer(warm)
with torch.no_grad():
    warm(torch.as_tensor(data.val_x[:7].reshape(-1, 1, 8, 8), dtype=torch.float32))
started = time.perf_counter()
net = student.build_model((1, 8, 8), 10)
optimizer = student.make_optimizer(net)
x = torch.as_tensor(data.train_x.reshape(-1, 1, 8, 8), dtype=torch.float32)
y = torch.as_tensor(data.train_y, dtype=torch.int64)
generator = torch.Generator().manual_seed(0)
student.train_step(net, optimizer, x[:{BATCH}], y[:{BATCH}])
for _ in range({EPOCHS}):
    order = torch.randperm(len(y), generator=generator)
    for start in range(0, len(order), {BATCH}):
        batch = order[start:start + {BATCH}]
        float(student.train_step(net, optimizer, x[batch], y[batch]))
net.eval()
with torch.no_grad():
    test = torch.as_tensor(data.test_x.reshape(-1, 1, 8, 8), dtype=torch.float32)
    net(test).argmax(dim=1).numpy()
print(time.perf_counter() - started)
"""

#: The curves of a results.json, drawn as ``grader grade -o`` draws them: prints its seconds.
CURVES = """
import sys, time
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
from grader.reporting.curves import write_curves
from grader.reporting.results import Results
import json
results = Results.from_gradescope(json.loads(Path(sys.argv[1]).read_text()))
started = time.perf_counter()
write_curves(results, Path(sys.argv[2]))
print(time.perf_counter() - started)
"""


def grade(out: Path) -> tuple[float, float, int]:
    """The training test's duration and training seconds, and its epochs."""
    results = out / "results.json"
    subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", str(ROOT / "solutions" / "a2"), "-a", "a2",
         "-o", str(results)],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    document = json.loads(results.read_text())
    test = next(t for t in document["tests"] if "training" in t["extra_data"])
    training = test["extra_data"]["training"]
    return test["extra_data"]["duration"], training["seconds"], training["epochs"]


def seconds(code: str, *args: str) -> float:
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as work:
        out = Path(work)
        out.chmod(0o700)  # student code must not be able to write where results go
        for round_ in range(args.runs):
            duration, trained, epochs = grade(out)
            curves = seconds(CURVES, str(out / "results.json"), str(out))
            own = seconds(OWN_LOOP)
            rows.append((duration, trained, curves, own))
            print(f"round {round_ + 1}: training test {duration:.2f} s ({epochs} epochs, "
                  f"{trained:.2f} s on the training clock), curves {curves:.2f} s, "
                  f"torch's own loop {own:.2f} s", flush=True)  # fmt: skip
    ratios = [(duration + curves) / own - 1 for duration, _, curves, own in rows]
    clock = [trained / own - 1 for _, trained, _, own in rows]
    print(f"\nmedian over {args.runs} rounds: grader's overhead (training test + curves) "
          f"{statistics.median(ratios):+.1%} of torch's own loop "
          f"(rounds: {', '.join(f'{r:+.1%}' for r in ratios)}); "
          f"training clock against torch's own loop {statistics.median(clock):+.1%} (the "
          "clock also counts earlier tests' calls: importing torch, a first model)")  # fmt: skip


if __name__ == "__main__":
    main()

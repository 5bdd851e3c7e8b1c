"""The grader's overhead around a2's training: its training test against the same training in
torch's own loop, side by side.

Run: .venv/bin/python benchmarks/a2_overhead.py [--runs 5]

Each round runs, one after the other, in fresh processes:
- the grade: ``grader grade solutions/a2 -a a2 -o results.json``; from results.json, the
  training test's duration (pytest's: drawing the 300 test images from the run's secret seed,
  building the model, sending the training data and the validation images once, the warm-up
  step, 12 epochs each ending with the model's predictions for the 300 validation images in the
  same worker call, predicting the test images, every round trip to the worker and the
  budget's clock), plus the time the training curves take to draw and write from those
  results, matplotlib imported before the clock starts, as ``grader grade -o`` does in a thread
  while the grade runs (that time is printed too);
- torch's own loop: the same model, optimizer, data, batch size, warm-up step and 12 epochs of
  ``train_step`` in one process, then the test images' predictions, with no evaluation between
  epochs, the same thread count as the grader's worker (1) and the data already in memory; a
  model and its optimizer built and the model run once before the clock starts, as the grader's
  test_build_model does in the worker before the training test. Then, after its clock stopped,
  the computation the grader's evaluations do: the classes of the 300 validation images, 12
  times, timed apart.

overhead = (grade's training test + curves) / torch's own loop - 1, the median over rounds (the
issue's figure: the grader's evaluations count as its overhead). Also printed: the validation
passes' own time as a share of torch's loop, and the overhead against torch's loop plus those
passes (what the grader adds besides that computation).
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
trained = time.perf_counter()
# Apart, after the loop: what the grader's evaluation after each epoch computes, the classes of
# the 300 validation images, 12 times.
val = torch.as_tensor(data.val_x.reshape(-1, 1, 8, 8), dtype=torch.float32)
for _ in range({EPOCHS}):
    net.eval()
    with torch.no_grad():
        net(val).argmax(dim=1).numpy()
print(trained - started, time.perf_counter() - trained)
"""

#: The curves of a results.json, drawn as ``grader grade -o`` draws them, made ready first as
#: it does in a thread while the grade runs: prints the seconds of both.
CURVES = """
import sys, time
from pathlib import Path
from grader.reporting.curves import write_curves
from grader.reporting.results import Results
import json
results = Results.from_gradescope(json.loads(Path(sys.argv[1]).read_text()))
started = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
prepared = time.perf_counter()
write_curves(results, Path(sys.argv[2]))
print(prepared - started, time.perf_counter() - prepared)
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


def seconds(code: str, *args: str) -> list[float]:
    """The figures the last line that ``code`` prints holds (seconds)."""
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    return [float(figure) for figure in done.stdout.strip().splitlines()[-1].split()]


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
            prepared, curves = seconds(CURVES, str(out / "results.json"), str(out))
            own, evaluations = seconds(OWN_LOOP)
            rows.append((duration, trained, curves, own, evaluations))
            print(f"round {round_ + 1}: training test {duration:.3f} s ({epochs} epochs, "
                  f"{trained:.2f} s on the training clock), curves {curves:.3f} s (made ready "
                  f"before, during the grade: {prepared:.3f} s), torch's own loop {own:.3f} s, "
                  f"and its 12 validation passes {evaluations:.3f} s", flush=True)  # fmt: skip
    ratios = [(duration + curves) / own - 1 for duration, _, curves, own, _ in rows]
    evaluated = [(duration + curves) / (own + evaluations) - 1
                 for duration, _, curves, own, evaluations in rows]  # fmt: skip
    shares = [evaluations / own for *_, own, evaluations in rows]
    clock = [trained / own - 1 for _, trained, _, own, _ in rows]
    print(f"\nmedian over {args.runs} rounds: grader's overhead (training test + curves) "
          f"{statistics.median(ratios):+.1%} of torch's own loop "
          f"(rounds: {', '.join(f'{r:+.1%}' for r in ratios)}), of which the validation passes' "
          f"own computation {statistics.median(shares):.1%} (rounds: "
          f"{', '.join(f'{r:.1%}' for r in shares)}); against torch's own loop with the same "
          f"validation passes {statistics.median(evaluated):+.1%} (rounds: "
          f"{', '.join(f'{r:+.1%}' for r in evaluated)}); training clock against torch's own "
          f"loop {statistics.median(clock):+.1%} (the clock also counts earlier tests' calls: "
          "importing torch, a first model)")  # fmt: skip


if __name__ == "__main__":
    main()

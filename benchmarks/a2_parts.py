"""Where a2's overhead could still go, measured part by part in one process (the figures behind
BENCHMARKS.md's "why a2 stays above 5%").

Run: .venv/bin/python benchmarks/a2_parts.py [--epochs 40]

- Epochs of the reference's training in one process (one thread, as in the worker), alternating
  epoch by epoch: with ``torch.use_deterministic_algorithms`` (as the worker sets it) and
  without; with its ``fill_uninitialized_memory`` on (torch's default then) and off. Printed:
  the median epoch and the median of the paired ratios.
- The training curves of one run drawn as ``grader.reporting.curves`` draws them, in parts:
  creating the figure, ``tight_layout``, ``savefig``; and with fixed margins in place of
  ``tight_layout``. Medians of 6 drawings after a first, not timed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def epochs(count: int) -> None:
    sys.path.insert(0, str(ROOT / "solutions" / "a2"))
    import model as student  # the reference solution
    import torch

    from grader.training.datasets import drawn_digits

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = drawn_digits(1)
    net = student.build_model((1, 8, 8), 10)
    optimizer = student.make_optimizer(net)
    x = torch.as_tensor(data.train_x.reshape(-1, 1, 8, 8), dtype=torch.float32)
    y = torch.as_tensor(data.train_y, dtype=torch.int64)
    generator = torch.Generator().manual_seed(0)

    def epoch() -> float:
        order = torch.randperm(len(y), generator=generator)
        started = time.perf_counter()
        for start in range(0, len(order), 64):
            batch = order[start : start + 64]
            float(student.train_step(net, optimizer, x[batch], y[batch]))
        return time.perf_counter() - started

    def deterministic(on: bool) -> None:
        torch.use_deterministic_algorithms(on, warn_only=True)

    def filled(on: bool) -> None:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.utils.deterministic.fill_uninitialized_memory = on

    epoch()  # torch's first calls set up what later ones reuse
    for name, switch in (("deterministic algorithms", deterministic),
                         ("fill_uninitialized_memory", filled)):  # fmt: skip
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(count):
            for on in (True, False):
                switch(on)
                times[on].append(epoch())
        ratio = statistics.median(a / b for a, b in zip(times[True], times[False], strict=True))
        print(f"{name}: on {statistics.median(times[True]) * 1000:.1f} ms an epoch, off "
              f"{statistics.median(times[False]) * 1000:.1f} ms; on / off {ratio:.3f} (median "
              f"of {count} pairs)")  # fmt: skip


def curves() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = {"epochs": 12, "losses": [1.4 / (k + 1) for k in range(12)],
           "accuracies": [0.9 + k / 200 for k in range(12)]}  # fmt: skip

    def draw(layout: str) -> tuple[float, float, float]:
        started = time.perf_counter()
        figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
        loss.plot(range(1, 13), run["losses"], marker="o")
        loss.set(xlabel="epoch", ylabel="training loss", title="loss")
        accuracy.plot(range(1, 13), run["accuracies"], marker="o", color="tab:green")
        accuracy.set(xlabel="epoch", ylabel="accuracy", title="evaluation accuracy",
                     ylim=(0, 1.02))  # fmt: skip
        figure.suptitle("training: test accuracy\ncpu, 1.62 s", fontsize=9)
        created = time.perf_counter()
        if layout == "tight":
            figure.tight_layout()
        else:
            figure.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.8, wspace=0.25)
        laid = time.perf_counter()
        figure.savefig(io.BytesIO(), format="png", dpi=100)
        plt.close(figure)
        return created - started, laid - created, time.perf_counter() - laid

    for layout in ("tight", "fixed margins"):
        draw(layout)
        parts = [draw(layout) for _ in range(6)]
        create, lay, save = (statistics.median(p[i] for p in parts) * 1000 for i in range(3))
        print(f"curves, {layout}: create {create:.0f} ms, layout {lay:.0f} ms, savefig "
              f"{save:.0f} ms, in all {create + lay + save:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="pairs of epochs per switch")
    args = parser.parse_args()
    epochs(args.epochs)
    curves()


if __name__ == "__main__":
    main()

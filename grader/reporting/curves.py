"""Training curves for TAs: loss and accuracy per epoch of each training test, as PNG files
beside results.json (never inside it)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from grader.reporting.results import Results
from grader.reporting.writer import write_atomically


def write_curves(results: Results, folder: Path) -> list[Path]:
    """One ``training-<number>.png`` per test that trained a model; returns the files."""
    runs = [(e, e.training) for e in results.entries if e.training and e.training.get("epochs")]
    if not runs:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for entry, run in runs:
        epochs = range(1, run["epochs"] + 1)
        figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.5))
        loss_axis.plot(epochs, run["losses"], marker="o")
        loss_axis.set(xlabel="epoch", ylabel="training loss", title="loss")
        accuracy_axis.plot(epochs, run["accuracies"], marker="o", color="tab:green")
        accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="evaluation accuracy",
                          ylim=(0, 1.02))  # fmt: skip
        figure.suptitle(f"{entry.name}\n{run['device']}, {run['seconds']:.2f} s", fontsize=9)
        figure.tight_layout()
        path = folder / f"training-{entry.number or len(written) + 1}.png"
        write_atomically(path, partial(figure.savefig, format="png", dpi=100))
        plt.close(figure)
        written.append(path)
    return written

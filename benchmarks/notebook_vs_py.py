"""How long grading a notebook takes against grading the same code as .py files.

Run: .venv/bin/python benchmarks/notebook_vs_py.py [--runs 5]

For the reference solution of assignment 1 and for its stubs (every call fails, so every test
gets a fresh worker that loads the submission again), the same code is graded as layers.py,
optim.py and init.py, and as one notebook that also holds what student notebooks hold: a
first cell of imports the graded code never uses (matplotlib, torch, Google Colab), magics, and
cells that plot and train. Each figure is the median of --runs runs of the whole
`grader grade` command in a fresh process, the two forms alternating; the ratio is notebook /
.py files from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_a1 import ROOT, time_grade  # a sibling script, not a package

SUBMISSIONS = {
    "reference solution": ROOT / "solutions" / "a1",
    "stubs": ROOT / "assignments" / "a1",
}
FILES = ("layers.py", "optim.py", "init.py")
PRELUDE = """\
%matplotlib inline
%load_ext autoreload
from google.colab import drive
drive.mount('/content/drive')
import numpy as np
import matplotlib.pyplot as plt
import torch
import time"""
TRAINING = """\
losses = []
for epoch in range(1000):
    losses.append(epoch)
plt.plot(losses)
plt.show()"""


def as_notebook(folder: Path, path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Assignment 1"),
                      nbformat.v4.new_code_cell(PRELUDE)]  # fmt: skip
    for name in FILES:
        notebook.cells.append(nbformat.v4.new_code_cell((folder / name).read_text()))
        notebook.cells.append(nbformat.v4.new_code_cell(TRAINING))
    nbformat.write(notebook, str(path))
    return path


def as_files(folder: Path, target: Path) -> Path:
    target.mkdir()
    for name in FILES:
        (target / name).write_text((folder / name).read_text())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'submission':<20} {'.py median s':>13} {'notebook median s':>18} {'ratio':>6}  "
          f"(runs: {args.runs})")  # fmt: skip
    with tempfile.TemporaryDirectory() as work:
        for label, folder in SUBMISSIONS.items():
            files = as_files(folder, Path(work) / f"{folder.name}-{len(label)}")
            notebook = as_notebook(folder, Path(work) / f"{folder.name}-{len(label)}.ipynb")
            times: dict[Path, list[float]] = {files: [], notebook: []}
            for _ in range(args.runs):  # alternated, so that a busy spell hits both alike
                for submission, seconds in times.items():
                    seconds += time_grade(submission, 1)
            py, nb = (statistics.median(seconds) for seconds in times.values())
            print(f"{label:<20} {py:>13.2f} {nb:>18.2f} {nb / py:>6.2f}")


if __name__ == "__main__":
    main()

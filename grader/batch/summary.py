"""What a batch leaves for the course staff: summary.csv (a row per student, ready for a
learning-management system's grade import), report.md (per-test pass rates) and histogram.png."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from grader.batch.discover import Student, Submission
from grader.reporting.results import Results

#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_summary(submissions: list[Submission], results: dict[str, Results], outdir: Path) -> None:
    """summary.csv, report.md and histogram.png in ``outdir``."""
    names: list[str] = []
    for graded in results.values():
        for entry in graded.entries:
            if entry.name not in names:
                names.append(entry.name)
    with (outdir / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = ["submission", "name", "email", "sid", "score", "max_score", "status", *names]
        writer.writerow([cell(h) for h in header])
        for sub in submissions:
            graded = results.get(sub.id)
            if graded is None:
                continue
            scores = {e.name: e.score for e in graded.entries}
            row = [
                round(graded.total, 4), round(graded.max_score, 4), status(graded),
                *(round(scores[n], 4) if n in scores else "" for n in names),
            ]  # fmt: skip
            for student in sub.students or (Student(),):  # one row per student of a group
                people = [sub.id, student.name, student.email, student.sid]
                writer.writerow([cell(value) for value in [*people, *row]])
    graded_all = [results[sub.id] for sub in submissions if sub.id in results]
    _report(names, graded_all, outdir)
    plot_histogram([r.total for r in graded_all], max((r.max_score for r in graded_all),
                   default=0.0), outdir / "histogram.png")  # fmt: skip


def cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def total(results: Results) -> float:
    """The submission's score (the command line's mean score reads it)."""
    return results.total


def status(results: Results) -> str:
    """ "graded", or why the submission could not be graded."""
    return f"failed: {results.failure}" if results.failure else "graded"


def _report(names: list[str], graded: list[Results], outdir: Path) -> None:
    lines = ["# Batch report", "", f"{len(graded)} submissions graded.", "",
             "| test | passed | pass rate |", "|---|---|---|"]  # fmt: skip
    for name in names:
        statuses = [e.status == "passed" for r in graded for e in r.entries if e.name == name]
        rate = sum(statuses) / len(statuses) if statuses else 0.0
        lines.append(f"| {name} | {sum(statuses)}/{len(statuses)} | {rate:.0%} |")
    lines += ["", "![score histogram](histogram.png)", ""]
    (outdir / "report.md").write_text("\n".join(lines))


def histogram_bins(count: int) -> int:
    """Sturges' rule: few bins for a few submissions, more (at most 20) for a course."""
    return max(1, min(20, math.ceil(math.log2(count)) + 1)) if count else 1


def preload_plotting() -> None:
    """Import matplotlib, for files only (no window)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import matplotlib.ticker


def plot_histogram(totals: list[float], maximum: float, path: Path) -> Any:
    """Scores from 0 to the maximum in :func:`histogram_bins` bins, counted in whole
    submissions; returns the figure's axis (closed), for tests."""
    preload_plotting()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axis = plt.subplots(figsize=(6, 3.5))
    top = max(maximum, *totals, 1.0) if totals else max(maximum, 1.0)
    axis.hist(totals, bins=histogram_bins(len(totals)), range=(0, top), color="tab:blue",
              edgecolor="white")  # fmt: skip
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set(xlabel="score", ylabel="submissions", title=f"Scores ({len(totals)} submissions)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return axis

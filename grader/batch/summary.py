"""What a batch leaves for the course staff: summary.csv (a row per student, ready for a
learning-management system's grade import), report.md (per-test pass rates) and histogram.png."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from grader.batch.discover import Student, Submission
from grader.batch.task import record_of

#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_summary(
    submissions: list[Submission], results: dict[str, dict[str, Any]], outdir: Path
) -> None:
    """summary.csv, report.md and histogram.png in ``outdir``."""
    names: list[str] = []
    for document in results.values():
        for test in document.get("tests", []):
            if test["name"] not in names:
                names.append(test["name"])
    with (outdir / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = ["submission", "name", "email", "sid", "score", "max_score", "status", *names]
        writer.writerow([cell(h) for h in header])
        for sub in submissions:
            document = results.get(sub.id)
            if document is None:
                continue
            scores = {t["name"]: t["score"] for t in document.get("tests", [])}
            row = [
                round(total(document), 4), round(max_score(document), 4), status(document),
                *(round(scores[n], 4) if n in scores else "" for n in names),
            ]  # fmt: skip
            for student in sub.students or (Student(),):  # one row per student of a group
                people = [sub.id, student.name, student.email, student.sid]
                writer.writerow([cell(value) for value in [*people, *row]])
    documents = [results[sub.id] for sub in submissions if sub.id in results]
    _report(names, documents, outdir)
    plot_histogram([total(d) for d in documents], max(map(max_score, documents), default=0.0),
                   outdir / "histogram.png")  # fmt: skip


def cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def total(document: dict[str, Any]) -> float:
    if isinstance(document.get("score"), int | float):
        return float(document["score"])
    return float(sum(t["score"] for t in document.get("tests", [])))


def max_score(document: dict[str, Any]) -> float:
    return float(sum(t["max_score"] for t in document.get("tests", [])))


def status(document: dict[str, Any]) -> str:
    """ "graded", or why the submission could not be graded."""
    failure = record_of(document).get("failure")
    return f"failed: {failure}" if failure else "graded"


def _report(names: list[str], documents: list[dict[str, Any]], outdir: Path) -> None:
    lines = ["# Batch report", "", f"{len(documents)} submissions graded.", "",
             "| test | passed | pass rate |", "|---|---|---|"]  # fmt: skip
    for name in names:
        statuses = [t["status"] == "passed" for d in documents for t in d.get("tests", [])
                    if t["name"] == name]  # fmt: skip
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

"""``grader batch``: grade a whole course's submissions, in parallel, resumably.

SUBMISSIONS is a folder of submissions (folders, zips or notebooks) or Gradescope's "Export
Submissions" zip (a folder per submission and submission_metadata.yml naming the students).
Each submission is graded in its own process; one that breaks never stops the others.
OUTDIR gets ``<submission>/results.json`` for each, ``summary.csv`` (a row per submission, a
column per test), ``report.md`` (per-test pass rates) and ``histogram.png`` (scores).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.grading import grade
from grader.manifest import Manifest
from grader.reporting.fallback import STAFF_SIDE, failure_results
from grader.reporting.writer import write_results
from grader.submission import SubmissionError, unzip

METADATA_NAME = "submission_metadata.yml"
#: An export zip holds a whole course: allow far more than one submission.
MAX_EXPORT_BYTES = 4 * 1024**3
MAX_EXPORT_ENTRIES = 200_000


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    students: str = ""


def discover(source: Path, workdir: Path) -> list[Submission]:
    """The submissions in a folder or an export zip (unpacked into ``workdir``)."""
    if source.is_file():
        unzip(source, workdir / "export", MAX_EXPORT_BYTES, MAX_EXPORT_ENTRIES)
        source = workdir / "export"
        entries = [p for p in source.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        if len(entries) == 1 and entries[0].is_dir() and not (source / METADATA_NAME).exists():
            source = entries[0]  # the export's own top folder
    students = _students(source / METADATA_NAME)
    found = []
    for path in sorted(source.iterdir()):
        if path.name.startswith((".", "__MACOSX")) or path.name == METADATA_NAME:
            continue
        if path.is_dir() or path.suffix in (".zip", ".ipynb"):
            found.append(Submission(path.stem if path.is_file() else path.name, path,
                                    students.get(path.name, "")))  # fmt: skip
    return found


def _students(path: Path) -> dict[str, str]:
    """Submission folder -> students' names, from Gradescope's submission_metadata.yml."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    names = {}
    for folder, info in (data or {}).items() if isinstance(data, dict) else []:
        submitters = (
            info.get(":submitters", info.get("submitters")) if isinstance(info, dict) else []
        )
        people = [
            s.get(":name", s.get("name", "")) for s in submitters or [] if isinstance(s, dict)
        ]
        names[str(folder)] = "; ".join(str(p) for p in people if p)
    return names


def grade_one(submission: Path, manifest: Manifest, output: Path) -> dict[str, Any]:
    """Grade one submission into ``output`` (in a worker process); never raises."""
    try:
        results = grade(submission, manifest).results
    except SubmissionError as exc:
        results = failure_results(f"Your submission could not be read: {exc}", str(exc))
    except Exception as exc:  # one broken submission (or bug) must not stop the batch
        results = failure_results(STAFF_SIDE, f"{type(exc).__name__}: {exc}")
    write_results(results, output)
    return results


def run_batch(
    source: Path, manifest: Manifest, outdir: Path, workers: int, regrade: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Grade every submission not graded yet (all with ``regrade``); returns id -> results
    and writes the summaries."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as workdir:
        submissions = discover(source, Path(workdir))
        results: dict[str, dict[str, Any]] = {}
        todo = []
        for sub in submissions:
            path = outdir / sub.id / "results.json"
            if path.is_file() and not regrade:
                results[sub.id] = json.loads(path.read_text())
            else:
                todo.append(sub)
        done = len(results)
        if progress:
            progress(done, len(submissions))
        context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker
        with ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=context) as pool:
            futures = {
                pool.submit(grade_one, sub.path, manifest, outdir / sub.id / "results.json"): sub
                for sub in todo
            }
            for future in as_completed(futures):
                sub = futures[future]
                try:
                    results[sub.id] = future.result()
                except Exception as exc:  # the worker process itself died
                    results[sub.id] = failure_results(STAFF_SIDE, f"{type(exc).__name__}: {exc}")
                    write_results(results[sub.id], outdir / sub.id / "results.json")
                done += 1
                if progress:
                    progress(done, len(submissions))
    write_summary(submissions, results, outdir)
    return results


def write_summary(
    submissions: list[Submission], results: dict[str, dict[str, Any]], outdir: Path
) -> None:
    """summary.csv, report.md and histogram.png in ``outdir``."""
    names: list[str] = []
    for document in results.values():
        for test in document.get("tests", []):
            if test["name"] not in names:
                names.append(test["name"])
    with (outdir / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "students", "score", "max_score", *names])
        for sub in submissions:
            document = results.get(sub.id, {})
            scores = {t["name"]: t["score"] for t in document.get("tests", [])}
            maximum = sum(t["max_score"] for t in document.get("tests", []))
            row = [round(scores[n], 4) if n in scores else "" for n in names]
            writer.writerow([sub.id, sub.students, round(total(document), 4), round(maximum, 4),
                             *row])  # fmt: skip
    totals = [total(results[sub.id]) for sub in submissions if sub.id in results]
    _report(names, list(results.values()), totals, outdir)


def total(document: dict[str, Any]) -> float:
    if isinstance(document.get("score"), int | float):
        return float(document["score"])
    return float(sum(t["score"] for t in document.get("tests", [])))


def _report(names: list[str], documents: list[dict[str, Any]], totals: list[float],
            outdir: Path) -> None:  # fmt: skip
    lines = ["# Batch report", "", f"{len(documents)} submissions graded.", "",
             "| test | passed | pass rate |", "|---|---|---|"]  # fmt: skip
    for name in names:
        statuses = [t["status"] == "passed" for d in documents for t in d.get("tests", [])
                    if t["name"] == name]  # fmt: skip
        rate = sum(statuses) / len(statuses) if statuses else 0.0
        lines.append(f"| {name} | {sum(statuses)}/{len(statuses)} | {rate:.0%} |")
    lines += ["", "![score histogram](histogram.png)", ""]
    (outdir / "report.md").write_text("\n".join(lines))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.hist(totals, bins=min(20, max(len(set(totals)), 1)), color="tab:blue")
    axis.set(xlabel="score", ylabel="submissions", title=f"Scores ({len(totals)} submissions)")
    figure.tight_layout()
    figure.savefig(outdir / "histogram.png", dpi=100)
    plt.close(figure)

"""``grader batch``: grade a whole course's submissions, in parallel, resumably.

SUBMISSIONS is a folder of submissions (folders, zips or notebooks) or Gradescope's "Export
Submissions" zip. Gradings run on the local process pool (:mod:`grader.batch.local`, the
default) or on a Ray cluster (:mod:`grader.batch.cluster`); either way only this process writes
OUTDIR: ``<submission>/results.json`` for each (atomically, as soon as it is graded), then
``summary.csv``, ``report.md`` and ``histogram.png`` (:mod:`grader.batch.summary`).

A rerun resumes: results made with today's grader and assignment (same fingerprint) are kept,
stale ones are graded again.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.batch import cluster as ray_backend
from grader.batch import local
from grader.batch.cluster import ClusterError
from grader.batch.discover import Submission, discover
from grader.batch.fingerprint import Fingerprint, fingerprint
from grader.batch.progress import BatchProgress
from grader.batch.summary import preload_plotting, status, total, write_summary
from grader.manifest import Manifest
from grader.reporting.results import Results
from grader.reporting.writer import write_results

__all__ = ["Batch", "BatchProgress", "ClusterError", "run_batch", "status", "total"]


@dataclass
class Batch:
    """What a run of the batch did."""

    submissions: list[Submission] = field(default_factory=list)
    #: Every submission's results, kept or graded now.
    results: dict[str, Results] = field(default_factory=dict)
    graded: int = 0
    kept: int = 0
    #: Results made with another grader or assignment, graded again.
    stale: int = 0
    #: Submissions recorded as failed grades in this run (their grader died each time).
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False


#: Told the number of submissions to grade now, then each result as it comes.
Start = Callable[[int], None]
Result = Callable[[Submission, Results], None]


def run_batch(
    source: Path, manifest: Manifest, outdir: Path, workers: int = 1, regrade: bool = False,
    cluster: str | None = None, on_start: Start | None = None, on_result: Result | None = None,
    cpu_fallback: bool = False, runtime_env: dict[str, Any] | None = None,
) -> Batch:  # fmt: skip
    """Grade every submission that has no up-to-date results in ``outdir`` (all of them with
    ``regrade``) and write the summaries. Ctrl-C stops it: gradings in progress are killed,
    finished results stay, and the Batch says ``interrupted`` (no summaries then)."""
    outdir.mkdir(parents=True, exist_ok=True)
    # Plotting's imports while the gradings run, rather than after them.
    threading.Thread(target=preload_plotting, daemon=True).start()
    made_with = fingerprint(manifest)
    batch = Batch()
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as workdir:
        batch.submissions = discover(source, Path(workdir))
        todo = _to_grade(batch, outdir, made_with, regrade)
        if on_start:
            on_start(len(todo))

        def done(sub: Submission, results: Results) -> None:
            write_results(results, outdir / sub.id / "results.json")
            batch.results[sub.id] = results
            batch.graded += 1
            if results.failure:
                batch.failed.append(sub.id)
            if on_result:
                on_result(sub, results)

        try:
            if cluster is None:
                local.grade_all(todo, manifest, made_with, workers, done)
            else:
                ray_backend.grade_all(todo, manifest, made_with, cluster, workers, done,
                                      cpu_fallback, runtime_env)  # fmt: skip
        except KeyboardInterrupt:
            batch.interrupted = True
            return batch
    write_summary(batch.submissions, batch.results, outdir)
    return batch


def _to_grade(
    batch: Batch, outdir: Path, made_with: Fingerprint, regrade: bool
) -> list[Submission]:
    """The submissions without up-to-date results, the longest to grade last time first (so
    that the batch does not end on one long grading while the other workers wait); the
    others' results go into ``batch``."""
    todo, seconds = [], {}
    for sub in batch.submissions:
        results = _read(outdir / sub.id / "results.json")
        record = results.batch if results is not None else None
        fresh = record is not None and not made_with.differences(record.fingerprint)
        if fresh and not regrade:
            batch.results[sub.id] = results
            batch.kept += 1
            continue
        batch.stale += results is not None and not fresh and not regrade
        seconds[sub.id] = record.seconds if record is not None else None
        todo.append(sub)
    known = [s for s in seconds.values() if isinstance(s, int | float)]
    usual = max(known, default=0.0)  # never graded: as long as the longest, to be safe
    return sorted(todo, key=lambda sub: -_number(seconds[sub.id], usual))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _read(path: Path) -> Results | None:
    """The results a batch wrote earlier, or None where there are none (or not readable)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Results.from_gradescope(document) if isinstance(document, dict) else None

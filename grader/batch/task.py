"""Grading one submission of a batch, the same on the local pool and on a cluster node: never
raises, and records in the results what they were made with and where."""

from __future__ import annotations

import platform
import time
from pathlib import Path

from grader.batch.fingerprint import Fingerprint
from grader.grading import grade
from grader.manifest import Manifest
from grader.reporting.fallback import STAFF_SIDE, failure_results
from grader.reporting.results import BatchRecord, Results
from grader.submission import SubmissionError
from grader.training.budget import device_model


def grade_submission(submission: Path, manifest: Manifest, made_with: Fingerprint,
                     attempt: int | None = 1) -> Results:  # fmt: skip
    """The results of one submission, whatever happens in it."""
    started = time.monotonic()
    try:
        results = grade(submission, manifest).results
    except SubmissionError as exc:
        results = failure_results(f"Your submission could not be read: {exc}", str(exc))
    except Exception as exc:  # one broken submission (or bug) must not stop the batch
        results = failure_results(STAFF_SIDE, f"{type(exc).__name__}: {exc}")
    here = {"node": platform.node(), "device": device_model()}
    return with_record(results, made_with, attempt, time.monotonic() - started, here)


def with_record(results: Results, made_with: Fingerprint, attempts: int | None, seconds: float,
                where: dict[str, str | None], failure: str | None = None) -> Results:  # fmt: skip
    """``results`` with the batch's record: fingerprint, node and device (``where``), attempts,
    failure."""
    results.batch = BatchRecord(made_with.as_dict(), where["node"], where["device"],
                                round(seconds, 3), attempts, failure)  # fmt: skip
    return results


def failed_grade(reason: str, made_with: Fingerprint, attempts: int,
                 on_this_machine: bool) -> Results:  # fmt: skip
    """The results of a submission that could not be graded (its grader died each time).
    Its node and device are this machine's when it died here (the local pool), and unknown
    (None) when it died on a cluster: Ray does not say where a dead task last ran."""
    results = failure_results(STAFF_SIDE, reason)
    here = on_this_machine and platform.node()
    where = {"node": here or None, "device": device_model() if here else None}
    return with_record(results, made_with, attempts, 0.0, where, failure=reason)

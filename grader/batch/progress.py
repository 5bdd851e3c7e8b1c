"""The live progress bar of a batch: done/total, failures and the time left."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.batch.discover import Submission
from grader.reporting.results import Results


class BatchProgress:
    """A context manager whose ``start`` and ``result`` are run_batch's callbacks."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn(),
            console=console, transient=True,
        )  # fmt: skip
        self._task = self.progress.add_task("grading", total=None, failed=0)
        self._failed = 0

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, total: int) -> None:
        self.progress.update(self._task, total=total)

    def result(self, submission: Submission, results: Results) -> None:
        self._failed += bool(results.failure)
        self.progress.update(self._task, advance=1, failed=self._failed)

"""The grader's side of a training run: epochs driven from the grader and stopped by the budget.

Every call into the worker that a training test makes counts against the budget: building the
model, loading data, the warm-up step, each epoch, each evaluation and the final predictions.
Student code can train wherever it runs (in a warm-up step, in a thread that an evaluation
waits for, at import), so no part of it is left off the clock. Only the grader's own work
between calls (comparing predictions with labels) is not timed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from grader.checks.failure import CheckFailed
from grader.checks.values import expect_array, expect_number
from grader.training.budget import Budget

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")


@dataclass
class TrainingRun:
    """What happened, for the test's verdict, its output and results.json's extra_data."""

    device: str
    seconds: float = 0.0
    epochs: int = 0
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    budget: float | None = None

    @property
    def final_loss(self) -> float | None:
        return self.losses[-1] if self.losses else None

    @property
    def accuracy(self) -> float:
        return self.accuracies[-1] if self.accuracies else 0.0

    def summary(self) -> str:
        return (f"Trained {self.epochs} epoch{'s' * (self.epochs != 1)} on {self.device} in "
                f"{self.seconds:.2f} s; final loss {self.final_loss or float('nan'):.4g}, "
                f"accuracy {self.accuracy:.1%}.")  # fmt: skip

    def extra(self) -> dict[str, Any]:
        return {**asdict(self), "final_loss": self.final_loss}


def accuracy(predictions: object, labels: np.ndarray) -> float:
    """Fraction of ``predictions`` (class indices from student code) equal to ``labels``."""
    found = expect_array(predictions, "the predicted classes", shape=labels.shape)
    return float(np.mean(found == labels))


class Trainer:
    """Runs training loops for one test under its budget, with a progress bar on a terminal."""

    def __init__(self, name: str, budget: Callable[[str], Budget]) -> None:
        self.name, self._budget = name, budget
        self.run_record: TrainingRun | None = None
        self._limit, self._epochs = Budget(None), 0
        #: Seconds of student code timed before the run started (set up, earlier tests).
        self.spent = 0.0

    def timed(self, call: Callable[[], T]) -> T:
        """Make one call into the worker on the training clock: before ``run``, its time is
        added to the run's; after, to the run's, against the budget."""
        started = time.perf_counter()
        try:
            result = call()
        finally:
            elapsed = time.perf_counter() - started
            if self.run_record is None:
                self.spent += elapsed
            else:
                self.run_record.seconds += elapsed
        if self.run_record is not None:  # the warm-up, the final predictions: on the budget too
            self._check(self.run_record)
        return result

    def run(
        self,
        step: Callable[[], object],
        epochs: int,
        evaluate: Callable[[], float],
        device: str = "cpu",
        warmup: Callable[[], object] | None = None,
        target: float | None = None,
    ) -> TrainingRun:
        """Call ``step`` (one epoch in the worker, returning its mean loss) up to ``epochs``
        times, stopping early once ``evaluate()`` reaches ``target``. ``warmup`` runs once
        first (CUDA kernels, lazy allocation). All three are timed, with what ``timed`` took
        before."""
        self._limit, self._epochs = self._budget(device), epochs
        record = self.run_record = TrainingRun(device, self.spent, budget=self._limit.seconds)
        if warmup is not None:
            self.timed(warmup)
        with _progress(self.name, epochs) as (progress, task):
            for _ in range(epochs):
                started = time.perf_counter()
                loss = expect_number(step(), "the loss an epoch of training returned")
                accuracy = evaluate()
                record.seconds += time.perf_counter() - started
                record.epochs += 1
                record.losses.append(loss)
                record.accuracies.append(accuracy)
                if progress is not None:
                    progress.update(task, advance=1, description=f"{self.name} loss {loss:.3f}")
                self._check(record)
                if target is not None and record.accuracy >= target:
                    break
        return record

    def _check(self, record: TrainingRun) -> None:
        limit = self._limit
        if limit.seconds is not None and record.seconds > limit.seconds:
            raise CheckFailed(
                f"Training used up its time budget of {limit.seconds:.2f} s ({limit.why}) after "
                f"{record.epochs} of {self._epochs} epochs, at accuracy "
                f"{record.accuracy:.1%}: make each step faster (vectorise, batch)."
            )


class _progress:
    """A rich progress bar on the real terminal, or nothing when there is none (CI, tests,
    Gradescope: rich's progress module is imported only for a terminal)."""

    def __init__(self, name: str, epochs: int) -> None:
        self.name, self.epochs = name, epochs
        self.progress: Progress | None = None

    def __enter__(self) -> tuple[Progress | None, Any]:
        stream = sys.__stderr__
        if stream is None or not stream.isatty():
            return None, None
        from rich.console import Console
        from rich.progress import Progress

        self.progress = Progress(console=Console(file=stream), transient=True)
        self.progress.start()
        return self.progress, self.progress.add_task(self.name, total=self.epochs)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

"""The results of one grading as a typed model: what the plugin fills and every consumer (the
table, the curves, the handout, the batch) reads. Gradescope's results.json is only its
serialised form, made at the edge by :meth:`Results.to_gradescope`; :meth:`Results.from_gradescope`
reads one back (a batch resuming, a rate limit carrying the previous grade's tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: What happened to a test, case or subtest (pytest's outcomes, and ``not_run`` for the budget).
OutcomeKind = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed", "not_run"]
#: When Gradescope shows an entry to the student.
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
#: Outcomes that Gradescope shows as failed.
FAILED: tuple[str, ...] = ("failed", "error", "not_run")
#: Visibilities that keep an entry from the student until later.
HIDDEN: tuple[str, ...] = ("hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Entry:
    """One test, parametrized case or subtest, with its points decided."""

    name: str
    number: str
    score: float
    max_score: float
    outcome: OutcomeKind
    output: str = ""
    visibility: Visibility = "visible"
    nodeid: str = ""
    duration: float = 0.0
    #: What the test measured, for staff: gradient_evaluations, gradient_seconds, training.
    extra: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    @property
    def status(self) -> Literal["passed", "failed"]:
        return "failed" if self.outcome in FAILED else "passed"

    @property
    def training(self) -> dict[str, Any] | None:
        """The training run's record (epochs, losses, device, seconds), if the test trained."""
        return self.extra.get("training")

    def to_gradescope(self) -> dict[str, Any]:
        test: dict[str, Any] = {
            "name": self.name, "name_format": "text", "number": self.number,
            "score": self.score, "max_score": self.max_score, "status": self.status,
            "output": self.output, "output_format": "text", "visibility": self.visibility,
            "extra_data": {"nodeid": self.nodeid, "outcome": self.outcome,
                           "duration": self.duration, **self.extra},
        }  # fmt: skip
        if self.tags:
            test["tags"] = list(self.tags)
        return test

    @classmethod
    def from_gradescope(cls, test: dict[str, Any]) -> Entry:
        extra = dict(_mapping(test.get("extra_data")))
        status = "failed" if test.get("status") == "failed" else "passed"
        return cls(
            name=str(test.get("name", "")), number=str(test.get("number", "")),
            score=_number(test.get("score")), max_score=_number(test.get("max_score")),
            outcome=extra.pop("outcome", status), output=str(test.get("output", "")),
            visibility=test.get("visibility", "visible"), nodeid=str(extra.pop("nodeid", "")),
            duration=_number(extra.pop("duration", 0.0)), extra=extra,
            tags=tuple(test.get("tags", ())),
        )  # fmt: skip


@dataclass(frozen=True)
class LeaderboardEntry:
    name: str
    value: float | str
    order: str = "desc"

    def to_gradescope(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "order": self.order}


@dataclass(frozen=True)
class BatchRecord:
    """What a batch records about the grading that made the results (staff only)."""

    fingerprint: dict[str, Any]
    #: Where it was graded; None where that is not known (a grading that died on a cluster).
    node: str | None
    device: str | None
    seconds: float
    attempts: int | None = None
    #: Why the submission could not be graded (its grader died each time).
    failure: str | None = None

    def to_gradescope(self) -> dict[str, Any]:
        record = {"fingerprint": self.fingerprint, "node": self.node, "device": self.device,
                  "seconds": self.seconds}  # fmt: skip
        if self.attempts is not None:
            record["attempts"] = self.attempts
        if self.failure is not None:
            record["failure"] = self.failure
        return record

    @classmethod
    def from_gradescope(cls, record: dict[str, Any]) -> BatchRecord:
        attempts, failure = record.get("attempts"), record.get("failure")
        return cls(
            fingerprint=dict(_mapping(record.get("fingerprint"))),
            node=_text(record.get("node")), device=_text(record.get("device")),
            seconds=_number(record.get("seconds")),
            attempts=attempts if isinstance(attempts, int) else None,
            failure=str(failure) if failure is not None else None,
        )  # fmt: skip


@dataclass
class Results:
    """A grading's entries and what the student and staff are told about it."""

    entries: list[Entry] = field(default_factory=list)
    #: The assignment graded; None when the run could not grade (see ``error``).
    assignment: str | None = None
    execution_time: float = 0.0
    #: For the student, before the summary: missing files, notebook remarks, why not graded.
    notes: list[str] = field(default_factory=list)
    #: The run's own summary of its entries (grader.reporting.outcomes writes it).
    summary: str = ""
    #: Hidden tests a student's self-check did not run, and the points they are worth.
    withheld: int = 0
    withheld_points: float = 0.0
    leaderboard: list[LeaderboardEntry] = field(default_factory=list)
    #: The total, where it is not the sum of the entries (a failed or rate-limited run).
    score: float | None = None
    #: Staff-side detail of a run that could not grade.
    error: str | None = None
    rate_limited: bool = False
    batch: BatchRecord | None = None

    @property
    def total(self) -> float:
        return self.score if self.score is not None else float(sum(e.score for e in self.entries))

    @property
    def max_score(self) -> float:
        return float(sum(e.max_score for e in self.entries))

    @property
    def failure(self) -> str | None:
        """Why a batch could not grade the submission (its grader died each time), if so."""
        return self.batch.failure if self.batch is not None else None

    @property
    def hidden_tests(self) -> int:
        return sum(e.visibility in HIDDEN for e in self.entries)

    @property
    def output(self) -> str:
        """The text the student reads at the top of the results."""
        return "\n".join([*self.notes, self.summary] if self.summary else self.notes)

    def to_gradescope(self) -> dict[str, Any]:
        """The results.json document (Gradescope's autograder specification)."""
        document: dict[str, Any] = {} if self.score is None else {"score": self.score}
        document.update(
            execution_time=round(self.execution_time, 3), output=self.output,
            output_format="text", test_output_format="text", test_name_format="text",
            visibility="visible", stdout_visibility="hidden", extra_data=self._extra_data(),
            tests=[entry.to_gradescope() for entry in self.entries],
        )  # fmt: skip
        if self.leaderboard:
            document["leaderboard"] = [entry.to_gradescope() for entry in self.leaderboard]
        return document

    def _extra_data(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.assignment is not None:
            extra.update(assignment=self.assignment, hidden_tests=self.hidden_tests)
        if self.error is not None:
            extra["error"] = self.error
        if self.rate_limited:
            extra["rate_limited"] = True
        if self.batch is not None:
            extra["batch"] = self.batch.to_gradescope()
        return extra

    @classmethod
    def from_gradescope(cls, document: dict[str, Any]) -> Results:
        """The model of a results.json written earlier (its output kept as the summary)."""
        extra = _mapping(document.get("extra_data"))
        tests = document.get("tests")
        board = document.get("leaderboard")
        record = extra.get("batch")
        score = document.get("score")
        leaderboard = [
            LeaderboardEntry(e["name"], e["value"], e.get("order", "desc"))
            for e in _list(board)
            if isinstance(e, dict) and "name" in e and "value" in e
        ]
        return cls(
            entries=[Entry.from_gradescope(t) for t in _list(tests) if isinstance(t, dict)],
            assignment=extra.get("assignment"),
            execution_time=_number(document.get("execution_time")),
            summary=str(document.get("output", "")),
            leaderboard=leaderboard,
            score=float(score) if isinstance(score, int | float) else None,
            error=extra.get("error"),
            rate_limited=bool(extra.get("rate_limited")),
            batch=BatchRecord.from_gradescope(record) if isinstance(record, dict) else None,
        )


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

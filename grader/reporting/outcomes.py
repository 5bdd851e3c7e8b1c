"""How test outcomes become Gradescope results: the one place where points are decided.

The pytest plugin turns each run, parametrized case and subtest into an :class:`Outcome`;
:func:`build_results` turns the list into :class:`grader.reporting.results.Results`. Keeping
this pure (no pytest here) keeps the scoring rules small and fully testable.

Scoring rules, also in the README:
- Points belong to an *owner*: a test function named under ``tests:`` in the manifest, else the
  test's group (the graded function, the text before ``:`` in its name) named there, else the
  test's ``@weight`` / ``@partial_credit`` decorator. An owner's points are split evenly among the
  entries it produced (parametrized cases, subtests).
- skipped and xfail entries are reported with max_score 0: they do not count either way.
- A failed entry scores 0, even if it called set_score before failing; a passed partial-credit
  entry scores its set_score fraction (full marks if it never called set_score).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from grader.manifest import Manifest
from grader.reporting.caps import cap
from grader.reporting.results import HIDDEN, Entry, LeaderboardEntry, OutcomeKind, Results

#: Outcomes that carry points; the others are informational (max_score 0).
COUNTED = {"passed", "failed", "error", "not_run"}


@dataclass(frozen=True)
class TestMeta:
    """What a test function declares about itself (decorators, docstring), per collected item."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    function: str
    name: str
    group: str | None = None
    weight: float | None = None
    partial: bool = False
    number: str | None = None
    visibility: str | None = None
    tags: tuple[str, ...] = ()
    hide_errors: str | None = None
    leaderboard_column: str | None = None
    leaderboard_order: str = "desc"


@dataclass
class Outcome:
    """One entry of results.json before points are assigned."""

    meta: TestMeta
    outcome: OutcomeKind
    message: str = ""
    subtest: str | None = None
    fraction: float | None = None
    leaderboard_value: float | str | None = None
    #: More leaderboard columns from this test.
    leaderboard_extra: list[LeaderboardEntry] = field(default_factory=list)
    duration: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.meta.name} {self.subtest}" if self.subtest else self.meta.name


def owner_of(meta: TestMeta, manifest: Manifest) -> str:
    """The key whose points this test shares: its function or its group where the manifest
    gives that key points, else its decorator."""
    for key in (meta.function, meta.group):
        settings = manifest.tests.get(key) if key else None
        if settings is not None and settings.points is not None:
            return key
    return f"@{meta.function}"


def build_results(
    outcomes: list[Outcome], manifest: Manifest, execution_time: float,
    left_out: list[TestMeta] | None = None,
) -> Results:  # fmt: skip
    """The results of a finished run. ``left_out`` are the hidden tests a student's self-check
    did not run: they keep their share of the points."""
    owners = [owner_of(o.meta, manifest) for o in outcomes]
    shares: dict[str, int] = defaultdict(int)
    hidden_points = 0.0
    for meta in left_out or []:
        shares[owner_of(meta, manifest)] += 1
    for owner, outcome in zip(owners, outcomes, strict=True):
        shares[owner] += outcome.outcome in COUNTED
    for meta in left_out or []:
        owner = owner_of(meta, manifest)
        hidden_points += _owner_points(owner, meta, manifest) / shares[owner]
    numbers = _auto_numbers(outcomes)
    entries = []
    for owner, outcome, number in zip(owners, outcomes, numbers, strict=True):
        points = _owner_points(owner, outcome.meta, manifest)
        max_score = points / shares[owner] if outcome.outcome in COUNTED else 0.0
        entries.append(_entry(outcome, manifest, max_score, number))
    entries.sort(key=lambda e: [int(p) if p.isdigit() else 0 for p in e.number.split(".")])
    leaderboard = [
        LeaderboardEntry(o.meta.leaderboard_column, o.leaderboard_value, o.meta.leaderboard_order)
        for o in outcomes
        if o.meta.leaderboard_column and o.leaderboard_value is not None and o.outcome == "passed"
    ]
    leaderboard += [e for o in outcomes if o.outcome == "passed" for e in o.leaderboard_extra]
    withheld = len(left_out or [])
    return Results(
        entries, manifest.name, execution_time,
        summary=_summary(entries, withheld, hidden_points), withheld=withheld,
        withheld_points=hidden_points, leaderboard=leaderboard,
    )  # fmt: skip


def _owner_points(owner: str, meta: TestMeta, manifest: Manifest) -> float:
    settings = manifest.tests.get(owner)
    return settings.points if settings is not None else (meta.weight or 0.0)


def visibility_of(meta: TestMeta, manifest: Manifest) -> str:
    """The test's visibility: manifest (function, then group), decorator, manifest default."""
    for key in (meta.function, meta.group):
        settings = manifest.tests.get(key) if key else None
        if settings is not None and settings.visibility:
            return settings.visibility
    return meta.visibility or manifest.default_visibility


def _entry(outcome: Outcome, manifest: Manifest, max_score: float, number: str) -> Entry:
    meta = outcome.meta
    passed = outcome.outcome == "passed"
    fraction = 1.0 if outcome.fraction is None else min(max(outcome.fraction, 0.0), 1.0)
    message = outcome.message
    if outcome.outcome in ("failed", "error") and meta.hide_errors is not None:
        message = meta.hide_errors
    return Entry(
        name=outcome.name, number=number, score=max_score * fraction if passed else 0.0,
        max_score=max_score, outcome=outcome.outcome, output=cap(message),
        visibility=visibility_of(meta, manifest), nodeid=meta.nodeid,
        duration=round(outcome.duration, 4), extra=outcome.extra, tags=meta.tags,
    )  # fmt: skip


def _auto_numbers(outcomes: list[Outcome]) -> list[str]:
    """The decorator's number where given, else ``group.index`` in order of appearance."""
    groups: dict[str, int] = {}
    counts: dict[str, int] = defaultdict(int)
    numbers = []
    for outcome in outcomes:
        meta = outcome.meta
        key = meta.group or meta.function
        groups.setdefault(key, len(groups) + 1)
        counts[key] += 1
        auto = f"{groups[key]}.{counts[key]}"
        if meta.number is None:
            numbers.append(auto)
        else:
            numbers.append(meta.number if not outcome.subtest else f"{meta.number}.{counts[key]}")
    return numbers


def _summary(entries: list[Entry], withheld: int = 0, hidden_points: float = 0.0) -> str:
    visible = [e for e in entries if e.visibility == "visible"]
    passed = sum(e.status == "passed" for e in visible)
    hidden = sum(e.visibility in HIDDEN for e in entries)
    lines = [f"{passed} of {len(visible)} visible tests passed."]
    if hidden:
        lines.append(
            f"{hidden} more test{'s were' if hidden != 1 else ' was'} run on your submission "
            "and will be shown later (after the due date or when grades are published)."
        )
    if withheld:
        lines.append(
            f"{withheld} more test{'s' if withheld != 1 else ''} (worth "
            f"{hidden_points:g} points) will run after you submit; they are not shown until then."
        )
    return "\n".join(lines)

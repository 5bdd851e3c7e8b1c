"""How test outcomes become Gradescope results: the one place where points are decided.

The pytest plugin turns each run, parametrized case and subtest into an :class:`Outcome`;
:func:`build_results` turns the list into the results.json document. Keeping this pure (no pytest
here) keeps the scoring rules small and fully testable.

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
    outcome: str  # passed, failed, error, skipped, xfailed, xpassed, not_run
    message: str = ""
    subtest: str | None = None
    fraction: float | None = None
    leaderboard_value: float | str | None = None
    #: More leaderboard columns from this test, as Gradescope entries.
    leaderboard_extra: list[dict[str, Any]] = field(default_factory=list)
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
) -> dict[str, Any]:  # fmt: skip
    """The Gradescope results.json document for a finished run. ``left_out`` are the hidden
    tests a student's self-check did not run: they keep their share of the points."""
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
    tests = []
    for owner, outcome, number in zip(owners, outcomes, numbers, strict=True):
        points = _owner_points(owner, outcome.meta, manifest)
        max_score = points / shares[owner] if outcome.outcome in COUNTED else 0.0
        tests.append(_entry(outcome, manifest, max_score, number))
    tests.sort(key=lambda t: [int(p) if p.isdigit() else 0 for p in t["number"].split(".")])
    hidden = sum(t["visibility"] in ("hidden", "after_due_date", "after_published") for t in tests)
    results: dict[str, Any] = {
        "execution_time": round(execution_time, 3),
        "output": _summary(tests, hidden, len(left_out or []), hidden_points),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"assignment": manifest.name, "hidden_tests": hidden},
        "tests": tests,
    }
    leaderboard = [
        {"name": o.meta.leaderboard_column, "value": o.leaderboard_value,
         "order": o.meta.leaderboard_order}
        for o in outcomes
        if o.meta.leaderboard_column and o.leaderboard_value is not None and o.outcome == "passed"
    ]  # fmt: skip
    leaderboard += [e for o in outcomes if o.outcome == "passed" for e in o.leaderboard_extra]
    if leaderboard:
        results["leaderboard"] = leaderboard
    return results


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


def _entry(outcome: Outcome, manifest: Manifest, max_score: float, number: str) -> dict[str, Any]:
    meta = outcome.meta
    passed = outcome.outcome == "passed"
    fraction = 1.0 if outcome.fraction is None else min(max(outcome.fraction, 0.0), 1.0)
    score = max_score * fraction if passed else 0.0
    message = outcome.message
    if outcome.outcome in ("failed", "error") and meta.hide_errors is not None:
        message = meta.hide_errors
    entry: dict[str, Any] = {
        "name": outcome.name,
        "name_format": "text",
        "number": number,
        "score": score,
        "max_score": max_score,
        "status": "failed" if outcome.outcome in ("failed", "error", "not_run") else "passed",
        "output": cap(message),
        "output_format": "text",
        "visibility": visibility_of(meta, manifest),
        "extra_data": {"nodeid": meta.nodeid, "outcome": outcome.outcome,
                       "duration": round(outcome.duration, 4), **outcome.extra},
    }  # fmt: skip
    if meta.tags:
        entry["tags"] = list(meta.tags)
    return entry


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


def _summary(
    tests: list[dict[str, Any]], hidden: int, not_run_hidden: int = 0, hidden_points: float = 0.0
) -> str:
    visible = [t for t in tests if t["visibility"] == "visible"]
    passed = sum(t["status"] == "passed" for t in visible)
    lines = [f"{passed} of {len(visible)} visible tests passed."]
    if hidden:
        lines.append(
            f"{hidden} more test{'s were' if hidden != 1 else ' was'} run on your submission "
            "and will be shown later (after the due date or when grades are published)."
        )
    if not_run_hidden:
        lines.append(
            f"{not_run_hidden} more test{'s' if not_run_hidden != 1 else ''} (worth "
            f"{hidden_points:g} points) will run after you submit; they are not shown until then."
        )
    return "\n".join(lines)

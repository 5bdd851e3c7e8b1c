"""An optional limit of N graded submissions per time window, from submission_metadata.json.

Times come from the metadata (the submission's ``created_at`` and each previous submission's
``submission_time``), never from the clock, so a regrade judges a submission as it was made.
Submissions that failed on the autograder's side, or were themselves turned away by the limit,
do not count. A time without a UTC offset is taken as UTC, so that one odd entry cannot make
aware and naive times meet in a comparison.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from grader.reporting.results import Results


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _shift(when: datetime, by: timedelta) -> datetime:
    """``when + by``, held within the years datetime can represent."""
    try:
        return when + by
    except OverflowError:
        return (datetime.max if by > timedelta(0) else datetime.min).replace(tzinfo=timezone.utc)


def _results(previous: dict[str, Any]) -> Results:
    """The results of a previous submission, as Gradescope's metadata gives them."""
    document = previous.get("results")
    return Results.from_gradescope(document if isinstance(document, dict) else {})


def _counts(previous: dict[str, Any]) -> bool:
    return not previous.get("autograder_error") and not _results(previous).rate_limited


def check(limit: tuple[int, float] | None, metadata: dict[str, Any]) -> Results | None:
    """Results that replace grading when the limit is reached, else None."""
    created = _time(metadata.get("created_at"))
    if limit is None or created is None:
        return None
    submissions, hours = limit
    window = timedelta(hours=hours)
    listed = metadata.get("previous_submissions")
    previous = [p for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []
    timed = [(_time(p.get("submission_time")), p) for p in previous if _counts(p)]
    start = _shift(created, -window)
    recent = sorted(
        [(when, p) for when, p in timed if when and start <= when < created],
        key=lambda pair: pair[0],
    )
    if len(recent) < submissions:
        return None
    latest = max(recent, key=lambda pair: pair[0])[1]
    score = latest.get("score")
    score = score if isinstance(score, int | float) and math.isfinite(score) else 0.0
    entries = _results(latest).entries
    opens = _shift(recent[-submissions][0], window)
    message = (
        f"This submission was not graded: at most {submissions} submissions are graded in "
        f"any {hours:g} hours, and you have made {len(recent)}. Your score stays "
        f"{float(score):g}, from your latest graded submission. The next submission will be "
        f"graded if made after {opens.isoformat(timespec='minutes')}."
    )
    return Results(entries, notes=[message], score=float(score), rate_limited=True)

"""An optional limit of N graded submissions per time window, from submission_metadata.json.

Times come from the metadata (the submission's ``created_at`` and each previous submission's
``submission_time``), never from the clock, so a regrade judges a submission as it was made.
Submissions that failed on the autograder's side, or were themselves turned away by the limit,
do not count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _counts(previous: dict[str, Any]) -> bool:
    results = previous.get("results") if isinstance(previous.get("results"), dict) else {}
    limited = isinstance(results.get("extra_data"), dict) and results["extra_data"].get(
        "rate_limited"
    )
    return not previous.get("autograder_error") and not limited


def check(limit: tuple[int, float] | None, metadata: dict[str, Any]) -> dict[str, Any] | None:
    """Results that replace grading when the limit is reached, else None."""
    created = _time(metadata.get("created_at"))
    if limit is None or created is None:
        return None
    submissions, hours = limit
    window = timedelta(hours=hours)
    previous = [p for p in metadata.get("previous_submissions") or [] if isinstance(p, dict)]
    timed = [(_time(p.get("submission_time")), p) for p in previous if _counts(p)]
    recent = sorted(
        [(when, p) for when, p in timed if when and created - window <= when < created],
        key=lambda pair: pair[0],
    )
    if len(recent) < submissions:
        return None
    latest = max(recent, key=lambda pair: pair[0])[1]
    score = latest.get("score") if isinstance(latest.get("score"), int | float) else 0.0
    last_results = latest.get("results") if isinstance(latest.get("results"), dict) else {}
    tests = last_results.get("tests") if isinstance(last_results.get("tests"), list) else []
    opens = recent[-submissions][0] + window
    return {
        "score": float(score),
        "output": (
            f"This submission was not graded: at most {submissions} submissions are graded in "
            f"any {hours:g} hours, and you have made {len(recent)}. Your score stays "
            f"{float(score):g}, from your latest graded submission. The next submission will be "
            f"graded if made after {opens.isoformat(timespec='minutes')}."
        ),
        "output_format": "text",
        "visibility": "visible",
        "extra_data": {"rate_limited": True},
        "tests": tests,
    }

"""The rate limit reads times from submission_metadata.json, which Gradescope writes but whose
previous entries may be odd: a time without a UTC offset, out-of-range years, a list that is
not a list. None of them may raise (a staff-side error, a score of 0 for the student)."""

import pytest

from grader.packaging.rate_limit import check


@pytest.mark.parametrize(
    "created, previous, limited",
    [
        ("2026-11-20T10:00:00Z", "2026-11-20T09:00:00", True),  # naive previous, aware now
        ("2026-11-20T10:00:00", "2026-11-20T09:00:00+00:00", True),  # aware previous, naive now
        ("2026-11-20T10:00:00", "2026-11-20T09:00:00", True),  # both naive
        ("2026-11-20T10:00:00+02:00", "2026-11-20T09:30:00", False),  # naive = UTC: later
        ("2026-11-20T10:00:00Z", "2026-11-18T09:00:00", False),  # naive, outside the window
        ("0001-01-01T02:00:00", "0001-01-01T01:00:00", True),  # the window starts before year 1
        ("9999-12-31T23:30:00", "9999-12-31T23:00:00", True),  # the next slot is after 9999
        ("2026-11-20T10:00:00Z", "2026-11-20", True),  # a date alone: midnight UTC
    ],
)
def test_times_without_an_offset_are_utc_and_never_raise(created, previous, limited):
    entry = {"submission_time": previous, "score": 7.0}
    result = check((1, 24.0), {"created_at": created, "previous_submissions": [entry]})
    assert (result is not None) == limited
    if limited:
        assert result.score == 7.0 and "not graded" in result.output


@pytest.mark.parametrize("previous", [5, "2026-11-20T09:00:00Z", {"a": 1}, None, [None, 3]])
def test_previous_submissions_of_the_wrong_type_count_as_none(previous):
    assert check((1, 24.0), {"created_at": "2026-11-20T10:00:00Z",
                             "previous_submissions": previous}) is None  # fmt: skip


@pytest.mark.parametrize("score", [float("inf"), float("nan"), "99", None])
def test_a_previous_score_that_is_not_a_finite_number_stays_zero(score):
    entry = {"submission_time": "2026-11-20T09:00:00Z", "score": score}
    result = check((1, 24.0), {"created_at": "2026-11-20T10:00:00Z",
                               "previous_submissions": [entry]})  # fmt: skip
    assert result is not None and result.score == 0.0

"""results.json for runs that could not grade, so Gradescope never shows its bare
"The autograder failed to execute correctly"."""

from __future__ import annotations

from grader.reporting.results import Results

STAFF_SIDE = (
    "The autograder failed on the staff side while grading your submission; this is not a "
    "problem with your code. Your course staff can see the details: please tell them."
)


def failure_results(student_message: str, staff_detail: str) -> Results:
    """Results with score 0, ``student_message`` for the student and ``staff_detail`` for
    the instructors only."""
    return Results(notes=[student_message], score=0.0, error=staff_detail)

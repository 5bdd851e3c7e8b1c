"""results.json for runs that could not grade, so Gradescope never shows its bare
"The autograder failed to execute correctly"."""

from __future__ import annotations

from typing import Any

STAFF_SIDE = (
    "The autograder failed on the staff side while grading your submission; this is not a "
    "problem with your code. Your course staff can see the details: please tell them."
)


def failure_results(student_message: str, staff_detail: str) -> dict[str, Any]:
    """A valid results document with score 0, ``student_message`` for the student and
    ``staff_detail`` in extra_data (instructors only)."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": student_message,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"error": staff_detail},
        "tests": [],
    }

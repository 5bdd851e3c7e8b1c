"""Grade one submission into a results file, whatever happens: the shared core of
``grader grade`` and of Gradescope's run_autograder."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from grader.assignment import AssignmentNotFound
from grader.grading import GradingError, grade
from grader.manifest import Manifest, ManifestError
from grader.reporting.curves import write_curves
from grader.reporting.fallback import STAFF_SIDE, failure_results
from grader.reporting.results import Results
from grader.reporting.schema import validation_errors
from grader.reporting.table import render
from grader.reporting.writer import write_results
from grader.sandbox.user import SandboxUserError
from grader.submission import SubmissionError

#: Errors of the person running the grader (a wrong path, a broken manifest): one line, status 2.
MISUSE = (AssignmentNotFound, ManifestError, SubmissionError, SandboxUserError)


def grade_to_file(
    submission: Path,
    load_manifest: Callable[[], Manifest],
    output: Path | None,
    console: Console,
    grade_unless: Callable[[Manifest], Results | None] | None = None,
    only_visible: bool = False,
    show: Callable[[Results, Console, str], int] | None = None,
    curves: bool = True,
) -> int:
    """Grade and write ``output``; print the table. Returns 0, or 2 with staff warnings, or 1
    after an internal error. Misuse errors are re-raised after a results file saying so is
    written. ``grade_unless`` may return results that replace grading (a rate limit's);
    ``only_visible`` runs the visible tests only (a student's self-check); ``show``, if given,
    prints the results instead of the table and returns the status (a student's view,
    run_autograder's log);
    ``curves`` draws the training curves beside ``output``."""
    try:
        manifest = load_manifest()
        results = grade_unless(manifest) if grade_unless is not None else None
        staff_errors: list[str] = []
        isolation: list[str] = []
        if results is None:
            run = grade(submission, manifest, only_visible)
            results, staff_errors, isolation = run.results, run.staff_errors, run.isolation
        problems = validation_errors(results.to_gradescope())
        if problems:  # a bug of ours: never hand Gradescope an invalid file
            raise GradingError("results.json failed schema validation: " + "; ".join(problems))
    except SubmissionError as exc:
        _write_failure(output, f"Your submission could not be read: {exc}", str(exc))
        raise
    except MISUSE as exc:
        _write_failure(output, STAFF_SIDE, str(exc))
        raise
    except Exception as exc:  # an internal error: keep the evidence, still write results
        traceback.print_exc()
        _write_failure(output, STAFF_SIDE, f"{type(exc).__name__}: {exc}")
        print(f"grader: internal error: {exc}", file=sys.stderr)
        if isinstance(exc, GradingError) and exc.log:
            print(exc.log[-4000:], file=sys.stderr)
        if show is not None:  # another view (--json: a document on stdout all the same)
            show(failure_results(STAFF_SIDE, f"{type(exc).__name__}: {exc}"), console, "")
        return 1
    if output:
        write_results(results, output)
    title = f"{manifest.title}: {submission}"
    status = (show or _table)(results, console, title)
    for line in isolation:
        console.print(f"[dim]sandbox:[/dim] {line}", highlight=False)
    for error in staff_errors:
        console.print(f"[yellow]staff warning:[/yellow] {error}", highlight=False)
    if output:
        console.print(f"Wrote {output}", highlight=False)
        for path in write_curves(results, output.parent) if curves else []:
            console.print(f"Wrote training curves {path}", highlight=False)
    return 2 if staff_errors else status


def _table(results: Results, console: Console, title: str) -> int:
    render(results, console, title=title)
    return 0


def _write_failure(output: Path | None, student_message: str, detail: str) -> None:
    if output is not None:
        write_results(failure_results(student_message, detail), output)

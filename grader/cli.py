"""The ``grader`` command. Each verb is a small function; the work lives in its own module."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from rich.console import Console

from grader import __version__, assignment, stubs
from grader.grading import GradingError, grade
from grader.manifest import ManifestError
from grader.reporting.curves import write_curves
from grader.reporting.fallback import STAFF_SIDE, failure_results
from grader.reporting.schema import validation_errors
from grader.reporting.table import render
from grader.reporting.writer import write_results
from grader.sandbox.user import SandboxUserError
from grader.submission import SubmissionError


def _grade(args: argparse.Namespace, console: Console) -> int:
    output = Path(args.output) if args.output else None
    try:
        manifest = assignment.find(args.assignment)
        run = grade(Path(args.submission), manifest)
        problems = validation_errors(run.results)
        if problems:  # a bug of ours: never hand Gradescope an invalid file
            raise GradingError("results.json failed schema validation: " + "; ".join(problems))
    except SubmissionError as exc:
        _write_failure(output, f"Your submission could not be read: {exc}", str(exc))
        raise
    except (assignment.AssignmentNotFound, ManifestError, SandboxUserError) as exc:
        _write_failure(output, STAFF_SIDE, str(exc))
        raise
    except Exception as exc:  # an internal error: keep the evidence, still write results
        traceback.print_exc()
        _write_failure(output, STAFF_SIDE, f"{type(exc).__name__}: {exc}")
        print(f"grader: internal error: {exc}", file=sys.stderr)
        if isinstance(exc, GradingError) and exc.log:
            print(exc.log[-4000:], file=sys.stderr)
        return 1
    if output:
        write_results(run.results, output)
    render(run.results, console, title=f"{manifest.title}: {args.submission}")
    for error in run.staff_errors:
        console.print(f"[yellow]staff warning:[/yellow] {error}", highlight=False)
    if output:
        console.print(f"Wrote {output}", highlight=False)
        for path in write_curves(run.results, output.parent):
            console.print(f"Wrote training curves {path}", highlight=False)
    return 2 if run.staff_errors else 0


def _write_failure(output: Path | None, student_message: str, detail: str) -> None:
    if output is not None:
        write_results(failure_results(student_message, detail), output)


def _stubs(args: argparse.Namespace, console: Console) -> int:
    manifest = assignment.find(args.assignment)
    differ = stubs.write_stubs(manifest, check=args.check)
    if args.check:
        for name in differ:
            console.print(f"{name} is out of date: run grader stubs --assignment {args.assignment}")
        return 1 if differ else 0
    for name in differ:
        console.print(f"wrote {manifest.folder / name}", highlight=False)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="grader", description="Grade deep-learning-from-scratch assignments."
    )
    top.add_argument("--version", action="version", version=f"grader {__version__}")
    verbs = top.add_subparsers(dest="verb", required=True)

    p = verbs.add_parser("grade", help="grade one submission and write Gradescope results.json")
    p.add_argument("submission", help="a submission folder or .zip")
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--output", "-o", help="where to write results.json")
    p.set_defaults(run=_grade)

    p = verbs.add_parser("stubs", help="generate student stubs from the reference solution")
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    p.set_defaults(run=_stubs)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        return args.run(args, console)
    except (
        assignment.AssignmentNotFound,
        ManifestError,
        SubmissionError,
        stubs.StubError,
    ) as exc:  # misuse: one line, no traceback
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

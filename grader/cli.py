"""The ``grader`` command. Each verb is a small function; the work lives in its own module,
imported only when its verb runs: ``grader grade`` never pays for the batch backends (Ray,
psutil), the notebook reader or the zip builders, and ``grader --help`` for none of them."""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from grader import __version__, gc_tuning

if TYPE_CHECKING:
    from rich.console import Console

    from grader.manifest import Manifest

#: Errors of the person running the grader, by module and class name: each is caught (one line,
#: status 2) only if its module was imported, so catching them imports nothing.
_MISUSE_ERRORS = (
    ("grader.assignment", "AssignmentNotFound"),
    ("grader.manifest", "ManifestError"),
    ("grader.submission", "SubmissionError"),
    ("grader.sandbox.user", "SandboxUserError"),
    ("grader.stubs", "StubError"),
    ("grader.reporting.writer", "UnsafeOutput"),
    ("grader.batch.cluster", "ClusterError"),
)


def _misuse() -> tuple[type[BaseException], ...]:
    """The misuse error classes of the modules this run imported (no other can be raised)."""
    return tuple(
        getattr(sys.modules[module], name)
        for module, name in _MISUSE_ERRORS
        if module in sys.modules
    )


def _grade(args: argparse.Namespace, console: Console) -> int:
    from grader import assignment
    from grader.reporting.writer import check_destination
    from grader.runner import grade_to_file
    from grader.sandbox import isolation
    from grader.sandbox.user import student_uids

    output = Path(args.output) if args.output else None
    manifest = functools.cache(lambda: assignment.find(args.assignment))
    if output is not None:
        check_destination(output, student_uids())
        isolation.probe(os.geteuid() == 0)  # its forks (cached) before this process has threads
        if _trains(manifest):
            threading.Thread(target=_import_plotting, name="import matplotlib").start()
    return grade_to_file(Path(args.submission), manifest, output, console)


def _trains(manifest: Callable[[], Any]) -> bool:
    """Whether the assignment trains models (a ``training`` section), so that its curves will
    be drawn: matplotlib's import costs a second of CPU, wasted on an assignment without any.
    A manifest that does not load says no here; grading reports it."""
    try:
        found = manifest()
    except Exception:
        return False
    return bool(found.budget_seconds) or found.relative_budget is not None


def _import_plotting() -> None:
    """Import what the training curves are drawn with while the grade runs (the grader mostly
    waits on its worker then), not after it: about a second of a grade's wall time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot


def _stubs(args: argparse.Namespace, console: Console) -> int:
    from grader import assignment, stubs

    manifest = assignment.find(args.assignment)
    differ = stubs.write_stubs(manifest, check=args.check)
    if args.check:
        for name in differ:
            console.print(f"{name} is out of date: run grader stubs --assignment {args.assignment}")
        return 1 if differ else 0
    for name in differ:
        console.print(f"wrote {manifest.folder / name}", highlight=False)
    return 0


def _check(args: argparse.Namespace, console: Console) -> int:
    from rich.console import Console

    from grader import assignment, student_view
    from grader.runner import grade_to_file

    name = args.assignment or _handout_folder(Path(args.path))
    if args.json:
        console = Console(stderr=True)  # stdout holds the JSON only
    return grade_to_file(
        Path(args.path), lambda: assignment.find(name), None, console, only_visible=True,
        show=student_view.show_json if args.json else student_view.show_table,
    )  # fmt: skip


def _handout_folder(folder: Path) -> str:
    """The assignment of a handout being checked: the folder itself, when it holds the
    manifest (as a handout does)."""
    from grader.assignment import AssignmentNotFound
    from grader.manifest import MANIFEST_NAME

    if (folder / MANIFEST_NAME).is_file():
        return str(folder)
    raise AssignmentNotFound(
        f"{folder} holds no {MANIFEST_NAME}: run grader check in the handout's folder, or "
        "name the assignment with --assignment"
    )


def _batch(args: argparse.Namespace, console: Console) -> int:
    from rich.markup import escape

    from grader import assignment, batch
    from grader.submission import SubmissionError

    manifest = assignment.find(args.assignment)
    source, outdir = Path(args.submissions), Path(args.output)
    if not source.exists():
        raise SubmissionError(f"{source} does not exist")
    try:
        environment = json.loads(args.runtime_env) if args.runtime_env else None
    except ValueError as exc:
        raise batch.ClusterError(f"--runtime-env is not JSON: {exc}") from None
    with batch.BatchProgress(console) as bar:
        run = batch.run_batch(
            source, manifest, outdir, args.workers, args.regrade, args.cluster, bar.start,
            bar.result, args.cpu_fallback, environment,
        )  # fmt: skip
    if run.stale:
        console.print(f"{run.stale} results were made with another grader or assignment "
                      "version: graded again.", highlight=False)  # fmt: skip
    for sub_id in run.failed:
        reason = batch.status(run.results[sub_id])
        console.print(f"[red]{escape(sub_id)}[/red]: {escape(reason)}", highlight=False)
    if run.interrupted:
        console.print(f"Interrupted: graded {run.graded} submissions now (results kept in "
                      f"{outdir}); run the same command to resume.", highlight=False)  # fmt: skip
        return 130
    scores = [batch.total(document) for document in run.results.values()]
    mean = sum(scores) / len(scores) if scores else 0.0
    wrote = ", ".join(str(outdir / name) for name in ("summary.csv", "report.md", "histogram.png"))
    console.print(
        f"Graded {run.graded} submissions now, kept {run.kept} graded before "
        f"(mean score {mean:.2f} over {len(scores)}); wrote {wrote}", highlight=False,
    )  # fmt: skip
    return 1 if run.failed else 0


def _zip_builder(module: str, what: str) -> Callable[..., int]:
    """A verb that builds a zip for an assignment with ``build`` of ``grader.packaging.<module>``
    (the handout, the Gradescope autograder)."""

    def run(args: argparse.Namespace, console: Console) -> int:
        from importlib import import_module

        from grader import assignment

        build: Callable[[Manifest, Path], list[str]] = import_module(
            f"grader.packaging.{module}"
        ).build
        names = build(assignment.find(args.assignment), Path(args.output))
        console.print(f"Wrote {args.output} ({len(names)} files): {what}", highlight=False)
        return 0

    return run


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

    p = verbs.add_parser("check", help="students: run the public tests on your working copy")
    p.add_argument("path", nargs="?", default=".", help="your folder (default: the current one)")
    p.add_argument(
        "--assignment",
        "-a",
        help="bundled name (a1) or folder (default: your folder, if it is a handout)",
    )
    p.add_argument("--json", action="store_true", help="print the results document as JSON")
    p.set_defaults(run=_check)

    p = verbs.add_parser("batch", help="TAs: grade a folder of submissions or a Gradescope export")
    p.add_argument("submissions", help="a folder of submissions, or Gradescope's export zip")
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--output", "-o", required=True, help="folder for results and summaries")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once (default: the number of cores)")  # fmt: skip
    p.add_argument("--regrade", action="store_true", help="grade again those already graded")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="grade on a Ray cluster: auto, ray://HOST:10001, or local (a private "
                        "Ray on this machine); needs pip install -e '.[ray]'")  # fmt: skip
    p.add_argument(
        "--cpu-fallback",
        action="store_true",
        help="with --cluster: train on CPUs when the cluster has no GPU",
    )
    p.add_argument(
        "--runtime-env",
        metavar="JSON",
        help="with --cluster: Ray runtime environment for the gradings (JSON)",
    )
    p.set_defaults(run=_batch)

    p = verbs.add_parser("handout", help="build what students download")
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--output", "-o", required=True, help="the zip to write")
    p.set_defaults(run=_zip_builder("handout", "stubs, public tests, recorded answers"))

    p = verbs.add_parser("autograder", help="package an assignment for Gradescope")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "build", help="build autograder.zip (setup.sh, run_autograder, the grader)"
    )
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--output", "-o", default="autograder.zip", help="the zip to write")
    p.set_defaults(
        run=_zip_builder("autograder_zip", "upload it on Gradescope's 'Configure Autograder'")
    )

    p = verbs.add_parser("stubs", help="generate student stubs from the reference solution")
    p.add_argument("--assignment", "-a", required=True, help="bundled name (a1) or folder")
    p.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    p.set_defaults(run=_stubs)
    return top


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    from grader import blas

    blas.one_thread()  # before anything imports numpy

    args = parser().parse_args(argv)
    console = Console()
    terminated: list[int] = []
    previous = _unwind_on_sigterm(terminated)
    try:
        return args.run(args, console)
    except KeyboardInterrupt:
        print("grader: stopped by SIGTERM" if terminated else "grader: interrupted",
              file=sys.stderr)  # fmt: skip
        return 143 if terminated else 130
    except Exception as exc:
        if not isinstance(exc, _misuse()):
            raise
        print(f"grader: error: {exc}", file=sys.stderr)  # misuse: one line
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _unwind_on_sigterm(terminated: list[int]) -> Any:
    """SIGTERM (a TA's ``timeout``, a job scheduler) stops the grader as Ctrl-C does: its
    workers are killed, its temporary folders removed, and no results file is written for a
    grading that did not finish. Returns the handler it replaced (None off the main thread,
    where no handler can be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


def run() -> NoReturn:
    """The ``grader`` command: :func:`main` with fewer garbage collections (grader.gc_tuning)."""
    gc_tuning.run_command(main)


if __name__ == "__main__":
    run()

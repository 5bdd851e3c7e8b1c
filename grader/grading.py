"""One grading run: stage the submission, run the assignment's tests with the plugin, and
return the results document."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader import code, context
from grader.assignment import BUNDLED, tests_folder
from grader.checks import fixtures as check_fixtures
from grader.context import GradingContext
from grader.failed_frames import FreeFailedFrames
from grader.manifest import Manifest
from grader.recording import RecordingReference
from grader.reporting import fixtures as result_fixtures
from grader.reporting.plugin import GradingPlugin
from grader.reporting.results import Results
from grader.requirements import require_packages
from grader.sandbox.client import Limits
from grader.sandbox.sandbox import Sandbox
from grader.sandbox.user import SandboxUser
from grader.submission import stage
from grader.training import fixtures as training_fixtures
from grader.training.budget import CACHE_VARIABLE, cached_times, store_times
from grader.training.device import device_class


class GradingError(RuntimeError):
    """The grader itself failed (not the student's code); ``log`` has pytest's own output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


@dataclass
class GradingRun:
    """The results plus what only staff should see."""

    results: Results
    staff_errors: list[str] = field(default_factory=list)
    #: Test functions a visible-only run left out entirely (hidden from students).
    hidden_functions: set[str] = field(default_factory=set)
    #: For staff: what isolates student code on this machine, and what does not.
    isolation: list[str] = field(default_factory=list)


#: Where the fixtures of grading tests live, each with the concern it serves.
FIXTURES = (code, context, check_fixtures, training_fixtures, result_fixtures)
#: Environment variables that name staff files run_autograder knows of (Gradescope's layout).
STAFF_VARIABLES = ("GRADER_METADATA", "GRADER_SOURCE")


#: pytest's own plugins that a grading has no use for and that no test author's fixture comes
#: from; each costs its import and its hooks on every test (unraisableexception: a garbage
#: collection, 70 ms; junitxml: xml.etree, 30 ms, for its three fixtures, which
#: grader.reporting.fixtures provides instead). doctest stays: its ``doctest_namespace``
#: fixture is a course test's to use.
UNUSED_PLUGINS = [
    arg
    for name in ("pastebin", "stepwise", "setuponly", "setupplan", "unraisableexception",
                 "threadexception", "faulthandler", "junitxml", "debugging")
    for arg in ("-p", f"no:{name}")
]  # fmt: skip


def grade(
    submission: Path, manifest: Manifest, only_visible: bool = False, record: Path | None = None,
    inputs_seed: int | None = None,
) -> GradingRun:  # fmt: skip
    """Grade ``submission`` (folder or zip); see :func:`_grade`. With a relative training
    budget, the reference solution's training times on this machine are measured first (once:
    they are cached). Inputs come from a fresh secret seed unless ``inputs_seed`` is given (or
    a recording is made or replayed: grader.recording)."""
    require_packages(manifest)
    reference_times: dict[str, float] = {}
    if manifest.relative_budget is not None and manifest.reference is not None:
        cached = cached_times(manifest.name)
        reference_times = cached if cached is not None else _calibrate(manifest)
    return _grade(submission, manifest, reference_times, only_visible, record, inputs_seed)


def _calibrate(manifest: Manifest) -> dict[str, float]:
    """Train the reference solution without budgets and cache its training times."""
    if manifest.reference is None:
        return {}
    unlimited = dataclasses.replace(manifest, relative_budget=None, budget_seconds={})
    results = _grade(manifest.reference, unlimited, {}).results
    times = {}
    for entry in results.entries:
        run = entry.training
        if run:
            times[f"{entry.nodeid}|{device_class(run['device'])}"] = run["seconds"]
    store_times(manifest.name, times)
    return times


def _grade(
    submission: Path, manifest: Manifest, reference_times: dict[str, float],
    only_visible: bool = False,
    record: Path | None = None,
    inputs_seed: int | None = None,
) -> GradingRun:  # fmt: skip
    """Grade ``submission`` (folder or zip); raises SubmissionError or ManifestError.

    The tests and the reference are read from private copies (nothing of the user's changes
    mode); student code runs under an identity of its own (see grader.sandbox) and, where the
    kernel allows, sees none of the staff's folders.
    """
    with tempfile.TemporaryDirectory(prefix="grader-") as workdir:
        original, manifest = manifest, _private_copy(manifest, Path(workdir) / "staff")
        staged = stage(submission, manifest.files, Path(workdir))
        for name in manifest.support:  # staff code the tests run in the worker
            shutil.copyfile(manifest.folder / name, staged.folder / Path(name).name)
        limits = Limits(
            call_timeout=manifest.call_timeout,
            memory_mb=manifest.memory_mb,
            cpu_seconds=int(manifest.total_time) + 1,
        )
        sandbox = Sandbox(
            staged.folder, manifest.modules, limits, None, manifest.test_timeout,
            time.monotonic() + manifest.total_time, staged.hints,
            _hidden_paths(original, Path(workdir)), list(manifest.preload),
        )  # fmt: skip
        try:
            _open_to_student(staged.folder, sandbox.user)
            # Only now may others traverse the folder (student code, to its submission): while
            # it was staged, the submission's files were readable by any user that reached them.
            Path(workdir).chmod(0o711)
            sandbox.check_start()
            isolation = sandbox.isolation_report()
            run = GradingContext.create(
                manifest, sandbox, reference_times, bool(record), inputs_seed
            )  # a handout's recording is read here: refused, it must not leave the worker
        except BaseException:
            sandbox.close()
            raise
        plugin = GradingPlugin(run, only_visible)
        ini = Path(workdir) / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [
            str(tests_folder(manifest)), "-c", str(ini), "--rootdir", str(manifest.folder),
            "--import-mode=importlib", "--disable-plugin-autoload", "-p", "no:cacheprovider",
            "-p", "no:terminal",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            *UNUSED_PLUGINS,
        ]  # fmt: skip
        log = io.StringIO()
        try:
            with redirect_stdout(log), redirect_stderr(log):
                plugins = [plugin, plugin.scheduler, FreeFailedFrames(), *FIXTURES]
                status = pytest.main(args, plugins=plugins)
        finally:
            sandbox.close()
            _forget_test_modules(manifest.folder)
    if plugin.manifest_error is not None:  # it names the private copy: name the original
        error = plugin.manifest_error
        raise type(error)(str(error).replace(str(manifest.folder), str(original.folder)))
    if plugin.interrupted:  # pytest takes Ctrl-C for "end the session": what ran is no grade
        raise KeyboardInterrupt
    broke = status in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    if broke or plugin.results is None:
        raise GradingError(f"pytest could not run the tests of {manifest.name}", log.getvalue())
    if record is not None and isinstance(run.solution, RecordingReference):
        run.solution.save(record)
    missing_required = [name for name in staged.missing if name in manifest.required_files]
    if missing_required:
        plugin.results.notes.append(
            f"Your submission is missing {', '.join(missing_required)}: the tests of its "
            f"functions score 0. Submit files named exactly {', '.join(manifest.required_files)}."
        )
    plugin.results.notes += staged.notes
    ran = {meta.function for meta in plugin.meta.values() if meta not in plugin.left_out}
    hidden = {meta.function for meta in plugin.left_out} - ran  # every case of them hidden
    return GradingRun(plugin.results, plugin.staff_errors, hidden, isolation)


def _private_copy(manifest: Manifest, staff: Path) -> Manifest:
    """The manifest of private copies (readable by the grader's user only) of the assignment's
    manifest, tests and support code, and of its reference."""
    staff.mkdir(mode=0o700)
    folder = staff / "assignment"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    if tests_folder(manifest).is_dir():
        shutil.copytree(tests_folder(manifest), folder / "tests", ignore=skip)
    folder.mkdir(exist_ok=True)
    shutil.copyfile(manifest.path, folder / manifest.path.name)
    for name in manifest.support:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest.folder / name, folder / name)
    reference = None
    if manifest.reference is not None and manifest.reference.is_dir():
        reference = staff / "reference"
        shutil.copytree(manifest.reference, reference, ignore=skip)
    return dataclasses.replace(manifest, path=folder / manifest.path.name, reference=reference)


def _hidden_paths(manifest: Manifest, workdir: Path) -> list[Path]:
    """Staff folders and files student code must not see: every assignment and reference
    beside the graded one's, the submission metadata, the grader's cache, the private copies
    and, in a checkout of the grader, everything in it but the package (its ``.git`` holds
    every solution; its tests, correct variants). Folders holding this Python or the grading's
    own folder are left visible."""
    cache = Path(os.environ.get(CACHE_VARIABLE, Path.home() / ".cache" / "grader"))
    candidates = [manifest.folder, manifest.folder.parent, BUNDLED, BUNDLED.parent / "solutions",
                  cache, workdir / "staff"]  # fmt: skip
    if manifest.reference is not None:
        candidates += [manifest.reference, manifest.reference.parent]
    candidates += [Path(os.environ[name]) for name in STAFF_VARIABLES if os.environ.get(name)]
    package = Path(__file__).resolve().parent
    if (package.parent / "pyproject.toml").is_file():  # a checkout, not site-packages
        candidates += [p for p in package.parent.iterdir() if not p.is_symlink()]
    needed = [Path(p).resolve() for p in (*sys.path, sys.prefix, sys.base_prefix) if p]
    needed += [workdir.resolve(), Path(tempfile.gettempdir()).resolve(), package]
    hidden = {path.resolve() for path in candidates if path.exists()}
    return sorted(p for p in hidden if not any(n.is_relative_to(p) for n in needed))


def _open_to_student(folder: Path, user: SandboxUser) -> None:
    """Let student code read (not write) the staged submission: as root, through the group of
    the grading's own uid, so that concurrent gradings cannot read each other's; as another
    user, student code runs as that same user: the submission is its alone (other users'
    gradings on the machine, with their own student code, must not read it)."""
    if user.gid is not None:
        os.chown(folder, 0, user.gid)
        folder.chmod(0o750)
    else:
        folder.chmod(0o700)
    for path in folder.iterdir():
        if user.gid is not None:
            os.chown(path, 0, user.gid)
        path.chmod(0o640 if user.gid is not None else 0o600)


def _forget_test_modules(folder: Path) -> None:
    """Drop the assignment's test modules from sys.modules, so that the next run in this
    process (another submission, another assignment) imports its own tests afresh."""
    prefixes = tuple({f"{folder}{os.sep}", f"{folder.resolve()}{os.sep}"})
    for name, module in list(sys.modules.items()):
        source = getattr(module, "__file__", None)
        if isinstance(source, str) and os.path.abspath(source).startswith(prefixes):
            del sys.modules[name]

"""One grading run: stage the submission, run the assignment's tests with the plugin, and
return the results document."""

from __future__ import annotations

import dataclasses
import io
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import tests_folder
from grader.manifest import Manifest
from grader.recording import RecordingReference
from grader.reporting.plugin import GradingPlugin
from grader.sandbox.client import Limits
from grader.sandbox.proxy import Sandbox
from grader.sandbox.user import SandboxUser
from grader.submission import stage
from grader.training.budget import cached_times, store_times
from grader.training.device import device_class


class GradingError(RuntimeError):
    """The grader itself failed (not the student's code); ``log`` has pytest's own output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


@dataclass
class GradingRun:
    """The results document plus what only staff should see."""

    results: dict[str, Any]
    staff_errors: list[str] = field(default_factory=list)
    log: str = ""
    #: Test functions a visible-only run left out entirely (hidden from students).
    hidden_functions: set[str] = field(default_factory=set)


def grade(
    submission: Path, manifest: Manifest, only_visible: bool = False, record: Path | None = None,
    inputs_seed: int | None = None,
) -> GradingRun:  # fmt: skip
    """Grade ``submission`` (folder or zip); see :func:`_grade`. With a relative training
    budget, the reference solution's training times on this machine are measured first (once:
    they are cached). Inputs come from a fresh secret seed unless ``inputs_seed`` is given (or
    a recording is made or replayed: grader.recording)."""
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
    for test in results["tests"]:
        run = test.get("extra_data", {}).get("training")
        if run:
            key = f"{test['extra_data']['nodeid']}|{device_class(run['device'])}"
            times[key] = run["seconds"]
    store_times(manifest.name, times)
    return times


def _grade(
    submission: Path, manifest: Manifest, reference_times: dict[str, float],
    only_visible: bool = False,
    record: Path | None = None,
    inputs_seed: int | None = None,
) -> GradingRun:  # fmt: skip
    """Grade ``submission`` (folder or zip); raises SubmissionError or ManifestError.

    As root, student code runs as an unprivileged user, and the assignment folder (its tests)
    and the reference solution are first made private to root.
    """
    user = SandboxUser.for_this_process()
    user.protect(*_private_folders(manifest))
    with tempfile.TemporaryDirectory(prefix="grader-") as workdir:
        staged = stage(submission, manifest.files, Path(workdir))
        for name in manifest.support:  # staff code the tests run in the worker
            shutil.copyfile(manifest.folder / name, staged.folder / Path(name).name)
        if user.drops_privileges:
            _open_to_student(Path(workdir), staged.folder)
        limits = Limits(
            call_timeout=manifest.call_timeout,
            memory_mb=manifest.memory_mb,
            cpu_seconds=int(manifest.total_time) + 1,
        )
        sandbox = Sandbox(
            staged.folder, manifest.modules, limits, user, manifest.test_timeout,
            time.monotonic() + manifest.total_time, staged.hints,
        )  # fmt: skip
        try:
            sandbox.check_start()
        except BaseException:
            sandbox.close()
            raise
        plugin = GradingPlugin(
            manifest, sandbox, reference_times, only_visible, bool(record), inputs_seed
        )
        ini = Path(workdir) / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [
            str(tests_folder(manifest)), "-c", str(ini), "--rootdir", str(manifest.folder),
            "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:terminal",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
        ]  # fmt: skip
        log = io.StringIO()
        try:
            with redirect_stdout(log), redirect_stderr(log):
                code = pytest.main(args, plugins=[plugin])
        finally:
            sandbox.close()
            _forget_test_modules(manifest.folder)
    if plugin.manifest_error is not None:
        raise plugin.manifest_error
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR) or not plugin.results:
        raise GradingError(f"pytest could not run the tests of {manifest.name}", log.getvalue())
    if record is not None and isinstance(plugin.reference_solution, RecordingReference):
        plugin.reference_solution.save(record)
    notes = list(staged.notes)
    missing_required = [name for name in staged.missing if name in manifest.required_files]
    if missing_required:
        notes.insert(0, f"Your submission is missing {', '.join(missing_required)}: the tests "
                     f"of its functions score 0. Submit files named exactly "
                     f"{', '.join(manifest.required_files)}.")  # fmt: skip
    if notes:
        plugin.results["output"] = "\n".join([*notes, plugin.results["output"]])
    ran = {meta.function for meta in plugin.meta.values() if meta not in plugin.left_out}
    hidden = {meta.function for meta in plugin.left_out} - ran  # every case of them hidden
    return GradingRun(plugin.results, plugin.staff_errors, log.getvalue(), hidden)


def _private_folders(manifest: Manifest) -> list[Path]:
    return [manifest.folder, *([manifest.reference] if manifest.reference else [])]


def _open_to_student(workdir: Path, folder: Path) -> None:
    """Let the unprivileged user read (not write) the staged submission, and nothing else."""
    workdir.chmod(0o711)
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def _forget_test_modules(folder: Path) -> None:
    """Drop the assignment's test modules from sys.modules, so that the next run in this
    process (another submission, another assignment) imports its own tests afresh."""
    for name, module in list(sys.modules.items()):
        source = getattr(module, "__file__", None)
        if source and Path(source).resolve().is_relative_to(folder):
            del sys.modules[name]

"""The pytest plugin that runs an assignment's grading tests and collects Gradescope outcomes.

Shaped like pytest's own junitxml: one object registered for the run, fed by
``pytest_runtest_logreport`` (setup/call reports, subtests) and ``pytest_collectreport``, turned
into results once at ``pytest_sessionfinish`` by :func:`grader.reporting.outcomes.build_results`.
It also provides the fixtures grading tests use: ``student``, ``reference``, ``rng``,
``gradcheck``, ``training``, ``note``, ``leaderboard_entry``, ``tolerance`` and ``manifest``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest

from grader.checks.failure import CheckFailed
from grader.checks.gradcheck import GradientChecker
from grader.checks.inputs import draw_secret, input_rng
from grader.manifest import Manifest, ManifestError
from grader.recording import RecordingReference, ReplayReference, is_recording
from grader.reference import Reference
from grader.reporting.collection import TestFileError, load_error
from grader.reporting.naming import describe_test
from grader.reporting.outcomes import Outcome, TestMeta, build_results, owner_of, visibility_of
from grader.reporting.results import LeaderboardEntry, Results
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.proxy import Sandbox, Student
from grader.training.budget import Budget, budget_for
from grader.training.device import device_class
from grader.training.trainer import Trainer

_CHECKER = pytest.StashKey[GradientChecker]()
_TRAINER = pytest.StashKey[Trainer]()
_NOTES = pytest.StashKey[list[str]]()
_BOARD = pytest.StashKey[list[LeaderboardEntry]]()


class BudgetExhausted(Exception):
    """The whole-run time budget ran out before this test started."""


class DependencyFailed(Exception):
    """A function this test needs (a layer of the network it trains) failed its own tests."""


class GradingPlugin:
    """Collects the outcome of every test, case and subtest of one grading run."""

    def __init__(
        self,
        manifest: Manifest,
        sandbox: Sandbox,
        reference_times: dict[str, float] | None = None,
        only_visible: bool = False,
        record: bool = False,
        inputs_seed: int | None = None,
    ) -> None:
        self.manifest = manifest
        #: A student's self-check: run the visible tests only, and count the others.
        self.only_visible = only_visible
        self.left_out: list[TestMeta] = []
        #: The reference solution's training seconds per "test id|device class" (relative budgets).
        self.reference_times = reference_times or {}
        self.sandbox = sandbox
        self.reference_solution: Reference | RecordingReference | ReplayReference
        if is_recording(manifest.reference):  # a student's handout: answers, not code
            self.reference_solution = ReplayReference(manifest.reference)
        elif record:
            self.reference_solution = RecordingReference(
                Reference(manifest.reference, manifest.modules)
            )
        else:
            self.reference_solution = Reference(manifest.reference, manifest.modules)
        #: Inputs from a secret seed (or ``inputs_seed``), except when recording or replaying
        #: a handout's answers, which hold inputs seeded from test ids only.
        public = isinstance(self.reference_solution, ReplayReference) or record
        self.secret = inputs_seed if inputs_seed is not None or public else draw_secret()
        self.started = time.monotonic()
        self.meta: dict[str, TestMeta] = {}
        self.outcomes: list[Outcome] = []
        self.staff_errors: list[str] = []
        self.manifest_error: ManifestError | None = None
        self.results: Results | None = None
        self._with_subtests: set[str] = set()
        self._call_values: dict[str, tuple[Any, Any]] = {}

    # -- fixtures ---------------------------------------------------------------------------
    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Student:
        """The submission's modules, called in the worker process (a fresh one, with nothing
        left of student code's state, for a visible test after a hidden one)."""
        meta = self.meta[request.node.nodeid]
        self.sandbox.begin_test(hidden=visibility_of(meta, self.manifest) != "visible")
        return Student(self.sandbox)

    @pytest.fixture
    def reference(
        self, request: pytest.FixtureRequest
    ) -> Reference | RecordingReference | ReplayReference:
        """The reference solution's modules, imported in this (trusted) process."""
        if isinstance(self.reference_solution, RecordingReference):
            self.reference_solution.test = request.node.nodeid
        return self.reference_solution

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A generator seeded from the test's id and the run's secret (grader.checks.inputs)."""
        return input_rng(request.node.nodeid, self.secret)

    @pytest.fixture
    def tolerance(self) -> Callable[[str], float]:
        """``tolerance("name")``: a tolerance from the manifest."""
        return self.manifest.tolerance

    @pytest.fixture
    def gradcheck(
        self, request: pytest.FixtureRequest, rng: np.random.Generator
    ) -> GradientChecker:
        """The gradient checker, configured by the manifest's ``gradient_check``."""
        m = self.manifest
        checker = GradientChecker(m.gradient_tolerance, rng, m.gradient_mode, m.gradient_directions)
        request.node.stash[_CHECKER] = checker
        return checker

    @pytest.fixture
    def training(self, request: pytest.FixtureRequest) -> Trainer:
        """Runs a training loop under the test's time budget and records it."""
        meta = self.meta[request.node.nodeid]
        m = self.manifest

        def budget(device: str) -> Budget:
            kind = device_class(device)
            reference = self.reference_times.get(f"{meta.nodeid}|{kind}")
            return budget_for(m.budget_seconds, m.relative_budget, kind, reference)

        trainer = Trainer(meta.group or meta.function, budget)
        request.node.stash[_TRAINER] = trainer
        return trainer

    @pytest.fixture
    def note(self, request: pytest.FixtureRequest) -> Callable[[str], None]:
        """``note(text)``: a line for the test's output, whether it passes or fails."""
        notes = request.node.stash.setdefault(_NOTES, [])
        return notes.append

    @pytest.fixture
    def leaderboard_entry(self, request: pytest.FixtureRequest) -> Callable[..., None]:
        """``leaderboard_entry(column, value, order="desc")``: a leaderboard column beyond the
        one gradescope-utils' decorator gives a test (kept only if the test passes)."""
        entries = request.node.stash.setdefault(_BOARD, [])

        def add(name: str, value: float | str, order: str = "desc") -> None:
            entries.append(LeaderboardEntry(name, value, order))

        return add

    @pytest.fixture(name="manifest")
    def manifest_fixture(self) -> Manifest:
        return self.manifest

    # -- collection -------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers", "visibility(value): Gradescope visibility of a test or parametrized case"
        )

    def pytest_exception_interact(self, node: pytest.Item | pytest.Collector,
                                  call: pytest.CallInfo[Any]) -> None:  # fmt: skip
        if isinstance(node, pytest.Collector) and call.excinfo and self.manifest_error is None:
            self.manifest_error = load_error(node.path, call.excinfo.value)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.staff_errors.append(f"could not load {report.nodeid}: {_last_line(report)}")
            if self.manifest_error is None:
                self.manifest_error = TestFileError(f"could not load {report.nodeid}: "
                                                    f"{_last_line(report)}")  # fmt: skip

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.manifest_error is not None:  # a test file did not load: grade nothing
            items[:] = []
            return
        for item in items:
            self.meta[item.nodeid] = describe_test(item)
        # Tests that depend on graded functions (training runs) go last, after those functions.
        items.sort(key=lambda item: bool(self._dependencies(self.meta[item.nodeid])))
        if self.only_visible:
            metas = [self.meta[item.nodeid] for item in items]
            withheld = getattr(self.reference_solution, "withheld", set())
            shown = [visibility_of(meta, self.manifest) == "visible"
                     and meta.nodeid not in withheld for meta in metas]  # fmt: skip
            self.left_out = [meta for meta, keep in zip(metas, shown, strict=True) if not keep]
            items[:] = [item for item, keep in zip(items, shown, strict=True) if keep]
        known = {m.function for m in self.meta.values()} | {m.group for m in self.meta.values()}
        unknown = [key for key in self.manifest.tests if key not in known]
        if unknown:
            self.manifest_error = ManifestError(
                f"{self.manifest.where(unknown[0])}: '{unknown[0]}' under 'tests' matches no "
                "test function and no group (the text before ':' in a test's docstring)"
            )
            items[:] = []
            return
        unpointed = [
            meta for meta in self.meta.values()
            if meta.weight is None and owner_of(meta, self.manifest).startswith("@")
        ]  # fmt: skip
        if unpointed:
            meta = unpointed[0]
            self.manifest_error = self.manifest.no_points(meta.function, meta.nodeid.split("::")[0])
            items[:] = []

    # -- running ----------------------------------------------------------------------------
    def _dependencies(self, meta: TestMeta) -> tuple[str, ...]:
        for key in (meta.function, meta.group):
            settings = self.manifest.tests.get(key) if key else None
            if settings is not None and settings.depends_on:
                return settings.depends_on
        return ()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        needs = self._dependencies(self.meta[item.nodeid])
        failed = sorted({o.meta.group for o in self.outcomes if o.meta.group in needs
                         and o.outcome in ("failed", "error", "not_run")})  # fmt: skip
        if failed:
            raise DependencyFailed(
                f"Not graded: this test needs {', '.join(failed)}, which failed "
                f"{'its' if len(failed) == 1 else 'their'} own tests. Fix "
                f"{'it' if len(failed) == 1 else 'them'} first."
            )
        if time.monotonic() - self.started > self.manifest.total_time:
            raise BudgetExhausted(
                f"Not run: the time budget of {self.manifest.total_time:g} s for the whole "
                "grading run was used up by earlier tests."
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        # gradescope-utils stores set_score / set_leaderboard_value results on its wrapper
        # functions and keeps them between runs; stacked decorators leave them on different
        # layers. Clear every layer before the test and read them all after.
        layers = _wrapper_layers(getattr(item, "obj", None))
        for layer in layers:
            for attr in ("__score__", "__leaderboard_value__"):
                layer.__dict__.pop(attr, None)
        try:
            return (yield)
        finally:
            self._call_values[item.nodeid] = tuple(
                next((layer.__dict__[attr] for layer in layers if attr in layer.__dict__), None)
                for attr in ("__score__", "__leaderboard_value__")
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call" and "student" in getattr(item, "fixturenames", ()):
            report.grader_printed = self.sandbox.printed()
        if call.when == "call":
            extra: dict[str, Any] = {}
            summary = list(item.stash.get(_NOTES, []))
            checker = item.stash.get(_CHECKER, None)
            if checker is not None:
                extra["gradient_evaluations"] = checker.evaluations
                extra["gradient_seconds"] = round(checker.seconds, 6)
            trainer = item.stash.get(_TRAINER, None)
            if trainer is not None and trainer.run_record is not None:
                extra["training"] = trainer.run_record.extra()
                summary.insert(0, trainer.run_record.summary())
            report.grader_extra = extra
            report.grader_summary = "\n".join(summary)
            report.grader_board = list(item.stash.get(_BOARD, []))
        if call.excinfo is not None:
            # Plain attributes travel into SubtestReports, which pytest copies from this report.
            report.grader_message = explain(call.excinfo.value)
            if call.excinfo.errisinstance(BudgetExhausted):
                report.grader_status = "not_run"
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        meta = self.meta.get(report.nodeid)
        if meta is None:
            return
        if hasattr(report, "context"):  # a SubtestReport (pytest >= 9)
            self._with_subtests.add(report.nodeid)
            self.outcomes.append(
                Outcome(meta, _status(report), _message(report), subtest=_label(report.context),
                        duration=report.duration)
            )  # fmt: skip
            return
        if report.when == "teardown":
            if report.failed:
                self.staff_errors.append(f"teardown of {report.nodeid} failed: {_message(report)}")
            return
        if report.when == "setup" and report.passed:
            return
        status = getattr(report, "grader_status", None) or _status(report)
        if report.when == "setup" and status == "failed":
            status = "error"
        subtest = None
        if report.nodeid in self._with_subtests:
            if status == "passed":
                return  # its subtests are its entries
            subtest = "(outside its subtests)"
        score, leaderboard = self._call_values.pop(report.nodeid, (None, None))
        fraction = None
        if score is not None and meta.weight:
            fraction = float(score) / meta.weight
        message = "\n".join(
            part for part in (_message(report), getattr(report, "grader_summary", "")) if part
        )
        printed = getattr(report, "grader_printed", "").strip()
        if printed:
            message = f"{message}\n\nYour code printed:\n{printed}".lstrip()
        self.outcomes.append(
            Outcome(meta, status, message, subtest=subtest, fraction=fraction,
                    leaderboard_value=leaderboard, duration=report.duration,
                    extra=getattr(report, "grader_extra", {}),
                    leaderboard_extra=getattr(report, "grader_board", []))
        )  # fmt: skip

    def pytest_sessionfinish(self) -> None:
        self.sandbox.close()
        elapsed = time.monotonic() - self.started
        self.results = build_results(self.outcomes, self.manifest, elapsed, self.left_out)


def explain(exc: BaseException) -> str:
    """What the student reads when a test fails with ``exc``."""
    if isinstance(exc, StudentCodeError | CheckFailed | BudgetExhausted | DependencyFailed):
        return str(exc)
    if isinstance(exc, AssertionError):
        return str(exc) or "a check failed"
    if isinstance(exc, pytest.skip.Exception | pytest.xfail.Exception | pytest.fail.Exception):
        return exc.msg or ""
    return (
        f"The test could not check your code ({type(exc).__name__}: {exc}). "
        "If your code looks right, tell your course staff."
    )


def _wrapper_layers(function: Any) -> list[Any]:
    """The function and the functions it wraps (``__wrapped__``), outermost first."""
    layers = []
    while function is not None and hasattr(function, "__dict__") and len(layers) < 10:
        layers.append(function)
        function = function.__dict__.get("__wrapped__")
    return layers


def _status(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    return report.outcome


def _message(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        reason = report.wasxfail
        prefix = "Expected to fail" if report.skipped else "Passed, though expected to fail"
        return f"{prefix}: {reason}" if reason else prefix
    message = getattr(report, "grader_message", None)
    if message is not None:
        return message
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return _last_line(report) if report.failed else ""


def _last_line(report: pytest.TestReport | pytest.CollectReport) -> str:
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else ""


def _label(context: Any) -> str:
    """``[msg] (k=v, ...)``, as pytest itself names a subtest."""
    parts = [f"[{context.msg}]"] if context.msg else []
    if context.kwargs:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in context.kwargs.items()) + ")")
    return " ".join(parts)

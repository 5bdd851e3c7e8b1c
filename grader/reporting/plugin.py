"""The pytest plugin that collects the outcomes of an assignment's grading tests.

Shaped like pytest's own junitxml: one object registered for the run, fed by
``pytest_runtest_logreport`` (setup/call reports, subtests) and ``pytest_collectreport``, turned
into results once at ``pytest_sessionfinish`` by :func:`grader.reporting.outcomes.build_results`.
What a test adds to its entry (notes, measurements, what student code printed, the message to
show) rides on its reports' ``user_properties``. Scheduling (dependencies, the time budget,
visibility) is :mod:`grader.reporting.scheduling`'s; the fixtures live with what they expose
(grader.code, grader.checks.fixtures, grader.training.fixtures, grader.reporting.fixtures,
grader.context) and read the run's :class:`grader.context.GradingContext`.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import pytest

from grader.checks.failure import CheckFailed
from grader.checks.fixtures import GRADCHECK
from grader.context import CONTEXT, GradingContext
from grader.manifest import ManifestError
from grader.reporting.collection import TestFileError, load_error
from grader.reporting.fixtures import BOARD, NOTES
from grader.reporting.naming import describe_test
from grader.reporting.outcomes import Outcome, TestMeta, build_results, owner_of
from grader.reporting.results import Results
from grader.reporting.scheduling import OUTCOME, NotScheduled, Scheduler
from grader.sandbox.errors import StudentCodeError
from grader.training.fixtures import TRAINING

#: user_properties names of what student code printed during a test, and of the message to show.
PRINTED, MESSAGE = "grader.printed", "grader.message"


class GradingPlugin:
    """Collects the outcome of every test, case and subtest of one grading run."""

    def __init__(self, context: GradingContext, only_visible: bool = False) -> None:
        self.context = context
        self.manifest, self.sandbox = context.manifest, context.sandbox
        self.meta: dict[str, TestMeta] = context.meta
        self.outcomes: list[Outcome] = []
        withheld = getattr(context.solution, "withheld", frozenset())
        self.scheduler = Scheduler(self.manifest, self.meta, self.outcomes, only_visible, withheld)
        self.staff_errors: list[str] = []
        self.manifest_error: ManifestError | None = None
        self.results: Results | None = None
        #: Ctrl-C (or SIGTERM, which grader.cli turns into it) stopped the session: no grade.
        self.interrupted = False
        self._with_subtests: set[str] = set()
        self._call_values: dict[str, tuple[Any, Any]] = {}

    @property
    def left_out(self) -> list[TestMeta]:
        """The hidden tests a self-check did not run."""
        return self.scheduler.left_out

    # -- collection -------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CONTEXT] = self.context
        # Messages come from explain() below, not from pytest's tracebacks; a long traceback
        # parses every source file in it, per failure (most of a grade of the stubs).
        config.option.tbstyle = "line"
        config.addinivalue_line(
            "markers", "visibility(value): Gradescope visibility of a test or parametrized case"
        )

    def pytest_exception_interact(self, node: pytest.Item | pytest.Collector,
                                  call: pytest.CallInfo[Any]) -> None:  # fmt: skip
        if isinstance(node, pytest.Collector) and call.excinfo and self.manifest_error is None:
            self.manifest_error = load_error(node.path, call.excinfo.value)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Exactly KeyboardInterrupt: pytest also ends a session whose test files did not load
        # with its subclass Interrupted, and those are a staff error (manifest_error).
        self.interrupted = type(excinfo.value) is KeyboardInterrupt

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.staff_errors.append(f"could not load {report.nodeid}: {_last_line(report)}")
            if self.manifest_error is None:
                self.manifest_error = TestFileError(f"could not load {report.nodeid}: "
                                                    f"{_last_line(report)}")  # fmt: skip

    @pytest.hookimpl(tryfirst=True)  # before the scheduler orders and filters them
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.manifest_error is not None:  # a test file did not load: grade nothing
            items[:] = []
            return
        for item in items:
            self.meta[item.nodeid] = describe_test(item)
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
        # user_properties travel into SubtestReports, which pytest copies from this report.
        report = yield
        if call.when == "call" and "student" in getattr(item, "fixturenames", ()):
            report.user_properties.append((PRINTED, self.sandbox.printed()))
        if call.excinfo is not None:
            report.user_properties.append((MESSAGE, explain(call.excinfo.value)))
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
        properties = dict(report.user_properties)
        status = properties.get(OUTCOME) or _status(report)
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
        ran = properties if report.when == "call" else {}  # what the test itself added
        extra, summary = _measured(ran)
        message = "\n".join(part for part in (_message(report), summary) if part)
        printed = ran.get(PRINTED, "").strip()
        if printed:
            message = f"{message}\n\nYour code printed:\n{printed}".lstrip()
        self.outcomes.append(
            Outcome(meta, status, message, subtest=subtest, fraction=fraction,
                    leaderboard_value=leaderboard, duration=report.duration, extra=extra,
                    leaderboard_extra=list(ran.get(BOARD, [])))
        )  # fmt: skip

    def pytest_sessionfinish(self) -> None:
        self.sandbox.close()
        elapsed = time.monotonic() - self.scheduler.started
        outcomes = self.scheduler.in_report_order(self.outcomes)
        self.results = build_results(outcomes, self.manifest, elapsed, self.left_out)


def _measured(properties: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """What a test's fixtures measured (for extra_data) and noted (for its output)."""
    extra: dict[str, Any] = {}
    summary = list(properties.get(NOTES, []))
    checker = properties.get(GRADCHECK)
    if checker is not None:
        extra["gradient_evaluations"] = checker.evaluations
        extra["gradient_seconds"] = round(checker.seconds, 6)
    trainer = properties.get(TRAINING)
    if trainer is not None and trainer.run_record is not None:
        extra["training"] = trainer.run_record.extra()
        summary.insert(0, trainer.run_record.summary())
    return extra, "\n".join(summary)


def explain(exc: BaseException) -> str:
    """What the student reads when a test fails with ``exc``."""
    if isinstance(exc, StudentCodeError | CheckFailed | NotScheduled):
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
    message = dict(report.user_properties).get(MESSAGE)
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

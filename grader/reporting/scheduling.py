"""Which tests run, in what order, and which are not graded: the pytest plugin that schedules
a grading run beside the one that collects its outcomes (grader.reporting.plugin).

Visible tests run before hidden ones; among each, tests that depend on graded functions
(``depends_on``: a training run) run after the others and are not graded when one of those
functions failed its own tests (so far: a visible one, its functions' visible tests); no test
starts once the run's time budget is spent; a student's self-check runs the visible tests
only.
"""

from __future__ import annotations

import time
from collections.abc import Generator

import pytest

from grader.manifest import Manifest
from grader.reporting.outcomes import Outcome, TestMeta, visibility_of
from grader.reporting.results import FAILED

#: user_properties name of the outcome that scheduling gives a test it did not run.
OUTCOME = "grader.outcome"


class NotScheduled(Exception):
    """A test the schedule did not let run; its message is for the student as it is."""


class BudgetExhausted(NotScheduled):
    """The whole-run time budget ran out before this test started."""


class DependencyFailed(NotScheduled):
    """A function this test needs (a layer of the network it trains) failed its own tests."""


class Scheduler:
    """Orders and filters the collected tests, and stops those that must not run."""

    def __init__(
        self, manifest: Manifest, meta: dict[str, TestMeta], outcomes: list[Outcome],
        only_visible: bool = False, withheld: set[str] | frozenset[str] = frozenset(),
    ) -> None:  # fmt: skip
        self.manifest = manifest
        #: Shared with the collecting plugin: the tests' declarations and outcomes so far.
        self.meta, self.outcomes = meta, outcomes
        #: A student's self-check: run the visible tests only, and count the others.
        self.only_visible = only_visible
        #: Tests whose recorded answers a handout does not hold (grader.recording).
        self.withheld = withheld
        self.left_out: list[TestMeta] = []
        self.report_order: dict[str, int] = {}
        self.started = time.monotonic()

    def dependencies(self, meta: TestMeta) -> tuple[str, ...]:
        for key in (meta.function, meta.group):
            settings = self.manifest.tests.get(key) if key else None
            if settings is not None and settings.depends_on:
                return settings.depends_on
        return ()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Tests that depend on graded functions (training runs) come last in the results, after
        # those functions.
        items.sort(key=lambda item: bool(self.dependencies(self.meta[item.nodeid])))
        self.report_order = {item.nodeid: index for index, item in enumerate(items)}
        # Visible tests run before hidden ones, those that depend on graded functions too: no
        # visible test ever follows a hidden one, so nothing a hidden test saw can reach what a
        # visible one shows, through any channel (a page cache timed bit by bit included); a
        # visible dependent test is graded on its functions' visible tests.
        items.sort(key=lambda item: (not self._visible(self.meta[item.nodeid]),
                                     bool(self.dependencies(self.meta[item.nodeid]))))  # fmt: skip
        if self.only_visible:
            metas = [self.meta[item.nodeid] for item in items]
            shown = [self._visible(meta) and meta.nodeid not in self.withheld for meta in metas]
            self.left_out = [meta for meta, keep in zip(metas, shown, strict=True) if not keep]
            items[:] = [item for item, keep in zip(items, shown, strict=True) if keep]

    def _visible(self, meta: TestMeta) -> bool:
        return visibility_of(meta, self.manifest) == "visible"

    def in_report_order(self, outcomes: list[Outcome]) -> list[Outcome]:
        """``outcomes`` in the order of the results (as collected, dependent tests last), not
        the order the tests ran in."""
        last = len(self.report_order)  # an item a conftest added after the schedule was made
        return sorted(outcomes, key=lambda o: self.report_order.get(o.meta.nodeid, last))

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        needs = self.dependencies(self.meta[item.nodeid])
        # Most tests need nothing, and then no pass over every earlier outcome is made.
        failed = needs and sorted({o.meta.group for o in self.outcomes if o.meta.group in needs
                                   and o.outcome in FAILED})  # fmt: skip
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
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and call.excinfo.errisinstance(BudgetExhausted):
            report.user_properties.append((OUTCOME, "not_run"))
        return report

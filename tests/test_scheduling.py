"""The order a grading runs its tests in: no visible test after a hidden one, so that nothing
a hidden test saw can reach what students see, through any channel."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from grader import assignment
from grader.reporting.outcomes import TestMeta
from grader.reporting.scheduling import Scheduler


def test_visible_tests_run_first_and_dependent_ones_last_among_them():
    manifest = assignment.find("a1")  # fc_net depends on graded functions
    declared = [("fc_net_visible", "fc_net", None), ("edge", "affine_forward", "after_due_date"),
                ("plain", "affine_forward", None), ("fc_net_hidden", "fc_net", "hidden"),
                ("other", "relu_forward", None)]  # fmt: skip
    metas = {
        name: TestMeta(nodeid=name, function=name, name=name, group=group, visibility=visibility)
        for name, group, visibility in declared
    }
    manifest = dataclasses.replace(manifest, default_visibility="visible")
    scheduler = Scheduler(manifest, metas, [])
    items = [SimpleNamespace(nodeid=name) for name, _, _ in declared]
    scheduler.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "plain",
        "other",
        "fc_net_visible",
        "edge",
        "fc_net_hidden",
    ]
    # The results keep the declared order, dependent tests after the others.
    assert sorted(scheduler.report_order, key=scheduler.report_order.get) == [
        "edge",
        "plain",
        "other",
        "fc_net_visible",
        "fc_net_hidden",
    ]

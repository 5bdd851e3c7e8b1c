"""The scoring rules of build_results, without pytest in the loop."""

from pathlib import Path

import pytest

from grader.manifest import Manifest, TestSettings
from grader.reporting.outcomes import Outcome, TestMeta, build_results
from grader.reporting.schema import validation_errors


def manifest(**tests: TestSettings) -> Manifest:
    return Manifest(Path("manifest.yaml"), "demo", "Demo", None, ("layers.py",), tests=tests)


def meta(function: str, group: str | None = "f", **kw) -> TestMeta:
    return TestMeta(nodeid=f"t.py::{function}", function=function, name=f"{group}: x", group=group,
                    **kw)  # fmt: skip


def results(outcomes, m=None):
    document = build_results(outcomes, m or manifest(), 1.5).to_gradescope()
    assert validation_errors(document) == []
    return document


def test_group_points_are_shared_by_its_entries():
    doc = results(
        [Outcome(meta("test_a"), "passed"), Outcome(meta("test_b"), "failed", "wrong"),
         Outcome(meta("test_b"), "passed"), Outcome(meta("test_c", group="g"), "passed")],
        manifest(f=TestSettings(points=3), g=TestSettings(points=2)),
    )  # fmt: skip
    assert [(t["score"], t["max_score"]) for t in doc["tests"]] == [
        (1, 1), (0, 1), (1, 1), (2, 2)
    ]  # fmt: skip
    assert doc["tests"][1]["status"] == "failed" and doc["tests"][1]["output"] == "wrong"


def test_test_key_beats_group_key_beats_decorator():
    m = manifest(f=TestSettings(points=4), test_own=TestSettings(points=1))
    doc = results(
        [Outcome(meta("test_own", weight=9), "passed"), Outcome(meta("test_a", weight=9), "passed"),
         Outcome(meta("test_free", group=None, weight=5), "passed")],
        m,
    )  # fmt: skip
    assert [t["max_score"] for t in doc["tests"]] == [1, 4, 5]


def test_a_test_key_without_points_leaves_points_to_the_group():
    m = manifest(f=TestSettings(points=2), test_edge=TestSettings(visibility="hidden"))
    doc = results([Outcome(meta("test_basic"), "passed"), Outcome(meta("test_edge"), "passed")], m)
    assert [(t["max_score"], t["visibility"]) for t in doc["tests"]] == [
        (1, "visible"), (1, "hidden")
    ]  # fmt: skip


@pytest.mark.parametrize("outcome", ["skipped", "xfailed", "xpassed"])
def test_informational_outcomes_carry_no_points(outcome):
    doc = results([Outcome(meta("test_a", weight=2), outcome, "why"),
                   Outcome(meta("test_b", weight=2), "passed")])  # fmt: skip
    first = doc["tests"][0]
    assert (first["score"], first["max_score"], first["status"]) == (0, 0, "passed")
    assert first["extra_data"]["outcome"] == outcome


@pytest.mark.parametrize(
    "outcome, fraction, score",
    [("passed", 0.25, 1.0), ("passed", None, 4.0), ("failed", 0.75, 0.0), ("passed", 7.0, 4.0)],
)
def test_partial_credit_only_counts_when_the_test_passed(outcome, fraction, score):
    doc = results([Outcome(meta("test_p", weight=4), outcome, fraction=fraction)])
    assert doc["tests"][0]["score"] == score


def test_errors_and_not_run_fail_with_points_at_stake():
    doc = results([Outcome(meta("test_a", weight=1), "error", "fixture broke"),
                   Outcome(meta("test_b", weight=1), "not_run", "budget")])  # fmt: skip
    assert [(t["status"], t["max_score"]) for t in doc["tests"]] == [("failed", 1), ("failed", 1)]


def test_visibility_precedence_and_hidden_count_in_output():
    m = manifest(test_a=TestSettings(visibility="hidden"))
    doc = results(
        [Outcome(meta("test_a", visibility="visible"), "passed"),
         Outcome(meta("test_b", visibility="after_due_date"), "passed"),
         Outcome(meta("test_c"), "passed")],
        m,
    )  # fmt: skip
    assert [t["visibility"] for t in doc["tests"]] == ["hidden", "after_due_date", "visible"]
    assert doc["extra_data"]["hidden_tests"] == 2
    assert "2 more tests were run" in doc["output"]


def test_hide_errors_replaces_failure_output_only():
    doc = results([Outcome(meta("test_a", hide_errors="Try again"), "failed", "secret detail"),
                   Outcome(meta("test_b", hide_errors="Try again"), "passed", "")])  # fmt: skip
    assert [t["output"] for t in doc["tests"]] == ["Try again", ""]


def test_leaderboard_entries_come_from_passed_tests_which_are_also_tests():
    lb = dict(leaderboard_column="accuracy", leaderboard_order="desc", weight=1)
    doc = results([Outcome(meta("test_lb", **lb), "passed", leaderboard_value=0.93),
                   Outcome(meta("test_lb2", **lb), "failed", leaderboard_value=0.5)])  # fmt: skip
    assert doc["leaderboard"] == [{"name": "accuracy", "value": 0.93, "order": "desc"}]
    assert len(doc["tests"]) == 2


def test_numbers_follow_groups_unless_the_decorator_sets_one():
    doc = results(
        [Outcome(meta("test_a", group="b"), "passed"), Outcome(meta("test_b", group="a"), "passed"),
         Outcome(meta("test_c", group="b"), "passed"),
         Outcome(meta("test_d", group="c", number="9.9"), "passed")],
    )  # fmt: skip
    assert [(t["number"], t["extra_data"]["nodeid"]) for t in doc["tests"]] == [
        ("1.1", "t.py::test_a"), ("1.2", "t.py::test_c"), ("2.1", "t.py::test_b"),
        ("9.9", "t.py::test_d"),
    ]  # fmt: skip
    assert isinstance(doc["execution_time"], float)

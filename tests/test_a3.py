"""Assignment 3 graded end to end: the reference gets full marks, the stubs zero with "not
implemented" in every test, and the training test waits for the classes it needs."""

from __future__ import annotations

import pytest
from conftest import ROOT, graded

from grader import assignment

A3_SOLUTION = ROOT / "solutions" / "a3"
CLASSES = {"Linear", "ReLU", "Sigmoid", "Conv2D", "MaxPooling", "SoftmaxCrossEntropy",
           "Sequential", "SGD", "Adam"}  # fmt: skip


@pytest.fixture(scope="module")
def reference_results():
    return graded(A3_SOLUTION, "a3")


def test_reference_solution_gets_full_marks(reference_results):
    tests = reference_results["tests"]
    assert tests and all(t["score"] == t["max_score"] > 0 for t in tests), [
        (t["name"], t["output"]) for t in tests if t["score"] != t["max_score"]
    ]
    assert sum(t["max_score"] for t in tests) == pytest.approx(100)
    groups = {t["name"].split(":")[0] for t in tests}
    assert groups == CLASSES | {"CNN"}


def test_training_test_records_its_run(reference_results):
    cnn = next(t for t in reference_results["tests"] if t["name"].startswith("CNN"))
    run = cnn["extra_data"]["training"]
    assert run["device"] == "cpu" and run["accuracies"][-1] >= 0.9 and run["seconds"] > 0
    assert "Trained" in cnn["output"]


def test_stubs_get_zero_with_not_implemented_everywhere():
    tests = graded(ROOT / "assignments" / "a3", "a3")["tests"]
    assert tests and all(t["score"] == 0 and t["status"] == "failed" for t in tests)
    for test in tests:
        group = test["name"].split(":")[0]
        expected = "Not graded: this test needs" if group == "CNN" else "is not implemented yet"
        assert expected in test["output"], (test["name"], test["output"])
        if group != "CNN":
            assert f"{group}." in test["output"], (test["name"], test["output"])


def test_manifest_points_add_up():
    manifest = assignment.find("a3")
    points = [s.points for s in manifest.tests.values() if s.points is not None]
    assert sum(points) == 100
    assert set(manifest.tests["CNN"].depends_on) <= CLASSES

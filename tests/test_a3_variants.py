"""Realistic buggy submissions of assignment 3 lose points on their class only; correct
submissions written differently from the reference keep every point."""

from __future__ import annotations

import pytest
from conftest import by_group, graded, lost_points, with_dependents
from fixtures.a1_variants import Variant
from fixtures.a3_variants import BUGGY, CORRECT, SOLUTION

CLASSES = {"Linear", "ReLU", "Sigmoid", "Conv2D", "MaxPooling", "SoftmaxCrossEntropy",
           "Sequential", "SGD", "Adam"}  # fmt: skip
#: Classes with several realistic bugs, some of which show only in one edge case.
SEVERAL = {"Conv2D", "MaxPooling", "SoftmaxCrossEntropy", "SGD", "Adam"}


@pytest.fixture(scope="module")
def reference_totals():
    return by_group(graded(SOLUTION, "a3"))


def test_every_class_has_buggy_variants():
    covered = [c for variant in BUGGY for c in variant.affects]
    assert set(covered) == CLASSES
    assert all(covered.count(c) >= 3 for c in SEVERAL), {c: covered.count(c) for c in SEVERAL}


@pytest.mark.parametrize("variant", BUGGY, ids=[v.name for v in BUGGY])
def test_buggy_variant_loses_points_on_its_class_only(variant: Variant, tmp_path,
                                                      reference_totals):  # fmt: skip
    results = graded(variant.write(tmp_path / "submission"), "a3")
    lost, failed = lost_points(results, reference_totals)
    assert lost == with_dependents("a3", variant.affects, results), failed
    assert any(variant.says in output for _, output in failed), (variant.says, failed)


@pytest.mark.parametrize("variant", CORRECT, ids=[v.name for v in CORRECT])
def test_correct_variant_gets_full_marks(variant: Variant, tmp_path):
    results = graded(variant.write(tmp_path / "submission"), "a3")
    assert [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]] == []

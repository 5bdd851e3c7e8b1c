"""Realistic buggy submissions lose points on the right functions only; correct submissions
written differently from the reference get full marks."""

from __future__ import annotations

import pytest
from conftest import SOLUTION, by_group, graded, with_dependents
from fixtures.a1_variants import BUGGY, CORRECT, Variant


@pytest.fixture(scope="module")
def reference_totals():
    return by_group(graded(SOLUTION))


def test_every_function_has_a_buggy_variant(reference_totals):
    graded_functions = set(reference_totals) - {"fc_net"}  # fc_net: training, no function
    covered = {function for variant in BUGGY for function in variant.affects}
    primary = {variant.name.split()[0] for variant in BUGGY}
    assert primary == graded_functions, graded_functions ^ primary
    assert covered == graded_functions


@pytest.mark.parametrize("variant", BUGGY, ids=[v.name for v in BUGGY])
def test_buggy_variant_loses_points_on_its_functions_only(
    variant: Variant, tmp_path, reference_totals
):
    results = graded(variant.write(tmp_path / "submission"))
    totals = by_group(results)
    lost = {group for group, (score, _) in totals.items() if score < reference_totals[group][0]}
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]]
    assert lost == with_dependents("a1", variant.affects, results), failed
    assert any(variant.says in output for _, output in failed), (variant.says, failed)


@pytest.mark.parametrize("variant", CORRECT, ids=[v.name for v in CORRECT])
def test_correct_variant_gets_full_marks(variant: Variant, tmp_path):
    results = graded(variant.write(tmp_path / "submission"))
    assert [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]] == []


EXTREME = "finite and right for extreme scores"


def test_a_gradient_off_by_the_batch_size_is_not_blamed_on_stability(tmp_path):
    """At extreme scores, a dx that is N times too large is told so, as at ordinary scores, not
    to shift by the maximum and never clamp."""
    (variant,) = [v for v in BUGGY if v.name == "softmax_loss dx not divided by N"]
    results = graded(variant.write(tmp_path / "submission"))
    failed = [t["output"] for t in results["tests"] if t["score"] < t["max_score"]]
    extreme = [
        t["output"] for t in results["tests"] if t["name"].startswith(f"softmax_loss: {EXTREME}")
    ]
    assert extreme and all("times too large (N = 3)" in output for output in extreme), extreme
    assert not any("subtract each row's maximum" in output for output in failed), failed

"""Broken and hostile submissions: grading always completes in bounded time with a valid
results.json, the right functions lose points, and nothing escapes."""

from __future__ import annotations

import dataclasses
import json
import os
import time

import pytest
from conftest import SOLUTION, by_group, graded
from fixtures.hostile import CASES, LAYERS, Case, leftover_files, leftover_processes

from grader import assignment
from grader.cli import main
from grader.reporting.schema import validation_errors

#: Short limits, as a TA could set them, so that loops and sleeps cost seconds, not minutes.
LIMITS = {"call_timeout": 2.0, "test_timeout": 4.0, "total_time": 120.0}
ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def manifest():
    return dataclasses.replace(assignment.find("a1"), **LIMITS)


@pytest.fixture(scope="module")
def reference_totals(manifest):
    return by_group(graded(SOLUTION, manifest))


def layer_functions() -> set[str]:
    source = (SOLUTION / "layers.py").read_text()
    return {line[4:].split("(")[0] for line in source.splitlines()
            if line.startswith("def ") and not line.startswith("def _")}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission(case: Case, manifest, reference_totals, tmp_path, monkeypatch):
    if case.needs_root and not ROOT:
        pytest.skip("student code runs as another user only when the grader runs as root")
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2")
    canary = tmp_path / "results"
    canary.mkdir()
    submission = case.write(tmp_path / "submission", canary)
    started = time.monotonic()
    results = graded(submission, manifest)
    assert time.monotonic() - started < 90
    totals = by_group(results)
    expected = {
        LAYERS: layer_functions(), "*": set(reference_totals)
    }.get(case.lost, case.lost)  # fmt: skip
    expected = set(expected) | {
        key for key, s in manifest.tests.items() if set(s.depends_on) & set(expected)
    }
    lost = {g for g, (score, _) in totals.items() if score < reference_totals[g][0]}
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]]
    assert lost == set(expected), failed
    outputs = [results["output"], *(output for _, output in failed)]
    assert any(case.says in output for output in outputs), (case.says, outputs)
    assert "hunter2" not in json.dumps(results)
    assert len(json.dumps(results)) < 1_000_000
    assert leftover_processes(case) == []
    assert leftover_files(canary) == []
    assert not (canary / "daemon-was-here").exists()


def test_reading_the_tests_leaks_nothing(manifest, tmp_path):
    if not ROOT:
        pytest.skip("student code runs as another user only when the grader runs as root")
    case = next(c for c in CASES if c.name == "reads the tests")
    results = graded(case.write(tmp_path / "submission", tmp_path), manifest)
    assert "def test_affine" not in json.dumps(results)


def test_results_written_by_the_student_are_replaced_by_the_graders(tmp_path):
    case = next(c for c in CASES if c.name == "writes results.json")
    out = tmp_path / "results"
    out.mkdir()
    submission = case.write(tmp_path / "submission", out)
    assert main(["grade", str(submission), "-a", "a1", "-o", str(out / "results.json")]) == 0
    document = json.loads((out / "results.json").read_text())
    assert validation_errors(document) == [] and document.get("score") != 1000
    assert len(document["tests"]) > 50

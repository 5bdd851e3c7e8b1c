"""``grade --output``: results go where only the grader can write, or the path is refused.

Student code that knows the results path (it is on the grader's command line) and can write in
its folder plants a directory there, and the grader could not write results.json. As root,
student code runs as an unprivileged user: a path in a folder that user can write (or under one
in which it could replace the next folder) is refused before any student code runs. Without
root nothing is private from student code (README); what it planted is then moved aside."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import SOLUTION

from grader.cli import main
from grader.reporting.results import Results
from grader.reporting.schema import validation_errors
from grader.reporting.writer import write_results
from grader.sandbox.user import student_uids

UIDS = student_uids()
needs_root = pytest.mark.skipif(
    UIDS is None, reason="needs root (student code under uids of its own)"
)


@pytest.fixture
def shared(tmp_path):
    """A folder under /tmp (sticky, world-writable) that the test removes afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="grader-output-test-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def planting(tmp_path: Path, target: Path) -> Path:
    """The reference solution, planting a directory at ``target`` when it is imported."""
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION, folder)
    with (folder / "layers.py").open("a") as handle:
        handle.write(f"\nimport os\ntry:\n    os.makedirs({str(target)!r})\nexcept OSError:\n"
                     "    pass\n")  # fmt: skip
    return folder


@needs_root
@pytest.mark.parametrize("layout", ["world-writable", "owned-by-student", "replaceable-parent"])
def test_a_results_path_student_code_could_take_is_refused(tmp_path, shared, capsys, layout):
    folder = shared / "results"
    folder.mkdir()
    if layout == "world-writable":
        folder.chmod(0o777)
    elif layout == "owned-by-student":
        os.chown(folder, UIDS[-1], UIDS[-1])  # any grading's uid may be this one
    else:  # root's own folder, inside one (not sticky) that the student's user can write
        shared.chmod(0o777)
    output = folder / "results.json"
    submission = planting(tmp_path, output)
    assert main(["grade", str(submission), "-a", "a1", "-o", str(output)]) == 2
    error = capsys.readouterr().err
    assert "student code (running as a uid of" in error and "Traceback" not in error
    assert not output.exists()  # refused before any student code ran


@needs_root
def test_results_in_roots_folder_survive_a_planting_submission(tmp_path, shared):
    folder = shared / "results"
    folder.mkdir(mode=0o755)  # under /tmp: sticky, so the student's user cannot replace it
    output = folder / "results.json"
    submission = planting(tmp_path, output)
    assert main(["grade", str(submission), "-a", "a1", "-o", str(output)]) == 0
    document = json.loads(output.read_text())
    assert validation_errors(document) == []
    assert sum(t["score"] for t in document["tests"]) > 90  # graded (training may be slow here)


def test_a_directory_planted_at_the_path_is_moved_aside(tmp_path):
    output = tmp_path / "results.json"
    (output / "inside").mkdir(parents=True)
    write_results(Results(score=1.0), output)
    assert json.loads(output.read_text())["score"] == 1.0
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if p != output] == [
        "results.json.moved"
    ]

"""Everything assignment 1 has works for assignment 3: handouts (with the reference's answers
to object calls recorded), notebook submissions of classes, batch grading and the Gradescope
autograder zip."""

from __future__ import annotations

import csv
import shutil
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from fixtures.a3_variants import BUGGY, SOLUTION
from test_handout import build_handout, failed, self_check
from test_packaging import run_autograder, unpack

from grader import assignment
from grader.cli import main
from grader.grading import grade


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    return build_handout(tmp_path_factory, "a3")


def test_handout_holds_stubs_and_recorded_answers_not_the_solution(handout):
    solution_line = "dx_pad[:, :, rows, cols] += np.tensordot("
    assert solution_line in (SOLUTION / "modules.py").read_text()
    for path in handout.rglob("*.py"):
        assert solution_line not in path.read_text(), path
    assert (
        'raise NotImplementedError("implement Conv2D.backward")'
        in (handout / "modules.py").read_text()
    )
    assert (handout / "reference-recording" / "recording.bin").is_file()
    assert (handout / "support" / "probes.py").is_file()


def test_self_check_of_the_stubs_and_of_the_reference(handout, tmp_path):
    stubs = self_check(handout, handout, tmp_path / "stubs")
    assert stubs["tests"] and all(t["score"] == 0 for t in stubs["tests"])
    reference = self_check(handout, SOLUTION, tmp_path / "reference")
    assert failed(reference) == set(), [t["output"] for t in reference["tests"]]
    assert "more tests (worth" in reference["output"]


#: One bug per class, whose visible tests call reference objects (layers, optimizers).
VARIANTS = [
    "Linear backward db averaged over the batch", "ReLU forward in place",
    "Conv2D backward dw from the last example only", "MaxPooling backward overwrites where "
    "windows overlap", "SoftmaxCrossEntropy backward not divided by N",
    "Sequential backward in forward order", "SGD forgets the velocity between updates",
    "Adam without bias correction",
]  # fmt: skip


@pytest.mark.parametrize("name", VARIANTS)
def test_self_check_verdicts_match_the_real_grade(handout, tmp_path, name):
    variant = next(v for v in BUGGY if v.name == name)
    submission = variant.write(tmp_path / "submission")
    real = grade(submission, assignment.find("a3"), only_visible=True).results.to_gradescope()
    checked = self_check(handout, submission, tmp_path)
    ran = {t["name"] for t in checked["tests"]}  # not those withheld from the handout
    assert failed(checked) == failed(real) & ran != set()
    for test in checked["tests"]:
        assert "could not check your code" not in test["output"], test


def test_a_notebook_of_classes_is_graded_like_files(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = "\n\n".join((SOLUTION / name).read_text() for name in ("modules.py", "optim.py"))
    loop = "model = Sequential([Linear(64, 10)], SoftmaxCrossEntropy())\nwhile True:\n    pass"
    notebook.cells = [nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell(loop)]
    nbformat.write(notebook, str(tmp_path / "a3.ipynb"))
    started = time.monotonic()
    results = grade(tmp_path / "a3.ipynb", assignment.find("a3")).results.to_gradescope()
    assert time.monotonic() - started < 90  # the loop never ran
    assert [t["name"] for t in results["tests"] if t["score"] < t["max_score"]] == []


def test_batch_grades_a3_submissions(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copytree(SOLUTION, submissions / "ada")
    next(v for v in BUGGY if v.name.startswith("Adam swaps")).write(submissions / "alan")
    out = tmp_path / "out"
    assert main(["batch", str(submissions), "-a", "a3", "-o", str(out), "--workers", "2"]) == 0
    rows = {r["submission"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert float(rows["ada"]["score"]) == pytest.approx(100)
    assert 80 < float(rows["alan"]["score"]) < 100


def test_run_autograder_grades_the_a3_reference(tmp_path):
    output = tmp_path / "autograder.zip"
    assert main(["autograder", "build", "--assignment", "a3", "-o", str(output)]) == 0
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
    assert {"assignment/support/probes.py", "reference/modules.py"} <= names  # at the root
    root = unpack(output, tmp_path / "autograder", SOLUTION)
    document, done = run_autograder(root, {"created_at": "2026-11-20T10:00:00+00:00"})
    assert done.returncode == 0, done.stderr
    assert all(t["score"] == t["max_score"] for t in document["tests"]), document["tests"]
    assert "Total: 100 / 100" in done.stdout

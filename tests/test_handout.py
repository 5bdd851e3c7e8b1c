"""The student handout: stubs, public tests and recorded answers, never the solution's code;
a self-check in the unpacked handout gives the same verdicts as the real grade, and the
recorded answers are of no use in the real grade, which draws its inputs from a secret seed."""

from __future__ import annotations

import ast
import base64
import lzma
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SOLUTION
from fixtures.a1_variants import BUGGY

from grader import assignment
from grader.checks.inputs import draw_secret
from grader.cli import main
from grader.grading import grade
from grader.recorded_objects import digest, plain
from grader.recording import FORMAT, RECORDING_NAME, RecordingFormatError, ReplayReference, _write
from grader.sandbox import codec


def build_handout(tmp_path_factory, name: str) -> Path:
    """The handout of bundled assignment ``name``, built and unzipped as a student gets it."""
    folder = tmp_path_factory.mktemp("handout")
    assert main(["handout", "-a", name, "-o", str(folder / f"{name}-handout.zip")]) == 0
    with zipfile.ZipFile(folder / f"{name}-handout.zip") as archive:
        archive.extractall(folder)
    return folder / name


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    return build_handout(tmp_path_factory, "a1")


def test_handout_holds_no_solution_code(handout):
    files = {p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file()}
    assert {"layers.py", "optim.py", "init.py", "manifest.yaml", "README.md",
            "reference-recording/recording.bin", "tests/test_conv.py"} <= files  # fmt: skip
    solution_line = "dx_pad[:, :, rows, cols] += taps[..., a, c]"
    assert solution_line in (SOLUTION / "layers.py").read_text()
    for path in handout.rglob("*.py"):
        assert solution_line not in path.read_text(), path
    assert "raise NotImplementedError" in (handout / "layers.py").read_text()
    loss_tests = (handout / "tests" / "test_losses.py").read_text()
    assert loss_tests.count("...  # hidden: runs when you submit") == 1
    assert "def test_loss_large_scores" in loss_tests and "1000.0, 1001.0" not in loss_tests


def self_check(handout: Path, submission: Path, tmp_path: Path) -> dict:
    """``grader check`` in a copy of the handout holding the student's files."""
    work = tmp_path / "work"
    shutil.copytree(handout, work)
    for path in submission.glob("*.py"):
        shutil.copy(path, work / path.name)
    return grade(work, assignment.find(str(work)), only_visible=True).results.to_gradescope()


def failed(results: dict) -> set[str]:
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}


def test_self_check_of_the_stubs_and_of_the_reference(handout, tmp_path):
    stubs = self_check(handout, handout, tmp_path / "stubs")
    assert stubs["tests"] and all(t["score"] == 0 for t in stubs["tests"])
    reference = self_check(handout, SOLUTION, tmp_path / "reference")
    assert failed(reference) == set()
    # 28 hidden tests, and the 4 visible ones whose inputs are fixed (no secret seed changes
    # them, so their recorded answers would be the real grade's): withheld from the handout
    assert "32 more tests (worth 26.1667 points) will run after you submit" in reference["output"]


def score(results: dict) -> float:
    return sum(t["score"] for t in results["tests"])


def answering_from_the_recording(handout: Path, folder: Path) -> Path:
    """A submission without an implementation: every function looks its arguments up in the
    handout's recording (embedded in the file, compressed to fit the 2 MB a file may have) and
    returns the reference's recorded answer."""
    folder.mkdir()
    recording = (handout / "reference-recording" / RECORDING_NAME).read_bytes()
    data = base64.b85encode(lzma.compress(recording))
    for stub in handout.glob("*.py"):
        tree = ast.parse(stub.read_text())
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        code = [
            "import base64, lzma, pathlib, tempfile",
            "from grader.recording import RECORDING_NAME, ReplayReference",
            "_FOLDER = pathlib.Path(tempfile.mkdtemp())",
            f"(_FOLDER / RECORDING_NAME).write_bytes(lzma.decompress(base64.b85decode({data!r})))",
            "_ANSWERS = ReplayReference(_FOLDER)",
        ]
        code += [f"def {name}(*args, **kwargs):\n    return _ANSWERS.call({stub.stem!r}, "
                 f"{name!r}, args, kwargs)" for name in functions]  # fmt: skip
        (folder / stub.name).write_text("\n".join(code) + "\n")
    return folder


def test_answers_from_the_recording_score_what_an_empty_submission_scores(handout, tmp_path):
    cheat = answering_from_the_recording(handout, tmp_path / "cheat")
    assert score(self_check(handout, cheat, tmp_path / "check")) > 30  # the answers are there...
    real = grade(cheat, assignment.find("a1")).results.to_gradescope()
    empty = grade(handout, assignment.find("a1")).results.to_gradescope()  # the stubs
    assert score(real) == score(empty)  # ...but never for the real grade's inputs


def test_the_recording_holds_no_call_the_real_grade_makes(handout, tmp_path):
    other = tmp_path / "real-grade-calls"
    grade(SOLUTION, assignment.find("a1"), True, record=other, inputs_seed=draw_secret())
    real_calls = set(ReplayReference(other).calls)
    recorded = ReplayReference(handout / "reference-recording")
    assert len(recorded.calls) > 100 and real_calls and not real_calls & set(recorded.calls)
    # the tests of the calls that do not depend on the seed are withheld instead
    assert recorded.withheld and all(t.startswith("tests/test_") for t in recorded.withheld)


RECORDED = {"calls": {"key": {"value": np.arange(3.0)}}, "tests": {}, "withheld": []}


def test_a_recording_reads_back_what_was_written(tmp_path):
    _write(tmp_path, RECORDED)
    assert (tmp_path / RECORDING_NAME).read_bytes().startswith(FORMAT)
    assert list(ReplayReference(tmp_path).answer("key", None)) == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("contents", "why"),
    [(codec.encode(RECORDED), "it is older than 'grader-recording 2'"),  # an older grader's
     (b"grader-recording 1\n" + codec.encode(RECORDED), "it is 'grader-recording 1'"),
     (FORMAT + b"\x17O\x01\0\0\0\0\0{garbage", "its answers cannot be read"),
     (FORMAT + codec.encode([1, 2]), "its answers cannot be read")],
)  # fmt: skip
def test_a_recording_of_another_grader_version_is_refused(tmp_path, contents, why):
    (tmp_path / RECORDING_NAME).write_bytes(contents)
    with pytest.raises(RecordingFormatError) as error:
        ReplayReference(tmp_path)
    message = str(error.value)
    assert why in message and "\n" not in message
    assert message.startswith("the handout's recorded answers (recording.bin) were made by a "
                              "different version of the grader than the one installed")  # fmt: skip
    assert message.endswith("download the handout again from the course, or install the grader "
                            "version the course gives")  # fmt: skip


def test_check_of_a_handout_from_another_grader_version_is_a_one_line_error(
    handout, tmp_path, capsys
):
    work = tmp_path / "work"
    shutil.copytree(handout, work)
    for path in SOLUTION.glob("*.py"):
        shutil.copy(path, work / path.name)
    recording = work / "reference-recording" / RECORDING_NAME
    recording.write_bytes(recording.read_bytes().removeprefix(FORMAT))
    capsys.readouterr()
    assert main(["check", str(work)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("grader: error: the handout's recorded answers")
    assert printed.err.count("\n") == 1 and "Traceback" not in printed.err


def test_the_recording_format_is_pinned_to_the_codec_and_keys():
    key = digest(("layers", "affine_forward", plain((np.arange(6.0).reshape(2, 3),)), {}))
    pinned = "c668c1c28e9bded977deae6555f7e4dc9ee581cc85ab116f92d48d362c792bd1"
    assert (FORMAT, key) == (b"grader-recording 2\n", pinned), (
        "a call's key (or the format line) changed: if the codec's encoding or the keys changed, "
        "the recordings of handouts made before cannot be read or answer no call, so the number "
        "in grader.recording.FORMAT must change too; then pin the new FORMAT and key here"
    )


@pytest.mark.parametrize(
    "name",
    ["affine_backward db averaged over the batch", "conv_backward_naive takes dw from the last "
     "example only", "dropout_forward does not scale by 1/p", "adam swaps beta1 and beta2",
     "batchnorm_forward uses the unbiased variance"],
)  # fmt: skip
def test_self_check_verdicts_match_the_real_grade(handout, tmp_path, name):
    variant = next(v for v in BUGGY if v.name == name)
    submission = variant.write(tmp_path / "submission")
    real = grade(submission, assignment.find("a1"), only_visible=True).results.to_gradescope()
    checked = self_check(handout, submission, tmp_path)
    ran = {t["name"] for t in checked["tests"]}  # not those withheld from the handout
    assert failed(checked) == failed(real) & ran != set()


def test_solution_notebooks_become_stubbed_notebooks(tmp_path):
    import nbformat

    from grader.packaging.handout import _stub_notebook

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Implement relu."),
        nbformat.v4.new_code_cell(
            "def relu(x):\n    # BEGIN SOLUTION\n    return x * (x > 0)\n    # END SOLUTION"
        ),
    ]
    notebook.cells[1]["outputs"] = [nbformat.v4.new_output("stream", text="secret output")]
    nbformat.write(notebook, str(tmp_path / "solution.ipynb"))
    stub = nbformat.reads(_stub_notebook(tmp_path / "solution.ipynb").decode(), as_version=4)
    code = stub.cells[1]
    assert code["source"] == 'def relu(x):\n    raise NotImplementedError("implement relu")'
    assert code["outputs"] == [] and stub.cells[0]["source"] == "Implement relu."

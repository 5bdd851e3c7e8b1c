import json
import os
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import ROOT, SOLUTION

from grader.cli import main
from grader.reporting.schema import validation_errors


def test_grade_writes_valid_results_and_prints_a_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    output = tmp_path / "out" / "results.json"
    assert main(["grade", str(SOLUTION), "--assignment", "a1", "--output", str(output)]) == 0
    document = json.loads(output.read_text())
    assert validation_errors(document) == []
    printed = capsys.readouterr().out
    assert "affine_forward: out matches the reference" in printed
    assert "Total: 100 / 100" in printed


def test_grade_of_stubs_still_exits_zero(tmp_path):
    stubs = ROOT / "assignments" / "a1"
    assert main(["grade", str(stubs), "-a", "a1", "-o", str(tmp_path / "r.json")]) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["grade", "SOL", "--assignment", "a9"], "grader: error: no assignment 'a9'"),
        (["grade", "/nonexistent/sub", "--assignment", "a1"], "/nonexistent/sub does not exist"),
        (["grade", "NOTZIP", "--assignment", "a1"], "is neither a folder nor a .zip file"),
    ],
)
def test_misuse_is_one_line_without_traceback(tmp_path, args, message):
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    args = [str(SOLUTION) if a == "SOL" else str(not_zip) if a == "NOTZIP" else a for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_manifest_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "manifest.yaml").write_text("name: x\nfiles:\n  required: [a.py]\ncolor: 1\n")
    assert main(["grade", str(SOLUTION), "--assignment", str(tmp_path)]) == 2
    assert "line 4: unknown key 'color'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kind, expected",
    [("bad-zip", "Your submission could not be read"), ("bad-assignment", "staff side")],
)
def test_errors_still_write_a_valid_results_file(tmp_path, kind, expected):
    broken = tmp_path / "submission.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    submission = str(broken) if kind == "bad-zip" else str(SOLUTION)
    assignment = "a1" if kind == "bad-zip" else "a9"
    output = tmp_path / "results.json"
    assert main(["grade", submission, "-a", assignment, "-o", str(output)]) == 2
    document = json.loads(output.read_text())
    assert validation_errors(document) == []
    assert document["score"] == 0 and expected in document["output"]


def test_check_runs_only_the_visible_tests_and_says_what_is_hidden(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["check", str(SOLUTION), "--assignment", "a1"]) == 0
    printed = capsys.readouterr().out
    assert "edge cases" not in printed and "finite and right for scores" not in printed
    assert "28 more tests (worth 22.3667 points) will run after you submit" in printed
    assert "Total: 77.6333 / 77.6333" in printed


BLAS_PROBE = """
import os, sys
from grader.cli import main
main(["stubs", "--check", "-a", "a1"])
import numpy
from threadpoolctl import threadpool_info
print(sorted({pool["num_threads"] for pool in threadpool_info()}), os.environ["OMP_NUM_THREADS"])
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS starts at most a thread a core")
@pytest.mark.parametrize(
    ("given", "expected"),
    [({}, "[1] 1"), ({"OMP_NUM_THREADS": "2"}, "[2] 2"),
     ({"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}, "[2] 2")],
    ids=["unset", "omp-only", "all"],
)  # fmt: skip
def test_the_grader_imports_numpy_with_one_blas_thread_unless_told(given, expected):
    """OpenBLAS's threads spin at numpy's import: on Gradescope's half vCPU that is the grade's
    own time. A thread count the user set is kept, even in OMP_NUM_THREADS alone (which
    OpenBLAS reads only when its own variable is unset)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.update(given)
    done = subprocess.run([sys.executable, "-c", BLAS_PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == expected


def _runs_a_fork_server(pid: int) -> bool:
    try:
        return any("grader.sandbox.zygote" in " ".join(child.cmdline())
                   for child in psutil.Process(pid).children())  # fmt: skip
    except psutil.Error:
        return False


@pytest.mark.parametrize(
    "stop, status, says",
    [
        (signal.SIGINT, 130, "grader: interrupted"),
        (signal.SIGTERM, 143, "grader: stopped by SIGTERM"),
    ],
)
def test_a_stopped_grade_writes_no_results_and_leaves_nothing(tmp_path, stop, status, says):
    """Ctrl-C, or a TA's ``timeout`` (SIGTERM), in the middle of a grade: pytest took Ctrl-C
    for "end the session" and the grader wrote a grade of 0 / 0 over the results, exiting 0;
    SIGTERM left the grading's temporary folders behind."""
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTION, submission)
    with (submission / "layers.py").open("a") as handle:
        handle.write("\nimport time\ntime.sleep(30)\n")  # the first test waits on its import
    for path in (tmp_path, submission, *submission.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    (out / "results.json").write_text("an earlier grade\n")
    temp = tmp_path / "temp"
    temp.mkdir(mode=0o1777)
    temp.chmod(0o1777)
    grading = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "grade", str(submission), "-a", "a1", "-o",
         str(out / "results.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(temp)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a terminal's
    )  # fmt: skip
    # The signal comes inside pytest's session, while the first test waits on the import (30
    # s): once the sandbox's fork server runs.
    deadline = time.monotonic() + 30
    while not _runs_a_fork_server(grading.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    grading.send_signal(stop)
    stdout, stderr = grading.communicate(timeout=20)
    assert grading.returncode == status, stdout + stderr
    assert says in stderr and "Traceback" not in stderr, stderr
    assert "Total" not in stdout, stdout
    assert (out / "results.json").read_text() == "an earlier grade\n"
    assert list(temp.iterdir()) == []

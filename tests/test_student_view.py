"""What a student sees (issue 16): ``grader check`` shows the whole message of a failed test,
prints the results as JSON on demand, exits 1 while a visible test fails, runs in a handout's
folder without --assignment; narrow consoles and pipes get one line per test."""

import json
import re
import shutil
import subprocess
import sys

from conftest import SOLUTION
from rich.console import Console
from test_handout import build_handout

from grader.cli import main
from grader.reporting.results import Results
from grader.reporting.table import render

RESULTS = Results.from_gradescope({"output": "", "tests": [
    {"number": f"{n}.1", "name": f"function_{n}: a long description of what this test checks "
     "and on which inputs, as a1's names are", "score": 0, "max_score": 1, "status": "failed",
     "output": "f raised ValueError: no\n  File \"layers.py\", line 3, in f", "visibility":
     "visible"} for n in range(1, 6)
]})  # fmt: skip


def test_a_narrow_console_gets_one_line_per_test():
    console = Console(record=True, width=80)
    render(RESULTS, console, title="a1: submission")
    lines = console.export_text().splitlines()
    assert len(lines) == 1 + len(RESULTS.entries) + 1  # title, tests, total
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("1.1 0/1 failed function_1: a long description")


def test_no_tests_and_no_title_print_only_the_total():
    console = Console(record=True, width=80)
    render(Results(), console)
    assert console.export_text() == "Total: 0 / 0\n"


def test_a_wide_console_keeps_the_table():
    console = Console(record=True, width=200)
    render(RESULTS, console, title="a1: submission")
    text = console.export_text()
    assert "┃ #" in text and "Message" in text  # the table's header row


def test_a_pipe_gets_one_line_per_test(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # no COLUMNS: rich's 80 for a pipe
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "check", str(SOLUTION), "-a", "a1"],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    tests = [line for line in lines if re.match(r"\d+\.\d+ [\d.]+/[\d.]+ passed \w+: ", line)]
    assert len(tests) > 70 and all(len(line) <= 80 for line in lines)
    total = next(n for n, line in enumerate(lines) if line.startswith("Total: "))
    assert lines[1:total] == tests  # between the title and the total: no wrapped names


def test_check_shows_where_the_student_code_raised_and_exits_1(solution_copy, capsys):
    submission = solution_copy({"layers.py": [
        ("def relu_forward(x):", "def relu_forward(x):\n    1 / 0")]})  # fmt: skip
    assert main(["check", str(submission), "-a", "a1"]) == 1
    printed = capsys.readouterr().out
    assert "relu_forward raised ZeroDivisionError" in printed
    assert 'File "layers.py", line' in printed  # the traceback, beyond the first line


def test_check_json_prints_the_results_document(solution_copy, capsys):
    submission = solution_copy({"optim.py": [("def sgd(", "def sgd_renamed(")]})
    assert main(["check", str(submission), "-a", "a1", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert any(t["status"] == "failed" and "sgd" in t["name"] for t in document["tests"])


def test_check_runs_in_a_handout_folder_without_naming_it(tmp_path_factory, monkeypatch, capsys):
    handout = build_handout(tmp_path_factory, "a1")
    readme = (handout / "README.md").read_text()
    assert "grader check\n" in readme and "--assignment" not in readme
    assert "shared/" not in readme + (handout / "manifest.yaml").read_text()
    work = tmp_path_factory.mktemp("work") / "a1"
    shutil.copytree(handout, work)
    for path in SOLUTION.glob("*.py"):
        shutil.copy(path, work / path.name)
    monkeypatch.chdir(work)
    assert main(["check"]) == 0
    assert "Total: " in capsys.readouterr().out
    monkeypatch.chdir(work.parent)
    assert main(["check"]) == 2  # not a handout: says so
    assert "--assignment" in capsys.readouterr().err


def test_check_json_prints_a_document_when_grading_breaks(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr("grader.runner.grade", broken)
    assert main(["check", str(SOLUTION), "-a", "a1", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["score"] == 0 and "RuntimeError: a bug of ours" not in document["output"]

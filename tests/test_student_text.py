"""Student text in results.json and on the terminal: capped (and saying so), printed literally.

A submission decides the text of its exception messages and of what it prints. However much it
sends, results.json stays small and valid and the table prints at once; rich markup in it
(``[/]``, ``[bold]``) is shown as written, never interpreted."""

import ast
import json
import os
import subprocess
import sys
import time

from conftest import ROOT
from rich.console import Console

from grader.cli import main
from grader.reporting.caps import OUTPUT_LIMIT, bounded, cap
from grader.reporting.results import Entry, Results
from grader.reporting.schema import validation_errors
from grader.reporting.table import render
from grader.reporting.writer import write_results

MARKUP = "[/] [bold red]not bold[/bold red] [link=http://x]"


def raising_everywhere(folder, message_bytes):
    """An a1 submission whose every function raises a ``message_bytes`` message (and prints
    as much first)."""
    folder.mkdir()
    for name in ("layers.py", "optim.py", "init.py"):
        stub = ast.parse((ROOT / "assignments" / "a1" / name).read_text())
        functions = [n.name for n in stub.body if isinstance(n, ast.FunctionDef)]
        code = [f"BIG = {MARKUP!r} + 'x' * {message_bytes}\n"]
        code += [f"def {f}(*args, **kwargs):\n    print(BIG)\n    raise ValueError(BIG)\n"
                 for f in functions]  # fmt: skip
        (folder / name).write_text("\n".join(code))
    return folder


def test_huge_messages_in_every_function_give_a_small_valid_results_file(tmp_path):
    submission = raising_everywhere(tmp_path / "submission", 512 * 1024)
    output = tmp_path / "results.json"
    # the grader in a process of its own, reporting its peak memory (its own, not its worker's)
    # VmHWM: this process's own peak since its exec (ru_maxrss would carry over the peak of the
    # pytest process it was forked from)
    measure = ("import re, sys; from grader.cli import main; code = main(sys.argv[1:]); "
               "status = open('/proc/self/status').read(); "
               "print('peak-kb', re.search(r'VmHWM:\\s*(\\d+)', status).group(1)); "
               "sys.exit(code)")  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", measure, "grade", str(submission), "-a", "a1", "-o", str(output)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 300  # printing the table alone took 140-336 s
    peak_mb = int(done.stdout.rsplit("peak-kb", 1)[1].split()[0]) / 1024
    assert peak_mb < 500, peak_mb  # within Gradescope's 768 MB, with a worker beside it
    assert output.stat().st_size < 1_000_000
    document = json.loads(output.read_text())
    assert validation_errors(document) == []
    assert sum(t["score"] for t in document["tests"]) == 0
    raised = [t for t in document["tests"] if "ValueError" in t["output"]]
    assert len(raised) > 50
    for test in document["tests"]:
        assert len(test["output"]) <= OUTPUT_LIMIT + 200
    assert all("characters cut" in t["output"] for t in raised)
    assert "Total: 0 / 100" in done.stdout and len(done.stdout) < 200_000


def test_markup_in_messages_is_printed_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    submission = raising_everywhere(tmp_path / "submission", 10)
    output = tmp_path / "results.json"
    assert main(["grade", str(submission), "-a", "a1", "-o", str(output)]) == 0
    assert json.loads(output.read_text())["tests"]  # results.json, then the table: no crash
    assert "[/] [bold red]not bold" in capsys.readouterr().out


def test_the_table_prints_names_titles_and_outputs_literally():
    console = Console(record=True, width=300, color_system="truecolor")
    results = Results(
        [Entry(f"f: {MARKUP}", "1.1", 0, 1, "failed", f"{MARKUP}\nsecond line")],
        notes=[f"top {MARKUP}"],
    )
    render(results, console, title=f"sub {MARKUP}")
    text = console.export_text()
    assert text.count("[bold red]not bold[/bold red]") == 4  # title, name, message, output
    assert "\x1b[1;31mnot bold" not in console.export_text(styles=True)


def test_every_string_of_a_document_is_capped_and_says_so():
    long = "y" * 100_000
    document = bounded({"output": long, "tests": [{"name": long, "output": long,
                        "extra_data": {"error": long, long: 1}}]})  # fmt: skip
    test = document["tests"][0]
    assert len(document["output"]) < OUTPUT_LIMIT + 200 and len(test["output"]) < OUTPUT_LIMIT + 200
    assert (
        max(len(test["name"]), len(test["extra_data"]["error"]), *map(len, test["extra_data"]))
        < 1200
    )
    assert "characters cut" in test["name"] and cap("short") == "short"
    assert document["output"].startswith("y" * 1000) and document["output"].endswith("y" * 1000)


def test_lone_surrogates_from_student_code_do_not_reach_results_json(tmp_path):
    """Python strings may hold them (``raise ValueError("\\ud800")``); JSON escapes them, and
    strict JSON readers refuse those escapes."""
    document = Results(entries=[Entry("a\ud800b", "1", 0, 1, "failed", "x\udfff \ud83d\ude00")])
    write_results(document, tmp_path / "results.json")
    written = (tmp_path / "results.json").read_bytes()
    test = json.loads(written)["tests"][0]
    json.dumps(test, ensure_ascii=False).encode("utf-8")  # strict: no lone surrogate left
    assert test["name"] == "a\ufffdb" and test["output"] == "x\ufffd \U0001f600"

"""Notebook submissions and batch grading of a whole course."""

from __future__ import annotations

import csv
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import SOLUTION, by_group, graded

from grader.cli import main
from grader.notebook import NotebookError, extract

SOLUTION_CODE = "\n\n".join(
    (SOLUTION / f).read_text() for f in ("layers.py", "optim.py", "init.py")
)


def write_notebook(path: Path, *cells: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Assignment 1")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, str(path))
    return path


def test_extract_keeps_definitions_and_drops_everything_else(tmp_path):
    path = write_notebook(
        tmp_path / "a1.ipynb",
        "%matplotlib inline\nimport numpy as np\nEPS = 1e-8\n!pip install nothing",
        "@staticmethod\ndef f(x):\n    return x + EPS\n\nprint('training...')\nf(1)",
        "while True:\n    pass",
        "def broken(:\n    pass",
        "class Model:\n    pass",
    )
    source, notes = extract(path)
    assert "import numpy as np" in source and "EPS = 1e-8" in source
    assert "@staticmethod\\ndef f(x):" in source and "class Model:" in source  # source as text
    assert "while True" not in source and "print(" not in source and "pip" not in source
    assert notes == [
        "a1.ipynb: cell 5 has a syntax error on line 1 (invalid syntax) and was skipped.",
        "a1.ipynb: 3 top-level statements other than imports and definitions were not run.",
    ]
    compile(source, "a1", "exec")


def test_not_a_notebook(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{ not json")
    with pytest.raises(NotebookError, match=r"bad\.ipynb is not a readable Jupyter notebook"):
        extract(tmp_path / "bad.ipynb")


def test_a_notebook_submission_is_graded_like_files(tmp_path):
    path = write_notebook(tmp_path / "submission.ipynb", SOLUTION_CODE, "while True:\n    pass")
    started = time.monotonic()
    results = graded(path)
    assert time.monotonic() - started < 60  # the infinite loop never ran
    assert all(t["score"] == t["max_score"] for t in results["tests"])
    assert "Graded the definitions in submission.ipynb." in results["output"]


def test_a_notebook_inside_a_folder_fills_in_the_missing_files(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "optim.py").write_text((SOLUTION / "optim.py").read_text())
    write_notebook(folder / "work.ipynb", (SOLUTION / "layers.py").read_text())
    totals = by_group(graded(folder))
    assert totals["affine_forward"][0] == totals["affine_forward"][1]
    assert totals["xavier_init"][0] == 0  # init.py's functions are nowhere


def make_export(path: Path) -> Path:
    """A Gradescope "Export Submissions" zip: a folder per submission and the metadata."""
    bad_layers = (SOLUTION / "layers.py").read_text().replace("def relu_forward(x):", "def oops(:")
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("layers.py", "optim.py", "init.py"):
            archive.write(SOLUTION / name, f"assignment_1_export/submission_1/{name}")
        archive.writestr("assignment_1_export/submission_2/layers.py", bad_layers)
        archive.writestr("assignment_1_export/submission_2/optim.py", "import sys\nsys.exit(1)\n")
        archive.write(SOLUTION / "init.py", "assignment_1_export/submission_2/init.py")
        notebook = write_notebook(path.parent / "nb.ipynb", SOLUTION_CODE)
        archive.write(notebook, "assignment_1_export/submission_3/homework.ipynb")
        archive.writestr("assignment_1_export/submission_4/README.txt", "forgot my files")
        archive.writestr(
            "assignment_1_export/submission_metadata.yml",
            "submission_1:\n  :submitters:\n  - :name: Ada Lovelace\n    :email: ada@example.edu\n"
            "    :sid: '0815'\n"
            "submission_2:\n  :submitters:\n  - :name: Alan Turing\n  - :name: Grace Hopper\n",
        )
    return path


def test_batch_over_an_export_zip_then_resume_then_regrade(tmp_path, capsys):
    export = make_export(tmp_path / "export.zip")
    out = tmp_path / "out"
    args = ["batch", str(export), "-a", "a1", "-o", str(out), "--workers", "2"]
    assert main(args) == 0
    table = list(csv.DictReader((out / "summary.csv").open()))
    rows = {r["submission"]: r for r in table}
    assert set(rows) == {"submission_1", "submission_2", "submission_3", "submission_4"}
    assert float(rows["submission_1"]["score"]) == pytest.approx(100)
    assert float(rows["submission_3"]["score"]) == pytest.approx(100)
    assert 0 < float(rows["submission_2"]["score"]) < 100
    assert float(rows["submission_4"]["score"]) == 0
    ada = rows["submission_1"]
    assert (ada["name"], ada["email"], ada["sid"]) == ("Ada Lovelace", "ada@example.edu", "0815")
    group = [(r["name"], r["score"]) for r in table if r["submission"] == "submission_2"]
    score = rows["submission_2"]["score"]
    assert group == [("Alan Turing", score), ("Grace Hopper", score)]  # a row per student
    report = (out / "report.md").read_text()
    assert "4 submissions graded." in report and "| 75% |" in report
    assert (out / "histogram.png").read_bytes()[:4] == b"\x89PNG"

    graded_at = (out / "submission_1" / "results.json").stat().st_mtime_ns
    assert main(args) == 0  # resumes: nothing to grade again
    assert "Graded 0 submissions now, kept 4" in capsys.readouterr().out
    assert (out / "submission_1" / "results.json").stat().st_mtime_ns == graded_at
    assert main([*args, "--regrade"]) == 0
    assert (out / "submission_1" / "results.json").stat().st_mtime_ns != graded_at
    assert "Graded 4 submissions now, kept 0" in capsys.readouterr().out

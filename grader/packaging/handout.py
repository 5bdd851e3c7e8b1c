"""``grader handout``: what students download.

The zip holds one folder named after the assignment: the stubs, the manifest, the public tests
only (test functions hidden from students are removed from the files), the support code, a
recording of the reference solution's answers to the public tests on inputs that the real
grade, which draws its inputs from a secret seed, never uses (never its code: see
grader.recording), stubbed notebooks when the solution has notebooks, and a short README.
Students run ``grader check`` in that folder. The hidden test functions keep
their names (so that the self-check can say how many tests and points remain) but not their
bodies.
"""

from __future__ import annotations

import ast
import json
import re
import tempfile
import zipfile
from pathlib import Path

import nbformat

from grader.checks.inputs import draw_secret
from grader.grading import grade
from grader.manifest import MANIFEST_NAME, Manifest
from grader.recording import keep_seeded
from grader.stubs import make_stub

RECORDING_FOLDER = "reference-recording"

README = """# {title}

Write your code in {files}, replacing each `raise NotImplementedError(...)`.

## Check your work

Install the grader once, from where your course gives it: a folder, a git URL or a `.whl` file
(not `pip install grader`: that name on the package index belongs to an unrelated project).
A folder or a wheel installs without a network once the grader's dependencies (numpy, pytest
and a few more) are installed:

    pip install path/to/grader    # the folder, git URL or .whl file your course gives

Then, in this folder:

    grader check

It runs the public tests: one line per test (a table in a wide terminal), then the whole message
of each failing test, with the file and line where your code raised. It exits with status 1
while a test fails and 0 when all pass; `grader check --json` prints the results as JSON.

{hidden} more tests run only when you submit (hidden tests are not shown until later). The
public tests compare your results with recorded answers of the reference solution on inputs
made for this check; the real grade draws fresh inputs every time, so correct code passes both,
and the full diagnosis of a wrong gradient runs when you submit.
"""


def build(manifest: Manifest, output: Path) -> list[str]:
    """Write the handout zip; returns the names it holds."""
    if manifest.reference is None:
        raise ValueError(f"{manifest.path} names no reference solution to record")
    with tempfile.TemporaryDirectory(prefix="grader-handout-") as work:
        recording = Path(work) / RECORDING_FOLDER
        run = grade(manifest.reference, manifest, only_visible=True, record=recording)
        withheld = keep_seeded(
            recording,
            lambda other: grade(manifest.reference, manifest, True, other, draw_secret()),
        )
        entries: dict[str, bytes] = {
            f"{RECORDING_FOLDER}/{p.name}": p.read_bytes() for p in recording.iterdir()
        }
    folder = manifest.folder
    for name in manifest.files:
        if (folder / name).is_file():
            entries[name] = (folder / name).read_bytes()
    for name in manifest.support:
        entries[name] = (folder / name).read_bytes()
    for test_file in sorted((folder / "tests").glob("*.py")):
        entries[f"tests/{test_file.name}"] = _public(test_file.read_text(), run.hidden_functions)
        entries[f"tests/{test_file.name}"] = entries[f"tests/{test_file.name}"].encode()
    manifest_text = (folder / MANIFEST_NAME).read_text()
    entries[MANIFEST_NAME] = re.sub(
        r"(?m)^reference:.*$", f"reference: {RECORDING_FOLDER}", manifest_text
    ).encode()
    for notebook in sorted(manifest.reference.glob("*.ipynb")):
        entries[notebook.name] = _stub_notebook(notebook)
    entries["README.md"] = README.format(
        title=manifest.title, files=", ".join(manifest.files),
        hidden=run.results.withheld + len(withheld),
    ).encode()  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries.items()):
            archive.writestr(f"{manifest.name}/{name}", data)
    return sorted(entries)


def _public(source: str, hidden: set[str]) -> str:
    """The test module with the bodies of its hidden test functions removed: their names stay,
    so that a self-check can count them and their points, but not what they check."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in hidden:
            body = node.body[1:] if _has_docstring(node) else node.body
            if body:
                indent = " " * body[0].col_offset
                spans.append((body[0].lineno, node.end_lineno or body[0].lineno, indent))
    for start, end, indent in reversed(spans):
        lines[start - 1 : end] = [f"{indent}...  # hidden: runs when you submit\n"]
    return "".join(lines)


def _has_docstring(node: ast.FunctionDef) -> bool:
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)


def _stub_notebook(path: Path) -> bytes:
    """A solution notebook with its solution blocks replaced, cell by cell."""
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            cell["source"] = make_stub(str(cell["source"]), f"{path.name}").rstrip("\n")
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(nbformat.from_dict(notebook), indent=1).encode()

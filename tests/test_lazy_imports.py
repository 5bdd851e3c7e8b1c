"""The ``grader`` command imports each verb's modules only when that verb runs: a grade pays
for neither the batch backends nor the notebook reader nor PyTorch (issue 18)."""

import json
import subprocess
import sys
from functools import cache

import pytest
from test_plugin import make_assignment

#: Modules no verb needs at import time; the heavy ones that a grade must not load either.
NEVER_AT_IMPORT = ["ray", "torch", "nbformat", "psutil", "grader.batch", "sklearn", "matplotlib"]


@cache
def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(list(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return {name.split(".")[0] if not name.startswith("grader.") else name
            for name in json.loads(done.stdout.splitlines()[-1])}  # fmt: skip


@pytest.mark.parametrize("module", NEVER_AT_IMPORT)
def test_importing_the_cli_imports_no_heavy_module(module):
    assert module not in _modules_after("import grader.cli")


@pytest.mark.parametrize("module", ["ray", "torch", "nbformat", "psutil", "grader.batch"])
def test_the_grading_path_imports_no_backend_of_another_verb(module):
    assert module not in _modules_after("import grader.runner")


@pytest.mark.parametrize("module", ["matplotlib", "jsonschema"])
def test_grading_an_assignment_without_training_imports_neither_plotting_nor_jsonschema(
    module, tmp_path
):
    """``grader grade -o`` imports matplotlib ahead (in a thread) only for an assignment that
    trains models (the bundled ones all do); jsonschema makes only the messages of an invalid
    document."""
    folder = make_assignment(tmp_path)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    code = (f"from grader.cli import main; main(['grade', {str(tmp_path / 'submission')!r}, "
            f"'-a', {str(folder)!r}, '-o', {str(out / 'results.json')!r}])")  # fmt: skip
    assert module not in _modules_after(code)
    document = json.loads((out / "results.json").read_text())  # the grade did happen
    scores = [(test["score"], test["max_score"]) for test in document["tests"]]
    assert len(scores) > 3 and 0 < sum(s for s, _ in scores) < sum(m for _, m in scores)

"""The ``grader`` command imports each verb's modules only when that verb runs: a grade pays
for neither the batch backends nor the notebook reader nor PyTorch (issue 18)."""

import json
import subprocess
import sys
from functools import cache

import pytest
from test_plugin import MANIFEST, make_assignment

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


#: A demo assignment of one group, "double", whose tests (``TESTS`` here) all pass or all fail.
ONE_GROUP = MANIFEST.split("tests:")[0] + "tests:\n  double: 4\n"
PASSING_TESTS = """
import pytest


@pytest.mark.parametrize("n", range(5))
def test_double(student, n):
    \"\"\"double: doubles\"\"\"
    assert student.funcs.double(n) == 2 * n
"""
FAILING_TESTS = """
import weakref

import numpy as np
import pytest

HELD = []


@pytest.mark.parametrize("n", range(20))
def test_big(student, n):
    \"\"\"double: fails holding 8 MB\"\"\"
    held = np.ones(2**20)
    HELD.append(weakref.ref(held))
    assert held.sum() < 0, "fails"


def test_z_count(student):
    \"\"\"double: counts what is left\"\"\"
    alive = sum(ref() is not None for ref in HELD)
    with open(COUNT, "w") as out:
        out.write(f"{len(HELD)} {alive}")
"""


def test_a_grade_makes_no_garbage_collection(tmp_path):
    """The ``grader`` command raises the collector's threshold and freezes what is left before
    it exits (grader.gc_tuning): a grade used to make about 140 collections while it ran and a
    full one at exit, 0.1 s of CPU for almost no garbage (after a failed test, one:
    test_failed_tests_frames_are_freed_despite_the_raised_threshold)."""
    folder = make_assignment(tmp_path, tests=PASSING_TESTS, manifest=ONE_GROUP)
    argv = ["grader", "grade", str(tmp_path / "submission"), "-a", str(folder)]
    # (an atexit handler registered first runs last: after the command froze what it left)
    code = ("import atexit, gc, sys\n"
            "from grader.cli import run\n"
            "starts = []\n"
            "gc.callbacks.append(lambda phase, info: phase == 'start' and starts.append(1))\n"
            "atexit.register(lambda: print('collections', len(starts), gc.get_freeze_count()))\n"
            f"sys.argv = {argv!r}\n"
            "run()")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0 and "Total: 4 / 4" in done.stdout  # the grade did happen
    _, collections, frozen = done.stdout.splitlines()[-1].split()
    assert int(collections) == 0 and int(frozen) > 10_000


def test_failed_tests_frames_are_freed_despite_the_raised_threshold(tmp_path):
    """pytest holds a failed test's frames in a reference cycle that Python's collector may
    find only late: 20 failures holding 25 MB each took the grader's process, whose memory no
    sandbox limit covers, to 550 MB (grader.failed_frames frees them). Counted with weak
    references, not the process's size: malloc need not give freed memory back."""
    count = tmp_path / "count"
    tests = f"COUNT = {str(count)!r}\n" + FAILING_TESTS
    folder = make_assignment(tmp_path, tests=tests, manifest=ONE_GROUP)
    argv = ["grader", "grade", str(tmp_path / "submission"), "-a", str(folder)]
    code = f"import sys\nsys.argv = {argv!r}\nfrom grader.cli import run\nrun()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert count.read_text() == "20 0", done.stdout + done.stderr

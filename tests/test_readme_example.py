"""README's example test file, graded as it stands: the surface it shows must work."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import ROOT, SOLUTION, graded

MANIFEST = f"""\
name: readme
reference: {SOLUTION}
files:
  required: [layers.py]
tolerances:
  forward: 1.0e-7
tests:
  relu_forward: 2
  relu_backward: 2
"""
WRONG_BACKWARD = """

def relu_backward(dout, cache):
    return dout * (cache > 0) * 2
"""


def example() -> str:
    """The first python block under README's "### A test"."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### A test\n") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_grades_a_submission(tmp_path: Path, readable: None) -> None:
    assignment = tmp_path / "readme"
    (assignment / "tests").mkdir(parents=True)
    (assignment / "manifest.yaml").write_text(MANIFEST)
    (assignment / "tests" / "test_relu.py").write_text(example())
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTION, submission)
    with (submission / "layers.py").open("a") as handle:
        handle.write(WRONG_BACKWARD)
    results = graded(submission, assignment / "manifest.yaml")
    scores = {test["name"]: (test["score"], test["max_score"]) for test in results["tests"]}
    assert len(scores) == 3, scores
    assert all(s == m for name, (s, m) in scores.items() if name.startswith("relu_forward")), (
        results
    )
    (output,) = [t["output"] for t in results["tests"] if t["name"].startswith("relu_backward")]
    assert "dx is 2 times" in output or "dx is off by a constant factor" in output, output

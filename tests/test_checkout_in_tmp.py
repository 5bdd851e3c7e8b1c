"""The grader installed from a checkout under /tmp, as a TA who clones there installs it (the
README's ``pip install -e``): every worker has a private /tmp, which must not hide the grader's
own package from it. An editable install finds that package through a finder of its own, not
through sys.path, and the worker imports part of it late (the notebook loader). Where workers
get no mount namespace (a plain user without user namespaces), /tmp is not replaced and this
passes either way."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from test_workflows import SOLUTION_CODE, write_notebook

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

#: What an installed checkout needs to grade a1: the package, its metadata, a1 and its reference.
CHECKOUT = ("grader", "assignments", "solutions", "pyproject.toml", "README.md")


def builds_offline() -> bool:
    """Whether this run's own packages satisfy the checkout's build requirements (setuptools
    comes with torch, which the README's test command installs): then pip needs no index."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for requirement in map(Requirement, requires):
        try:
            if not requirement.specifier.contains(version(requirement.name)):
                return False
        except PackageNotFoundError:
            return False
    return True


def editable_install(checkout: Path, venv: Path) -> Path:
    """A virtual environment with ``checkout`` installed editable, which finds its dependencies
    in this test run's site-packages; returns its Python."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    (purelib,) = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    (Path(purelib) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    offline = ["--no-build-isolation", "--no-index"] if builds_offline() else []
    done = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", *offline, "-e",
                           checkout], capture_output=True, text=True, cwd=venv)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return python


@pytest.fixture
def under_tmp() -> Iterator[Path]:
    """A folder in /tmp itself (pytest's own may be elsewhere), open to student code's user."""
    folder = Path(tempfile.mkdtemp(prefix="checkout-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_a_checkout_under_tmp_grades_a_notebook(under_tmp: Path) -> None:
    checkout = under_tmp / "checkout"
    for name in CHECKOUT:
        source, target = ROOT / name, checkout / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    python = editable_install(checkout, under_tmp / "venv")
    found = subprocess.run([python, "-c", "import grader; print(grader.__file__)"],
                           check=True, capture_output=True, text=True, cwd=under_tmp)  # fmt: skip
    assert found.stdout.strip() == str(checkout / "grader" / "__init__.py")
    submission = write_notebook(under_tmp / "a1.ipynb", SOLUTION_CODE)
    results = under_tmp / "out" / "results.json"
    results.parent.mkdir(mode=0o700)
    done = subprocess.run(
        [python, "-m", "grader.cli", "grade", submission, "-a", "a1", "-o", results],
        capture_output=True, text=True, cwd=under_tmp,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(results.read_text())
    lost = [(t["name"], t["output"]) for t in document["tests"] if t["score"] < t["max_score"]]
    assert not lost, lost[:3]

"""The autograder zip and the Docker images, built and run in real containers (podman) the way
Gradescope builds and runs them: docker/gradescope-emulate.sh builds docker/Dockerfile.gradescope
from the unpacked zip (setup.sh at build time, as root) and grades through docker/grade.sh as
root, with half a CPU, 768 MB and no network.

What stands in for what cannot run here: the base image is the local Debian 12 one
(localhost/debian-base:bookworm, Python 3.11, PEP 668, from ../shared/containers/setup-podman.sh)
instead of Gradescope's Ubuntu 22.04, which no registry can deliver here; for Dockerfile.cuda it
also stands in for NVIDIA's CUDA base. a2's torch is the CPU wheel of the manifest's release that
the host's pip finds on disk, carried into the build as a wheelhouse with a constraint that admits
only that +cpu build (PyTorch's CPU index, setup.sh's default, is not reachable here).

Images are keyed by the zip's hash (gradescope-emulate.sh) and built once per assignment under a
lock, so a second run reuses them. Where podman cannot run these tests skip with the reason; under
CI=true that is a failure instead. Measured cost on a clean machine: see README, "Gradescope".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SOLUTION
from fixtures.hostile import CASES

from grader import assignment
from grader.cli import main
from grader.reporting.schema import validation_errors

BASE = os.environ.get("GRADER_TEST_BASE_IMAGE", "localhost/debian-base:bookworm")
SETUP = "../shared/containers/setup-podman.sh"
DOCKER = ROOT / "docker"
#: Shared by the test processes (pytest-xdist) so that each image is built once.
CACHE = ROOT / "build" / "container-tests"
METADATA = {"id": 1, "created_at": "2026-11-20T10:00:00+00:00", "previous_submissions": []}
NOT_IMPLEMENTED = "not implemented"


def unavailable(reason: str) -> None:
    """Skip, except in CI, where a container test that cannot run is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: container tests must run; .ci/run sets them up)")
    pytest.skip(reason)


def podman(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def base() -> str:
    if shutil.which("podman") is None:
        unavailable(f"podman is not installed (as root: {SETUP})")
    if podman("image", "exists", BASE).returncode != 0:
        unavailable(f"no base image {BASE} (as root: {SETUP})")
    done = podman("run", "--rm", "--network", "none", BASE, "true")
    if done.returncode != 0:
        unavailable(f"podman cannot run a container here: {done.stderr.strip()[-500:]}")
    return BASE


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """The CPU wheel of a2's torch release, from the host's pip (never PyPI's CUDA build)."""
    (torch,) = (p for p in assignment.find("a2").python_packages if p.startswith("torch=="))
    cpu = f"{torch}+cpu"
    folder = CACHE / "wheelhouse"
    with locked("wheelhouse"):
        if not list(folder.glob("torch-*.whl")):
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-index", "--no-deps", "--dest",
                 str(folder), cpu], capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if done.returncode != 0:
                unavailable(f"pip finds no local wheel of {cpu} to carry into the image")
        (folder / "constraints.txt").write_text(f"{cpu}\n")
    return folder


def emulate_env(base: str, wheelhouse: Path | None) -> dict[str, str]:
    env = {**os.environ, "BASE_IMAGE": base, "GRADER_ENGINE": "podman"}
    if wheelhouse is not None:
        # Only the wheelhouse's torch: PyTorch's CPU index cannot be reached from here.
        env.update(GS_WHEELHOUSE=str(wheelhouse), GRADER_PIP_EXTRA_INDEX="")
    return env


class Zip:
    """An assignment's autograder.zip and the image gradescope-emulate.sh builds from it."""

    def __init__(self, name: str, folder: Path, base: str, wheelhouse: Path | None) -> None:
        self.path = folder / f"{name}.zip"
        assert main(["autograder", "build", "-a", name, "-o", str(self.path)]) == 0
        self.env = emulate_env(base, wheelhouse)
        with locked(f"image-{name}"):
            done = self.emulate()
        assert done.returncode == 0, done.stderr[-5000:]
        self.image = done.stdout.split()[-1]

    def emulate(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        # In the zip's folder: conmon writes a file named "oom" into its working folder when
        # the kernel's OOM killer stops a container (the memory bomb below), not the checkout.
        return subprocess.run(
            [str(DOCKER / "gradescope-emulate.sh"), str(self.path), *map(str, args)],
            env=self.env, capture_output=True, text=True, timeout=1800, cwd=self.path.parent,
        )  # fmt: skip

    def grade(self, submission: Path, tmp: Path, metadata: dict | None = None):
        """Grade in the Gradescope envelope; results.json's document and the run."""
        args: list[str | Path] = [submission, tmp / "results"]
        if metadata is not None:
            (tmp / "submission_metadata.json").write_text(json.dumps(metadata))
            args.append(tmp / "submission_metadata.json")
        done = self.emulate(*args)
        return results_of(tmp / "results", done), done


def results_of(folder: Path, done: subprocess.CompletedProcess[str]) -> dict:
    path = folder / "results.json"
    assert path.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(path.read_text())
    assert validation_errors(document) == [], document
    assert "failed on the staff side" not in document.get("output", ""), done.stderr[-3000:]
    return document


@pytest.fixture(scope="session")
def a1(base, tmp_path_factory) -> Zip:
    return Zip("a1", tmp_path_factory.mktemp("a1"), base, None)


@pytest.fixture(scope="session")
def a2(base, wheelhouse, tmp_path_factory) -> Zip:
    return Zip("a2", tmp_path_factory.mktemp("a2"), base, wheelhouse)


@pytest.fixture(scope="session")
def a3(base, tmp_path_factory) -> Zip:
    return Zip("a3", tmp_path_factory.mktemp("a3"), base, None)


def stubs(name: str, folder: Path) -> Path:
    """The files a student downloads, unchanged."""
    folder.mkdir()
    for file in assignment.find(name).files:
        shutil.copy(ROOT / "assignments" / name / file, folder / file)
    return folder


def total(document: dict) -> tuple[float, float]:
    return (sum(t["score"] for t in document["tests"]),
            sum(t["max_score"] for t in document["tests"]))  # fmt: skip


@pytest.mark.parametrize("name", ["a1", "a2", "a3"])
def test_the_reference_gets_full_marks(name, request, tmp_path):
    built: Zip = request.getfixturevalue(name)
    document, done = built.grade(ROOT / "solutions" / name, tmp_path, METADATA)
    assert done.returncode == 0, done.stderr[-3000:]
    score, points = total(document)
    assert points > 0 and score == pytest.approx(points), document
    assert all(t["status"] == "passed" for t in document["tests"])


@pytest.mark.parametrize("name", ["a1", "a2", "a3"])
def test_the_stubs_get_zero_saying_not_implemented(name, request, tmp_path):
    built: Zip = request.getfixturevalue(name)
    document, done = built.grade(stubs(name, tmp_path / "submission"), tmp_path)  # no metadata
    assert done.returncode == 0, done.stderr[-3000:]
    assert total(document)[0] == 0
    said = [t for t in document["tests"] if NOT_IMPLEMENTED in t.get("output", "")]
    assert said, [t.get("output") for t in document["tests"]]


def test_a_private_submission_folder_is_graded_and_left_as_it_was(a1, tmp_path):
    """The container's root is no host user (its own user ids): it grades a copy of a folder
    that only the host's root can read, and the folder stays as it was."""
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION, folder)
    for path in [*folder.iterdir(), folder]:
        path.chmod(0o700)
    modes = {path: path.stat().st_mode for path in [*folder.iterdir(), folder]}
    document, done = a1.grade(folder, tmp_path, METADATA)
    assert done.returncode == 0 and total(document)[0] == pytest.approx(total(document)[1])
    assert {path: path.stat().st_mode for path in modes} == modes


#: a1: killing the parent (the fork server) and the grandparent (the grader), sleeping,
#: spinning and allocating, all in one submission.
A1_HOSTILE = ["kills the fork server", "kills the grader", "sleep", "infinite loop", "memory bomb"]


def test_a1_hostile_submission_still_gets_valid_results(a1, tmp_path):
    cases = [c for c in CASES if c.name in A1_HOSTILE]
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION, folder)
    for case in cases:
        for file, code in case.append.items():
            with (folder / file).open("a") as handle:
                handle.write("\n\n" + code.strip() + "\n")
    document, _ = a1.grade(folder, tmp_path, METADATA)
    manifest = assignment.find("a1")
    lost = set().union(*(c.lost for c in cases))
    lost |= {key for key, spec in manifest.tests.items() if set(spec.depends_on) & lost}
    failed = {t["name"].split(":", 1)[0]: t["output"] for t in document["tests"]
              if t["score"] < t["max_score"]}  # fmt: skip
    assert set(failed) == lost, failed
    outputs = "\n".join(t.get("output", "") for t in document["tests"])
    for case in cases:
        assert case.says in outputs, case.name


A2_KILLS_AND_HANGS = """

_build_model = build_model


def build_model(input_shape, num_classes):
    import os, signal
    try:
        os.kill(os.getppid(), signal.SIGKILL)  # its parent
    except PermissionError:
        pass
    return _build_model(input_shape, num_classes)


def train_step(model, optimizer, x, y):
    import time
    time.sleep(600)
"""
#: More than the container's memory and less than a2's address-space limit (4096 MB): the
#: kernel's OOM killer, not the limit, must stop it, and the grader must survive it.
A2_MEMORY_BOMB = """

def build_model(input_shape, num_classes):
    return torch.ones(2 * 1024, 1024, 256)  # 2 GB, written
"""


@pytest.mark.parametrize(
    "code, lost, says",
    [(A2_KILLS_AND_HANGS, "training", "did not finish within"),
     (A2_MEMORY_BOMB, "build_model", "killed by signal SIGKILL")],
    ids=["kills its parent and hangs", "memory bomb"],
)  # fmt: skip
def test_a2_hostile_submission_still_gets_valid_results(code, lost, says, a2, tmp_path):
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions" / "a2", folder)
    with (folder / "model.py").open("a") as handle:
        handle.write(code)
    document, _ = a2.grade(folder, tmp_path)
    failed = [t for t in document["tests"] if t["name"].startswith(lost)]
    assert failed and all(t["score"] == 0 for t in failed), failed
    assert any(says in t.get("output", "") for t in failed), [t.get("output") for t in failed]


@pytest.mark.parametrize(
    "breakage, says",
    [
        ({"requirements.txt": "numpy==0.0.0\n"}, "No matching distribution found for numpy==0.0.0"),
        # pip installs a project that holds no grader package (as Ubuntu 22.04's pip did, as
        # UNKNOWN-0.0.0): setup.sh must notice, not the first student.
        ({"requirements.txt": "", "pyproject.toml": ("include = [\"grader*\"]", "include = []")},
         "the grader did not install"),
    ],
    ids=["unsatisfiable requirement", "grader not importable"],
)  # fmt: skip
def test_a_failing_setup_fails_the_image_build(breakage, says, base, tmp_path):
    good = tmp_path / "good.zip"
    assert main(["autograder", "build", "-a", "a1", "-o", str(good)]) == 0
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info).decode() if info.filename in breakage else source.read(info)
            change = breakage.get(info.filename)
            if isinstance(change, tuple):
                assert change[0] in data
                data = data.replace(*change)
            elif change is not None:
                data = change
            target.writestr(info, data)
    done = subprocess.run(
        [str(DOCKER / "gradescope-emulate.sh"), str(broken), str(SOLUTION), str(tmp_path / "out")],
        env=emulate_env(base, None), capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr[-3000:]
    assert says in done.stderr and "Gradescope would fail to build this zip" in done.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_grade_sh_speaks_docker_too(a1, tmp_path):
    """grade.sh with an engine named docker (a shim that hands docker's command line to podman:
    no Docker engine here) grades in the image gradescope-emulate.sh built."""
    shim = tmp_path / "bin" / "docker"
    shim.parent.mkdir()
    shim.write_text('#!/bin/sh\nexec podman "$@"\n')
    shim.chmod(0o755)
    (tmp_path / "meta.json").write_text(json.dumps(METADATA))
    done = subprocess.run(
        [str(DOCKER / "grade.sh"), a1.image, str(SOLUTION), str(tmp_path / "results"),
         "--gradescope-limits", "--metadata", str(tmp_path / "meta.json")],
        env={**os.environ, "GRADER_ENGINE": str(shim)}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    document = results_of(tmp_path / "results", done)
    assert done.returncode == 0 and total(document)[0] == pytest.approx(total(document)[1])


def cuda_build(context: Path, wheelhouse: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", "build", "-v", f"{wheelhouse}:/wheelhouse:ro", "--build-arg", f"BASE={BASE}",
         "--build-arg", "PIP_FIND_LINKS=/wheelhouse",
         "--build-arg", "PIP_CONSTRAINT=/wheelhouse/constraints.txt",
         "-f", str(DOCKER / "Dockerfile.cuda"), "-t", tag, str(context)],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip


def steps_run(log: str) -> list[str]:
    """The build steps that ran rather than came from the layer cache."""
    steps = re.split(r"^STEP \d+/\d+: ", log, flags=re.M)[1:]
    return [s.splitlines()[0] for s in steps if "--> Using cache" not in s]


def test_cuda_image_builds_with_dependencies_before_sources(base, wheelhouse, tmp_path):
    """Dockerfile.cuda, built FROM the local Debian base standing in for NVIDIA's CUDA base
    (which cannot be pulled here) with CPU torch, grades the a2 reference; after a change to a
    test file, a rebuild reuses the layer with torch."""
    context = tmp_path / "context"
    assert main(["autograder", "build", "-a", "a2", "-o", str(tmp_path / "a2.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "a2.zip") as archive:
        archive.extractall(context)
    tag = "localhost/grader-test-cuda:a2"
    with locked("image-cuda"):
        first = cuda_build(context, wheelhouse, tag)
        assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-3000:]
        test_file = next((context / "assignment" / "tests").glob("test_*.py"))
        # A change never made before: a cached layer cannot stand in for the copy of the sources.
        test_file.write_text(test_file.read_text() + f"\n# changed {uuid.uuid4()}\n")
        second = cuda_build(context, wheelhouse, tag)
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr[-3000:]
    rerun = steps_run(second.stdout)
    assert not any("setup.sh deps" in step for step in rerun), rerun
    assert any("setup.sh grader" in step for step in rerun), rerun
    done = subprocess.run(
        [str(DOCKER / "grade.sh"), tag, str(ROOT / "solutions" / "a2"), str(tmp_path / "out")],
        env={**os.environ, "GRADER_ENGINE": "podman"}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    document = results_of(tmp_path / "out", done)
    assert done.returncode == 0 and total(document)[0] == pytest.approx(total(document)[1])

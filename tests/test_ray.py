"""grader batch on a real Ray cluster: a private one on this machine, on loopback only, started
once for the module. The same scores as the local pool; a grading process killed mid-grade;
a submission that kills its grader every time; resume after the driver dies; a node whose
grader differs; a manifest that asks for a GPU the cluster does not have."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from batch_course import KILL, RIGHT, SLOW, WRONG, kill_once, make_course, make_submissions
from conftest import SOLUTION
from fixtures.a1_variants import BUGGY
from fixtures.hostile import CASES
from test_workflows import SOLUTION_CODE, write_notebook

from grader import assignment
from grader.batch import ClusterError, run_batch
from grader.batch.cluster import LOCAL_OBJECT_STORE_BYTES, _ray

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "grader"


@pytest.fixture(scope="module")
def ray_cluster():
    """One private Ray instance for the module: 2 CPUs, a small object store, no dashboard."""
    try:
        ray = _ray("local")  # sets loopback-only mode, then imports Ray
    except ClusterError as missing:
        pytest.skip(str(missing))
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=LOCAL_OBJECT_STORE_BYTES)  # fmt: skip
    try:
        assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
        yield ray
    finally:
        ray.shutdown()


def scores(outdir: Path) -> dict[str, dict[str, float]]:
    """Submission -> test name -> score, from every results.json in ``outdir``."""
    return {
        path.parent.name: {t["name"]: t["score"] for t in json.loads(path.read_text())["tests"]}
        for path in outdir.glob("*/results.json")
    }


def record(outdir: Path, sub_id: str) -> dict:
    return json.loads((outdir / sub_id / "results.json").read_text())["extra_data"]["batch"]


def a1_submissions(root: Path) -> Path:
    """Reference, stubs, a buggy variant, two hostile cases, a notebook and a zip."""
    source = root / "subs"
    shutil.copytree(SOLUTION, source / "reference")
    (source / "stubs").mkdir()
    for name in ("layers.py", "optim.py", "init.py"):
        shutil.copyfile(ROOT / "assignments" / "a1" / name, source / "stubs" / name)
    BUGGY[0].write(source / "buggy")
    hostile = {case.name: case for case in CASES}
    hostile["kills the grader"].write(source / "hostile", root / "canary")
    hostile["link to the reference"].write(source / "linked", root / "canary")
    write_notebook(source / "notebook.ipynb", SOLUTION_CODE)
    with zipfile.ZipFile(source / "zipped.zip", "w") as archive:
        for name in ("layers.py", "optim.py", "init.py"):
            archive.write(SOLUTION / name, f"homework/{name}")
    return source


def test_the_same_scores_as_the_local_pool(ray_cluster, tmp_path):
    source = a1_submissions(tmp_path)
    manifest = assignment.find("a1")
    run_batch(source, manifest, tmp_path / "local", workers=2)
    batch = run_batch(source, manifest, tmp_path / "ray", workers=2, cluster="local")
    assert batch.graded == 7 and not batch.failed
    on_ray, local = scores(tmp_path / "ray"), scores(tmp_path / "local")
    assert set(on_ray) == {"reference", "stubs", "buggy", "hostile", "linked", "notebook", "zipped"}
    assert on_ray == local
    assert sum(on_ray["reference"].values()) == pytest.approx(100)
    assert 0 < sum(on_ray["buggy"].values()) < 100
    node = record(tmp_path / "ray", "reference")
    assert node["node"] and node["device"] and node["fingerprint"]["grader_version"]


def test_a_grading_killed_mid_grade_is_graded_once_and_a_killer_is_a_failed_grade(
    ray_cluster, tmp_path
):
    course = make_course(tmp_path)
    source = make_submissions(
        tmp_path, {"a": RIGHT, "dies": KILL, "once": kill_once(tmp_path / "marker"), "z": WRONG}
    )
    out = tmp_path / "out"
    batch = run_batch(source, assignment.find(str(course)), out, workers=2, cluster="local")
    assert batch.graded == 4 and batch.failed == ["dies"]
    assert (tmp_path / "marker").exists()  # the first attempt at "once" was killed
    assert {k: sum(v.values()) for k, v in scores(out).items()} == {
        "a": 3.0, "once": 3.0, "z": 1.0, "dies": 0.0
    }  # fmt: skip
    failure = record(out, "dies")["failure"]
    assert failure.startswith("the grading process died on each of 3 attempts")
    assert "WorkerCrashedError" in failure
    # Ray does not say on which node a dead task last ran: unknown, not the driver's node
    assert record(out, "dies")["node"] is None and record(out, "dies")["device"] is None


def test_the_driver_dies_and_the_same_command_resumes(ray_cluster, tmp_path):
    """The driver (a real `grader batch --cluster local` process) is killed mid-batch; the
    same command grades what is left, and every submission ends graded exactly once."""
    course = make_course(tmp_path)
    answers = {"a": RIGHT, "b": WRONG, "c": SLOW, "d": SLOW, "e": RIGHT}
    source = make_submissions(tmp_path, answers)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "batch", str(source), "-a", str(course),
               "-o", str(out), "--workers", "2", "--cluster", "local"]  # fmt: skip
    # The killed driver's own temporary folder outlives it: made in one this test removes.
    temp = Path(tempfile.mkdtemp(prefix="driver-", dir="/tmp"))
    temp.chmod(0o1777)  # as /tmp: the graders' student users pass through it
    env = {**os.environ, "TMPDIR": str(temp)}
    family: list[psutil.Process] = []
    try:
        driver = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        deadline = time.monotonic() + 180
        while not list(out.glob("*/results.json")):
            assert driver.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        family = psutil.Process(driver.pid).children(recursive=True)
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
        assert 0 < len(before) < len(answers)
        again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        for process in family:  # what the killed driver's private Ray left, if anything
            if process.is_running():
                process.kill()
        shutil.rmtree(temp, ignore_errors=True)  # a reaper may be removing its part
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        f"Graded {len(answers) - len(before)} submissions now, kept {len(before)}" in again.stdout
    )
    after = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    assert set(after) == set(answers)
    assert all(after[name] == mtime for name, mtime in before.items())  # not graded twice


def test_a_node_with_another_grader_refuses(ray_cluster, tmp_path):
    """A node whose grader differs from the driver's refuses, and nothing is written for its
    submissions. Here a second driver joins the running cluster by its address and Ray's
    runtime environment gives the nodes' workers a grader of another version."""
    other = tmp_path / "other" / "grader"
    shutil.copytree(GRADER, other, ignore=shutil.ignore_patterns("__pycache__"))
    init = other / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.9-'))
    course = make_course(tmp_path)
    source = make_submissions(tmp_path, {"a": RIGHT, "b": WRONG})
    out = tmp_path / "out"
    address = ray_cluster.get_runtime_context().gcs_address
    command = [sys.executable, "-m", "grader.cli", "batch", str(source), "-a", str(course),
               "-o", str(out), "--cluster", address,
               "--runtime-env", json.dumps({"py_modules": [str(other)]})]  # fmt: skip
    # Not from the checkout's folder: Ray puts the driver's folder on the workers' path.
    refused = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = refused.stderr
    assert "refuses to grade: its grader_version and grader differ from the driver's" in message
    assert "9.9.9-" in message and "install the same grader and assignment on every node" in message
    assert not list(out.glob("*/results.json"))


def test_a_gpu_the_cluster_lacks_is_refused_unless_told_to_use_cpus(ray_cluster, tmp_path):
    course = make_course(tmp_path)
    manifest = course / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "resources: {cpus: 1, gpus: 1, memory_mb: 512}\n")
    source = make_submissions(tmp_path, {"a": RIGHT})
    tiny = assignment.find(str(course))
    assert tiny.resources == {"cpus": 1, "gpus": 1, "memory_mb": 512}
    with pytest.raises(ClusterError, match=r"asks for 1 GPU per grading .* --cpu-fallback"):
        run_batch(source, tiny, tmp_path / "out", cluster="local")
    batch = run_batch(source, tiny, tmp_path / "out", cluster="local", cpu_fallback=True)
    assert batch.graded == 1 and sum(scores(tmp_path / "out")["a"].values()) == 3


def test_a_folder_travels_without_following_links(tmp_path):
    """A folder submission is zipped for its node: its files, not what its links point to."""
    from grader.batch.cluster import pack
    from grader.batch.discover import Submission

    folder = tmp_path / "alice"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "layers.py").write_text("x = 1\n")
    (folder / "everything").symlink_to("/")
    (folder / "optim.py").symlink_to(SOLUTION / "optim.py")
    name, data = pack(Submission("alice", folder))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert name == "alice.zip" and archive.namelist() == ["src/layers.py"]
    assert archive.read("src/layers.py") == b"x = 1\n"

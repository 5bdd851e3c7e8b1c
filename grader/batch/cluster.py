"""The Ray backend (``--cluster ADDRESS``): one Ray task per submission, on any node.

The submission travels as bytes and its results document comes back; only the driver writes
OUTDIR. Each node grades with its own installed grader and assignment, and first checks that
they are the driver's (same fingerprint): a node that differs refuses the task, and the batch
stops with a message that says what to install. A grading whose worker or node dies is retried
by Ray, at most ``MAX_ATTEMPTS`` times in all, then recorded as a failed grade with the reason.
Ray is imported only here, and only when a cluster is asked for.
"""

from __future__ import annotations

import functools
import io
import os
import platform
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from grader import assignment
from grader.batch.discover import Submission
from grader.batch.fingerprint import Fingerprint, fingerprint
from grader.batch.task import failed_grade, grade_submission
from grader.manifest import Manifest
from grader.reporting.results import Results
from grader.sandbox import reaper
from grader.submission import MAX_ENTRIES, MAX_FILE_BYTES, MAX_UNPACKED_BYTES

#: Attempts at one submission whose worker or node dies each time (Ray retries the rest).
MAX_ATTEMPTS = 3
#: A private local instance ("--cluster local") keeps its object store small: only
#: submissions (bytes) and results documents go through it.
LOCAL_OBJECT_STORE_BYTES = 100 * 1024**2
#: Seconds a cancelled grading gets to unwind (kill its workers) before it is killed.
STOP_GRACE = 2.0
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
INSTALL_HINT = "grading on a cluster needs Ray: pip install -e '.[ray]' (in the grader's folder)"

Done = Callable[[Submission, Results], None]


class ClusterError(Exception):
    """The cluster cannot grade this batch (no Ray, no GPU, a node that differs)."""


class NodeMismatch(Exception):
    """Raised on a node whose grader or assignment is not the driver's."""


def _ray(address: str) -> Any:
    if address == "local":
        # Ray's single-machine mode (its default on macOS and Windows): every server on
        # 127.0.0.1, never on the machine's network addresses. Read when Ray is imported.
        os.environ.setdefault(LOOPBACK_ONLY, "0")
    try:
        import ray
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


def grade_all(jobs: list[Submission], manifest: Manifest, made_with: Fingerprint, address: str,
              workers: int, done: Done, cpu_fallback: bool = False,
              runtime_env: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Grade ``jobs`` as Ray tasks on the cluster at ``address``, calling ``done`` here."""
    ray = _ray(address)
    started_here = not ray.is_initialized()
    if started_here:
        _connect(ray, address, workers, runtime_env)
    try:
        options = _options(ray, manifest, cpu_fallback)
        if runtime_env and not started_here:  # an existing connection: per task instead
            options["runtime_env"] = runtime_env
        remote = ray.remote(_grade_on_node).options(**options)
        spec = _assignment_spec(manifest)
        window = max(2 * int(ray.cluster_resources().get("CPU", 1)), 2 * workers, 4)
        _drive(ray, remote, jobs, spec, made_with, window, done)
    finally:
        if started_here:
            ray.shutdown()


def _connect(ray: Any, address: str, workers: int, runtime_env: dict[str, Any] | None) -> None:
    """Join the cluster; the runtime environment (folders to ship, say) is the job's."""
    try:
        if address == "local":  # a private instance on loopback, gone when the batch ends
            ray.init(address="local", num_cpus=max(workers, 1), include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, log_to_driver=False,
                     runtime_env=runtime_env)  # fmt: skip
        else:
            ray.init(address=address, log_to_driver=False, runtime_env=runtime_env)
    except Exception as exc:  # Ray's errors for a bad address vary with the kind of address
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc}") from None


def _options(ray: Any, manifest: Manifest, cpu_fallback: bool) -> dict[str, Any]:
    """The task's resources, from the manifest's ``resources``."""
    wanted = manifest.resources
    options: dict[str, Any] = {"num_cpus": wanted.get("cpus", 1), "max_retries": MAX_ATTEMPTS - 1}
    gpus = wanted.get("gpus", 0)
    if gpus:
        if ray.cluster_resources().get("GPU", 0) >= gpus:
            options["num_gpus"] = gpus
        elif not cpu_fallback:
            raise ClusterError(
                f"{manifest.name} asks for {gpus:g} GPU per grading (resources.gpus in "
                f"{manifest.path}) but the cluster has none: add GPU nodes, or pass "
                "--cpu-fallback to train on CPUs (the manifest's cpu budget then applies)"
            )
    if "memory_mb" in wanted:
        options["memory"] = int(wanted["memory_mb"]) * 1024**2
    return options


def _drive(ray: Any, remote: Any, jobs: list[Submission], spec: str, made_with: Fingerprint,
           window: int, done: Done) -> None:  # fmt: skip
    """Keep ``window`` tasks in flight; hand each result to ``done`` as it comes back."""
    queue = iter(jobs)
    flight: dict[Any, Submission] = {}
    try:
        while True:
            for job in _take(queue, window - len(flight)):
                name, data = pack(job)
                flight[remote.remote(name, data, spec, made_with.as_dict())] = job
            if not flight:
                return
            ready, _ = ray.wait(list(flight), num_returns=1, timeout=1.0)
            for ref in ready:
                job = flight.pop(ref)
                done(job, _outcome(ray, ref, made_with))
    finally:
        _cancel(ray, list(flight))


def _take(queue: Iterator[Submission], count: int) -> list[Submission]:
    return [job for _, job in zip(range(max(count, 0)), queue, strict=False)]


def _outcome(ray: Any, ref: Any, made_with: Fingerprint) -> Results:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # the node refused, or could not load anything
        cause = getattr(exc, "cause", None) or exc
        raise ClusterError(f"a node could not grade: {cause}") from None
    except ray.exceptions.RayError as exc:  # the worker or its node died on every attempt
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = f"the grading process died on each of {MAX_ATTEMPTS} attempts"
        return failed_grade(
            f"{why} ({type(exc).__name__}: {reason})",
            made_with,
            MAX_ATTEMPTS,
            on_this_machine=False,
        )


def _cancel(ray: Any, refs: list[Any]) -> None:
    """Interrupt running gradings (they kill their workers), then kill those still running."""
    if not refs:
        return
    for ref in refs:
        ray.cancel(ref)
    # A cancelled task's result is ready at once, while the task still unwinds on its node:
    # give it the time to kill its sandboxed workers before its node may go (ray.shutdown).
    time.sleep(STOP_GRACE)
    _, running = ray.wait(refs, num_returns=len(refs), timeout=0)
    for ref in running:
        ray.cancel(ref, force=True)


def pack(job: Submission) -> tuple[str, bytes]:
    """A submission as a file name and bytes: a file as it is, a folder zipped: its regular
    files, links never followed; a file larger than the grader accepts is cut just past the
    limit (refused all the same), and packing stops past the grader's limits on a zip."""
    if job.path.is_file():
        return job.path.name, job.path.read_bytes()
    buffer, count, size = io.BytesIO(), 0, 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _regular_files(job.path):
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            archive.writestr(str(path.relative_to(job.path)), data)
            count, size = count + 1, size + len(data)
            if count > MAX_ENTRIES or size > MAX_UNPACKED_BYTES:
                break
    return f"{job.id}.zip", buffer.getvalue()


def _regular_files(top: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(top):  # never follows a link to a folder
        folders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _assignment_spec(manifest: Manifest) -> str:
    """How a node finds the assignment: by name when it is bundled with the grader, else by
    its path (a folder every node has, a shared file system for example)."""
    if (assignment.BUNDLED / manifest.name / "manifest.yaml").resolve() == manifest.path:
        return manifest.name
    return str(manifest.path)


@functools.lru_cache(maxsize=4)
def _this_node(spec: str) -> tuple[Manifest, Fingerprint]:
    manifest = assignment.find(spec)
    return manifest, fingerprint(manifest)


def _grade_on_node(name: str, data: bytes, spec: str, expected: dict[str, Any]) -> Results:
    """The Ray task: refuse unless this node's grader and assignment are the driver's."""
    try:
        manifest, mine = _this_node(spec)
    except Exception as exc:
        raise NodeMismatch(f"node {platform.node()} cannot load assignment {spec}: {exc}") from None
    differs = mine.differences(expected)
    if differs:
        raise NodeMismatch(
            f"node {platform.node()} refuses to grade: its {' and '.join(differs)} differ from "
            f"the driver's (node: {mine.as_dict()}, driver: {expected}); install the same "
            "grader and assignment on every node (or ship them with --runtime-env)"
        )
    reaper.guard()  # a cancelled or killed task's sandboxed workers die with its process
    with tempfile.TemporaryDirectory(prefix="grader-node-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return grade_submission(path, manifest, mine, attempt=None)  # Ray counts attempts

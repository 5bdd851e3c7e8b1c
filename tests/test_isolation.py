"""Isolation between gradings, attacked from student code: the fork server out of reach, no
inherited descriptor of the grader's, staff files unreadable, hidden tests' inputs kept from
visible tests, neighbours in a batch untouchable, nothing left running or stored afterwards.

Each attack runs through the real command line (``grader grade``, ``grader batch``) in each mode
where it applies: as root with namespaces (where this kernel allows them), as root with a uid
of its own only (``GRADER_NAMESPACES=off``, as in a container that forbids namespaces), and as
a plain user (through ``setpriv`` when the suite runs as root). A mode that lacks what an item
needs is skipped with the reason the README gives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import SOLUTION, graded
from fixtures import isolation as iso
from fixtures.hostile import leftover_files

from grader.assignment import BUNDLED
from grader.sandbox import acl
from grader.sandbox.isolation import Isolation, probe

ROOT = os.geteuid() == 0
PLAIN_UID = 65534  # nobody
MODES = ["root", "root without namespaces", "plain user"]


def isolation_of(mode: str) -> Isolation:
    if mode == "root":
        return probe(True)
    if mode == "root without namespaces":
        return Isolation(own_uid=True)
    if not ROOT:
        return probe(False)
    code = "from grader.sandbox.isolation import probe; import dataclasses, json; "
    code += "print(json.dumps(dataclasses.asdict(probe(False))))"
    done = subprocess.run(
        _as(mode, [sys.executable, "-c", code]), capture_output=True, text=True, check=True
    )
    return Isolation(**json.loads(done.stdout))


def skip_plain_user_without(namespace: str, mode: str, reason: str) -> None:
    """Skip the plain user's mode where this machine gives it no ``namespace`` (pid_ns,
    mount_ns): the README lists what then does not hold."""
    if mode == "plain user" and not getattr(isolation_of(mode), namespace):
        pytest.skip(f"as a plain user without {namespace}: {reason}")


def _as(mode: str, command: list[str]) -> list[str]:
    if mode == "plain user" and ROOT:
        return ["setpriv", f"--reuid={PLAIN_UID}", f"--regid={PLAIN_UID}", "--clear-groups", "--",
                *command]  # fmt: skip
    return command


@pytest.fixture(params=MODES)
def mode(request) -> str:
    if request.param.startswith("root") and not ROOT:
        pytest.skip("needs root")
    return request.param


@pytest.fixture
def workspace():
    """A folder every user may use (the plain user's grader writes there), sticky like /tmp so
    that no one renames another's entries; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="isolation-", dir="/tmp"))
    folder.chmod(0o1777)
    (folder / "home").mkdir()
    (folder / "home").chmod(0o777)
    iso.write_assignment(folder / "assignment")
    yield folder
    iso.remove(folder)


def run(mode: str, workspace: Path, *args: str, env: dict[str, str] | None = None):
    """The grader's command line in ``mode``; returns the finished process and its time."""
    environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(workspace / "home"),
                   "GRADER_CACHE": str(workspace / "home" / "cache"), **(env or {})}  # fmt: skip
    if mode == "root without namespaces":
        environment["GRADER_NAMESPACES"] = "off"
    command = _as(mode, [sys.executable, "-m", "grader.cli", *args])
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    return done, time.monotonic() - started


def grade(mode: str, workspace: Path, attack: str, env: dict[str, str] | None = None):
    """Grade the reference with ``attack`` appended; returns (results, process, seconds)."""
    submission = iso.write_submission(workspace / "submission", attack)
    out = workspace / "out"
    out.mkdir()
    # As root, results go where only root can write (the grader refuses any other folder);
    # the plain user's grader writes in a folder of the shared workspace.
    out.chmod(0o777 if mode == "plain user" else 0o700)
    arguments = ["grade", str(submission), "-a", str(workspace / "assignment"), "-o",
                 str(out / "results.json")]  # fmt: skip
    done, seconds = run(mode, workspace, *arguments, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "results.json").read_text()), done, seconds


def assert_honest_kept(results: dict) -> None:
    assert iso.honest_scores(results) == iso.HONEST, results["tests"]


def assert_nothing_left(workspace: Path) -> None:
    """No process of this test's gradings (their command lines name the workspace), no
    file an attack left in the shared folders."""
    assert iso.processes_sleeping(str(workspace)) == []
    assert iso.processes_sleeping(iso.sleep_marker(workspace)) == []
    assert leftover_files(workspace) == []


def test_the_fork_server_is_out_of_reach(mode, workspace):
    skip_plain_user_without("pid_ns", mode, "student code can stop the grader")
    results, _, seconds = grade(mode, workspace, iso.STOPS_THE_FORK_SERVER)
    assert_honest_kept(results)  # test_f ran after the attack, from the same fork server
    assert seconds < 60
    assert_nothing_left(workspace)


def test_student_code_holds_no_descriptor_of_the_graders(mode, workspace):
    results, done, _ = grade(mode, workspace, iso.FORGES_OUTPUT)
    assert "FORGED" not in done.stdout + done.stderr
    assert "\x1b[2J" not in done.stdout + done.stderr
    assert_honest_kept(results)
    assert_nothing_left(workspace)


def test_staff_files_are_unreadable(mode, workspace):
    skip_plain_user_without("mount_ns", mode, "the user's files are readable")
    metadata = workspace / "submission_metadata.json"
    metadata.write_text('{"previous_submissions": "metadata-secret"}')
    metadata.chmod(0o644)
    patterns = [str(BUNDLED.parent / "solutions" / "**" / "*.py"), str(BUNDLED / "**" / "*.py"),
                str(workspace / "assignment" / "**" / "*.py"), str(metadata),
                str(workspace / "home" / "cache" / "**"),
                "/tmp/grader-*/staff/**/*.py",
                # the checkout's history (every solution) and its tests (correct variants)
                str(BUNDLED.parent / ".git" / "HEAD"),
                str(BUNDLED.parent / "tests" / "fixtures" / "isolation.py")]  # fmt: skip
    attack = f"PATTERNS = {patterns!r}\n" + iso.READS_STAFF_FILES
    results, _, _ = grade(mode, workspace, attack, env={"GRADER_METADATA": str(metadata)})
    text = json.dumps(results)
    assert [secret for secret in iso.STAFF_SECRETS if secret in text] == []
    assert_honest_kept(results)


def test_student_code_writes_only_in_its_scratch_and_temporary_folders(mode, workspace):
    """Not in the grader's own Python (a .pth file there would run in every later Python), the
    results' folder, the user's files or folders every user may write (``shared``, as
    /run/lock). The grader's temporary folder is reached through a link (its scratch folder
    must stay writable all the same)."""
    if mode == "root without namespaces":
        pytest.skip("without a mount namespace, folders every user may write stay writable")
    skip_plain_user_without("mount_ns", mode, "student code writes wherever the user may")
    if not os.access("/run", os.W_OK):
        pytest.skip("no /run to make a folder every user may write in, outside /tmp")
    shared, temporary = (Path(tempfile.mkdtemp(prefix="isolation-", dir="/run")) for _ in "ab")
    link = temporary.with_name(temporary.name + "-link")
    try:
        for folder in (shared, temporary):
            folder.chmod(0o1777)
        link.symlink_to(temporary)
        targets = {"shared": str(shared), "results' folder": str(workspace / "out")}
        attack = f"TARGETS = {targets!r}\n" + iso.WRITES_OUTSIDE
        results, done, _ = grade(mode, workspace, attack, env={"TMPDIR": str(link)})
        assert list(shared.iterdir()) == []
        # says so (naming any mount it could not remount: one that podman, say, made meanwhile)
        assert "file systems read-only" in done.stdout.replace("\n", " "), done.stdout
    finally:
        link.unlink(missing_ok=True)
        for folder in (shared, temporary):
            shutil.rmtree(folder)
    (attack,) = [t for t in results["tests"] if t["name"].startswith("attack")]
    assert "WROTE home, tmp\n" in attack["output"], attack["output"]
    assert list(workspace.rglob("planted-by-student")) == []
    assert_honest_kept(results)


def test_hidden_inputs_never_reach_later_visible_tests(mode, workspace):
    skip_plain_user_without("mount_ns", mode, "/tmp is shared with the grader")
    results, _, _ = grade(mode, workspace, iso.LEAKS_HIDDEN_INPUTS)
    visible = [t for t in results["tests"] if t.get("visibility", "visible") == "visible"]
    assert len(visible) == 6 and visible[-1]["name"].startswith("twice")  # after the hidden one
    assert [t["name"] for t in visible if "31337" in t.get("output", "")] == []
    hidden = next(t for t in results["tests"] if t.get("visibility") == "after_due_date")
    assert "0.0 1.0 2.0" in hidden["output"]  # it did remember, across visible tests
    assert_honest_kept(results)
    assert_nothing_left(workspace)
    keys = [row.split()[0] for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    assert str(iso.SHM_KEY) not in keys  # its System V shared memory went with it


def test_a_batch_neighbour_can_neither_kill_nor_read_the_others(mode, workspace):
    skip_plain_user_without("pid_ns", mode, "gradings share one identity")
    submissions = workspace / "submissions"
    for number in range(3):
        iso.write_submission(submissions / f"honest-{number}", neighbour=number)
    iso.write_submission(submissions / "attacker", iso.ATTACKS_NEIGHBOURS)
    out = workspace / "out"
    done, _ = run(mode, workspace, "batch", str(submissions), "-a", str(workspace / "assignment"),
                  "-o", str(out), "--workers", "4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    for number in range(3):
        results = json.loads((out / f"honest-{number}" / "results.json").read_text())
        assert sum(t["score"] for t in results["tests"]) == iso.TOTAL, results["tests"]
    attacker = json.dumps(json.loads((out / "attacker" / "results.json").read_text()))
    assert "read: " in attacker  # the attack ran and said what it read
    assert "neighbour-secret" not in attacker
    assert_nothing_left(workspace)


def test_nothing_outlives_the_grading(mode, workspace):
    skip_plain_user_without("mount_ns", mode, "files in /tmp are not told from the grader's")
    results, _, _ = grade(mode, workspace, iso.LEAVES_THINGS_BEHIND)
    assert sum(t["score"] for t in results["tests"]) == iso.TOTAL, results["tests"]
    assert_nothing_left(workspace)


def test_a_flood_of_references_is_refused_quickly_and_in_little_memory(workspace):
    """A reply frame of 45 MB holding 1.8 million references to one array: the grader refuses
    it within the call's time, and its own memory stays small."""
    submission = iso.write_submission(workspace / "submission", iso.FLOODS_THE_GRADER)
    script = (
        "import json, re, sys, time\n"
        "from pathlib import Path\n"
        "from grader import assignment\n"
        "from grader.grading import grade\n"
        "started = time.monotonic()\n"
        f"results = grade(Path({str(submission)!r}), "
        f"assignment.find({str(workspace / 'assignment')!r})).results.to_gradescope()\n"
        "print(json.dumps({'seconds': time.monotonic() - started, 'results': results,\n"
        "  'peak_mb': int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())"
        "[1]) / 1024}))\n"  # this process's own peak (ru_maxrss carries over pytest's)
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    attack = next(t for t in report["results"]["tests"] if t["name"].startswith("attack"))
    assert "cannot read" in attack["output"] and attack["score"] == 0
    assert_honest_kept(report["results"])
    assert report["seconds"] < 60
    assert report["peak_mb"] < 600, report["peak_mb"]


@pytest.mark.skipif(not ROOT, reason="needs root: modes of the checkout change only as root")
def test_a_root_grade_changes_no_modes_in_the_checkout():
    def modes() -> dict[str, int]:
        folders = [BUNDLED, BUNDLED.parent / "solutions"]
        return {str(p): p.stat().st_mode for f in folders for p in [f, *f.rglob("*")]
                if "__pycache__" not in p.parts}  # fmt: skip

    before = modes()
    results = graded(SOLUTION)
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(100)
    assert modes() == before


@pytest.mark.parametrize("namespaces", ["on", "off"])
@pytest.mark.skipif(not ROOT, reason="needs root: student code runs as another user only then")
def test_a_python_in_a_folder_closed_to_other_users(workspace, namespaces):
    """A Python (here a virtual environment) in a folder of root's that other users cannot
    enter, as pyenv's under /root: with a mount namespace, grading works as it is; without,
    it stops with the exact command that opens the folder, and works after it."""
    closed = Path(tempfile.mkdtemp(dir=Path.home()))  # mode 700, like /root
    try:
        venv = closed / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
        site = next((venv / "lib").glob("python3*/site-packages"))
        (site / "ours.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
        submission = iso.write_submission(workspace / "submission")
        command = [str(venv / "bin" / "python"), "-m", "grader.cli", "grade", str(submission),
                   "-a", str(workspace / "assignment")]  # fmt: skip
        env = {**os.environ, "GRADER_NAMESPACES": namespaces}
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
        if namespaces == "on" and probe(True).mount_ns:
            assert done.returncode == 0, done.stderr
            return
        assert done.returncode == 2, done.stderr
        assert f"run `chmod o+x {closed}`" in done.stderr, done.stderr
        subprocess.run(f"chmod o+x {closed}", shell=True, check=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
    finally:
        shutil.rmtree(closed)


@pytest.mark.skipif(not ROOT, reason="needs root: ACLs of others' files")
def test_an_acl_closes_files_to_one_uid_only_and_goes_away(workspace):
    folder = workspace / "staff"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "secret.py").write_text("secret")
    for path in (workspace, folder, folder / "tests"):
        path.chmod(0o755)
    single = workspace / "metadata.json"
    single.write_text("secret")
    single.chmod(0o644)
    modes = {p: p.stat().st_mode for p in (folder, single)}

    def reads(uid: int, path: Path) -> bool:
        command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "cat", path]
        return subprocess.run(command, capture_output=True).returncode == 0

    denied = acl.deny([folder, single], 64999, workspace / "lock")
    assert denied == [folder, single]
    assert not reads(64999, folder / "tests" / "secret.py") and not reads(64999, single)
    assert reads(64998, folder / "tests" / "secret.py") and reads(64998, single)
    assert {p: p.stat().st_mode for p in (folder, single)} == modes
    acl.allow(denied, 64999, workspace / "lock")
    assert reads(64999, folder / "tests" / "secret.py") and reads(64999, single)
    assert [p for p in (folder, single) if "system.posix_acl_access" in os.listxattr(p)] == []


def test_nothing_outlives_a_grader_that_is_killed(workspace):
    """The fork server ends when the grader's end of its socket closes, and takes the PID
    namespace's first process and every worker with it."""
    submission = iso.write_submission(workspace / "submission")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from grader.sandbox.client import Limits\n"
        "from grader.sandbox.sandbox import Sandbox\n"
        f"sandbox = Sandbox(Path({str(submission)!r}), ['layers'], Limits())\n"
        "sandbox.check_start()\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    # Its scratch folder, which nothing removes after a kill, is made in the workspace (removed).
    env = {**os.environ, "TMPDIR": str(workspace)}
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=env)  # fmt: skip
    assert grader.stdout.readline().strip() == "started"
    assert iso.processes_sleeping(str(submission)) != []  # the fork server, named by its folder
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while iso.processes_sleeping(str(submission)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert iso.processes_sleeping(str(submission)) == []


def test_the_report_names_file_systems_a_worker_could_not_make_read_only():
    plan = Isolation(own_uid=True, mount_ns=True)
    assert plan.report()[1].endswith("staff folders hidden; other file systems read-only")
    assert plan.report([], ["/srv/data"])[1].endswith("file systems read-only but /srv/data")

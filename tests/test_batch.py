"""grader batch on the local pool, as a TA uses it: names and ids from any export, a summary
an LMS can import, results that say what made them, a grading process that dies, and Ctrl-C."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from batch_course import KILL, RIGHT, SLOW, WRONG, kill_once, make_course, make_submissions

from grader import assignment
from grader.batch import run_batch
from grader.batch.discover import RESERVED, discover
from grader.batch.summary import histogram_bins, plot_histogram
from grader.cli import main
from grader.sandbox.user import SandboxUser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path)


def rows(outdir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((outdir / "summary.csv").open(encoding="utf-8")))


def record(outdir: Path, sub_id: str) -> dict:
    results = json.loads((outdir / sub_id / "results.json").read_text())
    return results["extra_data"]["batch"]


@pytest.mark.parametrize("reserved", ["summary.csv", "REPORT.md", "histogram.png"])
def test_a_submission_named_like_an_output_of_the_batch(tmp_path, course, reserved):
    """A folder named summary.csv (report.md, histogram.png, in any case) is graded like any
    other, under another id, and the batch's own files are still written."""
    source = make_submissions(tmp_path, {reserved: RIGHT, "bob": WRONG})
    out = tmp_path / "out"
    batch = run_batch(source, assignment.find(str(course)), out, workers=1)
    assert batch.graded == 2 and not batch.interrupted
    assert (out / "summary.csv").is_file() and (out / "report.md").is_file()
    ids = {row["submission"] for row in rows(out)}
    assert "bob" in ids and len(ids) == 2
    assert not {i.lower() for i in ids} & RESERVED


def test_submissions_with_one_stem_get_their_own_results(tmp_path):
    """alice/, alice.ipynb, alice.zip and ALICE.zip: four submissions, four ids, none shared
    (ignoring case, so that they stay apart on any file system)."""
    source = tmp_path / "subs"
    (source / "alice").mkdir(parents=True)
    for name in ("alice.ipynb", "alice.zip", "ALICE.zip", "bob.zip"):
        (source / name).write_bytes(b"")
    found = discover(source, tmp_path / "work")
    ids = [sub.id for sub in found]
    assert len({i.lower() for i in ids}) == 5
    assert dict(zip([s.path.name for s in found], ids, strict=True))["bob.zip"] == "bob"


METADATA = """\
team:
  :submitters:
  - :name: "=HYPERLINK(\\"http://x.example\\", \\"click\\")"
    :email: "+ada@example.edu"
    :sid: "-1234"
  - :name: "@SUM(A1:A9)"
    :email: grace@example.edu
    :sid: 5678
solo:
  :submitters:
  - :name: Alan Turing
    :email: alan@example.edu
    :sid: '0042'
"""


def test_summary_is_one_row_per_student_with_no_formulas(tmp_path, course):
    """Group submissions give a row per student (name, email, SID, total, per-test scores);
    a cell a spreadsheet would run as a formula starts with a quote instead."""
    source = make_submissions(tmp_path, {"team": RIGHT, "solo": WRONG, "=cmd|' /C calc'!A0": RIGHT})
    (source / "submission_metadata.yml").write_text(METADATA)
    out = tmp_path / "out"
    run_batch(source, assignment.find(str(course)), out, workers=2)
    table = rows(out)
    team = [row for row in table if row["submission"] == "team"]
    assert [(r["name"], r["email"], r["sid"]) for r in team] == [
        ('\'=HYPERLINK("http://x.example", "click")', "'+ada@example.edu", "'-1234"),
        ("'@SUM(A1:A9)", "grace@example.edu", "5678"),
    ]
    assert all(float(r["score"]) == 3 and r["max_score"] == "3.0" for r in team)
    solo = next(row for row in table if row["submission"] == "solo")
    assert (solo["name"], solo["sid"], solo["score"]) == ("Alan Turing", "0042", "1.0")
    assert (
        solo["value: the answer is 42"] == "0.0" and solo["twice: the same answer twice"] == "1.0"
    )
    for row in table:
        assert not any(str(v).startswith(("=", "+", "-", "@")) for v in row.values())


def test_names_that_are_not_text_are_left_out(tmp_path, course):
    """YAML aliases can make a name that prints to gigabytes: only text and numbers are names."""
    bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    metadata = (
        "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + bomb
        + "alice:\n  :submitters:\n  - :name: *l8\n    :email: {a: 1}\n    :sid: [1, 2]\n"
        + "? *l8\n: {':submitters': [{':name': *l8}]}\n"
    )  # fmt: skip
    source = make_submissions(tmp_path, {"alice": RIGHT})
    (source / "submission_metadata.yml").write_text(metadata)
    out = tmp_path / "out"
    run_batch(source, assignment.find(str(course)), out, workers=1)
    assert (out / "summary.csv").stat().st_size < 2000
    (row,) = rows(out)
    assert (row["submission"], row["name"], row["email"], row["sid"]) == ("alice", "", "", "")


@pytest.mark.parametrize("count", [1, 4, 40, 1000])
def test_histogram_counts_whole_submissions_in_bins_that_suit_the_count(tmp_path, count):
    totals = [float(i % 11) * 10 for i in range(count)]
    axis = plot_histogram(totals, 100.0, tmp_path / "h.png")
    bars = axis.patches
    assert len(bars) == histogram_bins(count) <= 20
    assert sum(bar.get_height() for bar in bars) == count
    assert all(tick == int(tick) for tick in axis.get_yticks())
    assert histogram_bins(4) < histogram_bins(40) < histogram_bins(1000)


def test_stale_results_are_graded_again_and_counts_are_of_this_run(tmp_path, course, capsys):
    """A rerun keeps results of today's grader and tests; results made with other tests (or
    without a fingerprint: an older grader) are graded again, and the message says how many."""
    source = make_submissions(tmp_path, {"a": RIGHT, "b": WRONG, "c": RIGHT})
    out = tmp_path / "out"
    args = ["batch", str(source), "-a", str(course), "-o", str(out), "--workers", "2"]
    assert main(args) == 0
    assert "Graded 3 submissions now, kept 0" in capsys.readouterr().out
    made = record(out, "a")["fingerprint"]
    assert set(made) == {"grader_version", "grader", "assignment"}

    assert main(args) == 0
    assert "Graded 0 submissions now, kept 3" in capsys.readouterr().out

    results = json.loads((out / "b" / "results.json").read_text())
    del results["extra_data"]["batch"]  # as an older grader wrote it
    (out / "b" / "results.json").write_text(json.dumps(results))
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert (
        "1 results were made with another grader" in printed and "Graded 1 submissions" in printed
    )

    tests = course / "tests" / "test_tiny.py"
    tests.write_text(tests.read_text().replace("answer == 42", "answer == 41"))  # a fixed test
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert (
        "3 results were made with another grader" in printed and "Graded 3 submissions" in printed
    )
    assert record(out, "a")["fingerprint"]["assignment"] != made["assignment"]
    assert {r["submission"]: r["score"] for r in rows(out)} == {"a": "1.0", "b": "3.0", "c": "1.0"}


def test_a_grading_process_that_dies_is_retried_then_recorded_as_failed(tmp_path, course, capsys):
    """A grading process killed once: graded again, once. Killed every time: a failed grade
    with the reason after a bounded number of attempts. The others are graded all the same."""
    source = make_submissions(
        tmp_path, {"a": RIGHT, "dies": KILL, "once": kill_once(tmp_path / "marker"), "z": WRONG}
    )
    out = tmp_path / "out"
    assert main(["batch", str(source), "-a", str(course), "-o", str(out), "--workers", "2"]) == 1
    printed = capsys.readouterr().out
    assert (
        "dies: failed: the grading process was killed by SIGKILL on each of 3 attempts" in printed
    )
    assert record(out, "dies")["attempts"] == 3
    assert record(out, "dies")["node"] == platform.node()  # it died here, on this machine
    assert record(out, "once")["attempts"] == 2
    table = {r["submission"]: r for r in rows(out)}
    assert table["dies"]["status"].startswith("failed: the grading process was killed")
    assert (table["a"]["score"], table["once"]["score"], table["z"]["score"]) == (
        "3.0",
        "3.0",
        "1.0",
    )
    assert table["a"]["status"] == table["once"]["status"] == "graded"
    assert "Graded 4 submissions now" in printed


def _family(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.fixture
def short_temp() -> Iterator[Path]:
    """An empty temporary folder with a short path: multiprocessing's fork server binds a
    socket in the temporary folder, and a socket's path has at most 107 bytes (pytest's
    tmp_path under xdist is too long)."""
    folder = Path(tempfile.mkdtemp(prefix="t-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _sigint_by_default() -> None:
    """In the batch's process before it runs: SIGINT's default action, which Python turns into
    KeyboardInterrupt, even where these tests were started with SIGINT ignored (a background
    job of a non-interactive shell, `nohup`): Python leaves an inherited SIG_IGN alone."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


@pytest.mark.parametrize(
    "to_group, cluster",
    [(False, []), (True, []),
     pytest.param(True, ["--cluster", "local"], marks=pytest.mark.skipif(
         not _ray_installed(), reason="Ray is not installed: pip install -e '.[ray]'"))],
    ids=["main process", "process group", "process group, ray"],
)  # fmt: skip
def test_ctrl_c_stops_the_batch_keeps_what_is_done_and_resumes(tmp_path, course, to_group,
                                                               cluster, short_temp):  # fmt: skip
    """SIGINT (to the batch, or to its process group as a terminal sends it): stopped within
    seconds, every grading process and sandbox worker gone, finished results kept, exit 130;
    the same command then grades only what is left."""
    source = make_submissions(tmp_path, {"a": RIGHT, "b": WRONG, "c": SLOW, "d": SLOW})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "batch", str(source), "-a", str(course),
               "-o", str(out), "--workers", "2", *cluster]  # fmt: skip
    # The temporary folder of the batch and of all it starts (Ray's own stays where it was)
    ray_files = os.environ.get("RAY_TMPDIR", tempfile.gettempdir())
    env = {**os.environ, "TMPDIR": str(short_temp), "RAY_TMPDIR": ray_files}
    batch = subprocess.Popen(command, cwd=ROOT, start_new_session=True, text=True, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=_sigint_by_default)  # fmt: skip
    deadline = time.monotonic() + 180
    while not all((out / s / "results.json").exists() for s in "ab"):
        assert batch.poll() is None and time.monotonic() < deadline, batch.stdout.read()
        time.sleep(0.2)
    time.sleep(1.5)  # c and d are now in their student code's sleep
    family = _family(batch.pid)
    assert len(family) >= 4  # grading processes, fork servers, workers
    stopped = time.monotonic()
    if to_group:
        os.killpg(batch.pid, signal.SIGINT)
    else:
        batch.send_signal(signal.SIGINT)
    output, _ = batch.communicate(timeout=30)
    assert batch.returncode == 130, output
    assert time.monotonic() - stopped < 10
    _, left = psutil.wait_procs(family, timeout=5)
    left = [p for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [(p.pid, p.cmdline()) for p in left]
    assert "Interrupted: graded 2 submissions now" in output
    assert not (out / "c" / "results.json").exists() and not (out / "d" / "results.json").exists()

    again = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, timeout=300, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Graded 2 submissions now, kept 2" in again.stdout
    assert "Traceback" not in again.stderr, again.stderr  # grading processes leave quietly
    assert {r["submission"] for r in rows(out)} == {"a", "b", "c", "d"}
    # Both runs' gradings, stopped or finished, leave no copy of a submission or of the tests
    assert _soon(lambda: not any(short_temp.iterdir())), sorted(short_temp.iterdir())


def _soon(condition: Callable[[], bool], seconds: float = 15) -> bool:
    """Whether ``condition()`` holds within ``seconds`` (the reaper's removals come after the
    processes it watches are gone)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_without_a_cluster_ray_is_never_imported(tmp_path, course):
    source = make_submissions(tmp_path, {"a": RIGHT})
    code = (
        "import sys\nfrom grader.cli import main\n"
        f"assert main(['batch', {str(source)!r}, '-a', {str(course)!r}, '-o', "
        f"{str(tmp_path / 'out')!r}, '--workers', '1']) == 0\n"
        "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_cluster_without_ray_installed_says_how_to_install_it(tmp_path, course):
    source = make_submissions(tmp_path, {"a": RIGHT})
    code = (
        "import sys\nsys.modules['ray'] = None  # as if Ray were not installed\n"
        "from grader.cli import main\n"
        f"sys.exit(main(['batch', {str(source)!r}, '-a', {str(course)!r}, '-o', "
        f"{str(tmp_path / 'out')!r}, '--cluster', 'local']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "grader: error: grading on a cluster needs Ray: pip install -e '.[ray]'" in done.stderr


def test_what_a_killed_grading_process_started_dies_with_it(tmp_path):
    """A process in a session of its own (as the sandbox's fork server and workers are)
    started by a grading process that is then killed outright: the reaper kills it."""
    code = (
        "import subprocess, sys, time\nfrom grader.sandbox import reaper\nreaper.guard()\n"
        "child = subprocess.Popen(['sleep', '61.77'], start_new_session=True)\n"
        "print(child.pid, flush=True)\ntime.sleep(60)\n"
    )
    grading = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)  # fmt: skip
    orphan = psutil.Process(int(grading.stdout.readline()))
    time.sleep(1.5)  # the reaper has seen it
    grading.kill()
    grading.wait()
    gone, _ = psutil.wait_procs([orphan], timeout=5)
    assert gone, "the grading process's own-session child outlived it"


def test_a_killed_grading_process_leaves_no_temporary_files(tmp_path):
    """What a grading process killed outright had in its temporary folders (the staged
    submission, the staff's tests, student code's scratch files, some of them unreadable) is
    removed by the reaper, and nothing outside them."""
    temp = tmp_path / "temp"
    temp.mkdir()
    (temp / "another").mkdir()  # another program's, made before
    code = (
        "import os, tempfile, time\nfrom pathlib import Path\nfrom grader.sandbox import reaper\n"
        "reaper.guard()\nworkspace = Path(tempfile.mkdtemp(prefix='grader-'))\n"
        "(workspace / 'submission').mkdir()\n"
        "(workspace / 'submission' / 'layers.py').write_text('x')\n"
        "(workspace / 'locked' / 'deep').mkdir(parents=True)\n(workspace / 'locked').chmod(0)\n"
        "print(workspace, flush=True)\ntime.sleep(60)\n"
    )
    env = {**os.environ, "TMPDIR": str(temp)}
    grading = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env=env)  # fmt: skip
    workspace = Path(grading.stdout.readline().strip())
    assert workspace.is_relative_to(temp) and (workspace / "submission" / "layers.py").exists()
    grading.kill()
    grading.wait()
    assert _soon(lambda: [p.name for p in temp.iterdir()] == ["another"]), sorted(temp.rglob("*"))


def test_the_reaper_kills_what_it_saw_but_not_itself(tmp_path):
    """The watcher can be among the descendants it notes (its first process, which it forked
    from, is the grading process's child for a moment): it must not kill itself before
    removing the folder. Here it is the watched process's child from the start."""
    folder = tmp_path / "grader-process-x"
    (folder / "grader-workspace").mkdir(parents=True)
    code = (
        "import os, sys, time\nfrom pathlib import Path\nfrom grader.sandbox import reaper\n"
        "if os.fork() == 0:\n"
        "    reaper.watch(os.getppid(), Path(sys.argv[1]))\n"
        "    os._exit(0)\n"
        "time.sleep(2.5)\n"  # noted by the watcher at least twice
    )
    subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, check=True, timeout=60)
    assert _soon(lambda: not folder.exists()), "the watcher did not remove the folder"


@pytest.mark.skipif(os.geteuid() != 0, reason="as a plain user, no uid of student code's own")
def test_the_reaper_kills_student_code_that_left_the_grading_before_removing(tmp_path):
    """Student code can leave the grading process's tree (without a PID namespace, a daemon
    is reparented to init) and would go on changing its folders while root removes them: the
    watcher kills every process of the grading's uid (unless another grading holds it) first."""
    user = SandboxUser.for_this_process()
    user.unlock()
    home = tmp_path / "grader-process-x" / "grader-scratch-y" / "home"
    home.mkdir(parents=True)
    os.chown(home, user.uid, user.gid)
    escaped = subprocess.Popen(["sleep", "61.78"], user=user.uid, group=user.gid,
                               extra_groups=[], cwd="/", start_new_session=True)  # fmt: skip
    grading = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    code = (
        "from pathlib import Path\nfrom grader.sandbox import reaper\n"
        f"reaper.watch({grading.pid}, Path({str(home.parent.parent)!r}))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
    grading.wait()
    assert escaped.wait(timeout=10) == -signal.SIGKILL
    assert not home.parent.parent.exists()


def test_the_longest_gradings_go_first(tmp_path, course):
    """With last run's seconds in the results, the longest is graded first (then the rest), so
    that a batch does not end with one long grading while the other workers wait."""
    source = make_submissions(tmp_path, {"a": RIGHT, "b": RIGHT, "c": WRONG, "d": RIGHT})
    out = tmp_path / "out"
    tiny = assignment.find(str(course))
    run_batch(source, tiny, out, workers=1)
    for name, seconds in {"a": 1.0, "b": 9.0, "c": 3.0, "d": 5.0}.items():
        path = out / name / "results.json"
        results = json.loads(path.read_text())
        results["extra_data"]["batch"]["seconds"] = seconds
        path.write_text(json.dumps(results))
    order = []
    run_batch(source, tiny, out, workers=1, regrade=True, on_result=lambda s, r: order.append(s.id))
    assert order == ["b", "d", "c", "a"]


def test_the_progress_bar_counts_done_failures_and_time_left(tmp_path, course):
    from io import StringIO

    from rich.console import Console
    from rich.progress import TimeRemainingColumn

    from grader.batch import BatchProgress

    source = make_submissions(tmp_path, {"a": RIGHT, "dies": KILL})
    console = Console(file=StringIO(), force_terminal=True, width=120)
    with BatchProgress(console) as bar:
        run_batch(source, assignment.find(str(course)), tmp_path / "out", workers=2,
                  on_start=bar.start, on_result=bar.result)  # fmt: skip
        (task,) = bar.progress.tasks
        assert (task.completed, task.total, task.fields["failed"]) == (2, 2, 1)
        assert any(isinstance(c, TimeRemainingColumn) for c in bar.progress.columns)
    shown = console.file.getvalue()
    assert "2/2" in shown and "1 failed" in shown

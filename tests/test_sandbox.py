"""The worker process: calls, failures, timeouts, crashes and fresh workers."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import user as user_module
from grader.sandbox.client import Limits
from grader.sandbox.codec import Seed
from grader.sandbox.errors import (
    BadValue,
    MissingFunction,
    NotImplementedByStudent,
    StudentRaised,
    StudentTimeout,
    SubmissionFileError,
    WorkerCrashed,
)
from grader.sandbox.proxy import Student
from grader.sandbox.sandbox import Sandbox

#: Student code runs under another uid as root: it must be able to read the submission.
pytestmark = pytest.mark.usefixtures("readable")

LAYERS = """
import numpy as np
calls = 0

def forward(x, w):
    global calls
    calls += 1
    return x @ w, {"x": x, "handle": object()}

def backward(dout, cache):
    return dout * cache["x"].sum(), calls

def mutate(x):
    x += 1

def boom():
    raise ValueError("bad value")

def todo():
    raise NotImplementedError

def half_done():
    global calls
    calls = 100
    raise NotImplementedError("the rest")

def spin():
    while True:
        pass

def leave():
    import sys
    sys.exit(0)

def vanish():
    import os
    print("goodbye from the student")
    os._exit(3)

def keyring_of_its_user():
    import ctypes, platform
    number = {"x86_64": 250, "aarch64": 219}[platform.machine()]  # keyctl
    libc = ctypes.CDLL(None, use_errno=True)
    found = libc.syscall(number, 0, ctypes.c_long(-4), 1)  # KEYCTL_GET_KEYRING_ID, creating it
    return found, ctypes.get_errno()

def end_the_process_later():
    import os, threading
    threading.Timer(0.1, os._exit, (3,)).start()
    return 1

def segfault():
    import os, signal
    os.kill(os.getpid(), signal.SIGSEGV)

def hog():
    return np.ones((4096, 1024, 1024))

def draw(rng):
    return rng.random(3)

def weird():
    return {1: 2}

def circular():
    a = []
    a.append(a)
    return a

class Noisy(Exception):
    def __str__(self):
        raise RuntimeError("no")

def noisy():
    raise Noisy()

def environment():
    import os
    return dict(os.environ)

def bracketed():
    raise ValueError(str([[i] for i in range(120_000)]))

def collector():
    import gc
    return [gc.isenabled(), gc.get_threshold()[0], gc.get_freeze_count() > 10_000]

def command_line():
    with open("/proc/self/cmdline", "rb") as handle:
        return handle.read().decode()

def staff_paths_in_memory():
    # live objects that name the hidden path: the frames below this call, and every
    # container the garbage collector knows
    # (the name is built here: as a constant it would be in this code's own tuple of them)
    import gc, sys
    name = "-".join(["staff", "tests"])
    found, frame = [], sys._getframe().f_back
    while frame is not None:
        found += [k for k, v in frame.f_locals.items() if name in repr(v)]
        frame = frame.f_back
    gc.unfreeze()  # what the fork server froze before forking this worker, too
    for item in gc.get_objects():
        if isinstance(item, (dict, list, tuple)) and name in repr(item)[:100_000]:
            found.append(repr(item)[:300])
    return found
"""


@pytest.fixture
def student(tmp_path: Path):
    (tmp_path / "layers.py").write_text(LAYERS)
    (tmp_path / "optim.py").write_text("def sgd(w, dw, config=None):\n    return w - dw, config\n")
    sandbox = Sandbox(tmp_path, ["layers", "optim", "extra"], Limits(call_timeout=3, memory_mb=512))
    yield Student(sandbox)
    sandbox.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="as a plain user no uid's files are searched for")
def test_closing_searches_the_shared_temporary_folders_only_where_workers_shared_them(
    tmp_path, monkeypatch
):
    """Taking a uid searches /tmp and the other shared folders for what a crashed grading left
    under it; closing searches them again only where student code could write in them (no
    private temporary folders): the search reads every world-writable folder below /tmp (57
    ms with 46 of Ray's sessions there)."""
    searched = []
    monkeypatch.setattr(user_module, "remove_owned", lambda folder, uid: searched.append(folder))
    (tmp_path / "layers.py").write_text(LAYERS)
    sandbox = Sandbox(tmp_path, ["layers"], Limits(call_timeout=3, memory_mb=512))
    assert [str(f) for f in searched] == list(user_module.SHARED_FOLDERS)
    searched.clear()
    try:
        assert Student(sandbox).layers.forward(np.ones(2), np.ones(2)) is not None
    finally:
        sandbox.close()
    private = {"/tmp", "/var/tmp", "/dev/shm"} if sandbox.isolation.mount_ns else set()
    assert [str(f) for f in searched] == [f for f in user_module.SHARED_FOLDERS if f not in private]


def test_removing_a_tree_that_changes_meanwhile_follows_no_link(tmp_path, monkeypatch):
    """Student code still running (a grading killed outright, no PID namespace) swaps a
    folder it made for a link to a staff file after it was listed: the removal neither enters
    nor changes the mode of what the link points to, removes the link, and still opens and
    removes a folder its owner closed."""
    staff = tmp_path / "staff-file"
    staff.write_text("staff")
    staff.chmod(0o644)
    tree = tmp_path / "home"
    for name in ("a", "b/c"):
        (tree / name).mkdir(parents=True)
    (tree / "b").chmod(0)  # its owner closed it
    listing = os.scandir

    class Swapped:
        """The entries as listed, then folder ``a`` swapped for a link to the staff file."""

        def __init__(self, fd: int) -> None:
            with listing(fd) as entries:
                self.entries = list(entries)
            for entry in self.entries:
                if entry.is_dir(follow_symlinks=False) and entry.name == "a":
                    os.rmdir(entry.name, dir_fd=fd)
                    os.symlink(staff, entry.name, dir_fd=fd)

        def __enter__(self) -> list[os.DirEntry]:
            return self.entries

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(os, "scandir", Swapped)
    user_module.remove_tree(tree)
    monkeypatch.undo()
    assert oct(staff.stat().st_mode & 0o777) == "0o644" and staff.read_text() == "staff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staff-file"]


def test_student_code_runs_with_pythons_own_garbage_collector(student):
    """The fork server runs without collections and freezes what it imported before each fork
    (so a worker's collections pass it by); the worker turns collections back on, at Python's
    thresholds (not the grader's, gc_tuning)."""
    default = subprocess.run([sys.executable, "-c", "import gc; print(gc.get_threshold()[0])"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert student.layers.collector() == [True, int(default), True]


def test_calls_return_plain_data_and_keep_other_objects_in_the_worker(student):
    x, w = np.ones((2, 3)), np.ones((3, 4))
    out, cache = student.layers.forward(x, w)
    np.testing.assert_array_equal(out, np.full((2, 4), 3.0))
    assert repr(cache["handle"]) == "<student object of type object>"
    dx, calls = student.layers.backward(np.ones((2, 3)), cache)
    np.testing.assert_array_equal(dx, np.full((2, 3), 6.0))
    assert calls == 1


def test_trace_returns_arguments_as_the_function_left_them(student):
    x = np.zeros(3)
    call = student.layers.mutate.trace(x)
    np.testing.assert_array_equal(call.args[0], np.ones(3))
    np.testing.assert_array_equal(x, np.zeros(3))  # the grader's copy is never touched


@pytest.mark.parametrize(
    "function, error, text",
    [
        ("boom", StudentRaised, "boom raised ValueError: bad value"),
        ("todo", NotImplementedByStudent, "todo is not implemented yet"),
        ("leave", StudentRaised, "leave raised SystemExit"),
        ("nothing", MissingFunction, "layers.py does not define a function nothing"),
        ("circular", BadValue, "nested more than"),
        ("noisy", StudentRaised, "noisy raised Noisy"),
    ],
)
def test_failures_become_student_errors(student, function, error, text):
    with pytest.raises(error, match=text):
        getattr(student.layers, function)()


def test_the_worker_sees_the_devices_it_may_use_and_no_other_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "staff only")
    (tmp_path / "layers.py").write_text(LAYERS)
    sandbox = Sandbox(tmp_path, ["layers"], Limits(call_timeout=10))
    try:
        seen = Student(sandbox).layers.environment()
    finally:
        sandbox.close()
    assert seen["CUDA_VISIBLE_DEVICES"] == "3" and seen["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert "GRADER_SECRET_TOKEN" not in seen


def test_an_exception_of_a_megabyte_of_brackets_is_still_the_students(student):
    """The worker cuts a failure's message before sending it: whole, its brackets (a reply's
    structure is bounded, strings included) would have made it a reply the grader refuses."""
    with pytest.raises(StudentRaised, match=r"(?s)ValueError.*characters cut"):
        student.layers.bracketed()


def test_student_code_finds_no_hidden_staff_path(tmp_path):
    """Workers are forks of the fork server: its command line is theirs to read, and so are the
    fork server's objects in their memory (the frames below student code's)."""
    (tmp_path / "layers.py").write_text(LAYERS)
    staff = tmp_path.parent / "staff-tests"
    sandbox = Sandbox(tmp_path, ["layers"], Limits(call_timeout=10), hide=[staff])
    try:
        command_line = Student(sandbox).layers.command_line()
        in_memory = Student(sandbox).layers.staff_paths_in_memory()
    finally:
        sandbox.close()
    assert "grader.sandbox.zygote" in command_line and "staff-tests" not in command_line
    assert in_memory == []


def test_a_seed_becomes_a_generator_in_the_worker(student):
    np.testing.assert_array_equal(student.layers.draw(Seed(5)), np.random.default_rng(5).random(3))


def test_values_that_cannot_cross_stay_in_the_worker_as_refs(student):
    assert repr(student.layers.weird()) == "<student object of type dict>"


def test_student_traceback_names_only_submission_files(student):
    with pytest.raises(StudentRaised) as info:
        student.layers.boom()
    assert 'File "layers.py", line' in str(info.value)
    assert "grader" not in str(info.value)


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(student):
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match="did not finish within 3 s"):
        student.layers.spin()
    assert time.monotonic() - started < 10
    student._sandbox.begin_test()
    assert student.optim.sgd(np.ones(2), np.ones(2))[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "function, text",
    [("vanish", "exited with status 3"), ("segfault", "killed by signal SIGSEGV")],
)
def test_crash_is_reported_with_the_students_last_output(student, function, text):
    with pytest.raises(WorkerCrashed, match=text) as info:
        getattr(student.layers, function)()
    if function == "vanish":
        assert "goodbye from the student" in str(info.value)
    student._sandbox.begin_test()
    assert student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))[0].item() == 1.0


def test_a_worker_ended_between_calls_is_blamed_on_what_was_left_running(student):
    """A timer a call left behind ends the worker after the call returned: the next call (here
    the import of optim.py) finds it gone and says so, not that it crashed during that call."""
    assert student.layers.end_the_process_later() == 1
    time.sleep(1.0)  # the timer fires after 0.1 s
    with pytest.raises(WorkerCrashed) as info:
        student.optim.sgd(np.ones(2), np.ones(2))
    assert str(info.value) == (
        "the process running your code exited with status 3 between two calls, after "
        "end_the_process_later finished and before the import of optim.py: code that a call "
        "left running (a thread, a timer, a child process) ended it."
    )
    student._sandbox.begin_test()
    assert student.optim.sgd(np.ones(2), np.ones(2))[0].tolist() == [0.0, 0.0]


def test_a_file_whose_import_failed_is_not_imported_again_in_each_test(student, tmp_path):
    """Each test after a failure gets a fresh worker: a file that imports matplotlib before a
    missing module would pay that import in every one of its tests (a1: 100 s). Its failure is
    said again at once, until a visible test after hidden ones imports it anew."""
    (tmp_path / "extra.py").write_text(
        "import os\n"
        "with open(os.path.join(os.environ['HOME'], 'imports'), 'a') as log:\n"
        "    log.write('x')\n"
        "import no_such_module_of_the_student\n"
    )
    sandbox = student._sandbox
    messages = []
    for hidden in (False, False, True):
        sandbox.begin_test(hidden=hidden)
        with pytest.raises(SubmissionFileError) as info:
            student.extra.f()
        messages.append(str(info.value))
    assert len(set(messages)) == 1
    assert "No module named 'no_such_module_of_the_student'" in messages[0]
    assert student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))[0].item() == 1.0
    home = Path(sandbox._home)
    assert (home / "imports").read_text() == "x"
    sandbox.begin_test(hidden=False)  # hidden to visible: a fresh HOME, and a fresh import
    assert not (home / "imports").exists()
    with pytest.raises(SubmissionFileError):
        student.extra.f()
    assert (home / "imports").read_text() == "x"


def test_an_import_that_failed_after_earlier_calls_is_tried_again(student, tmp_path):
    """Only a fresh worker's failed import is remembered: after earlier calls, what they left
    (memory held, a module imported) may be why it failed."""
    (tmp_path / "extra.py").write_text(
        "import sys\nif 'layers' in sys.modules:\n    raise ImportError('layers came first')\n"
        "def f():\n    return 1\n"
    )
    student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(SubmissionFileError, match="layers came first"):
        student.extra.f()
    student._sandbox.begin_test()
    assert student.extra.f() == 1


def test_the_kernels_keyrings_are_refused_to_student_code(student):
    """A key outlives its worker, and its owner can lock a keyring against being emptied."""
    from grader.sandbox import syscalls

    if syscalls._LIBRARY is None:
        pytest.skip("no libseccomp here: the keyrings are emptied at clean-up instead")
    assert tuple(student.layers.keyring_of_its_user()) == (-1, errno.EPERM)


def test_memory_limit_fails_the_call_not_the_grader(student):
    with pytest.raises((StudentRaised, WorkerCrashed), match=r"MemoryError|memory"):
        student.layers.hog()


@pytest.mark.parametrize(
    "line, raised",
    [("hoard = bytearray(4 * 1024**3)", "MemoryError"),
     # What torch raises when its import meets the address-space limit (a C++ std::bad_alloc
     # that torch turns into a RuntimeError): test_importing_torch_... below runs torch itself.
     ('raise RuntimeError("std::bad_alloc")', "torch's RuntimeError")],
)  # fmt: skip
def test_a_file_whose_import_runs_out_of_memory_says_so_and_where(student, tmp_path, line, raised):
    """A file that runs out of memory while it is imported (most often it imports a large
    library its assignment does not use) is told so, with the line, not "importing extra.py
    failed: RuntimeError: std::bad_alloc"."""
    (tmp_path / "extra.py").write_text(f"import numpy as np\n\n{line}\n\ndef f():\n    return 1\n")
    with pytest.raises(SubmissionFileError) as info:
        student.extra.f()
    assert str(info.value).startswith(
        f"importing extra.py ran out of its 512 MB of memory at line 3 ({line}): remove the "
        "imports extra.py does not use"
    ), raised


DIES = """
import os, sys

def for_want_of_memory():
    sys.stderr.write("cannot allocate memory for thread-local data: ABORT\\n")
    sys.stderr.flush()
    os._exit(127)

def otherwise():
    os._exit(3)

def killed_after_printing():
    import signal
    print("caught MemoryError()", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_that_dies_for_want_of_memory_says_so(student, tmp_path):
    """A worker that dies outright when memory runs out (glibc's loader cannot map a library's
    thread-local data and aborts) is reported with the memory limit beside what it printed; one
    that dies for another reason is not."""
    (tmp_path / "extra.py").write_text(DIES)
    with pytest.raises(WorkerCrashed) as info:
        student.extra.for_want_of_memory()
    assert str(info.value) == (
        "the process running your code exited with status 127 during for_want_of_memory, out "
        "of memory (it may use 512 MB).\nYour code printed:\ncannot allocate memory for "
        "thread-local data: ABORT"
    )
    student._sandbox.begin_test()
    with pytest.raises(WorkerCrashed) as info:
        student.extra.otherwise()
    assert str(info.value) == "the process running your code exited with status 3 during otherwise."
    student._sandbox.begin_test()
    with pytest.raises(WorkerCrashed) as info:  # as the CPU limit or a timeout kills
        student.extra.killed_after_printing()
    assert str(info.value) == (
        "the process running your code was killed by signal SIGKILL during "
        "killed_after_printing.\nYour code printed:\ncaught MemoryError()"
    )


def test_an_exception_whose_errno_cannot_be_compared_fails_the_call_only(student, tmp_path):
    """Telling memory errors apart reads the exception's errno: student code decides what that
    is (here an array, whose comparison has no truth value)."""
    (tmp_path / "extra.py").write_text(
        "import numpy as np\n\ndef f():\n    e = OSError('hostile')\n"
        "    e.errno = np.array([12, 12])\n    raise e\n"
    )
    with pytest.raises(StudentRaised, match=r"^f raised OSError: hostile\n"):
        student.extra.f()


def test_an_import_out_of_memory_in_another_file_of_the_submission_names_it(student, tmp_path):
    """The line that ran out is in a file the imported one imports: the message names both."""
    (tmp_path / "helper.py").write_text("x = 1\nhoard = bytearray(4 * 1024**3)\n")
    (tmp_path / "extra.py").write_text("import helper\n\ndef f():\n    return 1\n")
    with pytest.raises(SubmissionFileError, match=r"^importing extra\.py ran out of its 512 MB of "
                       r"memory at line 2 of helper\.py \(hoard = bytearray"):  # fmt: skip
        student.extra.f()


def test_importing_torch_in_a_file_of_a_numpy_assignment_is_explained(student, tmp_path):
    """The real thing: ``import torch`` at the top of a file, under a1's 512 MB. Depending on
    where torch's import meets the limit, the worker gets torch's RuntimeError, or dies in
    glibc's loader or in C++ (SIGABRT, rarely SIGSEGV with nothing printed): of three tries at
    least one names the memory limit, and none shows the grader's own traceback."""
    pytest.importorskip("torch")
    (tmp_path / "extra.py").write_text("import torch\n\ndef f():\n    return 1\n")
    messages = []
    for _ in range(3):
        student._sandbox.begin_test()
        with pytest.raises((SubmissionFileError, WorkerCrashed)) as info:
            student.extra.f()
        messages.append(str(info.value))
    assert any("512 MB" in m and "memory" in m for m in messages), messages
    assert not any("grader/sandbox" in m or "Traceback" in m for m in messages), messages


def test_fresh_worker_after_a_failure_forgets_module_state(student):
    student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))
    assert student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})[1] == 1
    with pytest.raises(StudentRaised):
        student.layers.boom()
    student._sandbox.begin_test()
    assert student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})[1] == 0


def test_an_untouched_stub_keeps_the_worker(student):
    """NotImplementedError (a stub) changed nothing: replacing the worker after each of a
    stub's tests was most of the time a grade of the stubs took."""
    student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(NotImplementedByStudent):
        student.layers.todo()
    student._sandbox.begin_test()
    assert student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})[1] == 1


def test_a_stub_after_student_code_ran_gets_a_fresh_worker(student):
    """NotImplementedError after the function changed module state: not an untouched stub."""
    with pytest.raises(NotImplementedByStudent):
        student.layers.half_done()
    student._sandbox.begin_test()
    assert student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})[1] == 0


def test_without_a_failure_the_worker_is_reused(student):
    student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))
    student._sandbox.begin_test()
    assert student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})[1] == 1


def test_missing_file_and_unknown_module(student):
    with pytest.raises(SubmissionFileError, match=r"extra\.py was not found in your submission"):
        student.extra.anything()
    with pytest.raises(AttributeError):
        student.numpy  # noqa: B018 - only assignment modules are reachable


def test_syntax_error_in_one_file_leaves_the_other_usable(student, tmp_path):
    (tmp_path / "optim.py").write_text("def sgd(w, dw, config=None):\n    return w -\n")
    with pytest.raises(SubmissionFileError, match=r"optim\.py has a syntax error on line 2"):
        student.optim.sgd(np.ones(1), np.ones(1))
    student._sandbox.begin_test()
    assert student.layers.forward(np.ones((1, 1)), np.ones((1, 1)))[0].item() == 1.0


@pytest.mark.parametrize(
    "source, outcome",
    [
        ("def g():\n    print 'x'\n\ndef f():\n    return 1\n", 1),
        ("def f():\n    print 'x'\n\ndef f():\n    return 2\n", 2),  # defined again, right
        ("def f():\n    print 'x'\n\nVALUE = f()\n", "syntax error on line 2: Missing"),
        ("class Layer:\n    def f(self):\n        print 'x'\n\nclass Affine(Layer):\n"
         "    pass\n\ndef f():\n    return 3\n", "syntax error on line 3: Missing"),
    ],
    ids=["another function", "defined again", "used at the top level", "a base class"],
)  # fmt: skip
def test_a_syntax_error_in_a_definition_costs_only_what_needs_it(student, tmp_path, source,
                                                                  outcome):  # fmt: skip
    """The definition is left out and the rest graded, unless the file does not import without
    it: then its syntax error is what the student must fix, and is what the student reads."""
    (tmp_path / "extra.py").write_text(source)
    if isinstance(outcome, int):
        assert student.extra.f() == outcome
    else:
        with pytest.raises(SubmissionFileError, match=f"extra.py has a {outcome}"):
            student.extra.f()


def test_objective_evaluates_many_points_in_one_call(student):
    w = np.arange(6.0).reshape(3, 2)
    points = [(np.full((1, 3), float(k)), w) for k in range(4)]
    weights = np.array([[1.0, -1.0]])
    values = student.layers.forward.objective(points, 0, weights)
    expected = [float(np.sum((p @ w) * weights)) for p, _ in points]
    assert values == pytest.approx(expected)
    _, calls = student.layers.backward(np.ones((1, 1)), {"x": np.ones(1)})
    assert calls == 4  # four evaluations, all in the one worker


def test_objective_failures_are_student_errors(student):
    with pytest.raises(NotImplementedByStudent):
        student.layers.todo.objective([()], None, None)
    with pytest.raises(BadValue, match="returned something unusable"):
        student.layers.forward.objective([(np.ones((1, 3)), np.ones((3, 2)))], 5, None)


def test_a_test_has_a_time_limit_over_all_its_calls(tmp_path):
    (tmp_path / "layers.py").write_text("import time\ndef nap():\n    time.sleep(0.6)\n")
    sandbox = Sandbox(tmp_path, ["layers"], Limits(call_timeout=5), test_seconds=1.5)
    try:
        sandbox.check_start()  # as grading does: the fork server is not any test's time
        sandbox.begin_test()
        student = Student(sandbox)
        student.layers.nap()
        student.layers.nap()
        with pytest.raises(StudentTimeout, match=r"the 1.5 s this test may take in all"):
            student.layers.nap()
        sandbox.begin_test()  # the next test has its own time
        student.layers.nap()
    finally:
        sandbox.close()


def test_printed_output_is_captured_per_test_and_bounded(tmp_path):
    (tmp_path / "layers.py").write_text(
        "def talk(n):\n    print('x' * n)\n\ndef quiet():\n    return 1\n"
    )
    sandbox = Sandbox(tmp_path, ["layers"], Limits())
    try:
        student = Student(sandbox)
        sandbox.begin_test()
        student.layers.talk(10)
        assert sandbox.printed().strip() == "x" * 10
        sandbox.begin_test()
        student.layers.talk(1_000_000)
        printed = sandbox.printed()
        assert len(printed) < 4000 and "more bytes not shown" in printed
        sandbox.begin_test()
        student.layers.quiet()
        assert sandbox.printed() == ""
    finally:
        sandbox.close()


@pytest.fixture
def quick(tmp_path: Path):
    """A sandbox whose calls may take 1 s, over a submission with the file ``extra.py``."""
    sandbox = Sandbox(tmp_path, ["extra"], Limits(call_timeout=1, memory_mb=512))
    yield Student(sandbox)
    sandbox.close()


def test_a_loop_at_import_is_the_imports_and_fails_later_calls_at_once(quick, tmp_path):
    """A script left at a file's top level: each call would import it again and time out."""
    (tmp_path / "extra.py").write_text(
        "import time\n_end = time.time() + 20\nwhile time.time() < _end:\n    time.sleep(0.05)\n"
        "\ndef f():\n    return 1\n"
    )
    for _ in range(2):  # one slow import is not enough to give up on the file
        with pytest.raises(StudentTimeout) as info:
            quick.extra.f()
        assert str(info.value).startswith(
            "importing extra.py did not finish within 1 s (the time limit for one call): the code "
            "at the top level of extra.py (and of the files it imports) runs when the grader "
            "imports it; put scripts, demos and training loops under 'if __name__ == "
        ), str(info.value)
        quick._sandbox.begin_test()
    started = time.monotonic()
    with pytest.raises(
        StudentTimeout, match=r"within 1 s .* in earlier tests, so this one was not"
    ):
        quick.extra.f()
    assert time.monotonic() - started < 0.5


def test_one_slow_import_costs_only_its_own_call(quick, tmp_path):
    """An import slow once (a cold disk cache, a loaded machine) and quick after."""
    (tmp_path / "extra.py").write_text(
        "import pathlib, time\nmarker = pathlib.Path.home() / 'imported-once'\n"
        "if not marker.exists():\n    marker.touch()\n    time.sleep(1.5)\n"
        "\ndef f():\n    return 1\n"
    )
    with pytest.raises(StudentTimeout, match=r"importing extra\.py did not finish within 1 s"):
        quick.extra.f()
    for _ in range(2):
        quick._sandbox.begin_test()
        assert quick.extra.f() == 1


def test_a_call_that_times_out_after_a_slow_import_says_what_the_import_took(quick, tmp_path):
    (tmp_path / "extra.py").write_text(
        "import time\ntime.sleep(0.7)\n\ndef f():\n    end = time.time() + 20\n"
        "    while time.time() < end:\n        pass\n"
    )
    with pytest.raises(StudentTimeout) as info:
        quick.extra.f()
    assert "f did not finish within 1 s" in str(info.value)
    assert re.search(r"; importing extra\.py took (0\.[7-9]|1\.)", str(info.value)), info.value
    assert "the code at the top level of extra.py" in str(info.value)


def test_an_import_cut_short_by_the_runs_end_is_not_blamed_on_the_files_top_level(tmp_path):
    (tmp_path / "extra.py").write_text("import time\ntime.sleep(0.8)\n\ndef f():\n    return 1\n")
    limits = Limits(call_timeout=10, memory_mb=512)
    sandbox = Sandbox(tmp_path, ["extra"], limits, run_deadline=time.monotonic() + 0.5)
    try:
        with pytest.raises(StudentTimeout) as info:
            Student(sandbox).extra.f()
    finally:
        sandbox.close()
    assert str(info.value).startswith("the import of extra.py did not finish within"), info.value
    assert "(the time left for the whole grading run)" in str(info.value)
    assert "top level" not in str(info.value)


def test_import_hints_are_for_the_submissions_own_imports_and_never_fail(tmp_path, monkeypatch):
    """The hint to remove an import is for imports the submission wrote: a library that fails
    to import one of its own dependencies is not the student's to fix that way. An error whose
    text cannot be read (it exits) gets no hint, and still its message."""
    from grader.sandbox.worker import Failure, StudentCode

    library = tmp_path / "site"
    library.mkdir()
    (library / "plotting_lib.py").write_text("import its_missing_dependency\n")
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "uses_lib.py").write_text("import plotting_lib\n")
    (submission / "uses_gone.py").write_text("import gone_module\n")
    (submission / "lies.py").write_text(  # an error whose text ends the process if read
        "class Lying(ImportError):\n    def __str__(self):\n        raise SystemExit(1)\n"
        "\nraise Lying('relative import')\n"
    )
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.syspath_prepend(str(submission))
    code = StudentCode(submission, ["uses_lib", "uses_gone", "lies"])
    with pytest.raises(Failure, match=r"importing lies\.py failed: Lying$"):
        code.module("lies")
    with pytest.raises(Failure) as library_failed:
        code.module("uses_lib")
    with pytest.raises(Failure) as student_failed:
        code.module("uses_gone")
    assert "No module named 'its_missing_dependency'" in library_failed.value.message
    assert "remove that import" not in library_failed.value.message
    assert "unless it names gone_module, remove that import" in student_failed.value.message

"""A tiny course for batch tests: an assignment whose grade takes a second, and submissions
that behave as the test needs (right, wrong, slow, or killing the process that grades them).

A submission's ``answer.py`` defines ``value()``. The staff test compares it with 42; when it
returns ``"kill"`` the test kills the process it runs in (the grader process, as the kernel's
out-of-memory killer would), and ``"kill-once:PATH"`` does so only the first time (PATH marks
it). That is staff code: student code, sandboxed, could not kill the grader itself.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
name: tiny
files:
  required: [answer.py]
limits:
  call_timeout: 6
  test_timeout: 20
  total_time: 60
  memory_mb: 512
tests:
  value: 2
  twice: 1
"""

TESTS = '''
import os
import signal
from pathlib import Path


def _maybe_die(answer):
    if answer == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if isinstance(answer, str) and answer.startswith("kill-once:"):
        marker = Path(answer.split(":", 1)[1])
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)


def test_value(student):
    """value: the answer is 42"""
    answer = student.answer.value()
    _maybe_die(answer)
    assert answer == 42 or str(answer).startswith("kill-once"), f"expected 42, got {answer!r}"


def test_twice(student):
    """twice: the same answer twice"""
    assert student.answer.value() == student.answer.value()
'''

RIGHT = "def value():\n    return 42\n"
WRONG = "def value():\n    return 41\n"
#: Sleeps past the call's time limit (graded after 6 s, unless stopped before).
SLOW = "import time\n\n\ndef value():\n    time.sleep(30)\n    return 42\n"
KILL = "def value():\n    return 'kill'\n"


def kill_once(marker: Path) -> str:
    return f"def value():\n    return 'kill-once:{marker}'\n"


def make_course(root: Path) -> Path:
    """The tiny assignment's folder (give it to --assignment)."""
    folder = root / "tiny"
    (folder / "tests").mkdir(parents=True)
    (folder / "manifest.yaml").write_text(MANIFEST)
    (folder / "tests" / "test_tiny.py").write_text(TESTS)
    return folder


def make_submissions(root: Path, answers: dict[str, str]) -> Path:
    """A folder of submissions: name -> the code of its answer.py."""
    folder = root / "submissions"
    for name, code in answers.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "answer.py").write_text(code)
    return folder

"""The sandbox of one grading run: its worker process, the identity its student code runs
under, and the limits of each call, each test and the whole run."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.sandbox import acl
from grader.sandbox.client import CallResult, Limits, TimeLimit, WorkerProcess
from grader.sandbox.errors import ImportFailedBefore, StudentCodeError, UntouchedStub
from grader.sandbox.isolation import Isolation
from grader.sandbox.user import LOCK_FOLDER, SandboxUser, SandboxUserError

#: Held while a grading edits staff files' ACLs.
ACL_LOCK = LOCK_FOLDER / "acl.lock"


class Sandbox:
    """Owns the worker of one grading run, and the identity its student code runs under; a
    failed call (but an untouched stub's, errors.UntouchedStub) gets the next test a fresh
    worker, and so does a visible test after a hidden one (with a fresh scratch folder too:
    nothing of a hidden test's inputs survives).

    Every call gets the shortest of three limits: the per-call timeout, what is left of the
    current test's time (``test_seconds``) and what is left of the run's (``run_deadline``, a
    time.monotonic() value).
    """

    def __init__(
        self,
        submission: Path,
        modules: list[str],
        limits: Limits,
        user: SandboxUser | None = None,
        test_seconds: float | None = None,
        run_deadline: float | None = None,
        hints: dict[str, str] | None = None,
        hide: list[Path] | None = None,
        preload: list[str] | None = None,
    ) -> None:
        self.modules = list(modules)
        self._owns_user = user is None
        self.user = user or SandboxUser.for_this_process()
        self._folder = Path(tempfile.mkdtemp(prefix="grader-scratch-"))
        self._folder.chmod(0o711)
        self._home = self.user.private_folder(self._folder / "home")
        self._worker = WorkerProcess(
            submission,
            self.modules,
            limits,
            self.user,
            self._home,
            hints or {},
            hide or [],
            run_deadline,
            preload or [],
        )
        #: Where no mount namespace hides staff files, they are closed to this uid by an ACL.
        self._denied: list[Path] = []
        if self.user.uid is not None and not self.isolation.mount_ns:
            self._denied = acl.deny(hide or [], self.user.uid, ACL_LOCK)
        self._limits, self._test_seconds, self._run_deadline = limits, test_seconds, run_deadline
        self._test_deadline: float | None = None
        self._tainted = False
        self._hidden_ran = False
        self._closed = False

    @property
    def isolation(self) -> Isolation:
        return self._worker.isolation

    def isolation_report(self) -> list[str]:
        """For staff: what isolates student code here, and which staff files it can read."""
        hidden = [str(path) for path in self._worker.hide if path not in self._denied]
        report = self.isolation.report(hidden, self._worker.left_writable)
        if self._worker.keyrings_refused:
            return [*report, "kernel keyrings refused to student code (seccomp)"]
        return [*report, "kernel keyrings open to student code (no libseccomp or seccomp here): "
                "emptied at each clean-up where the grader runs as root"]  # fmt: skip

    def check_start(self) -> None:
        """Start the worker once before grading (it imports no student code yet), so that a
        worker that cannot start at all is the staff-side error it is, not a failure of
        every test."""
        try:
            self._worker.start()
        except (OSError, StudentCodeError) as exc:
            who = f" as {self.user.name}" if self.user.drops_privileges else ""
            raise SandboxUserError(
                f"cannot start the process for student code{who}: {exc}. That user must be "
                "able to run this Python and read its packages (install them where every user "
                "can read them, as Gradescope's image does)"
            ) from None

    def begin_test(self, hidden: bool = False) -> None:
        """Called before each test: replace the worker if an earlier call failed or if this
        test is visible after a hidden one (then with a fresh scratch folder, and nothing of
        the student's left anywhere), start the test's clock, and forget earlier output."""
        fresh_state = self._hidden_ran and not hidden
        if self._tainted or fresh_state:
            self._worker.stop()
            self._tainted = False
        if fresh_state:  # the worker is gone: so are its private temporary folders, if any
            self._worker.forget_import_failures()
            self.user.clean_up(self._home, private_temp=self.isolation.mount_ns)
            self.user.private_folder(self._home)
            self._hidden_ran = False
        self._hidden_ran |= hidden
        if self._test_seconds is not None:
            self._test_deadline = time.monotonic() + self._test_seconds
        self._worker.printed()

    def printed(self) -> str:
        """What student code printed since the test began (bounded)."""
        return self._worker.printed()

    def call(
        self, module: str, function: str, args: tuple, kwargs: dict, **options: Any
    ) -> CallResult:
        return self._guarded(self._worker.call, module, function, args, kwargs, **options)

    def objective(self, module: str, function: str, *args: Any) -> list[float]:
        return self._guarded(self._worker.objective, module, function, *args)

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """A request on a student object (grader.sandbox.objects), under the same limits."""
        return self._guarded(self._worker.request, request)

    def _guarded(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a worker request, marking the worker for replacement if student code failed."""
        try:
            return method(*args, limit=self._limit(), **kwargs)
        except (UntouchedStub, ImportFailedBefore):  # nothing of the student's ran: no state
            raise  # to forget
        except StudentCodeError:
            self._tainted = True
            raise

    def _limit(self) -> TimeLimit:
        now = time.monotonic()
        limits = [TimeLimit(self._limits.call_timeout)]
        if self._test_deadline is not None:
            limits.append(TimeLimit(self._test_deadline - now, f"the {self._test_seconds:g} s "
                                    "this test may take in all"))  # fmt: skip
        if self._run_deadline is not None:
            limits.append(TimeLimit(self._run_deadline - now, "the time left for the whole "
                                    "grading run"))  # fmt: skip
        return min(limits, key=lambda limit: limit.seconds)

    def close(self) -> None:
        """Stop every process of student code and remove every file it left; an identity
        this sandbox took goes back to the pool."""
        if self._closed:
            return
        self._closed = True
        self._worker.close()
        if self._denied and self.user.uid is not None:
            acl.allow(self._denied, self.user.uid, ACL_LOCK)
        # Where every worker had private temporary folders, student code never wrote in the
        # shared ones: not searched (57 ms a search with 46 of Ray's sessions in /tmp). Taking a
        # uid still searches them, for what a crashed grading left.
        private = self.isolation.mount_ns
        if self._owns_user:
            self.user.release(self._home, private_temp=private)
        else:
            self.user.clean_up(self._home, private_temp=private)
        with contextlib.suppress(OSError):
            self._folder.rmdir()

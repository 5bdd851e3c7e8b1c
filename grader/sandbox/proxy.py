"""Calls into student code that read like normal calls.

``student.layers.affine_forward(x, w, b)`` runs in the worker process and returns plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sandbox.client import CallResult, Limits, Worker
from grader.sandbox.errors import StudentCodeError


class Sandbox:
    """Owns the worker of one grading run; a failed call gets the next test a fresh worker."""

    def __init__(self, submission: Path, modules: list[str], limits: Limits) -> None:
        self.modules = list(modules)
        self._worker = Worker(submission, self.modules, limits)
        self._tainted = False

    def call(
        self, module: str, function: str, args: tuple, kwargs: dict, **options: Any
    ) -> CallResult:
        return self._guarded(self._worker.call, module, function, args, kwargs, **options)

    def objective(self, module: str, function: str, *args: Any) -> list[float]:
        return self._guarded(self._worker.objective, module, function, *args)

    def _guarded(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a worker request, marking the worker for replacement if student code failed."""
        try:
            return method(*args, **kwargs)
        except StudentCodeError:
            self._tainted = True
            raise

    def fresh(self) -> None:
        """Called before each test: replace the worker if an earlier call failed."""
        if self._tainted:
            self._worker.stop()
            self._tainted = False

    def close(self) -> None:
        self._worker.close()


class Student:
    """``student.<module>`` for each module (file) the assignment expects."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def __getattr__(self, name: str) -> ModuleProxy:
        if name.startswith("_") or name not in self._sandbox.modules:
            raise AttributeError(f"the assignment has no student module {name!r}")
        return ModuleProxy(self._sandbox, name)


class ModuleProxy:
    """``student.layers.<function>``: any attribute is a function to call in the worker."""

    def __init__(self, sandbox: Sandbox, module: str) -> None:
        self._sandbox, self._module = sandbox, module

    def __getattr__(self, name: str) -> FunctionProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return FunctionProxy(self._sandbox, self._module, name)


class FunctionProxy:
    """A student function: call it for its value, or ``trace`` it to see its arguments after."""

    def __init__(self, sandbox: Sandbox, module: str, name: str) -> None:
        self._sandbox, self._module, self.__name__ = sandbox, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._sandbox.call(self._module, self.__name__, args, kwargs).value

    def trace(self, *args: Any, **kwargs: Any) -> CallResult:
        """Call, and also return the arguments as the function left them (mutation checks)."""
        return self._sandbox.call(self._module, self.__name__, args, kwargs, return_args=True)

    def objective(
        self, calls: list[tuple[Any, ...]], output: int | None = 0, weights: Any = None
    ) -> list[float]:
        """``sum(f(*args)[output] * weights)`` for each argument tuple, in one round trip: the
        batched evaluations of a numerical derivative of student code."""
        return self._sandbox.objective(self._module, self.__name__, calls, output, weights)

    def __repr__(self) -> str:
        return f"<student function {self._module}.{self.__name__}>"

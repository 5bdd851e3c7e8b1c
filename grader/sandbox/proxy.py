"""Calls into student code that read like normal calls.

``student.layers.affine_forward(x, w, b)`` runs in the worker process and returns plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.sandbox import objects
from grader.sandbox.client import CallResult

if TYPE_CHECKING:
    from grader.sandbox.sandbox import Sandbox


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
        return self._call(args, kwargs, return_args=False).value

    def trace(self, *args: Any, **kwargs: Any) -> CallResult:
        """Call, and also return the arguments as the function left them (mutation checks)."""
        return self._call(args, kwargs, return_args=True)

    def _call(self, args: tuple, kwargs: dict, return_args: bool) -> CallResult:
        """Student objects travel as handles and come back as proxies (objects.py)."""
        args, kwargs = objects.unwrap(args), objects.unwrap(kwargs)
        call = self._sandbox.call(
            self._module, self.__name__, args, kwargs, return_args=return_args
        )
        return objects.traced(self._sandbox, call)

    def objective(
        self, calls: list[tuple[Any, ...]], output: int | None = 0, weights: Any = None
    ) -> list[float]:
        """``sum(f(*args)[output] * weights)`` for each argument tuple, in one round trip: the
        batched evaluations of a numerical derivative of student code."""
        return self._sandbox.objective(self._module, self.__name__, calls, output, weights)

    def __repr__(self) -> str:
        return f"<student function {self._module}.{self.__name__}>"

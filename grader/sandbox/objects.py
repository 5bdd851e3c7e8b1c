"""Student objects as the grader sees them: proxies for objects that live in the worker.

``layer = student.modules.Conv2D(3, 4, stride=2)`` builds the object in the worker and returns
an :class:`ObjectProxy` holding its handle (a :class:`grader.sandbox.codec.Ref`). Then
``layer.weight = w`` sets an attribute there, ``layer.forward(x)`` calls a method there and
``layer.dx`` reads an attribute back: each is one request with the limits of a call (time,
messages, a fresh worker after a failure). A proxy passed to student code
(``student.modules.Sequential([layer], loss)``, ``optimizer.update(model)``) travels as its
handle, so the worker hands student code its own object back. Worker side:
:mod:`grader.sandbox.handles`.
"""

from __future__ import annotations

from typing import Any, Protocol

from grader.sandbox.client import CallResult
from grader.sandbox.codec import Ref
from grader.sandbox.errors import BadValue


class Requester(Protocol):
    """What proxies send requests through: :class:`grader.sandbox.sandbox.Sandbox`."""

    def request(self, request: dict[str, Any]) -> dict[str, Any]: ...


def wrap(sandbox: Requester, value: Any) -> Any:
    """``value`` from the worker with every handle in it made an :class:`ObjectProxy`."""
    if type(value) is Ref:
        return ObjectProxy(sandbox, value)
    if type(value) in (tuple, list):
        return type(value)(wrap(sandbox, v) for v in value)
    if type(value) is dict:
        return {k: wrap(sandbox, v) for k, v in value.items()}
    return value


def unwrap(value: Any) -> Any:
    """``value`` for the worker: every proxy in it replaced by its handle."""
    if type(value) is ObjectProxy:
        return object.__getattribute__(value, "_grader_ref")
    if type(value) in (tuple, list):
        return type(value)(unwrap(v) for v in value)
    if type(value) is dict:
        return {k: unwrap(v) for k, v in value.items()}
    return value


def traced(sandbox: Requester, result: CallResult) -> CallResult:
    """A call's result with the handles in its value and arguments made proxies."""
    return CallResult(
        wrap(sandbox, result.value), wrap(sandbox, result.args), wrap(sandbox, result.kwargs)
    )


class ObjectProxy:
    """A student object in the worker. Attribute reads, writes and method calls are requests;
    names starting with a double underscore are never sent (copy, numpy and pytest probe
    them), and the proxy's own names start with ``_grader`` so as not to hide the student's."""

    __slots__ = ("_grader_ref", "_grader_sandbox")

    def __init__(self, sandbox: Requester, ref: Ref) -> None:
        object.__setattr__(self, "_grader_sandbox", sandbox)
        object.__setattr__(self, "_grader_ref", ref)

    @property
    def _grader_type(self) -> str:
        """The student class's name, for messages."""
        return object.__getattribute__(self, "_grader_ref").type_name

    def _grader_send(self, op: str, name: str, what: str, **fields: Any) -> dict[str, Any]:
        ref = object.__getattribute__(self, "_grader_ref")
        request = {"op": op, "object": ref, "name": name, "function": what, **fields}
        return object.__getattribute__(self, "_grader_sandbox").request(request)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        reply = self._grader_send("getattr", name, f"reading {self._grader_type}.{name}")
        if reply.get("method"):
            return MethodProxy(self, name)
        return wrap(object.__getattribute__(self, "_grader_sandbox"), reply.get("value"))

    def __setattr__(self, name: str, value: Any) -> None:
        self._grader_send(
            "setattr", name, f"setting {self._grader_type}.{name}", value=unwrap(value)
        )

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_grader_ref"))


class MethodProxy:
    """A method of a student object: call it, ``trace`` it (its arguments as it left them), or
    evaluate it at many points in one round trip (``objective``)."""

    def __init__(self, owner: ObjectProxy, name: str) -> None:
        self._owner, self.__name__ = owner, name

    @property
    def qualified(self) -> str:
        return f"{self._owner._grader_type}.{self.__name__}"

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any], return_args: bool) -> CallResult:
        reply = self._owner._grader_send(
            "method", self.__name__, self.qualified, args=unwrap(tuple(args)),
            kwargs=unwrap(dict(kwargs)), return_args=return_args,
        )  # fmt: skip
        sandbox = object.__getattribute__(self._owner, "_grader_sandbox")
        return traced(
            sandbox, CallResult(reply.get("value"), reply.get("args"), reply.get("kwargs"))
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(args, kwargs, False).value

    def trace(self, *args: Any, **kwargs: Any) -> CallResult:
        """Call, and also return the arguments as the method left them (mutation checks)."""
        return self._call(args, kwargs, True)

    def objective(
        self, args: tuple[Any, ...], vary: int | str, points: list[Any], output: int | None = None,
        weights: Any = None,
    ) -> list[float]:  # fmt: skip
        """``sum(method(*args)[output] * weights)`` with argument ``vary`` (a position) or
        attribute ``vary`` (a name; restored afterwards) set to each point in turn."""
        reply = self._owner._grader_send(
            "method_objective", self.__name__, self.qualified, args=unwrap(tuple(args)),
            vary=vary, points=list(points), output=output, weights=weights,
        )  # fmt: skip
        values = reply.get("value")
        if type(values) is not list or not all(type(v) is float for v in values):
            raise BadValue(f"{self.qualified} sent back malformed values")
        return values

    def __repr__(self) -> str:
        return f"<student method {self.qualified}>"

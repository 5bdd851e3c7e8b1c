"""Requests on student objects, answered in the worker: the objects stay there, the grader holds
:class:`grader.sandbox.codec.Ref` handles to them (see :mod:`grader.sandbox.objects`).

A test builds a student object with an ordinary call (a class is a function that returns an
object the wire cannot carry, so the worker keeps it), then sends these requests:

- ``getattr``: read an attribute. A method comes back as ``{"method": True}`` (the grader then
  calls it by name); a student object as another handle;
- ``setattr``: set an attribute;
- ``method``: call a method, optionally returning its arguments as it left them;
- ``method_objective``: ``sum(method(*args)[output] * weights)`` with one argument or one
  attribute set to each of many points in turn (restored afterwards): the batched evaluations of
  a numerical derivative of student code in one round trip.

Student code runs through :meth:`StudentCode.invoke`, so reads, writes and calls fail with the same
kinds and messages as calls of functions. Kept free of grader imports beyond the wire format.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.sandbox import worker as process  # a cycle: worker dispatches requests to us

#: Largest value (in array bytes) a request on an object may send back: a layer's attribute the
#: grader reads is a parameter or a gradient, never hundreds of megabytes.
MAX_VALUE_BYTES = 64 * 1024 * 1024


def requests(worker: process.StudentCode) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    """The worker's handlers of object requests, by ``op``."""
    objects = _Objects(worker)
    return {
        "getattr": objects.getattr,
        "setattr": objects.setattr,
        "method": objects.method,
        "method_objective": objects.objective,
    }


def stale_message(ref: Any) -> str:
    """Why a handle cannot be used: its worker was replaced, or it never was this worker's."""
    return (
        f"the {ref.type_name} object this test made is gone: the process running your code was "
        "replaced after an earlier failure in this test (a crash or a time-out), so the object "
        "cannot be graded"
    )


def _named(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` under the name student messages use ("reading Conv2D.dx raised ...")."""

    def run(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    run.__name__ = name
    return run


class _Objects:
    def __init__(self, worker: process.StudentCode) -> None:
        self.worker = worker

    def target(self, request: dict[str, Any]) -> tuple[Any, str]:
        """The object a request is about, and its class name for messages."""
        obj = self.worker.resolve(request["object"])
        return obj, type(obj).__name__

    def read(self, obj: Any, owner: str, name: str) -> Any:
        """``getattr(obj, name)``, run as student code (a property, a ``__getattr__``)."""
        missing = object()
        value = self.worker.invoke(
            _named(f"reading {owner}.{name}", getattr), (obj, name, missing), {}
        )
        if value is missing:
            raise process.Failure("exception", f"your {owner} object has no attribute {name!r}")
        return value

    def getattr(self, request: dict[str, Any]) -> dict[str, Any]:
        obj, owner = self.target(request)
        value = self.read(obj, owner, request["name"])
        if inspect.isroutine(value):
            return {"ok": True, "value": None, "method": True}
        return {"ok": True, "value": _bounded(value, f"{owner}.{request['name']}")}

    def write(self, obj: Any, owner: str, name: str, value: Any) -> None:
        """``setattr(obj, name, value)``, run as student code (a property's setter)."""
        self.worker.invoke(_named(f"setting {owner}.{name}", setattr), (obj, name, value), {})

    def setattr(self, request: dict[str, Any]) -> dict[str, Any]:
        obj, owner = self.target(request)
        self.write(obj, owner, request["name"], self.worker.resolve(request["value"]))
        return {"ok": True, "value": None}

    def bound(self, request: dict[str, Any]) -> tuple[Callable[..., Any], str]:
        obj, owner = self.target(request)
        method = self.read(obj, owner, request["name"])
        qualified = f"{owner}.{request['name']}"
        if not callable(method):
            raise process.Failure("exception", f"{qualified} is not a method")
        return _named(qualified, method), qualified

    def method(self, request: dict[str, Any]) -> dict[str, Any]:
        method, qualified = self.bound(request)
        args, kwargs = self.worker.resolve(request["args"]), self.worker.resolve(request["kwargs"])
        value = _qualified_failures(qualified, lambda: self.worker.invoke(method, args, kwargs))
        reply: dict[str, Any] = {"ok": True, "value": _bounded(value, f"what {qualified} returned")}
        if request.get("return_args"):
            reply["args"], reply["kwargs"] = args, kwargs
        return reply

    def objective(self, request: dict[str, Any]) -> dict[str, Any]:
        """Evaluate the method at each point, put in argument ``vary`` (an int) or attribute
        ``vary`` (a str); an attribute gets its old value back afterwards."""
        obj, owner = self.target(request)
        method, qualified = self.bound(request)
        args, vary = list(self.worker.resolve(request["args"])), request["vary"]
        output, weights = request["output"], request["weights"]
        saved = self.read(obj, owner, vary) if isinstance(vary, str) else None
        values = []
        try:
            for point in request["points"]:
                if isinstance(vary, str):
                    self.write(obj, owner, vary, point)
                else:
                    args[vary] = point
                value = _qualified_failures(qualified, lambda: self.worker.invoke(method, args, {}))
                try:
                    value = np.asarray(value[output] if output is not None else value, np.float64)
                    values.append(float(np.sum(value * weights) if weights is not None else value))
                except Exception as exc:  # whatever the student returned
                    raise process.Failure(
                        "bad_value", f"{qualified} returned something unusable: {exc}"
                    ) from None
        finally:
            if isinstance(vary, str):
                self.write(obj, owner, vary, saved)
        return {"ok": True, "value": values}


def _qualified_failures(qualified: str, run: Callable[[], Any]) -> Any:
    """Run a method, naming its class in "not implemented" messages ("Conv2D.forward is not
    implemented yet", not "forward ...")."""
    try:
        return run()
    except process.Failure as failure:
        method = qualified.rsplit(".", 1)[1]
        stub = failure.kind in ("not_implemented", "untouched_stub")
        if stub and failure.message.startswith(f"{method} is "):
            failure.message = f"{qualified.rsplit('.', 1)[0]}.{failure.message}"
        raise


def _bounded(value: Any, what: str) -> Any:
    """``value``, unless its arrays hold more than MAX_VALUE_BYTES (a hostile attribute)."""
    size = _array_bytes(value, 0)
    if size > MAX_VALUE_BYTES:
        raise process.Failure(
            "bad_value",
            f"{what} holds {size / 2**20:.0f} MB of arrays; the grader reads at most "
            f"{MAX_VALUE_BYTES // 2**20} MB: keep only what the layer needs",
        )
    return value


def _array_bytes(value: Any, depth: int) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if depth < 8 and type(value) in (tuple, list):
        return sum(_array_bytes(v, depth + 1) for v in value)
    if depth < 8 and type(value) is dict:
        return sum(_array_bytes(v, depth + 1) for v in value.values())
    return 0

"""The call of a layer forward that returns ``(out, cache)``, checked once for every test."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from grader.checks.values import expect_tuple


class Traceable(Protocol):
    """A student function (grader.sandbox.proxy.FunctionProxy): called in the worker."""

    __name__: str

    def trace(self, *args: Any, **kwargs: Any) -> Any: ...


class LayerOutput(NamedTuple):
    """What a forward returned, and its arguments as it left them (to check they are unchanged)."""

    out: Any
    cache: Any
    args: tuple[Any, ...]


def layer_forward(function: Traceable, *args: Any, **kwargs: Any) -> LayerOutput:
    """Call a student's ``function(*args, **kwargs)``, which must return a pair ``(out, cache)``;
    fails with a message for the student otherwise."""
    call = function.trace(*args, **kwargs)
    out, cache = expect_tuple(call.value, ("out", "cache"), function.__name__)
    return LayerOutput(out, cache, tuple(call.args))

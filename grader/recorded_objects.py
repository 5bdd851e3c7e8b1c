"""Reference objects in a handout's recording (assignment 3's layers and optimizers).

A recorded call that returns an object (``reference.modules.Conv2D(3, 4)``) gives the test a
:class:`RecordedObject`; its attribute reads and method calls are recorded like calls, each
keyed by the object's *state*: the key that made it, the values the test set on it, and the
method calls it has answered so far (``forward`` before ``backward``, one optimizer update after
another). A self-check replays the same operations on a :class:`RecordedObject` without the
real object and gets the same answers; an operation the recording run never made (a diagnosis
of a wrong gradient) raises :class:`grader.recording.NotRecorded` and leaves the state as it was,
so that the operations after it are still answered.

Arguments that are objects of the test's own (a ``SimpleNamespace`` model handed to the
reference optimizer) enter keys by their attributes, and get back the attributes the reference
left them with.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from grader.sandbox import codec

#: Marks a recorded answer that is an object: the replay makes a RecordedObject of it.
OBJECT = "$object"


class Owner(Protocol):
    """The recording or the replay: answers one keyed operation."""

    def answer(self, key: str, compute: Callable[[], Any] | None, args: Any = ()) -> Any: ...


def digest(value: Any) -> str:
    """A key for plain data; raises CodecError for what cannot be plain (no key, no record)."""
    return hashlib.sha256(codec.encode(value)).hexdigest()


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as data a key can hold: a recorded object by its state, another object by its
    attributes."""
    if isinstance(value, RecordedObject):
        return {OBJECT: value._state()}
    if type(value) in (tuple, list):
        return type(value)(plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return {k: plain(v, depth + 1) for k, v in value.items()}
    if depth < 8 and hasattr(value, "__dict__") and not isinstance(value, type | np.ndarray):
        return {"$type": type(value).__name__, "$attrs": plain(vars(value), depth + 1)}
    return value


def real(value: Any) -> Any:
    """``value`` for the reference itself: recorded objects replaced by the objects they wrap.
    Containers without one are passed as they are, so that the reference can change them (a
    bn_param's running averages)."""
    if isinstance(value, RecordedObject):
        return value._real
    if type(value) in (tuple, list):
        items = [real(v) for v in value]
        changed = any(a is not b for a, b in zip(items, value, strict=True))
        return type(value)(items) if changed else value
    if type(value) is dict:
        items = {k: real(v) for k, v in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    return value


def restore(arg: Any, after: Any) -> bool:
    """Give an argument of the test's own the attributes the reference left it with; False if
    ``after`` is no object snapshot."""
    if not (type(after) is dict and "$attrs" in after and hasattr(arg, "__dict__")):
        return False
    for name, value in after["$attrs"].items():
        current = getattr(arg, name, None)
        if type(value) is list and type(current) is list and len(value) == len(current):
            for item, item_after in zip(current, value, strict=True):
                restore(item, item_after)
        elif not restore(current, value):
            setattr(arg, name, copy.deepcopy(value))
    return True


class RecordedObject:
    """A reference object as a recording (``real`` given) or a replay (``real`` None) sees it."""

    def __init__(self, owner: Owner, key: str, real_object: Any = None) -> None:
        for name, value in (("_owner", owner), ("_origin", key), ("_chain", key),
                            ("_set", {}), ("_real", real_object)):  # fmt: skip
            object.__setattr__(self, name, value)

    def _state(self) -> str:
        return digest((self._chain, sorted(self._set.items(), key=lambda item: item[0])))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        wrapped = self._real

        def compute_kind() -> str:
            return "method" if inspect.isroutine(getattr(wrapped, name)) else "value"

        kind = self._owner.answer(
            digest((self._origin, "kind", name)), None if wrapped is None else compute_kind
        )
        if kind == "method":
            return _Method(self, name)
        return self._owner.answer(
            digest((self._state(), "get", name)),
            None if self._real is None else lambda: getattr(self._real, name),
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if self._real is not None:
            setattr(self._real, name, real(value))
        try:
            self._set[name] = digest(plain(value))
        except codec.CodecError:
            self._set[name] = f"<{type(value).__name__}>"

    def __repr__(self) -> str:
        return f"<recorded reference object {self._origin[:8]}>"


class _Method:
    def __init__(self, owner: RecordedObject, name: str) -> None:
        self._object, self._name = owner, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._object
        key = digest((obj._state(), "call", self._name, plain(args), plain(kwargs)))
        method = None if obj._real is None else getattr(obj._real, self._name)
        compute = None if method is None else lambda: method(*real(args), **real(kwargs))
        value = obj._owner.answer(key, compute, args)
        object.__setattr__(obj, "_chain", key)  # answered: the object's history moves on
        return value

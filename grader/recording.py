"""A reference solution students may hold: the answers, not the code.

A student's self-check needs the reference's outputs, but the handout must not contain the
reference solution. ``grader handout`` therefore runs the public tests on the reference solution
with a :class:`RecordingReference`, which keeps every call's arguments (hashed) and results; the
handout ships that recording, and :class:`ReplayReference` answers the same calls from it. Inputs
are seeded per test, so a test makes the same reference calls on any machine, whatever the
student's code does; a call that was not recorded (the diagnosis of a wrong gradient, say) raises
:class:`NotRecorded`.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from grader.reference import Reference
from grader.sandbox import codec

RECORDING_NAME = "recording.bin"


class NotRecorded(LookupError):
    """The handout's recording has no answer for this call."""


def _key(module: str, function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return hashlib.sha256(codec.encode((module, function, args, kwargs))).hexdigest()


class _Module:
    def __init__(self, owner: RecordingReference | ReplayReference, module: str) -> None:
        self._owner, self._module = owner, module

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._owner.call(self._module, function, args, kwargs)

        return call


class RecordingReference:
    """The reference solution, recording each call it answers."""

    def __init__(self, reference: Reference) -> None:
        self._reference = reference
        self.calls: dict[str, dict[str, Any]] = {}

    def __getattr__(self, module: str) -> _Module:
        if module.startswith("_"):
            raise AttributeError(module)
        getattr(self._reference, module)  # an unknown module fails here, as it would unrecorded
        return _Module(self, module)

    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> Any:
        try:
            key = _key(module, function, args, kwargs)
        except codec.CodecError:
            key = None
        before = codec.encode(args) if key else b""
        value = getattr(getattr(self._reference, module), function)(*args, **kwargs)
        if key is not None:
            try:
                entry: dict[str, Any] = {"value": codec.decode(codec.encode(value))}
                if codec.encode(args) != before:
                    entry["args"] = args  # the call changed them (a bn_param's running stats)
                self.calls[key] = codec.decode(codec.encode(entry))
            except codec.CodecError:
                pass  # not plain data: this call cannot be replayed
        return value

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RECORDING_NAME).write_bytes(codec.encode(self.calls))


class ReplayReference:
    """Answers reference calls from a recording; mutates arguments as the reference did."""

    def __init__(self, folder: Path) -> None:
        calls = codec.decode((folder / RECORDING_NAME).read_bytes())
        self.calls: dict[str, dict[str, Any]] = calls if isinstance(calls, dict) else {}

    def __getattr__(self, module: str) -> _Module:
        if module.startswith("_"):
            raise AttributeError(module)
        return _Module(self, module)

    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> Any:
        entry = self.calls.get(_key(module, function, args, kwargs))
        if entry is None:
            raise NotRecorded(
                f"the handout has no expected value for this call of {function}; the full "
                "check runs when you submit"
            )
        for arg, after in zip(args, entry.get("args", ()), strict=False):
            _update(arg, copy.deepcopy(after))
        return copy.deepcopy(entry["value"])


def _update(arg: Any, after: Any) -> None:
    if isinstance(arg, dict) and isinstance(after, dict):
        arg.clear()
        arg.update(after)
    elif isinstance(arg, np.ndarray) and isinstance(after, np.ndarray) and arg.shape == after.shape:
        arg[...] = after


def is_recording(folder: Path | None) -> bool:
    return folder is not None and (folder / RECORDING_NAME).is_file()

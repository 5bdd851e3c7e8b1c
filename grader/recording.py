"""A reference solution students may hold: the answers, not the code.

A student's self-check needs the reference's outputs, but the handout must not contain the
reference solution. ``grader handout`` therefore runs the public tests on the reference solution
with a :class:`RecordingReference`, which keeps every call's arguments (hashed) and results; the
handout ships that recording, and :class:`ReplayReference` answers the same calls from it. A
self-check seeds inputs from the test id alone (grader.checks.inputs), so a test makes the same
reference calls on any machine, whatever the student's code does; a call that was not recorded
(the diagnosis of a wrong gradient, say) raises :class:`NotRecorded`.

The real grade draws its inputs from a secret seed, so these answers are never the real grade's.
A call whose arguments do not depend on the seed (fixed inputs in a test) would be, so
:func:`keep_seeded` drops the calls of every test that makes one and names those tests
``withheld``: the self-check leaves them out, like hidden tests, and they run when the student
submits.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
from collections.abc import Callable
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
        #: The tests (node ids) that made each call; ``test`` is the one running.
        self.tests: dict[str, list[str]] = {}
        self.test = ""

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
                self.tests.setdefault(key, []).append(self.test)
            except codec.CodecError:
                pass  # not plain data: this call cannot be replayed
        return value

    def save(self, folder: Path) -> None:
        _write(folder, {"calls": self.calls, "tests": self.tests, "withheld": []})


class ReplayReference:
    """Answers reference calls from a recording; mutates arguments as the reference did."""

    def __init__(self, folder: Path) -> None:
        recording = _read(folder)
        self.calls: dict[str, dict[str, Any]] = recording["calls"]
        #: Visible tests the self-check leaves out: the real grade makes the same calls.
        self.withheld: set[str] = set(recording["withheld"])

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


def keep_seeded(public: Path, record_other: Callable[[Path], object]) -> list[str]:
    """Reduce the recording in ``public`` (inputs seeded from test ids) to the tests whose
    every call differs when ``record_other(folder)`` records the same tests with inputs from
    another seed; returns the tests withheld."""
    recording = _read(public)
    if not recording["calls"]:
        return []
    with tempfile.TemporaryDirectory(prefix="grader-other-seed-") as other:
        record_other(Path(other))
        keys = set(_read(Path(other))["calls"])
    fixed = [key for key in recording["calls"] if key in keys]
    withheld = sorted({test for key in fixed for test in recording["tests"].get(key, [])})
    calls = {
        key: entry
        for key, entry in recording["calls"].items()
        if not set(recording["tests"].get(key, [])) & set(withheld)
    }
    _write(public, {"calls": calls, "tests": {}, "withheld": withheld})
    return withheld


def _write(folder: Path, recording: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORDING_NAME).write_bytes(codec.encode(recording))


def _read(folder: Path) -> dict[str, Any]:
    data = codec.decode((folder / RECORDING_NAME).read_bytes())
    data = data if isinstance(data, dict) else {}
    return {
        "calls": data.get("calls") if isinstance(data.get("calls"), dict) else {},
        "tests": data.get("tests") if isinstance(data.get("tests"), dict) else {},
        "withheld": [t for t in data.get("withheld") or [] if isinstance(t, str)],
    }


def is_recording(folder: Path | None) -> bool:
    return folder is not None and (folder / RECORDING_NAME).is_file()

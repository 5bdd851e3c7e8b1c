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

import contextlib
import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks.failure import NoReferenceAnswer
from grader.manifest import ManifestError
from grader.recorded_objects import RecordedObject, digest, plain, real, restore
from grader.reference import Reference
from grader.sandbox import codec

RECORDING_NAME = "recording.bin"
#: The first line of every recording. Change its number whenever the codec's encoding
#: (grader.sandbox.codec) or the keys of calls (grader.recorded_objects.digest, plain; _key)
#: change: the recording of a handout made before would not decode, or would answer no call.
FORMAT = b"grader-recording 2\n"


class RecordingFormatError(ManifestError):
    """A handout's recording that this grader cannot use: made by another version of the
    grader (another codec or other keys) or damaged. Said in one line, as a ManifestError,
    rather than as an internal error or as every call unanswered."""


class NotRecorded(NoReferenceAnswer):
    """The handout's recording has no answer for this call."""


def _key(module: str, function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return digest((module, function, plain(args), plain(kwargs)))


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
            key: str | None = _key(module, function, args, kwargs)
        except codec.CodecError:
            key = None
        function_object = getattr(getattr(self._reference, module), function)
        return self.answer(key, lambda: function_object(*real(args), **real(kwargs)), args)

    def answer(self, key: str | None, compute: Callable[[], Any] | None, args: Any = ()) -> Any:
        """Compute an answer and record it under ``key`` (with the arguments as it left them,
        when it changed them); an object comes back as a RecordedObject."""
        assert compute is not None
        before = codec.encode(plain(args)) if key else b""
        value = compute()
        if key is None:
            return value
        try:
            entry: dict[str, Any] = {"value": codec.decode(codec.encode(value))}
        except codec.CodecError:
            if not hasattr(value, "__dict__") or isinstance(value, type):
                return value  # not plain data: this call cannot be replayed
            entry, value = {"object": True}, RecordedObject(self, key, value)
        try:
            after = plain(args)
            if codec.encode(after) != before:
                entry["args"] = after  # the call changed them (a bn_param's running stats)
            self.calls[key] = codec.decode(codec.encode(entry))
            self.tests.setdefault(key, []).append(self.test)
        except codec.CodecError:
            pass  # arguments that are not plain data: this call cannot be replayed
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
        return self.answer(_key(module, function, args, kwargs), None, args, function)

    def answer(
        self, key: str, compute: Callable[[], Any] | None, args: Any = (), what: str = ""
    ) -> Any:
        """The recorded answer under ``key``; arguments are changed as the reference did."""
        entry = self.calls.get(key)
        if entry is None:
            raise NotRecorded(
                f"the handout has no expected value for this call{' of ' * bool(what)}{what}; "
                "the full check runs when you submit"
            )
        for arg, after in zip(args, entry.get("args", ()), strict=False):
            _update(arg, copy.deepcopy(after))
        if entry.get("object"):
            return RecordedObject(self, key)
        return copy.deepcopy(entry["value"])


def _update(arg: Any, after: Any) -> None:
    if isinstance(arg, dict) and isinstance(after, dict):
        arg.clear()
        arg.update(after)
    elif isinstance(arg, np.ndarray) and isinstance(after, np.ndarray) and arg.shape == after.shape:
        arg[...] = after
    else:
        restore(arg, after)


def keep_seeded(public: Path, record_other: Callable[[Path], object]) -> list[str]:
    """Reduce the recording in ``public`` (inputs seeded from test ids) to the tests whose
    every answering call differs when ``record_other(folder)`` records the same tests with
    inputs from another seed; returns the tests withheld."""
    recording = _read(public)
    if not recording["calls"]:
        return []
    with tempfile.TemporaryDirectory(prefix="grader-other-seed-") as other:
        record_other(Path(other))
        keys = set(_read(Path(other))["calls"])
    fixed = [key for key, entry in recording["calls"].items() if key in keys and _reveals(entry)]
    withheld = sorted({test for key in fixed for test in recording["tests"].get(key, [])})
    calls = {
        key: entry
        for key, entry in recording["calls"].items()
        if not set(recording["tests"].get(key, [])) & set(withheld)
    }
    _write(public, {"calls": calls, "tests": {}, "withheld": withheld})
    return withheld


def _reveals(entry: dict[str, Any]) -> bool:
    """Whether a recorded answer holds numbers a test grades against. An object built from
    fixed arguments, or whether an attribute is a method, is the same for every seed and says
    nothing about the answers, so it withholds no test."""
    return _holds_numbers(entry.get("value")) or _holds_numbers(entry.get("args"))


def _holds_numbers(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_numbers(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_numbers(item) for item in value)
    return isinstance(value, np.ndarray | np.generic | int | float | complex)


def _write(folder: Path, recording: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORDING_NAME).write_bytes(FORMAT + codec.encode(recording))


def _read(folder: Path) -> dict[str, Any]:
    """The recording in ``folder``; RecordingFormatError unless this grader wrote its format."""
    path = folder / RECORDING_NAME
    raw = path.read_bytes()
    data: Any = None
    if raw.startswith(FORMAT):
        with contextlib.suppress(codec.CodecError):
            data = codec.decode(raw[len(FORMAT) :])
    if not (isinstance(data, dict) and isinstance(data.get("calls"), dict)):
        raise _unusable(path, raw)
    return {
        "calls": data["calls"],
        "tests": data.get("tests") if isinstance(data.get("tests"), dict) else {},
        "withheld": [t for t in data.get("withheld") or [] if isinstance(t, str)],
    }


def _unusable(path: Path, raw: bytes) -> RecordingFormatError:
    line = raw[:64].split(b"\n", 1)[0].decode(errors="replace")
    if raw.startswith(FORMAT):
        why = "its answers cannot be read"
    elif line.startswith("grader-recording "):
        why = f"it is {line!r}, this grader reads {FORMAT.decode().strip()!r}"
    else:
        why = f"it is older than {FORMAT.decode().strip()!r}"
    # not ``path``: a grading reads a private copy, whose path would mean nothing to a student
    return RecordingFormatError(
        f"the handout's recorded answers ({path.name}) were made by a different version of the "
        f"grader than the one installed, or are damaged ({why}): download the handout again "
        "from the course, or install the grader version the course gives"
    )


def is_recording(folder: Path | None) -> bool:
    return folder is not None and (folder / RECORDING_NAME).is_file()

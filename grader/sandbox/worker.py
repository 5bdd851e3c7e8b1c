"""The worker process: the only place where student code is imported and run.

Forked by the fork server (:mod:`grader.sandbox.zygote`), which calls :func:`main` with
``SUBMISSION_DIR READ_FD WRITE_FD MEMORY_MB HINTS MODULE...``. It answers one request at a time;
every failure of student code becomes a structured reply, so the grader never needs a traceback
object from this process. Kept free of grader imports beyond the wire format.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from grader.reporting.caps import cap
from grader.sandbox import channel, codec, handles
from grader.sandbox.submission_modules import SubmissionFinder


class Failure(Exception):
    """A student-caused failure, reported to the grader as ``kind`` and ``message``."""

    def __init__(self, kind: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.kind, self.message, self.details = kind, message, details


class StudentCode:
    """The student's code as the worker holds it: submission modules imported on demand, objects
    kept behind references, calls run and their failures described."""

    def __init__(
        self, submission: Path, modules: list[str], memory_mb: int = 0,
        hints: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.submission = submission
        self.allowed = set(modules)
        self.memory_mb = memory_mb
        self.hints = hints or {}
        self.objects: dict[int, Any] = {}
        #: Loads the submission's modules (installed on sys.meta_path by main).
        self.finder = SubmissionFinder(submission, self.allowed)
        #: Marks this process's handles: one held from a replaced worker is refused, not misread.
        self.token = os.urandom(6).hex()  # secrets.token_hex's bytes, without its imports

    def keep(self, value: Any) -> codec.Ref:
        """Hold a value that cannot cross the wire and hand out a reference to it."""
        kind = type(value).__name__
        if isinstance(value, np.ndarray):
            kind += " (a subclass of numpy.ndarray: return a plain array)"
        elif hasattr(type(value), "__array__"):  # not the instance: its __getattr__ is student code
            kind += " (not a numpy array: return a plain array)"
        ref = codec.Ref(len(self.objects) + 1, kind, self.token)
        self.objects[ref.id] = value
        return ref

    def resolve(self, value: Any) -> Any:
        """Swap references received from the grader back for the objects they stand for."""
        if isinstance(value, codec.Seed):
            return np.random.default_rng(value.value)
        if isinstance(value, codec.Ref):
            if value.worker != self.token or value.id not in self.objects:
                raise Failure("bad_value", handles.stale_message(value))
            return self.objects[value.id]
        if isinstance(value, tuple | list):
            return type(value)(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def module(self, name: str) -> Any:
        if name not in self.allowed:
            raise Failure("file", f"{name} is not a module of this assignment")
        filename = f"{name}.py"
        if name in sys.modules:
            return sys.modules[name]
        if not (self.submission / filename).is_file():
            hint = self.hints.get(filename)
            raise Failure(
                "file",
                f"{filename} was not found in your submission" + (f"; {hint}" if hint else ""),
            )
        try:
            return importlib.import_module(name)
        except SyntaxError as exc:
            where = f"line {exc.lineno}" if exc.lineno else "an unknown line"
            sys.modules.pop(name, None)
            if "codec can't decode" in str(exc.msg) or "Non-UTF-8 code" in str(exc.msg):
                raise Failure(
                    "import_failed",
                    f"{filename} is not UTF-8 text (a byte on {where} is not valid "
                    "UTF-8): save it with UTF-8 encoding",
                ) from None
            raise Failure(
                "import_failed", f"{filename} has a syntax error on {where}: {exc.msg}",
                _syntax_context(exc),
            ) from None  # fmt: skip
        except BaseException as exc:
            raise self._import_failure(name, exc) from None

    def _import_failure(self, name: str, exc: BaseException) -> Failure:
        """Why importing ``name`` failed (``exc``), for the student: "import_failed" where any
        fresh worker would fail the same (a module it imports is not there), "file" where the
        cause may lie elsewhere (memory, what the code at its top level did)."""
        sys.modules.pop(name, None)
        filename = f"{name}.py"
        if _out_of_memory(exc):
            return Failure("file", self._import_out_of_memory(filename, exc))
        return Failure(
            "import_failed" if isinstance(exc, ImportError) else "file",
            f"importing {filename} failed: {_describe(exc)}"
            f"{_import_hint(exc, self.allowed, self._raised_here(exc))}",
            self.student_traceback(exc),
        )

    def _import_out_of_memory(self, filename: str, exc: BaseException) -> str:
        """What to do when a file's import ran out of memory: most often a large library (torch)
        imported by a file of an assignment that does not use it."""
        ours = self._student_frames(exc)
        where = ""
        if ours:  # the innermost line of the submission: maybe in a file the import imported
            frame = ours[-1]
            other = Path(frame.filename).name
            of = f" of {other}" if other != filename else ""
            where = f" at line {frame.lineno}{of}{_source(frame)}"
        limit = f" of its {self.memory_mb} MB" if self.memory_mb else ""
        return (f"importing {filename} ran out{limit} of memory{where}: remove the imports "
                f"{filename} does not use (a library such as torch needs more memory than this "
                "assignment gives its code)")  # fmt: skip

    def function(self, module_name: str, function_name: str) -> Any:
        module = self.module(module_name)
        broken = self.finder.broken.get(module_name, {})
        if function_name in broken:
            raise Failure("file", *_left_out(module_name, function_name, broken[function_name]))
        function = getattr(module, function_name, None)
        if not callable(function):
            left_out = next(iter(broken.items()), None)  # a definition of it, misspelt?
            because = f"; {_left_out(module_name, *left_out)[0]}" if left_out else ""
            raise Failure(
                "missing_function",
                f"{module_name}.py does not define a function {function_name}{because}",
            )
        return function

    def invoke(self, function: Any, args: Any, kwargs: Any) -> Any:
        """Run student code, turning whatever it raises into a Failure."""
        name = function.__name__ if hasattr(function, "__name__") else "the function"
        try:
            return function(*args, **kwargs)
        except NotImplementedError as exc:
            raiser = self._innermost_function(exc) or name  # the stub, also behind staff code
            raise Failure(
                "untouched_stub" if self._untouched_stub(exc) else "not_implemented",
                f"{raiser} is not implemented yet (it raises NotImplementedError)",
            ) from None
        except BaseException as exc:  # SystemExit too: it is the student's
            if _out_of_memory(exc):
                limit = f" (it may use {self.memory_mb} MB)" if self.memory_mb else ""
                raise Failure("exception", f"{name} ran out of memory{limit}") from None
            raise Failure(
                "exception", f"{name} raised {_describe(exc)}", self.student_traceback(exc)
            ) from None

    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        """Import a module before its first call (the grader's step of its own)."""
        self.module(request["module"])
        return {"ok": True}

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        function = self.function(request["module"], request["function"])
        args, kwargs = self.resolve(request["args"]), self.resolve(request["kwargs"])
        reply: dict[str, Any] = {"ok": True, "value": self.invoke(function, args, kwargs)}
        if request.get("return_args"):
            reply["args"], reply["kwargs"] = args, kwargs
        return reply

    def objective(self, request: dict[str, Any]) -> dict[str, Any]:
        """``sum(f(*args)[output] * weights)`` for each argument list: a batch of evaluations of
        a numerical derivative in one round trip."""
        function = self.function(request["module"], request["function"])
        output, weights = request["output"], request["weights"]
        values = []
        for args in request["calls"]:
            value = self.invoke(function, self.resolve(args), {})
            try:
                value = np.asarray(value[output] if output is not None else value, np.float64)
                values.append(float(np.sum(value * weights) if weights is not None else value))
            except Exception as exc:  # whatever the student returned
                raise Failure(
                    "bad_value", f"{request['function']} returned something unusable: {exc}"
                ) from None
        return {"ok": True, "value": values}

    def _untouched_stub(self, exc: BaseException) -> bool:
        """Whether the only submission function the traceback passes through raised at its
        first statement (the grader keeps such a worker: no student state can have changed)."""
        import dis

        frames, tb = [], exc.__traceback__
        while tb is not None:
            if Path(tb.tb_frame.f_code.co_filename).parent == self.submission:
                frames.append(tb)
            tb = tb.tb_next
        if len(frames) != 1:
            return False
        code = frames[0].tb_frame.f_code
        starts = [line for _, line in dis.findlinestarts(code)
                  if line is not None and line > code.co_firstlineno]  # fmt: skip
        return bool(starts) and frames[0].tb_lineno == min(starts)

    def _innermost_function(self, exc: BaseException) -> str | None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if Path(f.filename).parent == self.submission]  # fmt: skip
        return frames[-1].name if frames else None

    def student_traceback(self, exc: BaseException) -> str:
        """The traceback lines that point into the submission, with paths made relative."""
        lines = []
        for frame in self._student_frames(exc):
            lines.append(
                f'  File "{Path(frame.filename).name}", line {frame.lineno}, in {frame.name}'
            )
            if frame.line:
                lines.append(f"    {frame.line}")
        return "\n".join(lines)

    def _raised_here(self, exc: BaseException) -> bool:
        """Whether the line that raised ``exc`` (the import machinery's frames aside) is in the
        submission: an import a student wrote, not one inside a library."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename[:1] != "<"]
        return bool(frames) and self._in_submission(frames[-1])

    def _student_frames(self, exc: BaseException) -> list[traceback.FrameSummary]:
        """The frames of ``exc``'s traceback in the submission's files, outermost first."""
        return [f for f in traceback.extract_tb(exc.__traceback__) if self._in_submission(f)]

    def _in_submission(self, frame: traceback.FrameSummary) -> bool:
        return Path(frame.filename).parent == self.submission


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: a MemoryError, an OSError for ENOMEM, or what C++
    extensions raise (torch's ``RuntimeError: std::bad_alloc``)."""
    try:  # a student's exception may raise from errno, __eq__ or __str__, or return oddities
        if isinstance(exc, OSError):
            return type(exc.errno) is int and exc.errno == errno.ENOMEM
        return isinstance(exc, MemoryError) or bool(
            isinstance(exc, RuntimeError) and "bad_alloc" in str.__str__(str(exc))
        )
    except BaseException:
        return False


def _source(frame: traceback.FrameSummary) -> str:
    """`` (the line's code)`` of a frame in the submission, read from the file if need be."""
    try:
        line = frame.line or Path(frame.filename).read_text().splitlines()[frame.lineno - 1]
    except Exception:  # memory may still be short (MemoryError), the file unreadable
        return ""
    return f" ({line.strip()})" if line.strip() else ""


def _import_hint(exc: BaseException, modules: set[str], raised_here: bool) -> str:
    """What to change when an import fails for how the grader imports a submission: each file
    a module of its own, outside any package (CS231n's ``from .layers`` and ``from
    cs231n.layers`` find the assignment's own files, grader.sandbox.submission_modules, and no
    other), with the assignment's libraries only, and plain Python (a notebook saved as a
    script calls ``get_ipython()`` for each of its magics)."""
    try:
        if isinstance(exc, NameError) and exc.name == "get_ipython":
            return ("; this file looks like a notebook saved as a script, whose IPython magics "
                    "(%matplotlib, %load_ext) became get_ipython() calls that only run in "
                    "Jupyter: delete those lines")  # fmt: skip
        if not isinstance(exc, ImportError):
            return ""
        if "relative import" in str.__str__(str(exc)):
            return ("; the grader imports each file of the submission as a module of its own, "
                    "not as part of a package: a relative import names the assignment's own "
                    "files only ('from .layers import ...'): copy what you use of any other "
                    "file into this one, or remove the import")  # fmt: skip
        missing = exc.name if isinstance(exc, ModuleNotFoundError) and raised_here else None
        if type(missing) is not str or missing.split(".")[0] in modules:
            return ""  # not the submission's own import (a library's), or a file of it
        return (f"; the grader runs the assignment's files only (no other file of a submission "
                f"is there), with the libraries the assignment names: unless it names {missing}, "
                "remove that import, or copy what you use of it into the file")  # fmt: skip
    except BaseException:  # a student's exception whose text or name misbehaves
        return ""


def _left_out(module: str, definition: str, error: SyntaxError) -> tuple[str, str]:
    """The message and details of a call to a definition left out for its syntax error."""
    message = (f"{module}.py has a syntax error on line {error.lineno}, in {definition}: "
               f"{error.msg} (the rest of {module}.py was graded)")  # fmt: skip
    return message, _syntax_context(error)


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _syntax_context(exc: SyntaxError) -> str:
    if not exc.text:
        return ""
    caret = " " * max((exc.offset or 1) - 1, 0) + "^"
    return f"    {exc.text.rstrip()}\n    {caret}"


def serve(
    worker: StudentCode, read_fd: int, write_fd: int, status: dict[str, Any] | None = None
) -> None:
    """Answer requests until the grader closes the pipe. The first reply says the worker is
    ready, and ``status``: which folders of the grader's Python its user cannot read
    (``unreadable``), which file systems it can write that should be read-only (``writable``),
    whether the kernel's keyrings are refused to it (``keyrings_refused``)."""
    ready = {"ok": True, "ready": True, **(status or {})}
    channel.send(write_fd, codec.encode(ready))
    handlers = {"objective": worker.objective, "import": worker.load, **handles.requests(worker)}
    while True:
        try:
            request = codec.decode(channel.recv(read_fd))
        except channel.ChannelClosed:
            return
        try:
            handler = handlers.get(request.get("op"), worker.call)
            payload = codec.encode(handler(request), keep=worker.keep)
        except codec.CodecError as exc:
            payload = _failure(
                Failure(
                    "bad_value",
                    f"{request['function']} returned a value that cannot be graded: {exc}",
                )
            )
        except Failure as failure:
            payload = _failure(failure)
        channel.send(write_fd, payload)


#: Characters kept of a failure's message and of its details: results show 6,000 of a test's
#: output, and a reply's structure is bounded (codec.reply_bounds), brackets in its strings too.
FAILURE_TEXT = 16_000


def _failure(failure: Failure) -> bytes:
    # cap keeps the beginning and the end: a traceback's last line says what was raised
    message, details = (cap(text, FAILURE_TEXT) for text in (failure.message, failure.details))
    return codec.encode({"ok": False, "kind": failure.kind, "message": message, "details": details})


def main(argv: list[str], status: dict[str, Any] | None = None) -> None:
    submission, read_fd, write_fd, memory_mb, hints, *modules = argv
    path = Path(submission).resolve()
    sys.path.insert(0, str(path))
    worker = StudentCode(path, modules, int(memory_mb), json.loads(hints))
    sys.meta_path.insert(0, worker.finder)
    serve(worker, int(read_fd), int(write_fd), status)

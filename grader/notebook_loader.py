"""Loading a notebook's definitions in the worker, one at a time, so that one bad cell costs only
the functions it touches.

The module :mod:`grader.notebook` generates for a notebook calls :func:`load` with the
notebook's kept statements. Each definition runs on its own under a time limit (a default
argument or decorator that never returns); one that fails or times out is replaced by a
stand-in that raises, when called, a message naming the definition and what went wrong.
Imports of modules not yet loaded are deferred to first use: an unused ``import torch`` or
``from google.colab import drive`` costs nothing, and a missing or too-heavy module fails only
the functions that use it, with a message that names the import. This runs in the worker,
with student code: it holds nothing secret.
"""

from __future__ import annotations

import linecache
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Seconds one definition may take to load, and all of one file's definitions together (well
#: under a call's time limit: loading happens inside the first call into the module); past
#: that total, each definition gets 0.1 s.
DEFINITION_SECONDS = 2.0
TOTAL_SECONDS = 5.0


class NotebookLoadError(Exception):
    """Raised by the stand-in of a definition that could not be loaded."""


class _DefinitionTimeout(BaseException):
    """A definition ran past its time limit (a BaseException: ``except Exception`` in student
    code must not swallow it)."""


class _Unavailable:
    """Stands in for a name whose definition failed: any use raises ``error``."""

    def __init__(self, name: str, error: BaseException) -> None:
        object.__setattr__(self, "__name__", name)
        object.__setattr__(self, "_error", error)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise object.__getattribute__(self, "_error")

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # probes such as hasattr(f, "__wrapped__") stay quiet
            raise AttributeError(attribute)
        raise object.__getattribute__(self, "_error")


class _DeferredImport:
    """A name bound by an import that runs at the name's first use, then replaces itself."""

    def __init__(self, namespace: dict[str, Any], name: str, code: Any, where: str) -> None:
        object.__setattr__(self, "_state", (namespace, name, code, where))
        object.__setattr__(self, "_error", None)

    def _resolve(self) -> Any:
        namespace, name, code, where = object.__getattribute__(self, "_state")
        error = object.__getattribute__(self, "_error")
        if error is None:
            scratch: dict[str, Any] = {"__name__": namespace.get("__name__")}
            try:
                with _timer_paused():  # an import is not a definition: it has no time limit
                    exec(code, scratch)
                value = scratch[name]
            except BaseException as exc:  # student code: a missing module, MemoryError...
                error = ImportError(f"{where} failed: {_describe(exc)}")
                object.__setattr__(self, "_error", error)
            else:
                if namespace.get(name) is self:
                    namespace[name] = value
                return value
        raise error

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_resolve")()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(object.__getattribute__(self, "_resolve")(), attribute)

    def __getitem__(self, key: Any) -> Any:  # List[int] in an annotation
        return object.__getattribute__(self, "_resolve")()[key]

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[Any, ...]:  # class M(Base):
        return (object.__getattribute__(self, "_resolve")(),)


def load(namespace: dict[str, Any], notebook: str, statements: list[tuple[Any, ...]]) -> None:
    """Run ``statements`` (cell, first line, kind, bound names, modules, source) into
    ``namespace``, the generated module's globals. Kinds: ``import`` of ``modules`` (deferred
    unless they are loaded already: numpy is, in the worker), ``star`` (``from x import *``:
    run at once) and ``definition`` (timed)."""
    folder = os.path.dirname(os.path.realpath(namespace.get("__file__", notebook)))
    _remember_sources(folder, notebook, statements)
    started = time.monotonic()
    for cell, line, kind, names, modules, source in statements:
        where = f"`{source.strip()}` ({notebook}, cell {cell})" if kind != "definition" else ""
        filename = os.path.join(folder, f"{notebook}, cell {cell}")
        code = compile("\n" * (line - 1) + source, filename, "exec", dont_inherit=True)
        if kind == "import" and not all(module in sys.modules for module in modules):
            for name in names:
                namespace[name] = _DeferredImport(namespace, name, code, where)
            continue
        # Past the budget, a definition still gets a moment: a quick one loads, a hanging one
        # costs a tenth of a second.
        left = max(TOTAL_SECONDS - (time.monotonic() - started), 0.1)
        limit = min(DEFINITION_SECONDS, left) if kind == "definition" else None
        try:
            with _time_limit(limit):
                exec(code, namespace)
        except _DefinitionTimeout:
            _unavailable(namespace, names, notebook, cell, line,
                         f"its definition did not finish within {limit:g} s (a default argument "
                         "or decorator that never returns?)")  # fmt: skip
        except BaseException as exc:  # student code: whatever it raises costs only these names
            if kind == "definition":
                _unavailable(namespace, names, notebook, cell, line,
                             f"its definition raised {_describe(exc)}")  # fmt: skip


def _unavailable(
    namespace: dict[str, Any], names: list[str], notebook: str, cell: int, line: int, why: str
) -> None:
    for name in names:
        error = NotebookLoadError(f"{name} ({notebook}, cell {cell}, line {line}) was not "
                                  f"loaded: {why}")  # fmt: skip
        namespace[name] = _Unavailable(name, error)


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise _DefinitionTimeout in the block after ``seconds`` (SIGALRM: main thread only)."""
    if seconds is None or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _DefinitionTimeout

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread: no limit
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _timer_paused() -> Iterator[None]:
    """Stop a running definition's clock (if any) for the block, then restart it."""
    if not hasattr(signal, "setitimer"):
        yield
        return
    remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _remember_sources(folder: str, notebook: str, statements: list[tuple[Any, ...]]) -> None:
    """Let tracebacks show the notebook's lines ("work.ipynb, cell 3", line 5)."""
    cells: dict[int, list[str]] = {}
    for cell, line, *_, source in statements:
        lines = cells.setdefault(cell, [])
        text = source.splitlines(keepends=True)
        lines.extend(["\n"] * (line - 1 + len(text) - len(lines)))  # blank lines up to the end
        lines[line - 1 : line - 1 + len(text)] = [t if t.endswith("\n") else t + "\n" for t in text]
    for cell, lines in cells.items():
        filename = os.path.join(folder, f"{notebook}, cell {cell}")
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

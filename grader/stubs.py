"""Student stubs generated from the reference solution, so that each is written once.

In a solution file, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` inside a
function are replaced in the stub by ``raise NotImplementedError(...)`` at the markers'
indentation; at module level (a helper of the reference only) they are dropped. Everything else
(imports, signatures, docstrings) is copied as it is.
"""

from __future__ import annotations

import re

from grader.manifest import Manifest

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_DEF = re.compile(r"^(\s*)def\s+(\w+)\s*\(")
_CLASS = re.compile(r"^(\s*)class\s+(\w+)\b")


class StubError(Exception):
    """A solution file's markers are malformed; names the file and line."""


def make_stub(source: str, filename: str = "<solution>") -> str:
    """The stub text for one solution file."""
    out: list[str] = []
    begin_line: int | None = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line is not None:
                raise StubError(f"{filename}, line {number}: {BEGIN} inside another solution")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            function = _enclosing_function(out, len(indent)) if indent else None
            if function is not None:
                out.append(f'{indent}raise NotImplementedError("implement {function}")\n')
        elif marker == END:
            if begin_line is None:
                raise StubError(f"{filename}, line {number}: {END} without {BEGIN}")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise StubError(f"{filename}, line {begin_line}: {BEGIN} is never closed")
    return "".join(out)


def _enclosing_function(lines: list[str], indent: int) -> str | None:
    """The function around a marker at ``indent``; a method is named with its class
    ("Conv2D.forward")."""
    name = None
    for line in reversed(lines):
        match = _DEF.match(line) if name is None else _CLASS.match(line)
        if match and len(match.group(1)) < indent:
            if name is not None:
                return f"{match.group(2)}.{name}"
            name, indent = match.group(2), len(match.group(1))
            if indent == 0:
                return name
    return name


def write_stubs(manifest: Manifest, check: bool = False) -> list[str]:
    """Regenerate the assignment's stubs from its reference; return the files that changed.

    With ``check``, nothing is written: the result lists the stubs that are out of date.
    """
    if manifest.reference is None:
        raise StubError(f"{manifest.path} names no 'reference' solution folder")
    changed = []
    for name in manifest.files:
        solution = manifest.reference / name
        if not solution.is_file():
            continue
        stub = make_stub(solution.read_text(encoding="utf-8"), str(solution))
        target = manifest.folder / name
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != stub:
            changed.append(name)
            if not check:
                target.write_text(stub, encoding="utf-8")
    return changed

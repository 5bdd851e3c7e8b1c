"""A file with a syntax error inside one of its definitions: that definition left out and the
rest importable, so that the error costs only what it defines (as a notebook's broken cell does).

A Python 2 ``print`` left in ``adam``, or a half-edited function, would otherwise make the whole
file fail to import and cost every function in it. Only top-level ``def`` and ``class`` blocks
are left out (each replaced by ``name = None`` on as many lines, so that later line numbers stay
right); a syntax error anywhere else (a top-level statement, a block this cannot delimit) leaves
the file as it is: it does not import, as before.
"""

from __future__ import annotations

import re

#: A top-level definition's first line, and its name.
_DEFINITION = re.compile(r"(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")
#: "expected an indented block after function definition on line 5": the line at fault.
_AFTER_LINE = re.compile(r"after .* on line (\d+)")
#: Syntax errors mended in one file, at most (each is a compilation of it).
MAX_DEFINITIONS = 20


def without_broken_definitions(
    source: str, filename: str
) -> tuple[str, dict[str, SyntaxError]] | None:
    """``source`` with every top-level definition that has a syntax error replaced, and the
    error of each; None when the file cannot be mended so (or has no syntax error)."""
    lines = source.splitlines(keepends=True)
    broken: dict[str, SyntaxError] = {}
    for _ in range(MAX_DEFINITIONS):
        try:
            compile("".join(lines), filename, "exec", dont_inherit=True)
        except SyntaxError as exc:
            block = _definition_around(lines, _line_at_fault(exc))
            if block is None:
                return None
            start, end, name = block
            broken.setdefault(name, exc)
            lines[start:end] = [f"{name} = None\n"] + ["\n"] * (end - start - 1)
            continue
        return ("".join(lines), broken) if broken else None
    return None


def _line_at_fault(exc: SyntaxError) -> int:
    """The 1-based line the error is in (an empty body is reported on the line after)."""
    after = _AFTER_LINE.search(str(exc.msg))
    return int(after[1]) if after else exc.lineno or 0


def _definition_around(lines: list[str], lineno: int) -> tuple[int, int, str] | None:
    """The top-level definition holding line ``lineno``: its first line (its decorators
    included), the line after it, and its name."""
    if not 1 <= lineno <= len(lines) + 1:
        return None
    index = min(lineno, len(lines)) - 1
    start = next((i for i in range(index, -1, -1) if _top_level(lines[i])), None)
    if start is None:
        return None
    found = _DEFINITION.match(lines[start])
    if found is None:
        return None
    end = next((i for i in range(index + 1, len(lines)) if _top_level(lines[i])), len(lines))
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    return start, end, found[1]


def _top_level(line: str) -> bool:
    """Whether ``line`` starts a top-level statement: code at its first column."""
    return line[:1] not in ("", " ", "\t", "\n", "\r", "\f", "#")

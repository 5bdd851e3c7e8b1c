"""Submissions as Jupyter notebooks: keep the definitions, never run the rest.

From each code cell, the top-level imports, function and class definitions, and assignments of
literal constants are kept; every other top-level statement (a training loop, a plot, an
infinite loop) is dropped, so it never runs. IPython magics and shell escapes are dropped too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotebookError(ValueError):
    """The file is not a readable notebook."""


def extract(path: Path) -> tuple[str, list[str]]:
    """The definitions of the notebook's code cells as one module's source, and notes for the
    student (cells skipped for a syntax error, statements dropped)."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a broken file
        raise NotebookError(f"{path.name} is not a readable Jupyter notebook: {exc}") from None
    kept, notes, dropped = [], [], 0
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line
            for line in str(cell.get("source", "")).splitlines()
        )
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            notes.append(f"{path.name}: cell {number} has a syntax error on line {exc.lineno} "
                         f"({exc.msg}) and was skipped.")  # fmt: skip
            continue
        lines = source.splitlines()
        for node in tree.body:
            if _is_docstring(node):
                continue
            if isinstance(node, _KEPT) or _is_constant(node):
                start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
                kept.append("\n".join(lines[start - 1 : node.end_lineno]))
            else:
                dropped += 1
    if dropped:
        notes.append(f"{path.name}: {dropped} top-level statement{'s' * (dropped > 1)} other "
                     "than imports and definitions were not run.")  # fmt: skip
    return "\n\n\n".join(kept) + "\n", notes


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_constant(node: ast.stmt) -> bool:
    """``NAME = <literal>``: a constant a definition may use."""
    if not isinstance(node, ast.Assign) or not all(isinstance(t, ast.Name) for t in node.targets):
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True

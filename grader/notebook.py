"""Submissions as Jupyter notebooks: keep the definitions, never run the rest.

From each code cell, the top-level imports, function and class definitions, assignments of
literal constants and aliases (``batchnorm_backward_alt = batchnorm_backward``, ``relu = np.fmax``:
a name or attribute chain of something the notebook defines or imports), also to an attribute
of what it defines (``Conv2D.backward = conv_backward``: a method added in a later cell), are
kept; every other top-level statement (a training loop, a plot, an infinite loop) is dropped,
so it never runs.
IPython magics and shell escapes are dropped too.

The kept statements become a module that loads them one by one in the worker
(:mod:`grader.notebook_loader`): a definition that hangs or fails, or an import that is missing
or too heavy, costs only the functions that use it. The notebook is parsed here, in the grader
process, so its size is capped and it is read without keeping its outputs.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

#: Notebooks larger than this are not graded (outputs, mostly: images are base64 text).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotebookError(ValueError):
    """The file is not a readable notebook."""


def extract(path: Path) -> tuple[str, list[str]]:
    """The module that loads the definitions of the notebook's code cells, and notes for the
    student (cells skipped for a syntax error, statements dropped)."""
    statements: list[tuple[int, int, str, list[str], list[str], str]] = []
    notes: list[str] = []
    dropped = 0
    parsed = []
    for number, source in _code_cells(path):
        try:
            parsed.append((number, source, ast.parse(source)))
        except SyntaxError as exc:
            notes.append(f"{path.name}: cell {number} has a syntax error on line {exc.lineno} "
                         f"({exc.msg}) and was skipped.")  # fmt: skip
    bound = _bound_names([node for _, _, tree in parsed for node in tree.body])
    for number, source, tree in parsed:
        lines = source.splitlines()
        for node in tree.body:
            kind = _kind(node, bound)
            if kind is None:
                dropped += not _is_docstring(node)
                continue
            if kind == "future":
                continue
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            text = "\n".join(lines[start - 1 : node.end_lineno])
            statements.append((number, start, kind, _binds(node), _modules(node), text))
    if dropped:
        notes.append(f"{path.name}: {dropped} top-level statement{'s' * (dropped > 1)} other "
                     "than imports and definitions were not run.")  # fmt: skip
    entries = "".join(f"    {statement!r},\n" for statement in statements)
    module = (
        f'"""The definitions of {path.name}, loaded one by one by the grader."""\n\n'
        "from grader.notebook_loader import load as _grader_load_notebook\n\n"
        f"_grader_load_notebook(globals(), {path.name!r}, [\n{entries}])\n"
        "del _grader_load_notebook\n"
    )
    return module, notes


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """(number, source without magics) of each code cell. The notebook is parsed with its
    outputs dropped as soon as each is read, so memory stays near the file's size."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"{path.name} cannot be read: {exc}") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(
            f"{path.name} is {size / 2**20:.1f} MB: notebooks larger than "
            f"{MAX_NOTEBOOK_BYTES // 2**20} MB are not graded. Clear its outputs (Jupyter: "
            "Edit > Clear All Outputs, then save) and submit it again."
        )
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"), object_hook=_without_outputs)
        if notebook.get("nbformat", 4) < 4:  # rare old notebooks: let nbformat convert them
            import nbformat  # only then: importing it costs more than reading a notebook

            notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        cells = notebook["cells"]
        sources = [(n, c.get("source", "")) for n, c in enumerate(cells, 1)
                   if c.get("cell_type") == "code"]  # fmt: skip
    except Exception as exc:  # json, nbformat and a malformed structure raise several kinds
        raise NotebookError(f"{path.name} is not a readable Jupyter notebook: {exc}") from None
    return [
        (number, "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                           for line in _text(source).splitlines()))
        for number, source in sources
    ]  # fmt: skip


def _without_outputs(obj: dict[str, Any]) -> dict[str, Any]:
    """json object hook: keep of each cell its type and source, drop outputs as they come."""
    if "output_type" in obj:
        return {}
    if "cell_type" in obj:
        return {"cell_type": obj["cell_type"], "source": obj.get("source", "")}
    return obj


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _kind(node: ast.stmt, bound: set[str]) -> str | None:
    """How the loader treats a top-level statement, or None to drop it."""
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return "future"  # a compiler flag of its own cell only: nothing to keep
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        return "star"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, _DEFINITIONS) or _is_constant(node) or _is_alias(node, bound):
        return "definition"
    return None


def _bound_names(nodes: list[ast.stmt]) -> set[str]:
    """Names bound by the statements that are kept: imports, definitions, constants, and
    aliases of those (repeated, for aliases of aliases)."""
    bound: set[str] = set()
    while True:
        kept = [n for n in nodes if _kind(n, bound) not in (None, "future")]
        more = {name for node in kept for name in _binds(node)}
        if more <= bound:
            return bound
        bound |= more


def _binds(node: ast.stmt) -> list[str]:
    """The names a kept statement binds."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, _DEFINITIONS):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _modules(node: ast.stmt) -> list[str]:
    """The modules an import loads (a relative import names none that could be loaded)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.module and not node.level else ["."]
    return []


def _assigned_value(node: ast.stmt) -> ast.expr | None:
    """The value of ``NAME = value`` (any number of names, or one annotated name)."""
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        return node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.value
    return None


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_constant(node: ast.stmt) -> bool:
    """``NAME = <literal>``: a constant a definition may use."""
    value = _assigned_value(node)
    if value is None:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_alias(node: ast.stmt, bound: set[str]) -> bool:
    """``NAME = other`` or ``NAME = module.attr.attr``, where ``other`` / ``module`` is bound
    by a kept statement of the notebook (a definition, an import, a constant); or the same
    assigned to an attribute of a bound name (``Conv2D.backward = conv_backward``)."""
    value = _assigned_value(node)
    if value is None and isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Attribute) and _root_name(target) in bound:
            value = node.value
    return value is not None and _root_name(value) in bound


def _root_name(expression: ast.expr) -> str | None:
    """The name an attribute chain starts from (``np`` in ``np.linalg.norm``), if it is one."""
    while isinstance(expression, ast.Attribute):
        expression = expression.value
    return expression.id if isinstance(expression, ast.Name) else None

"""Submissions as Jupyter notebooks: keep the definitions, never run the rest.

From each code cell, the top-level imports, function and class definitions, assignments of
literal constants and aliases (``batchnorm_backward_alt = batchnorm_backward``, ``relu = np.fmax``:
a name or attribute chain of something the notebook defines or imports), also to an attribute
of what it defines (``Conv2D.backward = conv_backward``: a method added in a later cell), and
values an imported library makes from literals (``Cache = namedtuple("Cache", "x w")``) are
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
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

#: Notebooks larger than this are not graded (outputs, mostly: images are base64 text).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
#: A magic of a notebook saved as a script: a get_ipython() call at the start of a line.
_SAVED_NOTEBOOK = re.compile(rb"^get_ipython\(\)", re.MULTILINE)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotebookError(ValueError):
    """The file is not a readable notebook."""


def extract(path: Path) -> tuple[str, list[str]]:
    """The module that loads the definitions of the notebook's code cells, and notes for the
    student (cells skipped for a syntax error, statements dropped)."""
    return _module(path.name, _code_cells(path))


def from_script(path: Path) -> tuple[str, list[str]] | None:
    """A notebook saved as a Python script (Jupyter's or Colab's "Download .py": its magics
    became ``get_ipython()`` calls, at the top level, among the notebook's demos and training
    loops) graded as the notebook would be: the module and notes of :func:`extract`, the whole
    script as one cell. None for any other file, or one that does not parse (it is imported as
    it is, and its error reported)."""
    data = path.read_bytes()
    if len(data) > MAX_NOTEBOOK_BYTES or not _SAVED_NOTEBOOK.search(data):
        return None
    try:
        source = importlib.util.decode_source(data)
        ast.parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return _module(path.name, [(1, source)])


def _module(name: str, cells: list[tuple[int, str]]) -> tuple[str, list[str]]:
    """The module that loads the definitions of ``cells`` ((number, source) each) of the file
    ``name``, and the notes for the student."""
    statements: list[tuple[int, int, str, list[str], list[str], str]] = []
    notes: list[str] = []
    dropped = 0
    parsed = []
    for number, source in cells:
        try:
            parsed.append((number, source, ast.parse(source)))
        except SyntaxError as exc:
            notes.append(f"{name}: cell {number} has a syntax error on line {exc.lineno} "
                         f"({exc.msg}) and was skipped.")  # fmt: skip
    nodes = [node for _, _, tree in parsed for node in tree.body]
    imported = {name for node in nodes if _kind(node, set()) == "import" for name in _binds(node)}
    bound = _bound_names(nodes, imported)
    for number, source, tree in parsed:
        lines = source.splitlines()
        for node in tree.body:
            kind = _kind(node, bound, imported)
            if kind is None:
                dropped += not _is_docstring(node)
                continue
            if kind == "future":
                continue
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            text = "\n".join(lines[start - 1 : node.end_lineno])
            statements.append((number, start, kind, _binds(node), _modules(node), text))
    if dropped:
        notes.append(f"{name}: {dropped} top-level statement{'s' * (dropped > 1)} other "
                     "than imports and definitions were not run.")  # fmt: skip
    entries = "".join(f"    {statement!r},\n" for statement in statements)
    module = (
        f'"""The definitions of {name}, loaded one by one by the grader."""\n\n'
        "from grader.notebook_loader import load as _grader_load_notebook\n\n"
        f"_grader_load_notebook(globals(), {name!r}, [\n{entries}])\n"
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


def _kind(node: ast.stmt, bound: set[str], imported: set[str] | None = None) -> str | None:
    """How the loader treats a top-level statement, or None to drop it; ``imported``: the
    names the notebook's imports bind."""
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return "future"  # a compiler flag of its own cell only: nothing to keep
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        return "star"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, _DEFINITIONS) or _is_constant(node) or _is_alias(node, bound):
        return "definition"
    if _is_library_value(node, imported or set()):
        return "definition"
    return None


def _bound_names(nodes: list[ast.stmt], imported: set[str]) -> set[str]:
    """Names bound by the statements that are kept: imports, definitions, constants, and
    aliases of those (repeated, for aliases of aliases)."""
    bound: set[str] = set()
    while True:
        kept = [n for n in nodes if _kind(n, bound, imported) not in (None, "future")]
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


def _is_library_value(node: ast.stmt, imported: set[str]) -> bool:
    """``NAME = library.function(<literals>)``, where ``library`` is imported: a value a
    definition may use, made by library code from constants (``namedtuple("Cache", "x w")``,
    ``np.linspace(0, 1, 5)``); never a call of the notebook's own functions (a training run)."""
    value = _assigned_value(node)
    if not isinstance(value, ast.Call) or _root_name(value.func) not in imported:
        return False
    arguments = [*value.args, *(k.value for k in value.keywords)]
    try:
        for argument in arguments:
            ast.literal_eval(argument)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _root_name(expression: ast.expr) -> str | None:
    """The name an attribute chain starts from (``np`` in ``np.linalg.norm``), if it is one."""
    while isinstance(expression, ast.Attribute):
        expression = expression.value
    return expression.id if isinstance(expression, ast.Name) else None

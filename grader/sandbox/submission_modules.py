"""Submission files import each other as CS231n's code does: ``from .layers import x`` and
``from cs231n.layers import x`` (the files of the course's package) name the submission's own
``layers.py`` here, where each file is a module of its own, outside any package.

A finder on the worker's ``sys.meta_path`` loads the submission's modules (only those the
assignment names) from source, with such imports made absolute: ``from layers import x``.
Nothing else changes: a relative import of a file the assignment does not have, or of
``cs231n.data_utils``, fails as it would, with the grader's hint. Runs in the worker only.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType

#: The package CS231n's files live in.
COURSE_PACKAGE = "cs231n"


def compile_submission(source: str | bytes, path: str, modules: set[str]) -> CodeType:
    """``source`` compiled with its imports of ``modules`` made absolute (a SyntaxError is
    raised as ``compile`` raises it; bytes are decoded as Python decodes a file: an encoding
    declaration, a BOM, else UTF-8)."""
    tree = _Absolute(modules).visit(ast.parse(source, path))
    return compile(tree, path, "exec", dont_inherit=True)


class SubmissionFinder(importlib.abc.MetaPathFinder):
    """Finds the submission's own modules in ``folder``; leaves every other import alone."""

    def __init__(self, folder: Path, modules: set[str]) -> None:
        self.folder, self.modules = folder, modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.folder / f"{fullname}.py"
        if fullname not in self.modules or not file.is_file():
            return None
        loader = _Loader(fullname, str(file), self.modules)
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


class _Loader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, modules: set[str]) -> None:
        super().__init__(fullname, path)
        self.modules = modules

    def path_stats(self, path: str) -> dict[str, float]:
        raise OSError("no bytecode cache: the source is compiled with its imports rewritten")

    def source_to_code(  # type: ignore[override]
        self, data: bytes, path: str, *, _optimize: int = -1
    ) -> CodeType:
        return compile_submission(data, path, self.modules)


class _Absolute(ast.NodeTransformer):
    """``from .m import x``, ``from cs231n.m import x``, ``from . import m`` and ``from cs231n
    import m``, where ``m`` is one of ``modules``, made ``from m import x`` and ``import m``."""

    def __init__(self, modules: set[str]) -> None:
        self.modules = modules

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.stmt:
        module = node.module or ""
        package, _, name = module.rpartition(".")
        if node.level == 1 and module in self.modules:
            node.level = 0
        elif node.level == 0 and package == COURSE_PACKAGE and name in self.modules:
            node.module = name
        elif (node.level, module) in ((1, ""), (0, COURSE_PACKAGE)) and all(
            alias.name in self.modules for alias in node.names
        ):
            return ast.copy_location(ast.Import(names=node.names), node)
        return node

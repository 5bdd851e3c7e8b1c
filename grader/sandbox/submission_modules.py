"""How the worker loads the submission's own modules (only those the assignment names), with a
finder on its ``sys.meta_path``, from source:

- CS231n's imports between its files, ``from .layers import x`` and ``from cs231n.layers import
  x`` (the files of the course's package), are made absolute, ``from layers import x``: here
  each file is a module of its own, outside any package. A relative import of a file the
  assignment does not have, or of ``cs231n.data_utils``, fails as it would, with the grader's
  hint.
- A syntax error inside a top-level definition costs that definition only
  (grader.sandbox.salvage): the file is loaded without it, and the finder's ``broken`` says
  which definitions were left out and why, for the calls that need them. If the file does not
  load without them (its top level uses one), the syntax error is raised, as it would be.

Runs in the worker only.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType

from grader.sandbox import salvage

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
        #: Per module loaded without some of its definitions, the syntax error of each.
        self.broken: dict[str, dict[str, SyntaxError]] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.folder / f"{fullname}.py"
        if fullname not in self.modules or not file.is_file():
            return None
        loader = _Loader(fullname, str(file), self)
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


class _Loader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, finder: SubmissionFinder) -> None:
        super().__init__(fullname, path)
        self.finder = finder
        #: The file's syntax error, and its definitions left out for it, when it was mended.
        self.mended: tuple[SyntaxError, dict[str, SyntaxError]] | None = None

    def path_stats(self, path: str) -> dict[str, float]:
        raise OSError("no bytecode cache: the source is compiled with its imports rewritten")

    def source_to_code(  # type: ignore[override]
        self, data: bytes, path: str, *, _optimize: int = -1
    ) -> CodeType:
        modules = self.finder.modules
        try:
            return compile_submission(data, path, modules)
        except SyntaxError as error:
            try:
                text = importlib.util.decode_source(data)
            except (SyntaxError, UnicodeDecodeError):  # not text Python can read
                raise error from None
            mended = salvage.without_broken_definitions(text, path)
            if mended is None:
                raise error
            source, broken = mended
            self.mended = error, broken
            return compile_submission(source, path, modules)

    def exec_module(self, module: ModuleType) -> None:
        try:
            super().exec_module(module)
        except BaseException:
            if self.mended is not None:  # it does not load without them: the error to fix
                raise self.mended[0] from None
            raise
        if self.mended is not None:
            self.finder.broken[self.name] = {
                name: error for name, error in self.mended[1].items()
                if getattr(module, name, None) is None  # not defined again, further down
            }  # fmt: skip


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

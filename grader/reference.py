"""The reference solution, imported in the grader process (it is trusted staff code)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


class Reference:
    """``reference.layers`` etc.: solution modules loaded on first use under private names."""

    def __init__(self, folder: Path | None, modules: list[str]) -> None:
        self._folder, self._modules = folder, set(modules)
        self._loaded: dict[str, ModuleType] = {}

    def __getattr__(self, name: str) -> ModuleType:
        if name.startswith("_") or name not in self._modules:
            raise AttributeError(f"the assignment has no module {name!r}")
        if name not in self._loaded:
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def _load(self, name: str) -> ModuleType:
        if self._folder is None:
            raise RuntimeError("the manifest names no 'reference' solution folder")
        path = self._folder / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"_grader_reference.{name}", path)
        if spec is None or spec.loader is None or not path.is_file():
            raise RuntimeError(f"reference solution file {path} not found")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

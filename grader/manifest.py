"""An assignment's manifest.yaml: files, limits, tolerances, points and visibility.

A TA edits this file, not Python, to change points or limits, so every mistake in it is
reported with the file, the line and the key, and a likely correction where there is one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from grader.schema_check import SchemaCheck

if TYPE_CHECKING:
    import jsonschema

MANIFEST_NAME = "manifest.yaml"
#: libyaml's safe loader where PyYAML was built with it (its wheels are): a tenth of the pure
#: Python loader's 20 ms for a1's manifest, which every grade reads.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Characters libyaml reads otherwise than PyYAML's SafeLoader, whose behaviour the messages and
#: tests were written against: a text with any of them is read by the pure Python loader only.
_PURE_PYTHON_CHARS = "\t?!\ufeff"
#: The same for constructs (a superset of them: these may be in comments or strings).
_PURE_PYTHON_TEXT = re.compile(
    r"""
    :\s*+(?:\#[^\n\r\x85\u2028\u2029]*+\s*+)*+[,\]}]  # empty flow value ({a: }): libyaml marks
                                                    # it at the next token (maybe lines below)
    | [|>][-+0-9]*+\#  # a comment right after a block scalar's header (|#): PyYAML rejects it
    """,
    re.VERBOSE,
)
VISIBILITIES = ["visible", "hidden", "after_due_date", "after_published"]

_NUMBER = {"type": "number"}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
_FILE = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*\.py$"}
#: A module's dotted name (torch, torch.nn).
_MODULE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
_TEST_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "points": {"type": "number", "minimum": 0},
        "visibility": {"enum": VISIBILITIES},
        "depends_on": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "files"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "reference": {"type": "string"},
        "files": {
            "type": "object",
            "additionalProperties": False,
            "required": ["required"],
            "properties": {
                "required": {"type": "array", "items": _FILE, "minItems": 1},
                "optional": {"type": "array", "items": _FILE},
            },
        },
        "limits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "call_timeout": _POSITIVE,
                "test_timeout": _POSITIVE,
                "total_time": _POSITIVE,
                "memory_mb": {"type": "integer", "minimum": 64},
            },
        },
        "support": {"type": "array", "items": {"type": "string", "pattern": r"\.py$"}},
        "python_packages": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "preload": {"type": "array", "items": {"type": "string", "pattern": _MODULE}},
        "rate_limit": {
            "type": "object",
            "additionalProperties": False,
            "required": ["submissions", "hours"],
            "properties": {
                "submissions": {"type": "integer", "minimum": 1},
                "hours": _POSITIVE,
            },
        },
        "tolerances": {"type": "object", "additionalProperties": _NUMBER},
        "training": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "budget_seconds": {"type": "object", "additionalProperties": _POSITIVE},
                "relative_budget": _POSITIVE,
            },
        },
        "gradient_check": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "mode": {"enum": ["fast", "full"]},
                "directions": {"type": "integer", "minimum": 1},
                "tolerance": _POSITIVE,
            },
        },
        "default_visibility": {"enum": VISIBILITIES},
        "resources": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "cpus": _POSITIVE,
                "gpus": {"type": "number", "minimum": 0},
                "memory_mb": {"type": "integer", "minimum": 64},
            },
        },
        "tests": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [{"type": "number", "minimum": 0}, _TEST_SETTINGS],
            },
        },
    },
}
_CHECK = SchemaCheck(SCHEMA)


class ManifestError(Exception):
    """The manifest cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class TestSettings:
    """What the manifest says about one test function or one group of tests."""

    __test__ = False  # not a pytest test class, despite the name

    points: float | None = None
    visibility: str | None = None
    #: Groups (graded functions) this test needs; if one failed, this test is not run.
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    title: str
    reference: Path | None
    required_files: tuple[str, ...]
    optional_files: tuple[str, ...] = ()
    call_timeout: float = 10.0
    test_timeout: float = 60.0
    total_time: float = 480.0
    memory_mb: int = 512
    #: Staff modules run in the worker beside the student's (a training loop, say).
    support: tuple[str, ...] = ()
    #: pip requirements the assignment needs beyond the grader (torch), for autograder images.
    python_packages: tuple[str, ...] = ()
    #: Modules the fork server imports once for every worker (torch): see grader.sandbox.zygote.
    preload: tuple[str, ...] = ()
    #: At most ``submissions`` graded submissions per ``hours`` on Gradescope (None: no limit).
    rate_limit: tuple[int, float] | None = None
    tolerances: dict[str, float] = field(default_factory=dict)
    #: Training time budgets by device class ("cpu", "cuda"), and the relative mode's factor.
    budget_seconds: dict[str, float] = field(default_factory=dict)
    relative_budget: float | None = None
    #: How gradients are checked: "fast" (directional derivatives) or "full" (every element).
    gradient_mode: str = "fast"
    gradient_directions: int = 2
    gradient_tolerance: float = 1e-6
    default_visibility: str = "visible"
    #: What one grading asks of a cluster node (``cpus``, ``gpus``, ``memory_mb``).
    resources: dict[str, float] = field(default_factory=dict)
    tests: dict[str, TestSettings] = field(default_factory=dict)
    #: Line of each key under ``tests``, to point at it when it matches no test.
    test_lines: dict[str, int] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def files(self) -> tuple[str, ...]:
        return self.required_files + self.optional_files

    @property
    def modules(self) -> list[str]:
        return [Path(name).stem for name in (*self.files, *self.support)]

    def tolerance(self, key: str) -> float:
        """A tolerance by name; a test asking for one the manifest lacks is a staff error."""
        if key not in self.tolerances:
            raise ManifestError(f"{self.path}: no tolerance {key!r} under 'tolerances'")
        return self.tolerances[key]

    def no_points(self, test: str, file: str) -> ManifestError:
        """The error for a test worth nothing by omission: neither it nor its group is under
        ``tests`` and it has no ``@weight``. Only an explicit ``points: 0`` makes a test free."""
        return ManifestError(
            f"{self.path}: test {test} ({file}) has no points: add it under tests: in "
            f"{self.path.name} "
            "(by its name, or by its group: the text before ':' in its docstring), or give it "
            "points: 0 there if it is meant to be worth nothing"
        )

    def where(self, key: str) -> str:
        """``file:line`` of a key under ``tests``, for error messages."""
        return f"{self.path}, line {self.test_lines.get(key, '?')}"


def load(path: Path) -> Manifest:
    """Read and validate a manifest, raising ManifestError with file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from None
    try:
        root, data = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(f"{path}{where}: invalid YAML: {problem}") from None
    if root is not None:
        _reject_duplicate_keys(path, root)
    errors = sorted(
        _CHECK.errors(data),
        key=lambda e: _line(root, list(e.absolute_path)),
    )
    if errors:
        raise ManifestError(_explain(path, root, errors[0]))
    return _build(path, root, data)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for line numbers) and its data. A text libyaml rejects is parsed
    again by PyYAML's own loader, whose messages say more ("found character '\\t' that cannot
    start any token" where libyaml has "found character that cannot start any token")."""
    if not _needs_pure_python(text):
        try:
            return yaml.compose(text, Loader=_FAST_LOADER), yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)


def _needs_pure_python(text: str) -> bool:
    """Whether libyaml could read ``text`` otherwise than PyYAML's SafeLoader: the characters
    and constructs above, or no newline at the end, where libyaml marks an empty document
    (``---``) on the line after the last. A BOM at the start is read alike."""
    body = text.removeprefix("\ufeff")
    return (
        not text.endswith("\n")
        or any(char in body for char in _PURE_PYTHON_CHARS)
        or _PURE_PYTHON_TEXT.search(body) is not None
    )


def _build(path: Path, root: yaml.Node, data: dict[str, Any]) -> Manifest:
    limits = data.get("limits", {})
    gradient = data.get("gradient_check", {})
    tests = {
        key: TestSettings(points=value)
        if not isinstance(value, dict)
        else TestSettings(**{**value, "depends_on": tuple(value.get("depends_on", ()))})
        for key, value in data.get("tests", {}).items()
    }
    training = data.get("training", {})
    reference = data.get("reference")
    required, optional = data["files"]["required"], data["files"].get("optional", [])
    clash = {Path(f).stem for f in data.get("support", ())} & {
        Path(f).stem for f in required + optional
    }
    if clash:
        raise ManifestError(f"{path}: support module {sorted(clash)[0]} has a student file's name")
    both = sorted(set(required) & set(optional))
    if both:
        raise ManifestError(f"{path}: {both[0]} is listed as both required and optional")
    return Manifest(
        path=path,
        name=data["name"],
        title=data.get("title", data["name"]),
        reference=(path.parent / reference).resolve() if reference else None,
        required_files=tuple(required),
        optional_files=tuple(optional),
        call_timeout=float(limits.get("call_timeout", Manifest.call_timeout)),
        test_timeout=float(limits.get("test_timeout", Manifest.test_timeout)),
        total_time=float(limits.get("total_time", Manifest.total_time)),
        memory_mb=int(limits.get("memory_mb", Manifest.memory_mb)),
        support=tuple(data.get("support", ())),
        python_packages=tuple(data.get("python_packages", ())),
        preload=tuple(data.get("preload", ())),
        rate_limit=(
            (data["rate_limit"]["submissions"], float(data["rate_limit"]["hours"]))
            if "rate_limit" in data
            else None
        ),
        tolerances={k: float(v) for k, v in data.get("tolerances", {}).items()},
        budget_seconds={k: float(v) for k, v in training.get("budget_seconds", {}).items()},
        relative_budget=training.get("relative_budget"),
        gradient_mode=gradient.get("mode", Manifest.gradient_mode),
        gradient_directions=int(gradient.get("directions", Manifest.gradient_directions)),
        gradient_tolerance=float(gradient.get("tolerance", Manifest.gradient_tolerance)),
        default_visibility=data.get("default_visibility", "visible"),
        resources=dict(data.get("resources", {})),
        tests=tests,
        test_lines={key: _line(root, ["tests", key], key=True) for key in tests},
    )


def _explain(path: Path, root: yaml.Node | None, error: jsonschema.ValidationError) -> str:
    keys = list(error.absolute_path)
    where = ".".join(str(k) for k in keys) or "the top level"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        key = unknown[0]
        line = _line(root, [*keys, key], key=True)
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
        return f"{path}, line {line}: unknown key '{key}' in {where}{hint}"
    if error.validator == "required":
        return f"{path}, line {_line(root, keys)}: {where} is missing {error.message.split()[0]}"
    if error.validator == "oneOf" and keys[:1] == ["tests"]:
        message = "expected a number of points or a mapping with points and/or visibility"
        return f"{path}, line {_line(root, keys)}: key '{keys[-1]}': {message}"
    return f"{path}, line {_line(root, keys)}: key '{where}': {error.message}"


def _line(root: yaml.Node | None, keys: list[Any], key: bool = False) -> int:
    """1-based line of the value at ``keys`` (or of its key), or of the nearest parent."""
    node, line = root, 1 if root is None else root.start_mark.line + 1
    for step in keys:
        found = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    found = key_node if key and step == keys[-1] else value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            found = node.value[step] if step < len(node.value) else None
        if found is None:
            return line
        node, line = found, found.start_mark.line + 1
    return line


def _reject_duplicate_keys(path: Path, node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                line = key_node.start_mark.line + 1
                raise ManifestError(f"{path}, line {line}: key '{key_node.value}' appears twice")
            seen.add(key_node.value)
            _reject_duplicate_keys(path, value_node)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(path, item)

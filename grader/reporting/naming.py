"""How a test is named and described in results.json: from its docstring, its parametrization
and the gradescope-utils decorators on it."""

from __future__ import annotations

import inspect
import re
import string
from typing import Any

import pytest

from grader.reporting.outcomes import TestMeta

#: The group of a test: the graded function named before the first colon of its name.
_GROUP = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:")


def describe_test(item: pytest.Item) -> TestMeta:
    """What a collected test declares about itself."""
    function = getattr(item, "obj", None)
    python_name = getattr(item, "originalname", item.name)
    name = _name(item, (inspect.getdoc(function) or python_name).strip().splitlines()[0])
    group = _GROUP.match(name)
    attr = getattr
    return TestMeta(
        nodeid=item.nodeid,
        function=python_name,
        name=name,
        group=group.group(1) if group else None,
        weight=attr(function, "__weight__", None),
        number=attr(function, "__number__", None),
        visibility=_visibility(item, function),
        tags=tuple(attr(function, "__tags__", ())),
        hide_errors=attr(function, "__hide_errors__", None),
        leaderboard_column=attr(function, "__leaderboard_column__", None),
        leaderboard_order=attr(function, "__leaderboard_sort_order__", "desc"),
    )


def _visibility(item: pytest.Item, function: object) -> str | None:
    """A case's ``pytest.mark.visibility(...)``, else the gradescope-utils decorator's."""
    marker = item.get_closest_marker("visibility")
    if marker is not None and marker.args:
        return str(marker.args[0])
    return getattr(function, "__visibility__", None)


def _name(item: pytest.Item, first_line: str) -> str:
    """The docstring's first line with ``{param}`` fields filled in, then, in brackets, the case
    ids of the parametrizations that the name does not already show."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return first_line
    fields = {f for _, f, _, _ in string.Formatter().parse(first_line) if f}
    try:
        name = first_line.format(**callspec.params) if fields else first_line
    except (KeyError, IndexError, ValueError):
        name, fields = first_line, set()
    segments = []
    for marker in reversed(list(item.iter_markers("parametrize"))):
        argnames = marker.args[0]
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else argnames
        if fields & set(names):  # the name already says which case of this mark it is
            continue
        segment = _case_segment(marker, names, callspec.params)
        if segment:
            segments.append(segment)
    return f"{name} [{', '.join(segments)}]" if segments else name


def _case_segment(marker: pytest.Mark, names: list[str], params: dict[str, Any]) -> str | None:
    """This item's id within one ``parametrize`` mark: its ``ids`` entry or its values."""
    argvalues = list(marker.args[1]) if len(marker.args) > 1 else []
    for index, entry in enumerate(argvalues):
        explicit = getattr(entry, "id", None)
        values = getattr(entry, "values", entry)
        values = values if len(names) > 1 or hasattr(entry, "values") else (values,)
        if len(values) == len(names) and all(
            params.get(n, object()) is v for n, v in zip(names, values, strict=True)
        ):
            ids = marker.kwargs.get("ids")
            if explicit is not None:
                return str(explicit)
            if ids is not None and not callable(ids):
                return str(list(ids)[index])
            return "-".join(_case_id(params[n], n, index) for n in names)
    return None


def _case_id(value: object, argname: str, index: int) -> str:
    if value is None or isinstance(value, str | int | float | bool):
        return f"{argname}={value}"
    return f"{argname}#{index + 1}"

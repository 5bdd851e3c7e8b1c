"""The fast schema check and jsonschema agree: a document fastjsonschema accepts is one
jsonschema finds no error in, for every mutation of real manifests and results.json files."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from grader.manifest import SCHEMA as MANIFEST_SCHEMA
from grader.reporting.schema import SCHEMA_PATH
from grader.schema_check import SchemaCheck

ROOT = Path(__file__).resolve().parent.parent
REPLACEMENTS = [None, "", "x", "a.py", -1, 0, 0.5, 3, True, False, [], ["x"], {}, {"extra": 1}]


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _mutants(document: Any) -> Iterator[Any]:
    """Every value replaced by each of REPLACEMENTS, every key removed, an unknown key added
    to every mapping."""
    for path in _paths(document):
        for replacement in REPLACEMENTS:
            yield _set(document, path, replacement)
        if path:
            mutant = copy.deepcopy(document)
            parent = _get(mutant, path[:-1])
            del parent[path[-1]]
            yield mutant
        if isinstance(_get(document, path), dict):
            mutant = copy.deepcopy(document)
            _get(mutant, path)["unknown_key"] = 1
            yield mutant


def _get(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


def _set(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    mutant = copy.deepcopy(document)
    _get(mutant, path[:-1])[path[-1]] = value
    return mutant


def _documents() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for manifest in sorted((ROOT / "assignments").glob("*/manifest.yaml")):
        document = yaml.safe_load(manifest.read_text())
        document["tests"] = dict(list(document.get("tests", {}).items())[:4])
        yield manifest.parent.name, MANIFEST_SCHEMA, document
    results_schema = json.loads(SCHEMA_PATH.read_text())
    for results in sorted((ROOT / "tests" / "golden").glob("*/results.json")):
        document = json.loads(results.read_text())
        document["tests"] = document["tests"][:1]  # one test's mutants cover the others
        yield results.parent.name, results_schema, document


@pytest.mark.parametrize(("schema", "document"), [d[1:] for d in _documents()],
                         ids=[d[0] for d in _documents()])  # fmt: skip
def test_the_fast_check_rejects_whatever_jsonschema_rejects(schema, document):
    check = SchemaCheck(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not check.errors(document) and not list(validator.iter_errors(document))
    mutants = disagreements = invalid = 0
    for mutant in _mutants(document):
        mutants += 1
        found = list(validator.iter_errors(mutant))
        invalid += bool(found)
        checked = check.errors(mutant)
        disagreements += [e.message for e in checked] != [e.message for e in found]
    assert disagreements == 0
    assert invalid > mutants // 3  # the mutations do break the documents

"""Validate results.json documents against the Gradescope schema kept beside this module."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from grader.schema_check import SchemaCheck

SCHEMA_PATH = Path(__file__).with_name("gradescope-results.schema.json")


@cache
def _check() -> SchemaCheck:
    return SchemaCheck(json.loads(SCHEMA_PATH.read_text()))


def validation_errors(document: Any) -> list[str]:
    """Every way ``document`` departs from the schema, as ``path: message`` lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in _check().errors(document)
    ]

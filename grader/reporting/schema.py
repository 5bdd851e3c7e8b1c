"""Validate results.json documents against the Gradescope schema kept beside this module."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).with_name("gradescope-results.schema.json")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def validation_errors(document: Any) -> list[str]:
    """Every way ``document`` departs from the schema, as ``path: message`` lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in _validator().iter_errors(document)
    ]

"""JSON Schema validation in two steps, for the manifest and results.json.

fastjsonschema's compiled validator (a dependency of nbformat's already) says whether a document
is valid, in milliseconds; only a document it rejects goes to jsonschema, whose errors (every
one, with its path, keyword and schema) make the messages a TA reads. Importing jsonschema costs
about 0.1 s of CPU, which every grade paid for two documents that are almost always valid.
When fastjsonschema rejects a document, jsonschema has the last word: a document it finds no
error in is valid. The two agree on JSON documents; fastjsonschema also takes a Python tuple
for an array, which jsonschema does not, and neither checked document holds tuples (both
come from JSON or YAML, or are built of lists).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    import jsonschema


class SchemaCheck:
    """Validates documents against one Draft 2020-12 schema that uses only keywords Draft 7
    also has (fastjsonschema knows drafts 4 to 7)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._fast: Any = None

    def errors(self, document: Any) -> list[jsonschema.ValidationError]:
        """Every way ``document`` departs from the schema; none for a valid one."""
        if self._fast is None:
            draft7 = {k: v for k, v in self.schema.items() if k != "$schema"}
            # Without detailed exceptions (a copy of the schema in each raise), compiling
            # takes a third of the time: 12 ms instead of 41 for both schemas. Its messages are
            # never shown; jsonschema words them.
            self._fast = fastjsonschema.compile(
                draft7, use_formats=False, detailed_exceptions=False
            )
        try:
            self._fast(document)
            return []
        except fastjsonschema.JsonSchemaException:
            pass
        import jsonschema

        return list(jsonschema.Draft202012Validator(self.schema).iter_errors(document))

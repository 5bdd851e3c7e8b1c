"""Bounds on the text a results document carries.

Student code decides much of the text in results.json (exception messages, what it printed,
file names in notes): a submission raising 512 KiB messages must still give a small file that
Gradescope shows and a terminal prints at once. Every string is cut to a bound, and the cut
says so.
"""

from __future__ import annotations

from typing import Any

#: Characters kept of one test's output, and of the run's top-level output.
OUTPUT_LIMIT = 6_000
#: Characters kept of any other string (names, numbers, extra_data values).
OTHER_LIMIT = 1_000


def cap(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """``text`` if it fits, else its beginning and end around a note of what was cut; lone
    surrogates (student code's ``"\\ud800"``) replaced, since a strict JSON reader refuses
    their escapes."""
    text = _valid_unicode(text)
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 4
    return (
        f"{text[:head]}\n[... {len(text) - head - tail:,} characters cut: this text was too long "
        f"to show in full ...]\n{text[len(text) - tail :]}"
    )


def bounded(value: Any, key: str | None = None) -> Any:
    """A copy of a results document (or any part of one) with every string capped: outputs
    at OUTPUT_LIMIT, other strings at OTHER_LIMIT."""
    if isinstance(value, str):
        return cap(value, OUTPUT_LIMIT if key == "output" else OTHER_LIMIT)
    if isinstance(value, dict):
        return {cap(str(k), OTHER_LIMIT): bounded(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bounded(item, key) for item in value]
    return value


def _valid_unicode(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate: pairs joined, lone ones replaced by U+FFFD
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text

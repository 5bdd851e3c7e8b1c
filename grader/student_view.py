"""What ``grader check`` shows a student: the table, then the whole message of each failed test
(where the file and line of their exception are), or the results document as JSON; either way
the status says whether a test failed, as test runners' do."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.text import Text

from grader.reporting.caps import OTHER_LIMIT, bounded, cap
from grader.reporting.results import Results
from grader.reporting.table import render

#: Lines and characters of one failed test's message shown after the table.
DETAIL_LINES = 40
DETAIL_CHARS = 4000


def failed(results: Results) -> bool:
    """Whether a test that ran failed (status 1), as opposed to all passing (status 0)."""
    return any(entry.status == "failed" for entry in results.entries)


def show_table(results: Results, console: Console, title: str) -> int:
    """The table, then each failed test's whole message (bounded); returns the status."""
    render(results, console, title=title)
    for entry in results.entries:
        if entry.status == "failed" and entry.output.strip():
            console.print(Text(f"\n{cap(entry.number, OTHER_LIMIT)} {cap(entry.name, OTHER_LIMIT)}",
                               style="bold red"))  # fmt: skip
            console.print(Text(_bounded(cap(entry.output).strip())))
    return 1 if failed(results) else 0


def show_json(results: Results, console: Console, title: str) -> int:
    """The results document on stdout (the rest goes to ``console``: stderr); the status."""
    json.dump(bounded(results.to_gradescope()), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if failed(results) else 0


def _bounded(text: str) -> str:
    lines = text.splitlines()
    cut = len(lines) > DETAIL_LINES or len(text) > DETAIL_CHARS
    text = "\n".join(lines[:DETAIL_LINES])[:DETAIL_CHARS]
    return f"{text}\n[... cut: the whole message is in --json]" if cut else text

"""The readable terminal view of a results document. Names and messages are printed as literal
text (never as rich markup: a message may hold ``[/]``), capped like results.json."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.reporting.caps import bounded

#: Characters of a message's first line shown in the table.
LINE_LIMIT = 200

_STATUS_STYLE = {"passed": "green", "failed": "red"}


def render(results: dict[str, Any], console: Console, title: str = "") -> None:
    """One row per entry (test, points, status, first line of its message), then the total."""
    results = bounded(results)
    table = Table(title=Text(title) if title else None, show_lines=False, expand=False)
    table.add_column("#", style="dim", no_wrap=True)
    table.add_column("Test", overflow="fold")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message", overflow="fold", max_width=70)
    for test in results["tests"]:
        outcome = test.get("extra_data", {}).get("outcome", test.get("status", ""))
        style = _STATUS_STYLE.get(test.get("status", ""), "")
        label = (
            outcome
            if test.get("visibility", "visible") == "visible"
            else (f"{outcome} ({test['visibility']})")
        )
        table.add_row(
            Text(test.get("number", "")),
            Text(test["name"]),
            f"{test['score']:g}/{test['max_score']:g}",
            Text(label, style=style),
            Text(_first_line(test.get("output") or "")),
        )
    console.print(table)
    score = sum(t["score"] for t in results["tests"])
    total = sum(t["max_score"] for t in results["tests"])
    console.print(Text(f"Total: {score:g} / {total:g}", style="bold"))
    if results.get("output"):
        console.print(Text(results["output"]))


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= LINE_LIMIT else f"{line[:LINE_LIMIT]} [... cut]"

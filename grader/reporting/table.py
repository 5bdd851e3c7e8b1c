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
#: Narrower consoles (and pipes, 80 unless COLUMNS says otherwise) get one line per test: the
#: table would wrap each name over several lines.
TABLE_WIDTH = 120

_STATUS_STYLE = {"passed": "green", "failed": "red"}


def render(results: dict[str, Any], console: Console, title: str = "") -> None:
    """One row per entry (test, points, status, first line of its message), then the total."""
    results = bounded(results)
    if console.width < TABLE_WIDTH:
        _render_lines(results, console, title)
    else:
        _render_table(results, console, title)
    score = sum(t["score"] for t in results["tests"])
    total = sum(t["max_score"] for t in results["tests"])
    console.print(Text(f"Total: {score:g} / {total:g}", style="bold"))
    if results.get("output"):
        console.print(Text(results["output"]))


def _render_table(results: dict[str, Any], console: Console, title: str) -> None:
    table = Table(title=Text(title) if title else None, show_lines=False, expand=False)
    table.add_column("#", style="dim", no_wrap=True)
    table.add_column("Test", overflow="fold")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message", overflow="fold", max_width=70)
    for test in results["tests"]:
        style = _STATUS_STYLE.get(test.get("status", ""), "")
        table.add_row(
            Text(test.get("number", "")),
            Text(test["name"]),
            f"{test['score']:g}/{test['max_score']:g}",
            Text(_label(test), style=style),
            Text(_first_line(test.get("output") or "")),
        )
    console.print(table)


def _render_lines(results: dict[str, Any], console: Console, title: str) -> None:
    """Each test on one line, cut to the console's width: number, points, status, name, and
    the first line of its message."""
    if title:
        console.print(Text(title, style="bold"), no_wrap=True, overflow="ellipsis")
    for test in results["tests"]:
        line = Text(f"{test.get('number', '')} {test['score']:g}/{test['max_score']:g} ")
        line.append(_label(test), style=_STATUS_STYLE.get(test.get("status", ""), ""))
        line.append(f" {test['name']}")
        message = _first_line(test.get("output") or "")
        if message:
            line.append(f": {message}")
        console.print(line, no_wrap=True, overflow="ellipsis")


def _label(test: dict[str, Any]) -> str:
    """The test's outcome, and its visibility unless visible."""
    outcome = test.get("extra_data", {}).get("outcome", test.get("status", ""))
    if test.get("visibility", "visible") == "visible":
        return outcome
    return f"{outcome} ({test['visibility']})"


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= LINE_LIMIT else f"{line[:LINE_LIMIT]} [... cut]"

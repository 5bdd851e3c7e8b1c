"""The readable terminal view of a grading's results. Names and messages are printed as literal
text (never as rich markup: a message may hold ``[/]``), capped like results.json."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from grader.reporting.caps import OTHER_LIMIT, OUTPUT_LIMIT, cap
from grader.reporting.results import Entry, Results

#: Characters of a message's first line shown in the table.
LINE_LIMIT = 200
#: Narrower consoles (and pipes, 80 unless COLUMNS says otherwise) get one line per test: the
#: table would wrap each name over several lines.
TABLE_WIDTH = 120

_STATUS_STYLE = {"passed": "green", "failed": "red"}


def render(results: Results, console: Console, title: str = "", lines: bool | None = None) -> None:
    """One row per entry (test, points, status, first line of its message), then the total:
    a table, or one line per test (``lines``; by default on consoles narrower than
    :data:`TABLE_WIDTH`). A table costs rich about 1 ms a row, a line a tenth of that."""
    if lines is None:
        lines = console.width < TABLE_WIDTH
    if lines:
        _render_lines(results, console, title)
    else:
        _render_table(results, console, title)
    score = sum(e.score for e in results.entries)
    console.print(Text(f"Total: {score:g} / {results.max_score:g}", style="bold"))
    if results.output:
        console.print(Text(cap(results.output, OUTPUT_LIMIT)))


def _render_table(results: Results, console: Console, title: str) -> None:
    from rich.table import Table  # 7 ms of imports that one line per test does not need

    table = Table(title=Text(title) if title else None, show_lines=False, expand=False)
    table.add_column("#", style="dim", no_wrap=True)
    table.add_column("Test", overflow="fold")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message", overflow="fold", max_width=70)
    for entry in results.entries:
        table.add_row(
            Text(cap(entry.number, OTHER_LIMIT)),
            Text(cap(entry.name, OTHER_LIMIT)),
            f"{entry.score:g}/{entry.max_score:g}",
            Text(_label(entry), style=_STATUS_STYLE.get(entry.status, "")),
            Text(_first_line(cap(entry.output))),
        )
    console.print(table)


def _render_lines(results: Results, console: Console, title: str) -> None:
    """Each test on one line, cut to the console's width: number, points, status, name, and
    the first line of its message."""
    lines = [Text(title, style="bold")] if title else []
    for entry in results.entries:
        line = Text(f"{cap(entry.number, OTHER_LIMIT)} {entry.score:g}/{entry.max_score:g} ")
        line.append(_label(entry), style=_STATUS_STYLE.get(entry.status, ""))
        line.append(f" {cap(entry.name, OTHER_LIMIT)}")
        message = _first_line(cap(entry.output))
        if message:
            line.append(f": {message}")
        lines.append(line)
    # One print for all the lines (each is cut on its own): a print each cost 128 passes
    # through rich's rendering for a1.
    if lines:
        console.print(Text("\n").join(lines), no_wrap=True, overflow="ellipsis")


def _label(entry: Entry) -> str:
    """The test's outcome, and its visibility unless visible."""
    outcome = cap(entry.outcome, OTHER_LIMIT)
    return outcome if entry.visibility == "visible" else f"{outcome} ({entry.visibility})"


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= LINE_LIMIT else f"{line[:LINE_LIMIT]} [... cut]"

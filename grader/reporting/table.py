"""The readable terminal view of a results document."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

_STATUS_STYLE = {"passed": "green", "failed": "red"}


def render(results: dict[str, Any], console: Console, title: str = "") -> None:
    """One row per entry (test, points, status, first line of its message), then the total."""
    table = Table(title=title or None, show_lines=False, expand=False)
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
            test.get("number", ""),
            test["name"],
            f"{test['score']:g}/{test['max_score']:g}",
            f"[{style}]{label}[/{style}]" if style else label,
            (test.get("output") or "").strip().split("\n", 1)[0],
        )
    console.print(table)
    score = sum(t["score"] for t in results["tests"])
    total = sum(t["max_score"] for t in results["tests"])
    console.print(f"[bold]Total: {score:g} / {total:g}[/bold]")
    if results.get("output"):
        console.print(results["output"], highlight=False, markup=False)

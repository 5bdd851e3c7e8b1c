"""Timed training runs: datasets that need no download, the device class a budget is set for,
time budgets and the grader-side training loop (its curves are drawn by
grader.reporting.curves)."""

"""Timed training runs: datasets that need no download, device choice, time budgets and the
grader-side training loop (its curves are drawn by grader.reporting.curves)."""

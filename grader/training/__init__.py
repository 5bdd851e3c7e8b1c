"""Timed training runs: datasets that need no download, the device class a budget is set for,
time budgets, the grader-side training loop and its curves."""

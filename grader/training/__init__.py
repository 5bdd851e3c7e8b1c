"""Timed training runs: datasets that need no download, device choice, time budgets, the
grader-side training loop and its curves."""

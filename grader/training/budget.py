"""Training time budgets that are fair across machines.

A manifest gives either an absolute budget per device class (``training.budget_seconds: {cpu:
60, cuda: 20}``) or a relative one (``training.relative_budget: 3``): a multiple of the time the
reference solution takes for the same test on the same machine, measured once and cached per
machine (``$GRADER_CACHE``, default ~/.cache/grader).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path

CACHE_VARIABLE = "GRADER_CACHE"


@dataclass(frozen=True)
class Budget:
    """Seconds of training allowed (None: no limit), and why, for the student's message."""

    seconds: float | None
    why: str = ""


def budget_for(
    absolute: dict[str, float], relative: float | None, device_class: str,
    reference_seconds: float | None,
) -> Budget:  # fmt: skip
    if relative is not None and reference_seconds is not None:
        seconds = relative * reference_seconds
        return Budget(seconds, f"{relative:g} times the reference solution's "
                               f"{reference_seconds:.2f} s on this machine")  # fmt: skip
    if device_class in absolute:
        return Budget(absolute[device_class], f"the {device_class} budget")
    return Budget(None, "no budget")


def machine() -> str:
    """What identifies this machine's speed: host name, processor and core count."""
    return f"{platform.node()}|{platform.processor() or platform.machine()}|{os.cpu_count()}"


def _cache_file() -> Path:
    folder = Path(os.environ.get(CACHE_VARIABLE, Path.home() / ".cache" / "grader"))
    return folder / "reference-training-times.json"


def cached_times(assignment: str) -> dict[str, float] | None:
    """Reference training seconds by "test id|device class" for this machine, or None when
    they were never measured here."""
    try:
        data = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return None
    entry = data.get(machine(), {}).get(assignment) if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        return None
    return {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}


def store_times(assignment: str, times: dict[str, float]) -> None:
    path = _cache_file()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data.setdefault(machine(), {})[assignment] = times
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))

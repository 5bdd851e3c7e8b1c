"""Training time budgets that are fair across machines.

A manifest gives either an absolute budget per device class (``training.budget_seconds: {cpu:
60, cuda: 20}``) or a relative one (``training.relative_budget: 3``): a multiple of the time the
reference solution takes for the same test on the same machine, measured once and cached per
device model (``$GRADER_CACHE``, default ~/.cache/grader).
"""

from __future__ import annotations

import contextlib
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
    """The cache's key: the device model, so that every node of a cluster with the same
    processor and GPUs shares one calibration and a different model gets its own."""
    return device_model()


def device_model() -> str:
    """What training speed depends on: the processor's model, its core count, the GPUs."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gpus = []
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        with contextlib.suppress(OSError):
            gpus += [line.split(":", 1)[1].strip() for line in info.read_text().splitlines()
                     if line.startswith("Model:")]  # fmt: skip
    return f"{cpu} x{os.cpu_count()}" + "".join(f" + {gpu}" for gpu in gpus)


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

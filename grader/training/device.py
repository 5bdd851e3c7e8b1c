"""The class of device a training run's time budget is set for. (The device itself is chosen
in the worker, by the assignment's support code: a2's torch_training.best_device.)"""

from __future__ import annotations


def device_class(device: str) -> str:
    """The manifest's budget key for a device: "cuda" for any GPU, "cpu" otherwise."""
    return "cuda" if device.startswith("cuda") else "cpu"

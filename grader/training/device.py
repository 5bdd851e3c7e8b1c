"""Which device a training run uses, and the class of device its time budget is set for."""

from __future__ import annotations

from typing import Any


def best_device(torch: Any) -> str:
    """ "cuda" when torch sees a GPU, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_class(device: str) -> str:
    """The manifest's budget key for a device: "cuda" for any GPU, "cpu" otherwise."""
    return "cuda" if device.startswith("cuda") else "cpu"

"""Relative training budgets on a cluster: calibrated per device model (the processor's model,
its cores, the GPUs), so that nodes of one model share a calibration and another model gets
its own, wherever the cache lives (a home folder shared by the nodes, say)."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from grader.training import budget


def test_the_cache_is_keyed_by_device_model_not_by_host(tmp_path, monkeypatch):
    monkeypatch.setenv(budget.CACHE_VARIABLE, str(tmp_path))
    model = budget.device_model()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        assert not names or model.startswith(names[0])
    budget.store_times("a2", {"tests/test_model.py::test_training|cpu": 2.5})
    assert budget.cached_times("a2") == {"tests/test_model.py::test_training|cpu": 2.5}
    assert list(json.loads((tmp_path / "reference-training-times.json").read_text())) == [model]
    monkeypatch.setattr(platform, "node", lambda: "another-node-of-the-same-model")
    assert budget.cached_times("a2") == {"tests/test_model.py::test_training|cpu": 2.5}


def test_another_device_model_is_calibrated_anew(tmp_path, monkeypatch):
    monkeypatch.setenv(budget.CACHE_VARIABLE, str(tmp_path))
    other = {"NVIDIA A100-SXM4-40GB x64 + NVIDIA A100-SXM4-40GB": {"a2": {"t|cuda": 1.0}}}
    (tmp_path / "reference-training-times.json").write_text(json.dumps(other))
    assert budget.cached_times("a2") is None  # measured again on this model
    budget.store_times("a2", {"t|cpu": 4.0})
    stored = json.loads((tmp_path / "reference-training-times.json").read_text())
    assert stored[budget.device_model()] == {"a2": {"t|cpu": 4.0}} and len(stored) == 2


def test_gpu_models_are_part_of_the_device_model(tmp_path, monkeypatch):
    """A GPU node's key names its GPUs (read from the NVIDIA driver's /proc files; mocked
    here: this machine has no GPU)."""
    gpus = tmp_path / "gpus"
    (gpus / "0000:01:00.0").mkdir(parents=True)
    (gpus / "0000:01:00.0" / "information").write_text("Model: \t NVIDIA H200\nIRQ: 42\n")
    real = Path

    def fake(path, *rest):
        return real(gpus) if str(path) == "/proc/driver/nvidia/gpus" else real(path, *rest)

    monkeypatch.setattr(budget, "Path", fake)
    assert budget.device_model().endswith(" + NVIDIA H200")

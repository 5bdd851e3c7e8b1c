"""Timed training runs: assignment 2 in PyTorch, budgets, devices, datasets and curves."""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
import pickle
import re
import shutil
import sys
import time
import types

import numpy as np
import pytest
from conftest import ROOT, by_group, graded

from grader import assignment
from grader.checks.failure import CheckFailed
from grader.cli import main
from grader.reporting.curves import write_curves
from grader.reporting.results import Results
from grader.training import budget, datasets
from grader.training.budget import Budget, budget_for
from grader.training.datasets import cifar10, digits
from grader.training.device import device_class
from grader.training.trainer import Trainer

SOLUTION_A2 = ROOT / "solutions" / "a2"
torch_needed = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch is not installed"
)


def a2_variant(tmp_path, old: str, new: str):
    folder = tmp_path / "submission"
    shutil.copytree(SOLUTION_A2, folder)
    text = (folder / "model.py").read_text()
    assert old in text
    (folder / "model.py").write_text(text.replace(old, new))
    return folder


@torch_needed
def test_a2_reference_passes_and_grades_the_same_twice():
    first, second = graded(SOLUTION_A2, "a2"), graded(SOLUTION_A2, "a2")
    assert all(t["score"] == t["max_score"] > 0 for t in first["tests"]), first["tests"]
    runs = [next(t for t in r["tests"] if "training" in t["extra_data"]) for r in (first, second)]
    assert (
        runs[0]["extra_data"]["training"]["losses"] == runs[1]["extra_data"]["training"]["losses"]
    )
    assert [t["score"] for t in first["tests"]] == [t["score"] for t in second["tests"]]
    training = runs[0]["extra_data"]["training"]
    assert training["device"] in ("cpu", "cuda") and training["seconds"] > 0
    assert {e["name"] for e in first["leaderboard"]} == {"accuracy", "training time (s)"}


@torch_needed
def test_a2_broken_model_fails_clearly_and_training_is_not_graded(tmp_path):
    folder = a2_variant(tmp_path, "        nn.Flatten(),\n", "")
    results = graded(folder, "a2")
    outputs = {t["name"].split(":")[0]: t["output"] for t in results["tests"]}
    assert outputs["build_model"].startswith(
        "the model build_model returns fails on a batch of shape (7, 1, 8, 8): scores_shape "
        "raised RuntimeError: mat1 and mat2 shapes cannot be multiplied"
    )
    assert outputs["training"].startswith("Not graded: this test needs build_model")
    assert sum(t["score"] for t in results["tests"]) == 0


@torch_needed
def test_a2_model_that_does_not_learn_scores_zero(tmp_path):
    folder = a2_variant(tmp_path, "    optimizer.step()\n", "")
    results = graded(folder, "a2")
    training = next(t for t in results["tests"] if t["name"].startswith("training"))
    assert training["score"] == 0 and "is below 80%" in training["output"]
    assert by_group(results)["build_model"] == (2, 2)


@torch_needed
def test_a2_slow_training_gets_the_budget_message(tmp_path):
    folder = a2_variant(tmp_path, "    model.train()\n", "    model.train()\n    import time\n"
                                                          "    time.sleep(0.02)\n")  # fmt: skip
    manifest = dataclasses.replace(assignment.find("a2"), budget_seconds={"cpu": 0.5, "cuda": 0.5})
    results = graded(folder, manifest)
    training = next(t for t in results["tests"] if t["name"].startswith("training"))
    assert training["score"] == 0
    assert re.search(
        r"Training used up its time budget of 0.50 s \(the cpu budget\) after \d+ of 12 epochs",
        training["output"],
    )


@torch_needed
def test_relative_budget_measures_the_reference_once_and_caches_it(tmp_path, monkeypatch):
    monkeypatch.setenv(budget.CACHE_VARIABLE, str(tmp_path / "cache"))
    manifest = dataclasses.replace(assignment.find("a2"), relative_budget=50.0)
    first = graded(SOLUTION_A2, manifest)
    cached = budget.cached_times("a2")
    assert len(cached) == 1 and next(iter(cached.values())) > 0
    monkeypatch.setattr("grader.grading._calibrate", lambda m: pytest.fail("measured again"))
    second = graded(SOLUTION_A2, manifest)
    for results in (first, second):
        training = next(t for t in results["tests"] if "training" in t["extra_data"])
        assert training["extra_data"]["training"]["budget"] == pytest.approx(
            50 * next(iter(cached.values()))
        )


def test_budgets():
    assert budget_for({"cpu": 60}, None, "cpu", None).seconds == 60
    assert budget_for({"cpu": 60}, None, "cuda", None).seconds is None
    relative = budget_for({"cpu": 60}, 3.0, "cpu", 2.0)
    assert relative.seconds == 6.0 and "3 times the reference" in relative.why
    assert budget_for({"cpu": 60}, 3.0, "cpu", None).seconds == 60  # not measured: absolute


def fake_torch(cuda: bool):
    return types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: cuda))


@pytest.mark.parametrize("cuda, device", [(True, "cuda"), (False, "cpu")])
def test_device_selection(cuda, device, monkeypatch):
    assert device_class(device) == device and device_class("cuda:1") == "cuda"
    # The worker-side training support chooses the device.
    monkeypatch.setitem(sys.modules, "torch", fake_torch(cuda))
    monkeypatch.setitem(sys.modules, "model", types.ModuleType("model"))
    path = ROOT / "assignments" / "a2" / "support" / "torch_training.py"
    spec = importlib.util.spec_from_file_location("torch_training_under_test", path)
    support = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(support)
    assert support.best_device() == device


def test_digits_split_is_deterministic_and_disjoint():
    data = digits()
    assert data.train_x.shape == (1200, 64) and len(data.val_y) == 300 and len(data.test_y) == 297
    assert data.train_x.max() <= 1.0
    np.testing.assert_array_equal(digits().train_y, data.train_y)


def test_digits_read_as_integers_are_the_values_scikit_learn_reads():
    """The file is read as whole numbers for speed; scikit-learn's load_digits reads floats."""
    pixels, labels = datasets._digits_file()
    with gzip.open(datasets._digits_path(), mode="rt", encoding="utf-8") as text:
        table = np.loadtxt(text, delimiter=",")
    np.testing.assert_array_equal(pixels, table[:, :-1])
    np.testing.assert_array_equal(labels, table[:, -1])
    assert digits().train_x.dtype == np.float64 and digits().train_y.dtype == np.int64


def write_cifar(folder, batches=2, per_batch=20):
    """A tiny dataset in CIFAR-10's python format (the Docker image bakes in the real one)."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, batches + 1)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": rng.integers(0, 10, per_batch).tolist()}  # fmt: skip
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


def test_cifar_loader(tmp_path, monkeypatch):
    write_cifar(tmp_path / "cifar")
    data = cifar10(tmp_path / "cifar", validation=5)
    assert data.train_x.shape == (35, 3, 32, 32) and data.val_x.shape == (5, 3, 32, 32)
    assert data.test_x.shape == (20, 3, 32, 32) and data.train_x.max() <= 1.0
    monkeypatch.setenv("GRADER_CIFAR10", str(tmp_path / "cifar"))
    assert cifar10(validation=5).test_y.shape == (20,)
    with pytest.raises(FileNotFoundError, match="GRADER_CIFAR10"):
        cifar10(tmp_path / "nowhere")


class Evil:
    def __reduce__(self):  # eval: a builtin no library replaces (Ray's import replaces print)
        return (eval, ("print('this must never run')",))


def test_cifar_loader_refuses_pickles_that_are_not_arrays(tmp_path):
    folder = tmp_path / "cifar"
    write_cifar(folder)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match=r"builtins\.eval"):
        cifar10(folder)


def test_training_curves_are_written_beside_results(tmp_path):
    output = tmp_path / "out" / "results.json"
    assert main(["grade", str(ROOT / "solutions" / "a1"), "-a", "a1", "-o", str(output)]) == 0
    curves = sorted(p.name for p in output.parent.glob("training-*.png"))
    document = json.loads(output.read_text())
    trained = [t for t in document["tests"] if "training" in t["extra_data"]]
    assert len(curves) == len(trained) == 2
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in output.parent.glob("training-*.png"))


def test_curves_replace_a_link_planted_in_their_place_not_its_target(tmp_path):
    """Where student code shares the grader's user (a plain user's grade), a link at a curve's
    name must not turn the curve into a write over results.json."""
    run = {"epochs": 2, "losses": [1.0, 0.5], "accuracies": [0.5, 0.9], "device": "cpu",
           "seconds": 1.0}  # fmt: skip
    document = {"tests": [{"name": "training", "number": "1.1", "score": 1, "max_score": 1,
                           "extra_data": {"training": run}}]}  # fmt: skip
    victim = tmp_path / "results.json"
    victim.write_text("{}")
    (tmp_path / "training-1.1.png").symlink_to(victim)
    (written,) = write_curves(Results.from_gradescope(document), tmp_path)
    assert victim.read_text() == "{}"
    assert not written.is_symlink() and written.read_bytes()[:4] == b"\x89PNG"


@torch_needed
def test_a2_stubs_score_zero_without_crashing():
    results = graded(ROOT / "assignments" / "a2", "a2")
    assert results["tests"] and all(t["score"] == 0 for t in results["tests"])
    outputs = [t["output"] for t in results["tests"]]
    assert "build_model is not implemented yet" in outputs[0]


def test_a_call_after_the_epochs_counts_against_the_budget():
    """The final predictions (or a warm-up) are timed like an epoch: training hidden there
    exhausts the budget too (Trainer.timed once left its check unreachable)."""
    trainer = Trainer("training", lambda device: Budget(0.05, "the test's budget"))
    trainer.run(lambda: 0.0, epochs=1, evaluate=lambda: 1.0)
    with pytest.raises(CheckFailed, match=r"used up its time budget of 0.05 s"):
        trainer.timed(lambda: time.sleep(0.1))
    assert trainer.run_record is not None and trainer.run_record.seconds >= 0.1

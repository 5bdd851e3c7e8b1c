"""The ``training`` fixture: a training loop under the test's time budget."""

from __future__ import annotations

import pytest

from grader.context import context_of
from grader.training.budget import Budget, budget_for
from grader.training.device import device_class
from grader.training.trainer import Trainer

#: user_properties name of a test's trainer (its run record is read once the test has run).
TRAINING = "grader.training"


@pytest.fixture
def training(request: pytest.FixtureRequest) -> Trainer:
    """Runs a training loop under the test's time budget and records it."""
    context = context_of(request)
    meta = context.meta[request.node.nodeid]
    m = context.manifest

    def budget(device: str) -> Budget:
        kind = device_class(device)
        reference = context.reference_times.get(f"{meta.nodeid}|{kind}")
        return budget_for(m.budget_seconds, m.relative_budget, kind, reference)

    trainer = Trainer(meta.group or meta.function, budget)
    request.node.user_properties.append((TRAINING, trainer))
    return trainer

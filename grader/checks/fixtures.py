"""The fixtures of the checks: ``rng`` (a test's inputs), ``tolerance`` and ``gradcheck``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from grader.checks.bound import BoundChecker
from grader.checks.inputs import input_rng
from grader.context import context_of

#: user_properties name of a test's gradient checker (its evaluations and seconds are read
#: once the test has run).
GRADCHECK = "grader.gradcheck"


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id and the run's secret (grader.checks.inputs)."""
    return input_rng(request.node.nodeid, context_of(request).secret)


@pytest.fixture(scope="session")
def tolerance(request: pytest.FixtureRequest) -> Callable[[str], float]:
    """``tolerance("name")``: a tolerance from the manifest (one for the run)."""
    return context_of(request).manifest.tolerance


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest, rng: np.random.Generator, student: Any,
              reference: Any) -> BoundChecker:  # fmt: skip
    """The gradient checker, configured by the manifest's ``gradient_check`` and bound to the
    student's and the reference's modules."""
    m = context_of(request).manifest
    checker = BoundChecker(student, reference, m.gradient_tolerance, rng, m.gradient_mode,
                           m.gradient_directions)  # fmt: skip
    request.node.user_properties.append((GRADCHECK, checker))
    return checker

"""What the fixtures of one grading run expose, kept on pytest's config (as junitxml keeps its
LogXML there), so that each fixture can live with the concern it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from grader.manifest import Manifest

if TYPE_CHECKING:
    from grader.recording import RecordingReference, ReplayReference
    from grader.reference import Reference
    from grader.reporting.outcomes import TestMeta
    from grader.sandbox.proxy import Sandbox


@dataclass
class GradingContext:
    """The run's manifest, sandbox, reference solution and inputs secret."""

    manifest: Manifest
    sandbox: Sandbox
    solution: Reference | RecordingReference | ReplayReference
    #: The secret inputs seed (None: inputs seeded from test ids only, see grader.checks.inputs).
    secret: int | None
    #: The reference solution's training seconds per "test id|device class" (relative budgets).
    reference_times: dict[str, float] = field(default_factory=dict)
    #: What each collected test declares about itself, by node id (filled at collection).
    meta: dict[str, TestMeta] = field(default_factory=dict)


CONTEXT = pytest.StashKey[GradingContext]()


def context_of(request: pytest.FixtureRequest) -> GradingContext:
    return request.config.stash[CONTEXT]


@pytest.fixture(name="manifest")
def manifest_fixture(request: pytest.FixtureRequest) -> Manifest:
    """The assignment's manifest."""
    return context_of(request).manifest

"""What the fixtures of one grading run expose, kept on pytest's config (as junitxml keeps its
LogXML there), so that each fixture can live with the concern it serves."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from grader.checks.inputs import draw_secret
from grader.manifest import Manifest
from grader.recording import RecordingReference, ReplayReference, is_recording
from grader.reference import Reference
from grader.reporting.outcomes import TestMeta
from grader.sandbox.sandbox import Sandbox


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

    @classmethod
    def create(
        cls, manifest: Manifest, sandbox: Sandbox, reference_times: dict[str, float],
        record: bool = False, inputs_seed: int | None = None,
    ) -> GradingContext:  # fmt: skip
        """The context of a run that grades with the reference solution, records its answers
        (``record``), or replays a handout's recorded answers. Inputs come from a secret seed
        (or ``inputs_seed``), except when recording or replaying, which hold inputs seeded
        from test ids only."""
        solution: Reference | RecordingReference | ReplayReference
        if is_recording(manifest.reference):  # a student's handout: answers, not code
            solution = ReplayReference(manifest.reference)
        else:
            solution = Reference(manifest.reference, manifest.modules)
            solution = RecordingReference(solution) if record else solution
        public = isinstance(solution, ReplayReference) or record
        secret = inputs_seed if inputs_seed is not None or public else draw_secret()
        return cls(manifest, sandbox, solution, secret, reference_times)


CONTEXT = pytest.StashKey[GradingContext]()


def context_of(request: pytest.FixtureRequest) -> GradingContext:
    return request.config.stash[CONTEXT]


@pytest.fixture(name="manifest", scope="session")
def manifest_fixture(request: pytest.FixtureRequest) -> Manifest:
    """The assignment's manifest (one for the run)."""
    return context_of(request).manifest

"""Where a test's inputs come from, and the check that student code left them as they were."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Sequence

import numpy as np

from grader.checks.failure import CheckFailed


def assert_unchanged(
    before: Sequence[object], after: Sequence[object], names: Sequence[str], function: str
) -> None:
    """Each array argument must be equal (bitwise, NaN-aware) before and after the call."""
    for name, old, new in zip(names, before, after, strict=True):
        if isinstance(old, np.ndarray) and not (
            isinstance(new, np.ndarray)
            and new.shape == old.shape
            and np.array_equal(new, old, equal_nan=True)
        ):
            raise CheckFailed(
                f"{function} changed its input {name}; work on a copy "
                f"(e.g. {name} = {name}.copy()) or avoid in-place operations like +="
            )


def draw_secret() -> int:
    """A seed for one real grading run: no handout, no earlier run holds its inputs."""
    return secrets.randbits(64)


def input_rng(test_id: str, secret: int | None) -> np.random.Generator:
    """The generator of one test's inputs: from the test id alone when ``secret`` is None (a
    handout's recording and a student's self-check, which replays it), else from the run's
    secret and the test id (the real grade)."""
    key = zlib.crc32(test_id.encode())
    return np.random.default_rng(key if secret is None else [key, secret])

"""Check that student code left its inputs as they were."""

from __future__ import annotations

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

"""The JSON, table and CSV outputs on the bundled assignments and buggy fixtures stay byte for
byte what tests/golden/ holds (regenerate deliberately: ``python tests/golden_outputs.py``)."""

from __future__ import annotations

import pytest
from golden_outputs import CASES, Case, expected, produce, produce_batch

REGENERATE = "if the change is deliberate, run: python tests/golden_outputs.py"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_outputs_are_unchanged(case: Case) -> None:
    made = produce(case)
    assert sorted(made) == sorted(expected(case.name)), REGENERATE
    for name, text in expected(case.name).items():
        assert made[name] == text, f"{case.name}/{name} differs; {REGENERATE}"


def test_batch_summaries_are_unchanged() -> None:
    made = produce_batch()
    assert made == expected("batch"), REGENERATE

"""The hidden edge cases of assignment 1 stay within what the contract promises students
(shared/ASSIGNMENT-API.md, and CS231n's docstrings): code that relies on a promise must never
lose points for it."""

from __future__ import annotations

import importlib.util
import warnings
from types import ModuleType

import pytest
from conftest import ROOT


def test_module(name: str) -> ModuleType:
    path = ROOT / "assignments" / "a1" / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"a1_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # its visibility mark is registered by the grader's plugin
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        spec.loader.exec_module(module)
    return module


test_module.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def cases(name: str) -> list:
    """The module's geometry cases, as plain values (without their visibility marks)."""
    return [pytest.param(case.values, id=case.id) for case in test_module(name).CASES]


@pytest.mark.parametrize("values", cases("test_conv"))
def test_conv_cases_divide_evenly(values):
    (_, _, h, w), (_, _, hh, ww), stride, pad = values
    assert (h + 2 * pad - hh) % stride == 0 and (w + 2 * pad - ww) % stride == 0


@pytest.mark.parametrize("values", cases("test_pool"))
def test_pool_cases_divide_evenly(values):
    (_, _, h, w), pool_height, pool_width, stride = values
    assert (h - pool_height) % stride == 0 and (w - pool_width) % stride == 0


def test_edge_cases_still_cover_the_hard_geometries():
    """Within the promise: non-square inputs and filters, stride 2, pad 0 and 2, N=1,
    non-square and overlapping pooling windows at stride 1."""
    conv = [case.values for case in test_module("test_conv").CASES]
    assert {pad for *_, pad in conv} >= {0, 2} and any(stride == 2 for *_, stride, _ in conv)
    assert any(x[0] == 1 for x, *_ in conv)
    assert any(x[2] != x[3] for x, *_ in conv) and any(w[2] != w[3] for _, w, *_ in conv)
    pool = [case.values for case in test_module("test_pool").CASES]
    assert any(ph != pw and stride == 1 for _, ph, pw, stride in pool)
    assert any(max(ph, pw) > stride for _, ph, pw, stride in pool)  # overlapping windows

"""Gradient checks of stateful layers: a1's directional checks and diagnoses, applied to an
object whose backward is fed the state of its own forward."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from grader.checks import CheckFailed, GradientChecker
from grader.checks.modules import check_backward
from grader.reference import Reference
from grader.sandbox.client import Limits
from grader.sandbox.proxy import Student
from grader.sandbox.sandbox import Sandbox

#: Student code runs under another uid as root: it must be able to read the submission.
pytestmark = pytest.mark.usefixtures("readable")

STUDENT = """
import numpy as np
from reference_modules import Conv2D as _Conv2D, Linear as _Linear


class Linear(_Linear):
    def forward(self, x):                       # wrong: x counted twice
        self.cache = x
        return 2 * x.reshape(x.shape[0], -1) @ self.weight + self.bias

    def backward(self, dout):                   # right for its own forward
        x = self.cache
        self.dx = (2 * dout @ self.weight.T).reshape(x.shape)
        self.dw = 2 * x.reshape(x.shape[0], -1).T @ dout
        self.db = dout.sum(axis=0)


class Conv2D(_Conv2D):
    def backward(self, dout):                   # dw wrong in filter 1 only
        super().backward(dout)
        self.dw = self.dw.copy()
        self.dw[1] *= 1.5
"""


@pytest.fixture
def student(tmp_path: Path):
    (tmp_path / "modules.py").write_text(STUDENT)
    (tmp_path / "reference_modules.py").write_text((ROOT / "solutions/a3/modules.py").read_text())
    sandbox = Sandbox(tmp_path, ["modules", "reference_modules"], Limits(call_timeout=5))
    yield Student(sandbox)
    sandbox.close()


@pytest.fixture
def reference():
    return Reference(ROOT / "solutions" / "a3", ["modules"])


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_a_gradient_right_for_a_wrong_forward_blames_the_forward(student, reference, mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    parameters = {"weight": rng.standard_normal((4, 2)), "bias": rng.standard_normal(2)}
    checker = GradientChecker(1e-6, rng, mode)
    layer = student.modules.Linear(4, 2)
    with pytest.raises(CheckFailed) as info:
        check_backward(checker, layer, reference.modules.Linear(4, 2), (x,), parameters,
                       name="Linear", grad="dw", dout=rng.standard_normal((3, 2)))  # fmt: skip
    message = str(info.value)
    assert message.startswith("dw does not match the numerical gradient")
    assert "dw is off by a constant factor: it is 2 times the right gradient" in message
    assert "so the mistake is probably in Linear.forward" in message
    np.testing.assert_array_equal(layer.weight, parameters["weight"])  # restored after probing


def test_a_wrong_dw_says_where(student, reference):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6))
    parameters = {"weight": rng.standard_normal((4, 3, 3, 3)), "bias": rng.standard_normal(4)}
    with pytest.raises(CheckFailed) as info:
        check_backward(
            GradientChecker(1e-6, rng), student.modules.Conv2D(3, 4, padding=1),
            reference.modules.Conv2D(3, 4, padding=1), (x,), parameters, name="Conv2D",
            grad="dw", dout=rng.standard_normal((2, 4, 6, 6)),
        )  # fmt: skip
    assert "dw is wrong at 27 of 108 elements (only in filter 1)" in str(info.value)
    assert "It does not agree with your own Conv2D.forward either." in str(info.value)

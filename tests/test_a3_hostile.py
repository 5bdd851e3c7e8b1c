"""Hostile student objects of assignment 3: grading completes in bounded time with a valid
results.json, only the hostile class (and the training test that needs it) loses points, and
nothing is left running."""

from __future__ import annotations

import dataclasses
import time

import pytest
from conftest import by_group, graded, lost_points
from fixtures.a1_variants import Variant
from fixtures.a3_variants import MODULES, SOLUTION, bug

from grader import assignment

#: Short limits, as a TA could set them, so that loops cost seconds, not minutes.
LIMITS = {"call_timeout": 2.0, "test_timeout": 8.0, "total_time": 120.0}

CASES = [
    bug("a method that hangs", MODULES, "Conv2D", """
class Conv2D(Conv2D):
    def backward(self, dout):
        import time
        end = time.time() + 60
        while time.time() < end:
            pass
""", says="Conv2D.backward did not finish within 2 s"),
    bug("a property that hangs", MODULES, "Linear", """
class Linear(Linear):
    @property
    def dw(self):
        while True:
            pass

    @dw.setter
    def dw(self, value):
        pass
""", says="reading Linear.dw did not finish within 2 s"),
    bug("an attribute that is a huge array", MODULES, "ReLU", """
class ReLU(ReLU):
    def backward(self, dout):
        self.dx = np.broadcast_to(np.float64(0), (4096, 4096, 64))
""", says="ReLU.dx holds 8192 MB of arrays; the grader reads at most 64 MB"),
    bug("a __getattr__ that lies", MODULES, "Sigmoid", """
class Sigmoid(Sigmoid):
    def backward(self, dout):
        del self.dx

    def __getattr__(self, name):
        return np.ones_like(self.__dict__["cache"])
""", says="dx does not match the numerical gradient"),
    # Its own tests pass; the optimizer's hasattr(module, "weight") in the training run recurses.
    bug("a __getattr__ that recurses", MODULES, "CNN", """
class MaxPooling(MaxPooling):
    def __getattr__(self, name):
        return getattr(self, "_" + name)
""", says="RecursionError"),
    bug("a weight that is different on every read", MODULES, "Linear", """
class Linear(Linear):
    @property
    def weight(self):
        self.reads = self.__dict__.get("reads", 0) + 1
        return self._weight + 1e-3 * self.reads

    @weight.setter
    def weight(self, value):
        self._weight = value
""", says="Linear.forward"),
    bug("a method that returns the object itself", MODULES, "SoftmaxCrossEntropy", """
class SoftmaxCrossEntropy(SoftmaxCrossEntropy):
    def forward(self, x, y):
        super().forward(x, y)
        return self, self
""", says="got <student object of type SoftmaxCrossEntropy>"),
    bug("threads that outlive the call", MODULES, "", """
import threading as _threading
import time as _time

_busy = []


def _background():
    while True:
        _busy.append(len(_busy) % 7)
        del _busy[:-3]
        _time.sleep(0.001)


class MaxPooling(MaxPooling):
    def forward(self, x):
        if not _busy:
            _busy.append(0)
            _threading.Thread(target=_background).start()
        halves = [None, None]

        def work(k, part):
            halves[k] = super(MaxPooling, self).forward(part)

        n = len(x) // 2 or 1
        threads = [_threading.Thread(target=work, args=(k, part))
                   for k, part in enumerate((x[:n], x[n:])) if len(part)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.cache = x
        return np.concatenate([h for h in halves if h is not None])
"""),
]  # fmt: skip


@pytest.fixture(scope="module")
def manifest():
    return dataclasses.replace(assignment.find("a3"), **LIMITS)


@pytest.fixture(scope="module")
def reference_totals(manifest):
    return by_group(graded(SOLUTION, manifest))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_object(case: Variant, manifest, reference_totals, tmp_path):
    started = time.monotonic()
    results = graded(case.write(tmp_path / "submission"), manifest)
    assert time.monotonic() - started < 90
    expected = set(case.affects)
    expected |= {key for key, s in manifest.tests.items() if set(s.depends_on) & expected}
    lost, failed = lost_points(results, reference_totals)
    assert lost == expected, failed
    assert not expected or any(case.says in output for _, output in failed), (case.says, failed)

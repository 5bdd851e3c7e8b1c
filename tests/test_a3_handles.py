"""Student objects behind handles: built, read, written and called in the worker, passed back
to student code as themselves, bounded like calls, and refused once their worker is gone."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import student_in

from grader.checks import CheckFailed, assert_unchanged
from grader.checks.modules import assert_parameters_unchanged
from grader.sandbox import codec
from grader.sandbox.client import Limits
from grader.sandbox.errors import (
    BadValue,
    NotImplementedByStudent,
    StudentRaised,
    StudentTimeout,
    WorkerCrashed,
)
from grader.sandbox.objects import MethodProxy, ObjectProxy

#: Student code runs under another uid as root: it must be able to read the submission.
pytestmark = pytest.mark.usefixtures("readable")

MODULES = """
import os
import threading
import time

import numpy as np


class Layer:
    def __init__(self, scale):
        self.scale = scale
        self.weight = np.zeros(3)

    def forward(self, x):
        self.cache = x
        return x * self.scale + self.weight

    def backward(self, dout):
        self.dx = dout * self.scale

    def grow(self, x):
        x += 1
        self.weight += 1

    def todo(self):
        raise NotImplementedError

    def spin(self):
        while True:
            pass

    def crash(self):
        os._exit(3)

    @property
    def slow(self):
        while True:
            pass

    def huge(self):
        self.big = [np.ones((12, 1024, 1024))]


class Holder:
    def __init__(self, items, criterion):
        self.modules = items
        self.criterion = criterion

    def same(self, item, index):
        return item is self.modules[index]

    def total(self, x):
        for module in self.modules:
            x = module.forward(x)
        return x


class Liar:
    def __getattr__(self, name):
        if name == "dx":
            raise KeyError(name)
        return np.full(3, 7.0)


class Recursing:
    def __getattr__(self, name):
        return getattr(self, "_" + name)


class Flaky:
    def __init__(self):
        self.reads = 0

    @property
    def weight(self):
        self.reads += 1
        return np.full(3, float(self.reads))

    @weight.setter
    def weight(self, value):
        pass


class Threaded:
    def forward(self, x):
        threading.Thread(target=time.sleep, args=(30,)).start()
        results = [None, None]

        def work(i):
            results[i] = x[i] * 2

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return np.stack(results)
"""


@pytest.fixture
def student(tmp_path: Path):
    with student_in(tmp_path, {"modules": MODULES}, Limits(call_timeout=2, memory_mb=512)) as s:
        yield s


def test_an_object_is_built_set_called_and_read_in_the_worker(student):
    layer = student.modules.Layer(2.0)
    assert isinstance(layer, ObjectProxy) and repr(layer) == "<student object of type Layer>"
    layer.weight = np.ones(3)
    out = layer.forward(np.arange(3.0))
    np.testing.assert_array_equal(out, np.arange(3.0) * 2 + 1)
    np.testing.assert_array_equal(layer.cache, np.arange(3.0))
    assert layer.backward(np.ones(3)) is None
    np.testing.assert_array_equal(layer.dx, np.full(3, 2.0))
    assert isinstance(layer.forward, MethodProxy) and layer.scale == 2.0
    layer.type_name, layer._ref = "the student's", "also the student's"  # not the proxy's own
    assert (layer.type_name, layer._ref) == ("the student's", "also the student's")


def test_objects_passed_back_to_student_code_stay_themselves(student):
    first, second = student.modules.Layer(2.0), student.modules.Layer(3.0)
    holder = student.modules.Holder([first, second], student.modules.Layer(1.0))
    assert holder.same(first, 0) is True and holder.same(second, 0) is False
    np.testing.assert_array_equal(holder.total(np.ones(3)), np.full(3, 6.0))
    kept = holder.modules
    assert [type(m) for m in kept] == [ObjectProxy, ObjectProxy] and kept[1].scale == 3.0
    first.weight = np.full(3, 5.0)  # the holder sees the change: it is the same object
    np.testing.assert_array_equal(holder.total(np.zeros(3)), np.full(3, 15.0))
    assert isinstance(holder.criterion, ObjectProxy)


def test_a_traced_method_returns_its_arguments_as_it_left_them(student):
    layer = student.modules.Layer(1.0)
    x = np.zeros(3)
    call = layer.grow.trace(x)
    with pytest.raises(CheckFailed, match=r"Layer\.grow changed its input x"):
        assert_unchanged((x,), call.args, ("x",), "Layer.grow")
    with pytest.raises(CheckFailed, match=r"Layer\.grow changed self\.weight"):
        assert_parameters_unchanged(layer, {"weight": np.zeros(3)}, "Layer.grow")


def test_method_failures_read_like_function_failures(student):
    layer = student.modules.Layer(1.0)
    with pytest.raises(NotImplementedByStudent, match=r"^Layer\.todo is not implemented yet"):
        layer.todo()
    with pytest.raises(StudentRaised, match="your Layer object has no attribute 'dw'"):
        layer = student.modules.Layer(1.0)
        _ = layer.dw
    with pytest.raises(StudentRaised, match=r"Layer\.scale is not a method"):
        MethodProxy(student.modules.Layer(1.0), "scale")()


@pytest.mark.parametrize(
    "use, text",
    [
        (lambda layer: layer.spin(), "Layer.spin did not finish within 2 s"),
        (lambda layer: layer.slow, "reading Layer.slow did not finish within 2 s"),
    ],
)
def test_a_hanging_method_or_property_times_out_like_a_call(student, use, text):
    layer = student.modules.Layer(1.0)
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match=text):
        use(layer)
    assert time.monotonic() - started < 10


def test_a_huge_attribute_is_refused_not_sent(student):
    layer = student.modules.Layer(1.0)
    layer.huge()
    with pytest.raises(
        BadValue, match=r"Layer.big holds 96 MB of arrays; the grader reads at most 64 MB"
    ):
        _ = layer.big


def test_a_lying_getattr_gives_what_it_gives_and_its_errors_are_the_students(student):
    liar = student.modules.Liar()
    np.testing.assert_array_equal(liar.anything, np.full(3, 7.0))
    with pytest.raises(StudentRaised, match=r"reading Liar\.dx raised KeyError"):
        _ = liar.dx


def test_an_object_whose_getattr_recurses_is_kept_without_running_it(student):
    obj = student.modules.Recursing()  # keeping it must not probe the instance (__array__)
    assert repr(obj) == "<student object of type Recursing>"
    with pytest.raises(StudentRaised, match="RecursionError"):
        _ = obj.anything
    assert student.modules.Layer(1.0).scale == 1.0


def test_a_weight_that_changes_on_every_read_is_named(student):
    flaky = student.modules.Flaky()
    flaky.weight = np.zeros(3)
    with pytest.raises(CheckFailed, match=r"Flaky\.forward changed self\.weight"):
        assert_parameters_unchanged(flaky, {"weight": np.zeros(3)}, "Flaky.forward")


def test_methods_that_start_threads_return_and_leave_nothing(student):
    threaded = student.modules.Threaded()
    started = time.monotonic()
    out = threaded.forward(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3) * 2)
    assert time.monotonic() - started < 5  # the sleeping thread is not waited for


@pytest.mark.parametrize("failure", ["crash", "spin"])
def test_handles_of_a_replaced_worker_are_refused_never_confused(student, failure):
    old = student.modules.Layer(1.0)
    with pytest.raises((WorkerCrashed, StudentTimeout)):
        getattr(old, failure)()
    new = student.modules.Layer(5.0)  # a fresh worker: its first object gets the same number
    assert (
        object.__getattribute__(new, "_grader_ref").id
        == object.__getattribute__(old, "_grader_ref").id
    )
    with pytest.raises(BadValue, match="the Layer object this test made is gone: the process"):
        _ = old.scale
    with pytest.raises(BadValue, match="is gone"):
        student.modules.Holder([old], new)
    assert new.scale == 5.0


def test_a_handle_travels_with_its_worker():
    ref = codec.Ref(3, "Conv2D", "a1b2c3")
    assert codec.decode(codec.encode({"layer": ref, "plain": (1, 2.0)})) == {
        "layer": ref,
        "plain": (1, 2.0),
    }
    assert codec.decode(codec.encode(codec.Ref(3, "Conv2D"))) == codec.Ref(3, "Conv2D")
    for bad in (b'{"$ref": 1, "type": "X", "worker": 5}', b'{"$ref": 1, "type": "X", "x": "y"}',
                b'{"$tuple": [], "a": 1, "b": 2}'):  # fmt: skip
        message = codec._LEN.pack(len(bad)) + bad + codec._LEN.pack(0)
        with pytest.raises(codec.CodecError):
            codec.decode(message)

"""SGD and Adam over several updates of a model whose parameters and gradients the test sets
(support/probes.py), against the reference optimizer run on the same numbers."""

from types import SimpleNamespace

import numpy as np
import pytest

from grader.testing import CheckFailed, assert_close

#: Each optimizer with hyperparameters other than its defaults.
OPTIONS = {
    "SGD": {"learning_rate": 0.05, "reg": 0.1, "momentum": 0.8},
    "Adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "reg": 0.1},
}
#: (weight shape, bias shape) of the model's modules with parameters.
SHAPES = [((4, 3), (3,)), ((2, 3, 2, 2), (2,))]


class Models:
    """The student's model (in the worker) and the reference's (here), kept in step."""

    def __init__(self, student, rng):
        self.rng = rng
        self.student, self.reference = [], []
        for weight_shape, bias_shape in SHAPES:
            weight, bias = rng.standard_normal(weight_shape), rng.standard_normal(bias_shape)
            self.student.append(student.probes.Parameters(weight, bias))
            self.reference.append(SimpleNamespace(weight=weight.copy(), bias=bias.copy()))
        # A module without parameters sits between the two, as a ReLU would.
        self.student_model = student.probes.Model(
            [self.student[0], student.probes.NoParameters(), self.student[1]]
        )
        self.reference_model = SimpleNamespace(
            modules=[self.reference[0], SimpleNamespace(dx=None), self.reference[1]]
        )

    def set(self, attribute, make):
        """Give every module a new ``attribute`` (gradients, or weights between updates)."""
        values = []
        for mine, theirs in zip(self.student, self.reference, strict=True):
            shape = np.shape(getattr(theirs, "weight" if attribute in ("dw", "weight") else "bias"))
            value = make(shape)
            setattr(mine, attribute, value)
            setattr(theirs, attribute, value.copy())
            values.append(value)
        return values

    def compare(self, rule, step, tolerance):
        for index, (mine, theirs) in enumerate(zip(self.student, self.reference, strict=True)):
            for name in ("weight", "bias"):
                what = f"{name} of module {index * 2} after update {step}"
                assert_close(getattr(mine, name), getattr(theirs, name), what, tolerance)


def run_updates(student, reference, rng, tolerance, rule, options, steps, reset_at=None):
    """``steps`` updates by the student's optimizer and the reference's, the test setting new
    gradients before each (and new weights before update ``reset_at``)."""
    models = Models(student, rng)
    optimizer = getattr(student.optim, rule)(models.student_model, **options)
    expected = getattr(reference.optim, rule)(models.reference_model, **options)
    for step in range(1, steps + 1):
        if step == reset_at:
            models.set("weight", rng.standard_normal)
            models.set("bias", rng.standard_normal)
        gradients = models.set("dw", rng.standard_normal) + models.set("db", rng.standard_normal)
        optimizer.update(models.student_model)
        expected.update(models.reference_model)
        found = [m.dw for m in models.student] + [m.db for m in models.student]
        for before, after in zip(gradients, found, strict=True):
            if not (isinstance(after, np.ndarray) and np.array_equal(before, after)):
                raise CheckFailed(f"{rule}.update changed dw or db; an optimizer must not modify "
                                  "the gradients (work on copies)")  # fmt: skip
        models.compare(rule, step, tolerance("forward"))


@pytest.mark.parametrize("rule", OPTIONS)
def test_several_updates(student, reference, rng, tolerance, rule):
    """{rule}: five consecutive updates match the reference, modules without weight untouched"""
    run_updates(student, reference, rng, tolerance, rule, OPTIONS[rule], steps=5)


@pytest.mark.parametrize("rule", OPTIONS)
def test_defaults(student, reference, rng, tolerance, rule):
    """{rule}: the default hyperparameters of the contract"""
    run_updates(student, reference, rng, tolerance, rule, {}, steps=2)


@pytest.mark.parametrize("rule", OPTIONS)
def test_weights_read_at_each_update(student, reference, rng, tolerance, rule):
    """{rule}: update reads the weights as they are when it is called (set anew before update 3)"""
    run_updates(student, reference, rng, tolerance, rule, OPTIONS[rule], steps=4, reset_at=3)


def test_adam_first_update(student, reference, rng, tolerance):
    """Adam: t is incremented before the bias correction"""
    # With bias correction at t=1, the first update moves each weight by about learning_rate.
    run_updates(student, reference, rng, tolerance, "Adam", {"learning_rate": 0.1}, steps=1)

"""Sequential, graded with staff layers whose behaviour is known (support/probes.py), so that
only Sequential's own mistakes cost its points."""

import numpy as np

from grader.testing import CheckFailed, assert_close, expect_tuple


def probes(student, rng):
    """Three scaling layers and a linear criterion, all logging their calls."""
    log = student.probes.Log()
    layers = [student.probes.Scale(name, factor, shift, log)
              for name, factor, shift in (("first", 2.0, 0.5), ("second", -3.0, 0.0),
                                          ("third", 0.5, -1.0))]  # fmt: skip
    weights = rng.standard_normal((4, 3))
    criterion = student.probes.LinearLoss(weights, log)
    return log, layers, criterion, weights


def test_sequential_forward(student, rng, tolerance):
    """Sequential: forward runs each module in order, then the criterion; modules holds them"""
    log, layers, criterion, weights = probes(student, rng)
    model = student.modules.Sequential(layers, criterion)
    x, y = rng.standard_normal((4, 3)), np.array([0, 1, 2, 0])
    probs, loss = expect_tuple(model.forward(x, y), ("probs", "loss"), "Sequential.forward")
    expected = ((x * 2.0 + 0.5) * -3.0) * 0.5 - 1.0
    calls = log.calls
    order = ["first.forward", "second.forward", "third.forward", "criterion.forward"]
    if calls != order:
        raise CheckFailed(f"Sequential.forward called {calls}; expected {order}")
    assert_close(probs, expected, "probs", tolerance("forward"))
    assert_close(loss, float(np.sum(expected * weights) / 4), "loss", tolerance("forward"))
    kept = model.modules
    names = [m.name for m in kept] if isinstance(kept, list | tuple) else kept
    if names != ["first", "second", "third"]:
        raise CheckFailed(f"Sequential.modules must be the list of modules given to it; found "
                          f"{names}")  # fmt: skip


def test_sequential_backward(student, rng, tolerance):
    """Sequential: backward runs the criterion's backward, then each module's in reverse order,
    each fed the dx of the module after it"""
    log, layers, criterion, weights = probes(student, rng)
    model = student.modules.Sequential(layers, criterion)
    model.forward(rng.standard_normal((4, 3)), np.array([0, 1, 2, 0]))
    model.backward()
    calls = log.calls[4:]
    order = ["criterion.backward", "third.backward", "second.backward", "first.backward"]
    if calls != order:
        raise CheckFailed(f"Sequential.backward called {calls}; expected {order}")
    upstream = weights / 4
    for layer, factor in zip(reversed(layers), (0.5, -3.0, 2.0), strict=True):
        assert_close(layer.dout, upstream, f"the dout given to {layer.name}.backward",
                     tolerance("forward"))  # fmt: skip
        upstream = upstream * factor

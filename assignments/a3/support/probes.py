"""Staff code run in the worker: objects whose behaviour the tests know exactly, so that
Sequential and the optimizers are graded on their own, whatever the student's layers do.

Nothing here answers a question of the assignment: a Scale layer multiplies elementwise, a
LinearLoss is linear in its scores, and Parameters only holds arrays the test sets.
"""

import numpy as np


class Log:
    """The order in which probes were called, shared by the probes of one test."""

    def __init__(self):
        self.calls = []


class Scale:
    """out = x * factor + shift (elementwise); dx = dout * factor. Keeps the dout it got."""

    def __init__(self, name, factor, shift, log):
        self.name, self.factor, self.shift, self.log = name, factor, shift, log
        self.dx = self.dout = None

    def forward(self, x):
        self.log.calls.append(f"{self.name}.forward")
        return x * self.factor + self.shift

    def backward(self, dout):
        self.log.calls.append(f"{self.name}.backward")
        self.dout = np.array(dout, dtype=float)
        self.dx = dout * self.factor


class LinearLoss:
    """A criterion: probs = x, loss = sum(x * weights) / N; backward() sets dx = weights / N."""

    def __init__(self, weights, log):
        self.weights, self.log = weights, log
        self.dx = None
        self.n = None

    def forward(self, x, y):
        self.log.calls.append("criterion.forward")
        self.n = x.shape[0]
        self.y = np.array(y)
        return x, float(np.sum(x * self.weights) / self.n)

    def backward(self):
        self.log.calls.append("criterion.backward")
        self.dx = self.weights / self.n


class Parameters:
    """A module with parameters and gradients the test sets, for the optimizers."""

    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias
        self.dw = self.db = None


class NoParameters:
    """A module without parameters (like ReLU): optimizers must leave it alone."""

    def __init__(self):
        self.dx = None


class Model:
    """What an optimizer needs of a model: ``modules``."""

    def __init__(self, modules):
        self.modules = modules

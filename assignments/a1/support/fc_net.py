"""Staff code run in the worker: a fully connected network in the contract's style, built from
the student's own layers.py and optim.py, and trained epoch by epoch at the grader's request.

The model follows CS231n's FullyConnectedNet: a ``params`` dict and ``loss(X, y)`` returning
``(loss, grads)`` (or the class scores when y is None), updated with an optim.py rule.
"""

import itertools

import layers
import numpy as np
import optim


class FullyConnectedNet:
    """{affine - relu} x (L - 1) - affine - softmax."""

    def __init__(self, dims, weight_scale, rng):
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(dims), start=1):
            self.params[f"W{i}"] = weight_scale * rng.standard_normal((fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)
        self.layers = len(dims) - 1

    def loss(self, X, y=None):
        caches, out = [], X
        for i in range(1, self.layers + 1):
            out, cache = layers.affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
            if i < self.layers:
                out, cache = layers.relu_forward(out)
                caches.append(cache)
        if y is None:
            return out
        loss, dout = layers.softmax_loss(out, y)
        grads = {}
        for i in range(self.layers, 0, -1):
            if i < self.layers:
                dout = layers.relu_backward(dout, caches.pop())
            dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, caches.pop())
        return loss, grads


_runs = {}


def create(dims, weight_scale, seed, update_rule, optim_config):
    """A new network and its optimizer state; returns a handle for the other calls."""
    rng = np.random.default_rng(seed)
    model = FullyConnectedNet(dims, weight_scale, rng)
    configs = {name: dict(optim_config) for name in model.params}
    _runs[len(_runs)] = {
        "model": model,
        "rule": getattr(optim, update_rule),
        "configs": configs,
        "rng": rng,
    }
    return len(_runs) - 1


def load(handle, X, y):
    """Keep the training data in this process, so that epochs do not resend it."""
    _runs[handle]["data"] = (X, y)


def train_epoch(handle, batch_size):
    """One pass over the training data in shuffled minibatches; returns the mean loss."""
    run = _runs[handle]
    X, y = run["data"]
    model, losses = run["model"], []
    order = run["rng"].permutation(len(y))
    for start in range(0, len(y), batch_size):
        batch = order[start : start + batch_size]
        loss, grads = model.loss(X[batch], y[batch])
        for name in model.params:
            model.params[name], run["configs"][name] = run["rule"](
                model.params[name], grads[name], run["configs"][name]
            )
        losses.append(loss)
    return float(np.mean(losses))


def predict(handle, X):
    """Predicted classes for X (the labels never come here)."""
    return np.argmax(_runs[handle]["model"].loss(X), axis=1)

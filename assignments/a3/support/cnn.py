"""Staff code run in the worker: the training loop of a small CNN made of the student's own
modules (the test builds the model and the optimizer; they live in this process).

The data are sent once and kept here (``Data``), so that epochs do not resend them; only
predictions go back to the grader, which keeps the labels of the held-out images.
"""

import numpy as np


class Data:
    """Training images (N, 1, 8, 8) and labels, kept in the worker."""

    def __init__(self, x, y, seed):
        self.x, self.y = x.reshape(-1, 1, 8, 8), y
        self.rng = np.random.default_rng(seed)


def train_epoch(model, optimizer, data, batch_size):
    """One pass over the data in shuffled minibatches: forward, backward, update. Returns the
    mean loss."""
    losses = []
    order = data.rng.permutation(len(data.y))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        _, loss = model.forward(data.x[batch], data.y[batch])
        model.backward()
        optimizer.update(model)
        losses.append(loss)
    return float(np.mean(losses))


def predict(model, x):
    """The predicted class of each image: the modules' forward, without the criterion."""
    out = x.reshape(-1, 1, 8, 8)
    for module in model.modules:
        out = module.forward(out)
    return np.argmax(out, axis=1)

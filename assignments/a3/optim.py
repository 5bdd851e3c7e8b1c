"""Assignment 3: optimizers that keep their state between updates.

``update(model)`` updates every object in ``model.modules`` that has a ``weight`` attribute,
reading each parameter (``weight``, ``bias``) and gradient (``dw``, ``db``) as they are at the time
of the call. Never modify ``dw`` or ``db``.
"""

import numpy as np


class SGD:
    """Stochastic gradient descent with momentum and L2 regularisation of the weights.

    Per parameter, with a velocity v starting at 0:
    v = momentum * v - learning_rate * (dw + reg * weight); weight += v.
    The bias is updated the same way, without reg.
    """

    def __init__(self, model, learning_rate=1e-4, reg=1e-3, momentum=0.9):
        self.learning_rate, self.reg, self.momentum = learning_rate, reg, momentum
        self.velocities = {}  # your state between updates, if you like

    def update(self, model):
        """One step for every module of ``model`` that has a weight."""
        raise NotImplementedError("implement SGD.update")


class Adam:
    """Adam with bias correction and optional L2 regularisation of the weights.

    t += 1 once per update (before the bias correction); per parameter, with
    g = dw + reg * weight (db for biases, no reg):
    m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g**2;
    m_hat = m / (1 - beta1**t); v_hat = v / (1 - beta2**t);
    param -= learning_rate * m_hat / (sqrt(v_hat) + eps). m and v start at 0.
    """

    def __init__(self, model, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, reg=0.0):
        self.learning_rate, self.beta1, self.beta2 = learning_rate, beta1, beta2
        self.eps, self.reg = eps, reg
        self.t = 0
        self.moments = {}  # your state between updates, if you like

    def update(self, model):
        """One step for every module of ``model`` that has a weight."""
        raise NotImplementedError("implement Adam.update")

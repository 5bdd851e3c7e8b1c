"""Assignment 1: first-order update rules.

Every rule has the signature ``update(w, dw, config=None) -> (next_w, config)``:
- w: the current weights (a numpy array); dw: the gradient of the loss with respect to w;
- config: a dict of hyperparameters and of the rule's state between steps. When it is None,
  start from an empty dict; fill each missing key with its default (config.setdefault).
Returns the updated weights and the config to pass to the next step.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    config keys:
    - learning_rate: the step size (default 1e-2)
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config
    # END SOLUTION


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

    config keys:
    - learning_rate (default 1e-2)
    - momentum: a number in [0, 1) (default 0.9)
    - velocity: the state, an array of the shape of w; starts at zeros when missing
    Each step: v = momentum * v - learning_rate * dw; next_w = w + v; store v as velocity.
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
    # END SOLUTION


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum, in the look-ahead form used with gradients taken at w.

    config keys: as sgd_momentum (learning_rate 1e-2, momentum 0.9, velocity).
    Each step:
        v_prev = v
        v = momentum * v - learning_rate * dw
        next_w = w - momentum * v_prev + (1 + momentum) * v
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    return w - config["momentum"] * v_prev + (1 + config["momentum"]) * v, config
    # END SOLUTION


def adagrad(w, dw, config=None):
    """AdaGrad: per-parameter step sizes scaled by the history of squared gradients.

    config keys:
    - learning_rate (default 1e-2); epsilon (default 1e-8)
    - cache: the state, the running sum of dw ** 2; starts at zeros when missing
    Each step: cache += dw ** 2; next_w = w - learning_rate * dw / (sqrt(cache) + epsilon).
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
    # END SOLUTION


def rmsprop(w, dw, config=None):
    """RMSProp: a moving average of squared gradients scales the step.

    config keys:
    - learning_rate (default 1e-2); decay_rate (default 0.99); epsilon (default 1e-8)
    - cache: the state, the moving average of dw ** 2; starts at zeros when missing
    Each step: cache = decay_rate * cache + (1 - decay_rate) * dw ** 2;
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon).
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
    # END SOLUTION


def adam(w, dw, config=None):
    """Adam: moving averages of the gradient and of its square, with bias correction.

    config keys:
    - learning_rate (default 1e-3); beta1 (default 0.9); beta2 (default 0.999);
      epsilon (default 1e-8)
    - m, v: the state, moving averages of dw and dw ** 2; start at zeros when missing
    - t: the step count; starts at 0 and is incremented BEFORE the bias correction
    Each step:
        t = t + 1
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw ** 2
        m_hat = m / (1 - beta1 ** t); v_hat = v / (1 - beta2 ** t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    """
    # BEGIN SOLUTION
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - b2 ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
    # END SOLUTION

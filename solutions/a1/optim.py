"""Assignment 1: first-order update rules.

Every rule has the signature ``update(w, dw, config=None) -> (next_w, config)``:
- w: the current weights (a numpy array); dw: the gradient of the loss with respect to w;
- config: a dict of hyperparameters and of the rule's state between steps. When it is None,
  start from an empty dict; fill each missing key with its default (config.setdefault).
Returns the updated weights and the config to pass to the next step.
"""


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

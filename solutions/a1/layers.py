"""Assignment 1: layers of a neural network, written with numpy only.

Every ``*_forward`` function returns ``(out, cache)``; ``cache`` holds whatever the matching
``*_backward`` needs. Every ``*_backward(dout, cache)`` returns the gradients of the loss with
respect to the forward's inputs, each with the shape of the input it is the gradient of.
Never modify the arrays you are given: work on copies.
"""

import numpy as np


def affine_forward(x, w, b):
    """Fully connected (affine) layer: out = x_flat @ w + b.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k): a batch of N examples. Each example is reshaped
      into a row of D = d_1 * ... * d_k values.
    - w: weights, shape (D, M)
    - b: biases, shape (M,)

    Returns a tuple (out, cache):
    - out: shape (N, M)
    - cache: anything affine_backward needs, e.g. (x, w, b)
    """
    # BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
    # END SOLUTION


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Inputs:
    - dout: upstream gradient, shape (N, M)
    - cache: what affine_forward returned as its cache

    Returns a tuple (dx, dw, db):
    - dx: gradient with respect to x, shape (N, d_1, ..., d_k) (the shape of x)
    - dw: gradient with respect to w, shape (D, M)
    - db: gradient with respect to b, shape (M,): summed over the batch
    """
    # BEGIN SOLUTION
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
    # END SOLUTION


def relu_forward(x):
    """Rectified linear unit: out = max(0, x), elementwise.

    Input: x, an array of any shape.
    Returns a tuple (out, cache): out has the shape of x.
    """
    # BEGIN SOLUTION
    return np.maximum(0, x), x
    # END SOLUTION


def relu_backward(dout, cache):
    """Backward pass of ReLU.

    Inputs: dout, the upstream gradient (shape of x); cache from relu_forward.
    Returns dx, the gradient with respect to x: dout where x > 0, and 0 elsewhere.
    """
    # BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    # END SOLUTION


def softmax_loss(x, y):
    """Softmax classifier: mean cross-entropy loss and its gradient.

    Inputs:
    - x: scores, shape (N, C): x[i, j] is the score of class j for example i
    - y: integer labels, shape (N,), with 0 <= y[i] < C

    Returns a tuple (loss, dx):
    - loss: a scalar, the cross-entropy averaged over the N examples
    - dx: gradient of the loss with respect to x, shape (N, C)

    Must stay finite for large scores such as [1000, 1001, 1002]: subtract each row's maximum
    before exponentiating.
    """
    # BEGIN SOLUTION
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
    # END SOLUTION


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, and its gradient.

    Inputs:
    - x: scores, shape (N, C)
    - y: integer labels, shape (N,)

    Returns a tuple (loss, dx):
    - loss: sum over j != y[i] of max(0, x[i, j] - x[i, y[i]] + 1), averaged over the N examples
    - dx: gradient of the loss with respect to x, shape (N, C)
    """
    # BEGIN SOLUTION
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(x.dtype)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return loss, positive / n
    # END SOLUTION

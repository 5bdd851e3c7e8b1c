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
    raise NotImplementedError("implement affine_forward")


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
    raise NotImplementedError("implement affine_backward")


def relu_forward(x):
    """Rectified linear unit: out = max(0, x), elementwise.

    Input: x, an array of any shape.
    Returns a tuple (out, cache): out has the shape of x.
    """
    raise NotImplementedError("implement relu_forward")


def relu_backward(dout, cache):
    """Backward pass of ReLU.

    Inputs: dout, the upstream gradient (shape of x); cache from relu_forward.
    Returns dx, the gradient with respect to x: dout where x > 0, and 0 elsewhere.
    """
    raise NotImplementedError("implement relu_backward")


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
    raise NotImplementedError("implement softmax_loss")


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, and its gradient.

    Inputs:
    - x: scores, shape (N, C)
    - y: integer labels, shape (N,)

    Returns a tuple (loss, dx):
    - loss: sum over j != y[i] of max(0, x[i, j] - x[i, y[i]] + 1), averaged over the N examples
    - dx: gradient of the loss with respect to x, shape (N, C)
    """
    raise NotImplementedError("implement svm_loss")


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: out = x where x > 0, alpha * x elsewhere.

    Inputs: x, an array of any shape; alpha, the slope for negative inputs.
    Returns a tuple (out, cache): out has the shape of x.
    """
    raise NotImplementedError("implement leaky_relu_forward")


def leaky_relu_backward(dout, cache):
    """Backward pass of leaky ReLU.

    Returns dx: dout where x > 0, alpha * dout elsewhere.
    """
    raise NotImplementedError("implement leaky_relu_backward")


def sigmoid_forward(x):
    """Logistic sigmoid: out = 1 / (1 + exp(-x)), elementwise.

    Must not overflow for large |x| (such as x = -1000): compute it in a stable way.
    Returns a tuple (out, cache): out has the shape of x.
    """
    raise NotImplementedError("implement sigmoid_forward")


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid.

    Returns dx = dout * s * (1 - s), where s is the forward's output.
    """
    raise NotImplementedError("implement sigmoid_backward")


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    Returns a tuple (out, cache): out has the shape of x.
    """
    raise NotImplementedError("implement tanh_forward")


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Returns dx = dout * (1 - out ** 2), where out is the forward's output.
    """
    raise NotImplementedError("implement tanh_backward")


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization over the N examples of a batch, per feature.

    Inputs:
    - x: data, shape (N, D)
    - gamma: scale, shape (D,); beta: shift, shape (D,)
    - bn_param: a dict with
      - mode: 'train' or 'test' (required)
      - eps: added to the variance for numerical stability (default 1e-5)
      - momentum: for the running averages (default 0.9)
      - running_mean, running_var: arrays of shape (D,); start at zeros when missing

    In 'train' mode, normalise with the batch mean and the *biased* batch variance (divide by
    N), out = gamma * x_hat + beta, and update, writing them back into bn_param:
        running_mean = momentum * running_mean + (1 - momentum) * batch_mean
        running_var = momentum * running_var + (1 - momentum) * batch_var
    In 'test' mode, normalise with running_mean and running_var instead; nothing is updated.

    Returns a tuple (out, cache): out has shape (N, D).
    """
    raise NotImplementedError("implement batchnorm_forward")


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (train mode), step by step through the graph.

    Inputs: dout, shape (N, D); cache from batchnorm_forward.
    Returns a tuple (dx, dgamma, dbeta): dx has shape (N, D), dgamma and dbeta shape (D,).
    """
    raise NotImplementedError("implement batchnorm_backward")


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization with the gradient simplified on paper first.

    Same inputs and outputs as batchnorm_backward; must give the same gradients.
    """
    raise NotImplementedError("implement batchnorm_backward_alt")


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization: normalise each example over its D features.

    Inputs: x, shape (N, D); gamma, beta, shape (D,); ln_param, a dict with eps (default 1e-5).
    Uses the biased variance of each row; out = gamma * x_hat + beta. The same in train and test.
    Returns a tuple (out, cache): out has shape (N, D).
    """
    raise NotImplementedError("implement layernorm_forward")


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Returns a tuple (dx, dgamma, dbeta): dx has shape (N, D), dgamma and dbeta shape (D,).
    """
    raise NotImplementedError("implement layernorm_backward")


def dropout_forward(x, dropout_param):
    """Inverted dropout.

    Inputs:
    - x: data, any shape
    - dropout_param: a dict with
      - p: the probability of KEEPING each unit
      - mode: 'train' or 'test'
      - seed: optional; when given, seed the random numbers with it, so that the same seed
        gives the same output (useful for gradient checking)

    In 'train' mode, keep each unit with probability p and scale the kept ones by 1 / p, so
    that the expected output equals x. In 'test' mode, return x unchanged.
    Returns a tuple (out, cache) with cache = (dropout_param, mask); mask is None in test mode.
    """
    raise NotImplementedError("implement dropout_forward")


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: dx = dout * mask in train mode, dout in test mode."""
    raise NotImplementedError("implement dropout_backward")


def conv_forward_naive(x, w, b, conv_param):
    """A convolutional layer, written with explicit loops (cross-correlation, as in CNNs).

    Inputs:
    - x: data, shape (N, C, H, W)
    - w: filters, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: a dict with
      - stride: the step between neighbouring receptive fields, on H and W
      - pad: the number of zeros added on each side of H and W (not on N or C)

    out[n, f, i, j] = sum(x_pad[n, :, i*s:i*s+HH, j*s:j*s+WW] * w[f]) + b[f], of shape
    (N, F, H', W') with H' = 1 + (H + 2 * pad - HH) // stride and
    W' = 1 + (W + 2 * pad - WW) // stride.
    Returns a tuple (out, cache).
    """
    raise NotImplementedError("implement conv_forward_naive")


def conv_backward_naive(dout, cache):
    """Backward pass of the convolutional layer.

    Inputs: dout, shape (N, F, H', W'); cache from conv_forward_naive.
    Returns a tuple (dx, dw, db) with the shapes of x, w and b.
    """
    raise NotImplementedError("implement conv_backward_naive")


def max_pool_forward_naive(x, pool_param):
    """Max pooling, written with explicit loops.

    Inputs:
    - x: data, shape (N, C, H, W)
    - pool_param: a dict with pool_height, pool_width and stride. No padding.

    out has shape (N, C, H', W') with H' = 1 + (H - pool_height) // stride and
    W' = 1 + (W - pool_width) // stride; rows and columns a window never reaches are ignored.
    Returns a tuple (out, cache).
    """
    raise NotImplementedError("implement max_pool_forward_naive")


def max_pool_backward_naive(dout, cache):
    """Backward pass of max pooling: each window's gradient goes to the position of its
    maximum. Where windows overlap, the gradients add up.

    Returns dx, with the shape of x.
    """
    raise NotImplementedError("implement max_pool_backward_naive")


def avg_pool_forward_naive(x, pool_param):
    """Average pooling, written with explicit loops: as max pooling, with the mean of each
    window instead of its maximum.

    Returns a tuple (out, cache).
    """
    raise NotImplementedError("implement avg_pool_forward_naive")


def avg_pool_backward_naive(dout, cache):
    """Backward pass of average pooling: each window's gradient is shared equally by its
    pool_height * pool_width inputs. Where windows overlap, the gradients add up.

    Returns dx, with the shape of x.
    """
    raise NotImplementedError("implement avg_pool_backward_naive")


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Spatial batch normalization: batch normalization per channel, over N, H and W.

    Inputs: x, shape (N, C, H, W); gamma, beta, shape (C,); bn_param as for batchnorm_forward
    (running_mean and running_var have shape (C,)).
    Returns a tuple (out, cache): out has shape (N, C, H, W).
    """
    raise NotImplementedError("implement spatial_batchnorm_forward")


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalization.

    Returns a tuple (dx, dgamma, dbeta): dx of shape (N, C, H, W), dgamma and dbeta of shape (C,).
    """
    raise NotImplementedError("implement spatial_batchnorm_backward")

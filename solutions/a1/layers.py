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


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: out = x where x > 0, alpha * x elsewhere.

    Inputs: x, an array of any shape; alpha, the slope for negative inputs.
    Returns a tuple (out, cache): out has the shape of x.
    """
    # BEGIN SOLUTION
    return np.where(x > 0, x, alpha * x), (x, alpha)
    # END SOLUTION


def leaky_relu_backward(dout, cache):
    """Backward pass of leaky ReLU.

    Returns dx: dout where x > 0, alpha * dout elsewhere.
    """
    # BEGIN SOLUTION
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
    # END SOLUTION


def sigmoid_forward(x):
    """Logistic sigmoid: out = 1 / (1 + exp(-x)), elementwise.

    Must not overflow for large |x| (such as x = -1000): compute it in a stable way.
    Returns a tuple (out, cache): out has the shape of x.
    """
    # BEGIN SOLUTION
    out = np.empty_like(x, dtype=float)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out, out
    # END SOLUTION


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid.

    Returns dx = dout * s * (1 - s), where s is the forward's output.
    """
    # BEGIN SOLUTION
    s = cache
    return dout * s * (1 - s)
    # END SOLUTION


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    Returns a tuple (out, cache): out has the shape of x.
    """
    # BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    # END SOLUTION


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Returns dx = dout * (1 - out ** 2), where out is the forward's output.
    """
    # BEGIN SOLUTION
    return dout * (1 - cache**2)
    # END SOLUTION


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
    # BEGIN SOLUTION
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, gamma, std)
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        cache = None
    else:
        raise ValueError(f"invalid batchnorm mode {mode!r}")
    return gamma * x_hat + beta, cache
    # END SOLUTION


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (train mode), step by step through the graph.

    Inputs: dout, shape (N, D); cache from batchnorm_forward.
    Returns a tuple (dx, dgamma, dbeta): dx has shape (N, D), dgamma and dbeta shape (D,).
    """
    # BEGIN SOLUTION
    x_hat, gamma, std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dvar = (dx_hat * x_hat * std).sum(axis=0) * -0.5 / std**3
    dmean = -dx_hat.sum(axis=0) / std
    dx = dx_hat / std + dvar * 2 * x_hat * std / n + dmean / n
    return dx, dgamma, dbeta
    # END SOLUTION


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization with the gradient simplified on paper first.

    Same inputs and outputs as batchnorm_backward; must give the same gradients.
    """
    # BEGIN SOLUTION
    x_hat, gamma, std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (n * std) * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
    # END SOLUTION


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization: normalise each example over its D features.

    Inputs: x, shape (N, D); gamma, beta, shape (D,); ln_param, a dict with eps (default 1e-5).
    Uses the biased variance of each row; out = gamma * x_hat + beta. The same in train and test.
    Returns a tuple (out, cache): out has shape (N, D).
    """
    # BEGIN SOLUTION
    eps = ln_param.get("eps", 1e-5)
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)
    # END SOLUTION


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Returns a tuple (dx, dgamma, dbeta): dx has shape (N, D), dgamma and dbeta shape (D,).
    """
    # BEGIN SOLUTION
    x_hat, gamma, std = cache
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)) / (d * std)  # fmt: skip
    return dx, dgamma, dbeta
    # END SOLUTION


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
    # BEGIN SOLUTION
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "test":
        return x.copy(), (dropout_param, None)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) < p) / p
    return x * mask, (dropout_param, mask)
    # END SOLUTION


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: dx = dout * mask in train mode, dout in test mode."""
    # BEGIN SOLUTION
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout.copy()
    return dout * mask
    # END SOLUTION


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
    # BEGIN SOLUTION
    # The reference takes every receptive field at once instead of looping over them: the
    # grader runs it for each conv test and its gradient checks (8 times faster at their sizes).
    windows = _receptive_fields(x, w, conv_param)  # (N, C, H', W', HH, WW)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H', W', F)
    out = np.ascontiguousarray(out.transpose(0, 3, 1, 2)) + b[:, None, None]
    return out, (x, w, b, conv_param)
    # END SOLUTION


def conv_backward_naive(dout, cache):
    """Backward pass of the convolutional layer.

    Inputs: dout, shape (N, F, H', W'); cache from conv_forward_naive.
    Returns a tuple (dx, dw, db) with the shapes of x, w and b.
    """
    # BEGIN SOLUTION
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    _, _, h_out, w_out = dout.shape
    dw = np.tensordot(dout, _receptive_fields(x, w, conv_param), axes=([0, 2, 3], [0, 2, 3]))
    # Filter tap (a, c) of every receptive field gets dout * w[:, :, a, c]: one strided slice
    # of the padded input per tap, instead of one window per output position.
    # (N, C, H', W', HH, WW)
    taps = np.tensordot(dout, w, axes=([1], [0])).transpose(0, 3, 1, 2, 4, 5)
    dx_pad = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad))
    for a in range(hh):
        for c in range(ww):
            rows = slice(a, a + stride * h_out, stride)
            cols = slice(c, c + stride * w_out, stride)
            dx_pad[:, :, rows, cols] += taps[..., a, c]
    db = dout.sum(axis=(0, 2, 3))
    dx = dx_pad[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, db
    # END SOLUTION


# BEGIN SOLUTION
def _receptive_fields(x, w, conv_param):
    """Every receptive field of the padded x, as a view: (N, C, H', W', HH, WW) (a helper of
    the reference only)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    x_pad = np.pad(x.astype(float), ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # float64 out
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))
    return windows[:, :, ::stride, ::stride]


def _pool_windows(x, pool_param):
    """Yield (i, j, rows, cols) for every pooling window (a helper of the reference only)."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    h_out = 1 + (x.shape[2] - ph) // stride
    w_out = 1 + (x.shape[3] - pw) // stride
    for i in range(h_out):
        for j in range(w_out):
            yield i, j, slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)


# END SOLUTION
def max_pool_forward_naive(x, pool_param):
    """Max pooling, written with explicit loops.

    Inputs:
    - x: data, shape (N, C, H, W)
    - pool_param: a dict with pool_height, pool_width and stride. No padding.

    out has shape (N, C, H', W') with H' = 1 + (H - pool_height) // stride and
    W' = 1 + (W - pool_width) // stride; rows and columns a window never reaches are ignored.
    Returns a tuple (out, cache).
    """
    # BEGIN SOLUTION
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride))
    for i, j, rows, cols in _pool_windows(x, pool_param):
        out[:, :, i, j] = x[:, :, rows, cols].max(axis=(2, 3))
    return out, (x, pool_param)
    # END SOLUTION


def max_pool_backward_naive(dout, cache):
    """Backward pass of max pooling: each window's gradient goes to the position of its
    maximum. Where windows overlap, the gradients add up.

    Returns dx, with the shape of x.
    """
    # BEGIN SOLUTION
    x, pool_param = cache
    dx = np.zeros_like(x, dtype=float)
    for i, j, rows, cols in _pool_windows(x, pool_param):
        window = x[:, :, rows, cols]
        is_max = window == window.max(axis=(2, 3), keepdims=True)
        dx[:, :, rows, cols] += is_max * dout[:, :, i, j][:, :, None, None]
    return dx
    # END SOLUTION


def avg_pool_forward_naive(x, pool_param):
    """Average pooling, written with explicit loops: as max pooling, with the mean of each
    window instead of its maximum.

    Returns a tuple (out, cache).
    """
    # BEGIN SOLUTION
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride))
    for i, j, rows, cols in _pool_windows(x, pool_param):
        out[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return out, (x.shape, pool_param)
    # END SOLUTION


def avg_pool_backward_naive(dout, cache):
    """Backward pass of average pooling: each window's gradient is shared equally by its
    pool_height * pool_width inputs. Where windows overlap, the gradients add up.

    Returns dx, with the shape of x.
    """
    # BEGIN SOLUTION
    shape, pool_param = cache
    dx = np.zeros(shape)
    size = pool_param["pool_height"] * pool_param["pool_width"]
    for i, j, rows, cols in _pool_windows(dx, pool_param):
        dx[:, :, rows, cols] += dout[:, :, i, j][:, :, None, None] / size
    return dx
    # END SOLUTION


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Spatial batch normalization: batch normalization per channel, over N, H and W.

    Inputs: x, shape (N, C, H, W); gamma, beta, shape (C,); bn_param as for batchnorm_forward
    (running_mean and running_var have shape (C,)).
    Returns a tuple (out, cache): out has shape (N, C, H, W).
    """
    # BEGIN SOLUTION
    n, c, h, w = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache
    # END SOLUTION


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalization.

    Returns a tuple (dx, dgamma, dbeta): dx of shape (N, C, H, W), dgamma and dbeta of shape (C,).
    """
    # BEGIN SOLUTION
    n, c, h, w = dout.shape
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    dx, dgamma, dbeta = batchnorm_backward_alt(flat, cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta
    # END SOLUTION

"""Assignment 3: layers as classes.

Each layer keeps its parameters (``weight``, ``bias``), what its backward needs (``cache``) and
its gradients (``dx``, ``dw``, ``db``) as attributes. ``forward`` returns the layer's output;
``backward(dout)`` stores the gradients, overwriting those of an earlier call, and returns
nothing. Never modify the arrays you are given (x, y, dout) nor ``weight`` and ``bias`` in
forward or backward: work on copies.
"""

import numpy as np


class Linear:
    """A fully connected layer: out = x_flat @ weight + bias."""

    def __init__(self, in_dim, out_dim):
        """weight has shape (in_dim, out_dim), bias (out_dim,)."""
        self.in_dim, self.out_dim = in_dim, out_dim
        np.random.seed(1024)
        self.weight = 1e-3 * np.random.randn(in_dim, out_dim)
        self.bias = np.zeros(out_dim)
        self.cache = None
        self.dx = self.dw = self.db = None

    def forward(self, x):
        """x: (N, d_1, ..., d_k) with d_1 * ... * d_k = in_dim; returns (N, out_dim)."""
        # BEGIN SOLUTION
        self.cache = x
        return x.reshape(x.shape[0], -1) @ self.weight + self.bias
        # END SOLUTION

    def backward(self, dout):
        """dout: (N, out_dim). Sets dx (the shape of x), dw and db."""
        # BEGIN SOLUTION
        x = self.cache
        self.dx = (dout @ self.weight.T).reshape(x.shape)
        self.dw = x.reshape(x.shape[0], -1).T @ dout
        self.db = dout.sum(axis=0)
        # END SOLUTION


class ReLU:
    """out = max(0, x), elementwise."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: any shape; returns an array of the same shape."""
        # BEGIN SOLUTION
        self.cache = x
        return np.maximum(0, x)
        # END SOLUTION

    def backward(self, dout):
        """Sets dx."""
        # BEGIN SOLUTION
        self.dx = dout * (self.cache > 0)
        # END SOLUTION


class Sigmoid:
    """out = 1 / (1 + exp(-x)), elementwise; finite for |x| up to 1000."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: any shape; returns an array of the same shape."""
        # BEGIN SOLUTION
        out = np.exp(-np.logaddexp(0, -x))
        self.cache = out
        return out
        # END SOLUTION

    def backward(self, dout):
        """Sets dx."""
        # BEGIN SOLUTION
        out = self.cache
        self.dx = dout * out * (1 - out)
        # END SOLUTION


class Conv2D:
    """A convolutional layer (cross-correlation, as in CNNs), zero padding on H and W.

    out[n, f, i, j] = sum(x_pad[n, :, i*s:i*s+k, j*s:j*s+k] * weight[f]) + bias[f], of shape
    (N, F, H', W') with H' = 1 + (H + 2 * padding - k) // stride, and likewise W'.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=0):
        """weight has shape (out_channels, in_channels, kernel_size, kernel_size), bias
        (out_channels,)."""
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        np.random.seed(1024)
        self.weight = 1e-3 * np.random.randn(out_channels, in_channels, kernel_size, kernel_size)
        self.bias = np.zeros(out_channels)
        self.cache = None
        self.dx = self.dw = self.db = None

    def forward(self, x):
        """x: (N, C, H, W); returns (N, F, H', W')."""
        # BEGIN SOLUTION
        k, s, p = self.kernel_size, self.stride, self.padding
        n, _, h, w = x.shape
        h_out, w_out = 1 + (h + 2 * p - k) // s, 1 + (w + 2 * p - k) // s
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.zeros((n, self.out_channels, h_out, w_out))
        for i in range(h_out):
            for j in range(w_out):
                window = x_pad[:, :, i * s : i * s + k, j * s : j * s + k]
                out[:, :, i, j] = np.tensordot(window, self.weight, axes=([1, 2, 3], [1, 2, 3]))
        self.cache = x
        return out + self.bias[None, :, None, None]
        # END SOLUTION

    def backward(self, dout):
        """dout: (N, F, H', W'). Sets dx, dw and db."""
        # BEGIN SOLUTION
        x = self.cache
        k, s, p = self.kernel_size, self.stride, self.padding
        _, _, h_out, w_out = dout.shape
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        dx_pad = np.zeros_like(x_pad, dtype=float)
        dw = np.zeros_like(self.weight, dtype=float)
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
                dw += np.tensordot(dout[:, :, i, j], x_pad[:, :, rows, cols], axes=([0], [0]))
                dx_pad[:, :, rows, cols] += np.tensordot(
                    dout[:, :, i, j], self.weight, axes=([1], [0])
                )
        self.dx = dx_pad[:, :, p : p + x.shape[2], p : p + x.shape[3]]
        self.dw = dw
        self.db = dout.sum(axis=(0, 2, 3))
        # END SOLUTION


class MaxPooling:
    """Max pooling over kernel_size x kernel_size windows, stride apart (windows may overlap
    or leave gaps): H' = 1 + (H - kernel_size) // stride, and likewise W'."""

    def __init__(self, kernel_size, stride):
        self.kernel_size, self.stride = kernel_size, stride
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: (N, C, H, W); returns (N, C, H', W')."""
        # BEGIN SOLUTION
        k, s = self.kernel_size, self.stride
        n, c, h, w = x.shape
        h_out, w_out = 1 + (h - k) // s, 1 + (w - k) // s
        out = np.zeros((n, c, h_out, w_out))
        for i in range(h_out):
            for j in range(w_out):
                out[:, :, i, j] = x[:, :, i * s : i * s + k, j * s : j * s + k].max(axis=(2, 3))
        self.cache = x
        return out
        # END SOLUTION

    def backward(self, dout):
        """dout: (N, C, H', W'). Sets dx: each window's gradient goes to its maximum."""
        # BEGIN SOLUTION
        x = self.cache
        k, s = self.kernel_size, self.stride
        n, c, h_out, w_out = dout.shape
        dx = np.zeros_like(x, dtype=float)
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, :, i * s : i * s + k, j * s : j * s + k].reshape(n, c, -1)
                rows, cols = np.unravel_index(window.argmax(axis=2), (k, k))
                nn, cc = np.indices((n, c))
                np.add.at(dx, (nn, cc, i * s + rows, j * s + cols), dout[:, :, i, j])
        self.dx = dx
        # END SOLUTION


class SoftmaxCrossEntropy:
    """Softmax of the scores, then the cross-entropy loss averaged over the batch."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x, y):
        """x: scores (N, K); y: labels (N,) in 0..K-1. Returns (probs, loss); finite and right
        for scores up to +-1000."""
        # BEGIN SOLUTION
        shifted = x - x.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        probs = np.exp(log_probs)
        n = x.shape[0]
        loss = -log_probs[np.arange(n), y].mean()
        self.cache = (probs, y)
        return probs, loss
        # END SOLUTION

    def backward(self):
        """Sets dx (N, K): the gradient of the loss with respect to the scores."""
        # BEGIN SOLUTION
        probs, y = self.cache
        dx = probs.copy()
        dx[np.arange(len(y)), y] -= 1
        self.dx = dx / len(y)
        # END SOLUTION


class Sequential:
    """Modules applied in order, then a criterion (a SoftmaxCrossEntropy)."""

    def __init__(self, modules, criterion):
        self.modules = modules
        self.criterion = criterion

    def forward(self, x, y):
        """Each module's forward in order, then the criterion's; returns (probs, loss)."""
        # BEGIN SOLUTION
        for module in self.modules:
            x = module.forward(x)
        return self.criterion.forward(x, y)
        # END SOLUTION

    def backward(self):
        """The criterion's backward, then each module's backward in reverse order, each fed
        the dx of the module after it."""
        # BEGIN SOLUTION
        self.criterion.backward()
        dout = self.criterion.dx
        for module in reversed(self.modules):
            module.backward(dout)
            dout = module.dx
        # END SOLUTION

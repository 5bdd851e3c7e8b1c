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
        raise NotImplementedError("implement Linear.forward")

    def backward(self, dout):
        """dout: (N, out_dim). Sets dx (the shape of x), dw and db."""
        raise NotImplementedError("implement Linear.backward")


class ReLU:
    """out = max(0, x), elementwise."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: any shape; returns an array of the same shape."""
        raise NotImplementedError("implement ReLU.forward")

    def backward(self, dout):
        """Sets dx."""
        raise NotImplementedError("implement ReLU.backward")


class Sigmoid:
    """out = 1 / (1 + exp(-x)), elementwise; finite for |x| up to 1000."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: any shape; returns an array of the same shape."""
        raise NotImplementedError("implement Sigmoid.forward")

    def backward(self, dout):
        """Sets dx."""
        raise NotImplementedError("implement Sigmoid.backward")


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
        raise NotImplementedError("implement Conv2D.forward")

    def backward(self, dout):
        """dout: (N, F, H', W'). Sets dx, dw and db."""
        raise NotImplementedError("implement Conv2D.backward")


class MaxPooling:
    """Max pooling over kernel_size x kernel_size windows, stride apart (windows may overlap
    or leave gaps): H' = 1 + (H - kernel_size) // stride, and likewise W'."""

    def __init__(self, kernel_size, stride):
        self.kernel_size, self.stride = kernel_size, stride
        self.cache = None
        self.dx = None

    def forward(self, x):
        """x: (N, C, H, W); returns (N, C, H', W')."""
        raise NotImplementedError("implement MaxPooling.forward")

    def backward(self, dout):
        """dout: (N, C, H', W'). Sets dx: each window's gradient goes to its maximum."""
        raise NotImplementedError("implement MaxPooling.backward")


class SoftmaxCrossEntropy:
    """Softmax of the scores, then the cross-entropy loss averaged over the batch."""

    def __init__(self):
        self.cache = None
        self.dx = None

    def forward(self, x, y):
        """x: scores (N, K); y: labels (N,) in 0..K-1. Returns (probs, loss); finite and right
        for scores up to +-1000."""
        raise NotImplementedError("implement SoftmaxCrossEntropy.forward")

    def backward(self):
        """Sets dx (N, K): the gradient of the loss with respect to the scores."""
        raise NotImplementedError("implement SoftmaxCrossEntropy.backward")


class Sequential:
    """Modules applied in order, then a criterion (a SoftmaxCrossEntropy)."""

    def __init__(self, modules, criterion):
        self.modules = modules
        self.criterion = criterion

    def forward(self, x, y):
        """Each module's forward in order, then the criterion's; returns (probs, loss)."""
        raise NotImplementedError("implement Sequential.forward")

    def backward(self):
        """The criterion's backward, then each module's backward in reverse order, each fed
        the dx of the module after it."""
        raise NotImplementedError("implement Sequential.backward")

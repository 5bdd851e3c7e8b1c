"""Assignment 2: a classifier in PyTorch.

The grader builds your model, trains it with your optimizer and training step for a few epochs
on 8x8 images of handwritten digits (one channel, pixel values in [0, 1], drawn like
scikit-learn's digits) within a time budget, on a GPU when there is one, and measures its
accuracy on new images, drawn afresh for each grading run. Everything your code does counts
against the time budget: building the model, every train_step (the first one too) and
predicting; train in train_step only.
"""

import torch
from torch import nn
from torch.nn import functional as F


def build_model(input_shape, num_classes):
    """Return an nn.Module mapping a batch of shape (N, *input_shape) to class scores of shape
    (N, num_classes).

    input_shape is (channels, height, width), here (1, 8, 8); num_classes is 10. Build it from
    torch.nn layers: nn.Sequential, nn.Linear, nn.ReLU, nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d,
    nn.Dropout, nn.Flatten... Do not apply a softmax: return raw scores (logits).
    """
    # BEGIN SOLUTION
    channels, height, width = input_shape
    return nn.Sequential(
        nn.Conv2d(channels, 16, kernel_size=3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(32 * (height // 4) * (width // 4), num_classes),
    )
    # END SOLUTION


def make_optimizer(model):
    """Return a torch.optim optimizer over model.parameters(): your choice of rule and
    hyperparameters."""
    # BEGIN SOLUTION
    return torch.optim.Adam(model.parameters(), lr=1e-2)
    # END SOLUTION


def train_step(model, optimizer, x, y):
    """One optimisation step on the batch (x, y), the model in training mode: compute the
    cross-entropy loss of model(x) against the integer labels y, backpropagate, update the
    parameters. Return the loss as a Python float."""
    # BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
    # END SOLUTION

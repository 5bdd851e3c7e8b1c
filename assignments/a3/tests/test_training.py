"""Training a small CNN made of the student's own modules, on the bundled 8x8 digits."""

import numpy as np
import pytest

from grader.testing import CheckFailed, accuracy, digits


def build(student, rng):
    """Conv2D -> ReLU -> MaxPooling -> Linear, a SoftmaxCrossEntropy criterion, SGD; He
    initialisation set by the test (initial values are never graded)."""
    conv = student.modules.Conv2D(1, 8, kernel_size=3, stride=1, padding=1)
    linear = student.modules.Linear(8 * 4 * 4, 10)
    conv.weight = rng.standard_normal((8, 1, 3, 3)) * np.sqrt(2 / 9)
    conv.bias = np.zeros(8)
    linear.weight = rng.standard_normal((128, 10)) * np.sqrt(2 / 128)
    linear.bias = np.zeros(10)
    modules = [conv, student.modules.ReLU(), student.modules.MaxPooling(2, 2), linear]
    model = student.modules.Sequential(modules, student.modules.SoftmaxCrossEntropy())
    optimizer = student.optim.SGD(model, learning_rate=0.05, reg=1e-4, momentum=0.9)
    return model, optimizer


@pytest.fixture(scope="module")
def data():
    """Loaded before the test's clock starts: the time limits are for student code."""
    return digits()


def test_cnn_validation_accuracy(data, student, training, rng):
    """CNN: Conv2D, ReLU, MaxPooling, Linear and SoftmaxCrossEntropy in a Sequential, trained
    with SGD, reach 90% validation accuracy within 8 epochs"""
    model, optimizer = build(student, rng)
    train = student.cnn.Data(data.train_x, data.train_y, 0)
    run = training.run(
        lambda: student.cnn.train_epoch(model, optimizer, train, 50), epochs=8,
        evaluate=lambda: accuracy(student.cnn.predict(model, data.val_x), data.val_y),
        target=0.9,
    )  # fmt: skip
    if run.accuracy < 0.9:
        raise CheckFailed(f"Validation accuracy {run.accuracy:.1%} after {run.epochs} epochs; "
                          "expected at least 90%.")  # fmt: skip

"""Grading a PyTorch model by training it: shapes first, then accuracy under a time budget."""

import pytest
from gradescope_utils.autograder_utils.decorators import leaderboard, partial_credit

from grader.checks import CheckFailed
from grader.sandbox.errors import StudentRaised
from grader.training.datasets import digits
from grader.training.trainer import accuracy

INPUT_SHAPE = (1, 8, 8)
#: Test accuracy needed for each share of the training points.
THRESHOLDS = [(0.95, 1.0), (0.90, 0.7), (0.80, 0.4)]


def images(x):
    return x.reshape(-1, *INPUT_SHAPE).astype("float32")


@pytest.fixture
def device(student):
    return student.torch_training.best_device()


def test_build_model(student, device):
    """build_model: maps a batch of 8x8 images to 10 class scores"""
    net = student.torch_training.create(list(INPUT_SHAPE), 10, 0, device)
    try:
        shape = student.torch_training.scores_shape(net, images(digits().val_x[:7]))
    except StudentRaised as exc:
        raise CheckFailed(f"the model build_model returns fails on a batch of shape "
                          f"(7, 1, 8, 8): {exc}") from None  # fmt: skip
    if tuple(shape) != (7, 10):
        raise CheckFailed(f"for a batch of 7 images the model returned shape {tuple(shape)}; "
                          "expected (7, 10): one score per class")  # fmt: skip


@partial_credit(10)
@leaderboard("accuracy")
def test_training(student, training, device, note, leaderboard_entry, set_score=None,
                  set_leaderboard_value=None):  # fmt: skip
    """training: test accuracy of your model after training under the time budget"""
    data = digits()
    net = student.torch_training.create(list(INPUT_SHAPE), 10, 0, device)
    student.torch_training.load(net, images(data.train_x), data.train_y)
    run = training.run(
        lambda: student.torch_training.train_epoch(net, 64), epochs=12,
        evaluate=lambda: accuracy(student.torch_training.predict(net, images(data.val_x)),
                                  data.val_y),
        device=student.torch_training.device_name(device),
        warmup=lambda: student.torch_training.warmup(net, 64),
    )  # fmt: skip
    test_accuracy = accuracy(student.torch_training.predict(net, images(data.test_x)), data.test_y)
    set_leaderboard_value(round(test_accuracy, 4))
    leaderboard_entry("training time (s)", round(run.seconds, 3), "asc")
    share = next((share for needed, share in THRESHOLDS if test_accuracy >= needed), 0.0)
    scale = ", ".join(f"{n:.0%} earns {s:.0%} of the points" for n, s in THRESHOLDS)
    note(f"Test accuracy {test_accuracy:.1%} ({scale}).")
    set_score(10 * share)
    if share == 0:
        raise CheckFailed(f"Test accuracy {test_accuracy:.1%} is below {THRESHOLDS[-1][0]:.0%}.")

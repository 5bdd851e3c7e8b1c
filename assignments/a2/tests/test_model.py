"""Grading a PyTorch model by training it: shapes first, then accuracy under a time budget.

Student code can train wherever it runs (at import, in build_model, in a warm-up step, in a
thread an evaluation waits for), so every call these tests make into the worker counts against
the training budget, those of test_build_model included. The test images are drawn afresh for
each grading run from the run's secret seed (the ``rng`` fixture): no dataset student code can
read holds them or their labels.
"""

import pytest

from grader.testing import (
    CheckFailed,
    StudentRaised,
    accuracy,
    drawn_digits,
    leaderboard,
    partial_credit,
)

INPUT_SHAPE = (1, 8, 8)
#: Test accuracy needed for each share of the training points.
THRESHOLDS = [(0.95, 1.0), (0.90, 0.7), (0.80, 0.4)]
#: Seconds of worker calls made by the tests before the training test, in the worker it trains
#: in: charged to the training run.
EARLIER_SECONDS: list[float] = []


def images(x):
    return x.reshape(-1, *INPUT_SHAPE).astype("float32")


@pytest.fixture
def device(student, training):
    return training.timed(student.torch_training.best_device)


def test_build_model(student, training, device):
    """build_model: maps a batch of 8x8 images to 10 class scores"""
    try:
        net = training.timed(
            lambda: student.torch_training.create(list(INPUT_SHAPE), 10, 0, device)
        )
        batch = images(drawn_digits(0).val_x[:7])
        try:
            shape = training.timed(lambda: student.torch_training.scores_shape(net, batch))
        except StudentRaised as exc:
            raise CheckFailed(f"the model build_model returns fails on a batch of shape "
                              f"(7, 1, 8, 8): {exc}") from None  # fmt: skip
    finally:
        EARLIER_SECONDS.append(training.spent)
    if tuple(shape) != (7, 10):
        raise CheckFailed(f"for a batch of 7 images the model returned shape {tuple(shape)}; "
                          "expected (7, 10): one score per class")  # fmt: skip


@partial_credit(10)
@leaderboard("accuracy")
def test_training(student, training, device, rng, note, leaderboard_entry, set_score=None,
                  set_leaderboard_value=None):  # fmt: skip
    """training: test accuracy of your model after training under the time budget"""
    training.spent += sum(EARLIER_SECONDS)
    data = drawn_digits(int(rng.integers(2**63)))
    tt = student.torch_training
    net = training.timed(lambda: tt.create(list(INPUT_SHAPE), 10, 0, device))
    training.timed(lambda: tt.load(net, images(data.train_x), data.train_y, images(data.val_x)))
    validation = {}  # what each epoch's call predicted for the validation images

    def epoch():
        loss, validation["predicted"] = tt.train_epoch(net, 64)
        return loss

    run = training.run(
        epoch, epochs=12,
        evaluate=lambda: accuracy(validation.pop("predicted"), data.val_y),
        device=training.timed(lambda: tt.device_name(device)),
        warmup=lambda: tt.warmup(net, 64),
    )  # fmt: skip
    predictions = training.timed(lambda: tt.predict(net, images(data.test_x)))
    test_accuracy = accuracy(predictions, data.test_y)
    set_leaderboard_value(round(test_accuracy, 4))
    leaderboard_entry("training time (s)", round(run.seconds, 3), "asc")
    share = next((share for needed, share in THRESHOLDS if test_accuracy >= needed), 0.0)
    scale = ", ".join(f"{n:.0%} earns {s:.0%} of the points" for n, s in THRESHOLDS)
    note(f"Test accuracy {test_accuracy:.1%} ({scale}).")
    set_score(10 * share)
    if share == 0:
        raise CheckFailed(f"Test accuracy {test_accuracy:.1%} is below {THRESHOLDS[-1][0]:.0%}.")

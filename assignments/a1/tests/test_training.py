"""Training a network built from the student's own layers and update rules."""

from grader.testing import CheckFailed, accuracy, digits


def start(student, x, y, update_rule, config, dims=(64, 100, 10)):
    net = student.fc_net.create(list(dims), 0.05, 0, update_rule, config)
    student.fc_net.load(net, x, y)
    return net


def test_overfit_small_data(student, training):
    """fc_net: a two-layer network overfits 50 examples (100% training accuracy)"""
    data = digits()
    x, y = data.train_x[:50], data.train_y[:50]
    net = start(student, x, y, "sgd_momentum", {"learning_rate": 0.1})
    run = training.run(
        lambda: student.fc_net.train_epoch(net, 25), epochs=60,
        evaluate=lambda: accuracy(student.fc_net.predict(net, x), y), target=1.0,
    )  # fmt: skip
    if run.accuracy < 1.0:
        raise CheckFailed(f"After {run.epochs} epochs the network fits only {run.accuracy:.0%} "
                          "of the 50 examples; expected 100%.")  # fmt: skip


def test_validation_accuracy(student, training):
    """fc_net: trained with adam, reaches 90% validation accuracy within 15 epochs"""
    data = digits()
    net = start(student, data.train_x, data.train_y, "adam", {"learning_rate": 1e-2})
    run = training.run(
        lambda: student.fc_net.train_epoch(net, 100), epochs=15,
        evaluate=lambda: accuracy(student.fc_net.predict(net, data.val_x), data.val_y),
        target=0.9,
    )  # fmt: skip
    if run.accuracy < 0.9:
        raise CheckFailed(f"Validation accuracy {run.accuracy:.1%} after {run.epochs} epochs; "
                          "expected at least 90%.")  # fmt: skip

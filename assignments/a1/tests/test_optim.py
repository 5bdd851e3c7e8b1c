import numpy as np
import pytest

from grader.testing import (
    CheckFailed,
    assert_close,
    assert_unchanged,
    expect_array,
    expect_dict,
    expect_number,
    expect_tuple,
)

#: Each rule with hyperparameters other than its defaults, and the state it keeps in config.
RULES = {
    "sgd": ({"learning_rate": 0.1}, ()),
    "sgd_momentum": ({"learning_rate": 0.05, "momentum": 0.8}, ("velocity",)),
    "nesterov_momentum": ({"learning_rate": 0.05, "momentum": 0.8}, ("velocity",)),
    "adagrad": ({"learning_rate": 0.05, "epsilon": 1e-6}, ("cache",)),
    "rmsprop": ({"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-6}, ("cache",)),
    "adam": (
        {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6},
        ("m", "v", "t"),
    ),
}
DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}


def run_steps(student, reference, rng, tolerance, rule, config, steps, scale=1.0):
    """Run ``steps`` updates on the student's rule and the reference side by side, each fed its
    own config back, and compare the weights after every step (gradients of size ``scale``)."""
    w = rng.standard_normal((4, 3))
    expected_w, expected_config = w.copy(), None if config is None else dict(config)
    for step in range(1, steps + 1):
        dw = scale * rng.standard_normal(w.shape)
        call = getattr(student.optim, rule).trace(w, dw, config)
        assert_unchanged((dw,), call.args[1:2], ("dw",), rule)
        w, config = expect_tuple(call.value, ("next_w", "config"), rule)
        expected_w, expected_config = getattr(reference.optim, rule)(
            expected_w, dw, expected_config
        )
        config = expect_dict(config, f"the config {rule} returned")
        assert_close(w, expected_w, f"next_w after step {step}", tolerance("forward"))
    return config


@pytest.mark.parametrize("rule", RULES)
def test_several_steps(student, reference, rng, tolerance, rule):
    """{rule}: five consecutive steps match the reference"""
    run_steps(student, reference, rng, tolerance, rule, dict(RULES[rule][0]), steps=5)


@pytest.mark.parametrize("rule", [r for r in RULES if "epsilon" in RULES[r][0]])
def test_epsilon(student, reference, rng, tolerance, rule):
    """{rule}: uses the epsilon it is given (gradients of 1e-4, epsilon 1e-3)"""
    # With gradients this small, sqrt(cache) is about 1e-4: an ignored or hard-coded epsilon
    # changes every step.
    config = dict(RULES[rule][0], epsilon=1e-3)
    run_steps(student, reference, rng, tolerance, rule, config, steps=3, scale=1e-4)


@pytest.mark.parametrize("rule", RULES)
def test_defaults(student, reference, rng, tolerance, rule):
    """{rule}: config=None fills in the default hyperparameters"""
    config = run_steps(student, reference, rng, tolerance, rule, None, steps=2)
    for key, value in DEFAULTS[rule].items():
        found = expect_number(config.get(key), f"config['{key}']")
        assert_close(found, value, f"default config['{key}']", 1e-12)


@pytest.mark.parametrize("rule", [r for r in RULES if RULES[r][1]])
def test_state_kept_in_config(student, reference, rng, tolerance, rule):
    """{rule}: keeps its state in config"""
    config = run_steps(student, reference, rng, tolerance, rule, dict(RULES[rule][0]), steps=1)
    for key in RULES[rule][1]:
        if key not in config:
            raise CheckFailed(f"{rule} should keep its state in config['{key}']; it is missing")
        if key == "t":
            t = expect_number(config["t"], "config['t']")
            if t != 1:
                raise CheckFailed(f"after 1 step config['t'] should be 1, found {t:g}")
        else:
            expect_array(config[key], f"config['{key}']", shape=(4, 3))


def test_adam_first_step(student, reference, tolerance):
    """adam: t is incremented before the bias correction"""
    w = np.array([1.0, -2.0, 3.0])
    dw = np.array([0.5, 0.1, -4.0])
    next_w, _ = expect_tuple(student.optim.adam(w, dw, None), ("next_w", "config"), "adam")
    expected, _ = reference.optim.adam(w.copy(), dw, None)
    # With bias correction at t=1, the first step is learning_rate * sign(dw) for every weight.
    assert_close(
        next_w,
        expected,
        "next_w after the first step (t must be 1 when correcting: m / (1 - beta1 ** t))",
        tolerance("forward"),
    )

import numpy as np
import pytest

from grader.testing import CheckFailed, Seed, assert_close, expect_array, expect_number

INITS = {
    "xavier_init": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
    "he_init": lambda fan_in, fan_out: 2.0 / fan_in,
}
SCHEDULES = {
    "step_decay": {"drop": 0.3, "epochs_per_drop": 4},
    "exponential_decay": {"k": 0.2},
    "inverse_time_decay": {"k": 0.5},
}


@pytest.mark.parametrize("init", INITS)
def test_init_statistics(student, init):
    """{init}: shape, zero mean and the right variance"""
    fan_in, fan_out = 300, 200
    w = expect_array(
        getattr(student.init, init)(fan_in, fan_out, Seed(0)),
        "the weights",
        shape=(fan_in, fan_out),
    )
    target = INITS[init](fan_in, fan_out)
    # 60,000 independent draws: the sample variance is within 2% of the truth for a normal
    # or uniform draw, with overwhelming probability; 5% leaves room for any distribution.
    if abs(w.var() / target - 1) > 0.05:
        raise CheckFailed(f"the weights have variance {w.var():.3g}; expected {target:.3g}")
    if abs(w.mean()) > 5 * np.sqrt(target / w.size):
        raise CheckFailed(f"the weights have mean {w.mean():.3g}; expected 0")


@pytest.mark.parametrize("init", INITS)
def test_init_uses_the_given_rng(student, init):
    """{init}: the same generator state gives the same weights"""
    first = getattr(student.init, init)(20, 10, Seed(42))
    second = getattr(student.init, init)(20, 10, Seed(42))
    first = expect_array(first, "the weights", shape=(20, 10))
    if not np.array_equal(first, second):
        raise CheckFailed(
            "two calls with generators in the same state gave different weights; "
            "draw the random numbers from rng, not from np.random"
        )


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedule(student, reference, tolerance, schedule):
    """{schedule}: matches the reference at epochs 0 to 20, with defaults and without"""
    for epoch in range(21):
        for kwargs in ({}, SCHEDULES[schedule]):
            found = getattr(student.init, schedule)(0.1, epoch, **kwargs)
            expected = getattr(reference.init, schedule)(0.1, epoch, **kwargs)
            what = f"the rate at epoch {epoch}" + (f" with {kwargs}" if kwargs else "")
            assert_close(expect_number(found, what), expected, what, tolerance("forward"))

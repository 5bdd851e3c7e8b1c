"""Dropout is judged by behaviour, never by a random stream: any correct implementation passes,
whatever random numbers it draws."""

import numpy as np
import pytest

from grader.testing import CheckFailed, assert_close, depends_on, expect_array, layer_forward


def no_zeros(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape)


def dropout(student, x, **param):
    out, cache, args = layer_forward(student.layers.dropout_forward, x, param)
    return expect_array(out, "out", shape=x.shape), cache, args


#: x may have any shape: after a convolutional layer it is (N, C, H, W).
SHAPES = [pytest.param((50, 40), id="2-D x"), pytest.param((6, 3, 5, 4), id="4-D x")]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [0.3, 0.8])
def test_dropout_train_mask_values(student, rng, p, shape):
    """dropout_forward: train mode keeps each unit scaled by 1/p or drops it (p={p})"""
    x = no_zeros(rng, shape)
    out, _, args = dropout(student, x, p=p, mode="train", seed=1)
    ratio = out / x
    scaled = np.isclose(ratio, 1 / p, rtol=1e-9)
    if not np.all(scaled | (ratio == 0)):
        bad = ratio[~(scaled | (ratio == 0))][0]
        raise CheckFailed(
            f"out / x should be 0 (dropped) or 1/p = {1 / p:g} (kept, inverted dropout); "
            f"found {bad:g}"
        )
    if not np.array_equal(args[0], x):
        raise CheckFailed("dropout_forward changed its input x; work on a copy")


@pytest.mark.parametrize("p", [0.3, 0.8])
def test_dropout_keep_fraction(student, rng, p):
    """dropout_forward: keeps a fraction p of the units on a large input (p={p})"""
    x = no_zeros(rng, (200, 500))
    out, _, _ = dropout(student, x, p=p, mode="train", seed=3)
    kept = float(np.mean(out != 0))
    # 100,000 units: the kept fraction's standard deviation is below 0.0016; allow 0.01.
    if abs(kept - p) > 0.01:
        raise CheckFailed(
            f"kept {kept:.3f} of the units with p={p}; expected about {p} "
            "(p is the probability of KEEPING a unit)"
        )


def test_dropout_test_mode_is_identity(student, rng, tolerance):
    """dropout_forward: test mode returns x unchanged"""
    x = no_zeros(rng, (4, 6))
    out, _, _ = dropout(student, x, p=0.5, mode="test")
    assert_close(out, x, "out in test mode (no mask, no scaling)", 0.0)


def test_dropout_same_seed_same_output(student, rng):
    """dropout_forward: the same seed gives the same output"""
    x = no_zeros(rng, (10, 10))
    first, _, _ = dropout(student, x, p=0.5, mode="train", seed=123)
    second, _, _ = dropout(student, x, p=0.5, mode="train", seed=123)
    if not np.array_equal(first, second):
        raise CheckFailed(
            "two calls with seed=123 gave different outputs; seed the random "
            "numbers with dropout_param['seed'] when it is given"
        )


@pytest.mark.parametrize("mode", ["train", "test"])
def test_dropout_backward(student, rng, tolerance, mode):
    """dropout_backward: dx uses the forward's mask ({mode} mode)"""
    x = no_zeros(rng, (6, 7))
    with depends_on("dropout_backward", "dropout_forward"):
        out, cache, _ = dropout(student, x, p=0.6, mode=mode, seed=5)
    dout = rng.standard_normal(x.shape)
    dx = student.layers.dropout_backward(dout, cache)
    if mode == "test":
        assert_close(dx, dout, "dx in test mode (dout itself)", tolerance("forward"))
    else:  # out = x * mask, so the gradient is dout * mask = dout * out / x
        what = "dx (dout times the mask the forward used)"
        assert_close(dx, dout * out / x, what, tolerance("forward"))

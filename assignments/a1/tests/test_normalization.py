import numpy as np
import pytest

from grader.testing import (
    CheckFailed,
    assert_close,
    assert_unchanged,
    depends_on,
    expect_dict,
    layer_forward,
    rel_error,
)

GRADS = ("dx", "dgamma", "dbeta")


def norm_inputs(rng, shape, channels):
    return {
        "x": 3.0 + 2.0 * rng.standard_normal(shape),
        "gamma": rng.uniform(0.5, 1.5, channels),
        "beta": rng.standard_normal(channels),
    }


def test_batchnorm_forward_train(student, reference, rng, tolerance):
    """batchnorm_forward: train-mode out matches the reference, inputs unchanged"""
    inputs = norm_inputs(rng, (8, 5), 5)
    args = (*inputs.values(), {"mode": "train"})
    out, _, after = layer_forward(student.layers.batchnorm_forward, *args)
    expected, _ = reference.layers.batchnorm_forward(*inputs.values(), {"mode": "train"})
    hint = " (use the biased variance: divide by N)"
    assert_close(out, expected, f"out{hint}", tolerance("forward"))
    assert_unchanged(list(inputs.values()), after[:3], list(inputs), "batchnorm_forward")


@pytest.mark.parametrize(
    "function, shape", [("batchnorm_forward", (8, 3)), ("spatial_batchnorm_forward", (4, 3, 2, 3))]
)
def test_running_averages(student, reference, rng, tolerance, function, shape):
    """{function}: writes the running mean and variance into bn_param"""
    # The default momentum too: CS231n's networks pass bn_param with its mode alone.
    for start, which in [({"momentum": 0.8}, "with momentum 0.8"),
                         ({}, "with no momentum in bn_param (default 0.9)")]:  # fmt: skip
        student_param, expected_param = dict(start, mode="train"), dict(start, mode="train")
        for step in range(1, 3):
            inputs = norm_inputs(rng, shape, 3)
            call = getattr(student.layers, function).trace(*inputs.values(), student_param)
            getattr(reference.layers, function)(*inputs.values(), expected_param)
            student_param = expect_dict(call.args[3], "bn_param after the call")
            for key in ("running_mean", "running_var"):
                if key not in student_param:
                    raise CheckFailed(f"{function} did not write {key} into bn_param")
                what = (
                    f"bn_param['{key}'] after {step} step{'s' * (step > 1)} {which} "
                    "(momentum * running + (1 - momentum) * batch, biased variance)"
                )
                assert_close(student_param[key], expected_param[key], what, tolerance("forward"))


@pytest.mark.parametrize(
    "function, shape", [("batchnorm_forward", (6, 3)), ("spatial_batchnorm_forward", (2, 3, 2, 2))]
)
def test_test_mode_uses_running_averages(student, reference, rng, tolerance, function, shape):
    """{function}: test mode normalises with the running averages"""
    inputs = norm_inputs(rng, shape, 3)
    param = {
        "mode": "test",
        "running_mean": rng.standard_normal(3),
        "running_var": rng.uniform(0.5, 2.0, 3),
    }
    out, _, args = layer_forward(getattr(student.layers, function), *inputs.values(), param)
    expected, _ = getattr(reference.layers, function)(*inputs.values(), dict(param))
    assert_close(out, expected, "out in test mode", tolerance("forward"))
    after = expect_dict(args[3], "bn_param after the call")
    for key in ("running_mean", "running_var"):
        assert_close(
            after.get(key), param[key], f"bn_param['{key}'] (test mode must not update it)", 0.0
        )


@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
@pytest.mark.parametrize("grad", GRADS)
def test_batchnorm_backward(student, reference, rng, gradcheck, backward, grad):
    """{backward}: {grad} matches the numerical gradient"""
    inputs = norm_inputs(rng, (64, 32), 32)
    dout = rng.standard_normal((64, 32))
    gradcheck.backward(f"layers.{backward}", inputs, {"mode": "train"}, grad=grad, dout=dout,
                       forward="batchnorm_forward")  # fmt: skip


@pytest.mark.parametrize("n", [1, 5])
def test_layernorm_forward(student, reference, rng, tolerance, n):
    """layernorm_forward: out matches the reference (N={n}), inputs unchanged"""
    inputs = norm_inputs(rng, (n, 6), 6)
    out, _, args = layer_forward(student.layers.layernorm_forward, *inputs.values(), {})
    expected, _ = reference.layers.layernorm_forward(*inputs.values(), {})
    assert_close(out, expected, "out (normalise each row over its features)", tolerance("forward"))
    assert_unchanged(list(inputs.values()), args[:3], list(inputs), "layernorm_forward")


@pytest.mark.parametrize("grad", GRADS)
def test_layernorm_backward(student, reference, rng, gradcheck, grad):
    """layernorm_backward: {grad} matches the numerical gradient"""
    inputs = norm_inputs(rng, (32, 64), 64)
    dout = rng.standard_normal((32, 64))
    gradcheck.backward("layers.layernorm_backward", inputs, {"eps": 1e-5}, grad=grad, dout=dout)


def test_spatial_batchnorm_forward(student, reference, rng, tolerance):
    """spatial_batchnorm_forward: train-mode out matches the reference, inputs unchanged"""
    inputs = norm_inputs(rng, (3, 4, 2, 3), 4)
    forward = student.layers.spatial_batchnorm_forward
    out, _, args = layer_forward(forward, *inputs.values(), {"mode": "train"})
    expected, _ = reference.layers.spatial_batchnorm_forward(*inputs.values(), {"mode": "train"})
    hint = " (normalise each channel over N, H and W)"
    assert_close(out, expected, f"out{hint}", tolerance("forward"))
    assert_unchanged(list(inputs.values()), args[:3], list(inputs), "spatial_batchnorm_forward")


@pytest.mark.parametrize("grad", GRADS)
def test_spatial_batchnorm_backward(student, reference, rng, gradcheck, grad):
    """spatial_batchnorm_backward: {grad} matches the numerical gradient"""
    inputs = norm_inputs(rng, (4, 4, 6, 6), 4)
    dout = rng.standard_normal((4, 4, 6, 6))
    backward = "layers.spatial_batchnorm_backward"
    gradcheck.backward(backward, inputs, {"mode": "train"}, grad=grad, dout=dout)


#: A non-default eps on inputs whose variance is of the same order (about 4e-4), so that an eps
#: that is ignored, or written into the code as 1e-5, changes the result.
EPS = 1e-3
EPS_FORWARDS = [
    ("batchnorm_forward", (16, 5), "train"),
    ("batchnorm_forward", (16, 5), "test"),
    ("layernorm_forward", (6, 16), "any"),
    ("spatial_batchnorm_forward", (4, 3, 3, 2), "train"),
    ("spatial_batchnorm_forward", (4, 3, 3, 2), "test"),
]
EPS_BACKWARDS = [
    ("batchnorm_forward", "batchnorm_backward", (16, 5)),
    ("batchnorm_forward", "batchnorm_backward_alt", (16, 5)),
    ("layernorm_forward", "layernorm_backward", (6, 16)),
    ("spatial_batchnorm_forward", "spatial_batchnorm_backward", (4, 3, 3, 2)),
]


def low_variance_inputs(rng, function, shape, mode):
    """Inputs of variance about 4e-4, and the param dict with eps (and running statistics of
    the same order in test mode)."""
    channels = shape[1]  # D of (N, D), C of (N, C, H, W)
    inputs = {
        "x": 3.0 + 0.02 * rng.standard_normal(shape),
        "gamma": rng.uniform(0.5, 1.5, channels),
        "beta": rng.standard_normal(channels),
    }
    param: dict = {"eps": EPS}
    if function != "layernorm_forward":  # layernorm has no mode
        param["mode"] = mode
    if mode == "test":
        param["running_mean"] = 3.0 + 0.02 * rng.standard_normal(channels)
        param["running_var"] = rng.uniform(2e-4, 6e-4, channels)
    return inputs, param


@pytest.mark.parametrize("function, shape, mode", EPS_FORWARDS)
def test_forward_uses_eps(student, reference, rng, tolerance, function, shape, mode):
    """{function}: uses the eps it is given ({mode} mode, eps=1e-3, low-variance input)"""
    inputs, param = low_variance_inputs(rng, function, shape, mode)
    out, _, _ = layer_forward(getattr(student.layers, function), *inputs.values(), dict(param))
    expected, _ = getattr(reference.layers, function)(*inputs.values(), dict(param))
    what = "out (normalise with sqrt(var + eps), eps from the param dict, not a constant)"
    assert_close(out, expected, what, tolerance("forward"))


@pytest.mark.parametrize("forward, backward, shape", EPS_BACKWARDS)
def test_backward_uses_eps(student, reference, rng, gradcheck, tolerance, forward, backward, shape):
    """{backward}: dx matches the numerical gradient with eps=1e-3, low-variance input"""
    inputs, param = low_variance_inputs(rng, forward, shape, "train")
    with depends_on(backward, forward):
        out, _, _ = layer_forward(getattr(student.layers, forward), *inputs.values(), dict(param))
    expected, _ = getattr(reference.layers, forward)(*inputs.values(), dict(param))
    if not (isinstance(out, np.ndarray) and out.shape == expected.shape
            and rel_error(out, expected) <= tolerance("forward")):  # fmt: skip
        # The backward needs its own forward's cache: its forward's test already takes the points.
        pytest.skip(f"Not graded with eps={EPS:g}: {forward} is wrong there, and the backward "
                    "needs what it returns.")  # fmt: skip
    dout = rng.standard_normal(shape)
    gradcheck.backward(f"layers.{backward}", inputs, param, grad="dx", dout=dout, forward=forward)

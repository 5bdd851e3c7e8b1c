import numpy as np
import pytest

from grader.testing import CheckFailed, assert_close, assert_unchanged, expect_array, layer_forward

#: Edge cases are shown to students after the due date (the self-check counts them).
EDGE_CASE = pytest.mark.visibility("after_due_date")
#: (x shape, pool height, pool width, stride). Every case keeps the contract's promise that
#: (H - pool_height) % stride == 0 and likewise for W (students may assume it, many assert it).
#: Non-square windows at stride 1 tell pool_height from pool_width by the output's shape.
CASES = [
    pytest.param((2, 3, 8, 8), 2, 2, 2, id="2x2 windows, stride 2"),
    pytest.param((2, 3, 9, 10), 3, 2, 2, id="3x2 windows overlapping on H, stride 2",
                 marks=EDGE_CASE),
    pytest.param((1, 3, 5, 7), 2, 3, 1, id="N=1, overlapping 2x3 windows, stride 1",
                 marks=EDGE_CASE),
]  # fmt: skip
KINDS = ["max", "avg"]


def distinct(rng, shape):
    """Values at least 0.05 apart: no ties in a window, and a perturbation of 1e-6 never moves
    a window's maximum (max pooling's kinks)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.05 - size * 0.025).reshape(shape)


@pytest.mark.parametrize("x_shape, ph, pw, stride", CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_pool_forward(student, reference, rng, tolerance, kind, x_shape, ph, pw, stride):
    """{kind}_pool_forward_naive: out matches the reference, x unchanged"""
    x = distinct(rng, x_shape)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    function = f"{kind}_pool_forward_naive"
    out, _, args = layer_forward(getattr(student.layers, function), x, param)
    expected, _ = getattr(reference.layers, function)(x, dict(param))
    out = expect_array(out, "out")
    if out.shape != expected.shape:
        raise CheckFailed(
            f"out has shape {out.shape}; expected {expected.shape} for x {x_shape}, "
            f"{ph}x{pw} windows, stride {stride}: H' = 1 + (H - pool_height) // stride"
        )
    assert_close(out, expected, "out", tolerance("forward"))
    assert_unchanged((x,), args[:1], ("x",), function)


@pytest.mark.parametrize("x_shape, ph, pw, stride", CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_pool_backward(student, reference, rng, gradcheck, kind, x_shape, ph, pw, stride):
    """{kind}_pool_backward_naive: dx matches the numerical gradient"""
    x = distinct(rng, x_shape)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, _ = getattr(reference.layers, f"{kind}_pool_forward_naive")(x, dict(param))
    dout = rng.standard_normal(out.shape)
    gradcheck.backward(
        f"layers.{kind}_pool_backward_naive", {"x": x}, param, grad="dx", dout=dout, out=out
    )

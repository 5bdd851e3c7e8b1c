from grader.checks import (
    assert_close,
    assert_gradient,
    assert_unchanged,
    depends_on,
    expect_tuple,
)


def away_from_zero(rng, shape):
    """Values in [-1, -0.1] or [0.1, 1]: never near ReLU's kink at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.0, size=shape)


def test_relu_forward_output(student, reference, rng, tolerance):
    """relu_forward: out matches the reference and x is left unchanged"""
    x = away_from_zero(rng, (3, 4, 2))
    call = student.layers.relu_forward.trace(x)
    out, _ = expect_tuple(call.value, 2, "relu_forward should return (out, cache); it")
    assert_close(out, reference.layers.relu_forward(x)[0], "out", tolerance("forward"))
    assert_unchanged((x,), call.args, ("x",), "relu_forward")


def test_relu_backward_gradient(student, reference, rng, tolerance):
    """relu_backward: dx matches the numerical gradient"""
    x = away_from_zero(rng, (4, 5))
    dout = rng.standard_normal(x.shape)
    with depends_on("relu_backward", "relu_forward"):
        _, cache = expect_tuple(student.layers.relu_forward(x), 2, "relu_forward")
    dx = student.layers.relu_backward(dout, cache)

    def forward(value):
        return reference.layers.relu_forward(value)[0]

    assert_gradient(dx, forward, x, dout, "dx", tolerance("gradient"))

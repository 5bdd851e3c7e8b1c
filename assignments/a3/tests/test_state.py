"""What layers keep between calls: a second backward overwrites the gradients of the first."""

import pytest

from grader.testing import assert_close

#: Each layer with parameters: (constructor arguments, input shape).
LAYERS = {"Linear": ((6, 4), (3, 6)), "Conv2D": ((2, 3), (2, 2, 5, 5))}


@pytest.mark.parametrize("layer", LAYERS)
def test_backward_overwrites(student, reference, rng, tolerance, layer):
    """{layer}: a second forward and backward overwrite dx, dw and db (never accumulate)"""
    args, x_shape = LAYERS[layer]
    mine, ref = getattr(student.modules, layer)(*args), getattr(reference.modules, layer)(*args)
    weight, bias = rng.standard_normal(ref.weight.shape), rng.standard_normal(ref.bias.shape)
    for obj in (mine, ref):
        obj.weight, obj.bias = weight, bias
    for _ in range(2):
        x = rng.standard_normal(x_shape)
        dout = rng.standard_normal(ref.forward(x).shape)
        ref.backward(dout)
        mine.forward(x)
        mine.backward(dout)
    for grad in ("dx", "dw", "db"):
        assert_close(getattr(mine, grad), getattr(ref, grad), f"{grad} after a second backward",
                     tolerance("forward"))  # fmt: skip

import json
import struct

import numpy as np
import pytest

from grader.sandbox import codec
from grader.sandbox.codec import (
    MAX_REPLY_ARRAYS,
    REPLY_FLOOR,
    CodecError,
    Ref,
    Seed,
    decode,
    encode,
    reply_bounds,
)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        float("nan"),
        "text",
        (1, [2, 3], {"a": None}),
        {"mode": "train", "running_mean": np.zeros(3)},
        np.arange(12, dtype=np.int32).reshape(3, 4),
        np.array([1 + 2j]),
        np.float32(1.5),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(6).reshape(2, 3)[:, ::2],
        np.arange(3, dtype=">i4"),
        np.zeros((0, 5)),
        np.bool_(True),
        Ref(4, "Cache"),
        Seed(7),
    ],
)
def test_round_trip_keeps_value_and_type(value):
    back = decode(encode(value))
    assert type(back) is type(value)
    if isinstance(value, dict):
        assert back.keys() == value.keys()
        np.testing.assert_array_equal(back["running_mean"], value["running_mean"])
    elif isinstance(value, np.ndarray | np.generic):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    "value",
    [
        object(),
        np.array([object()], dtype=object),
        np.zeros(2).view(LyingArray),
        {1: "non-string key"},
        np.zeros(2, dtype=[("a", "f8")]),
    ],
    ids=["object", "object-array", "ndarray-subclass", "int-key", "structured"],
)
def test_values_that_cannot_cross_are_rejected(value):
    with pytest.raises(CodecError):
        encode(value)


def test_arrays_arrive_writable_and_in_their_layout():
    """Student code may write into the arrays it is given, and a Fortran-ordered array stays
    one (code that checks ``flags`` sees what it sent)."""
    back = decode(encode(np.asfortranarray(np.ones((2, 3)))))
    assert back.flags.writeable and back.flags.f_contiguous and not back.flags.c_contiguous
    back[0, 0] = 5


def test_unsendable_values_become_refs_when_a_keeper_is_given():
    kept = []

    def keep(value):
        kept.append(value)
        return Ref(len(kept), type(value).__name__)

    sentinel = object()
    out = decode(encode((np.ones(2), sentinel), keep=keep))
    assert out[1] == Ref(1, "object") and kept == [sentinel]


def _message(tree, blobs=()):
    header = json.dumps(tree).encode()
    parts = [struct.pack("<Q", len(header)), header, struct.pack("<Q", len(blobs))]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def _array_node(**changes):
    return {"$nd": 0, "dtype": "<f8", "shape": [2], **changes}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        encode([1, 2])[:-3],
        encode(1) + b"x",
        _message(_array_node(dtype="|O8"), [bytes(16)]),
        _message(_array_node(dtype="[('a', '<f8')]"), [bytes(16)]),
        _message(_array_node(dtype="<V8"), [bytes(16)]),
        _message(_array_node(shape=[3]), [bytes(16)]),
        _message(_array_node(shape=[0, 2**70]), [b""]),
        _message(_array_node(shape=[1] * 65), [bytes(8)]),
        _message(_array_node(shape=[-1, -2]), [bytes(16)]),
        _message(_array_node(scalar=1), [bytes(16)]),
        _message(_array_node(scalar=True), [bytes(16)]),
        _message(_array_node(extra=1), [bytes(16)]),
        _message(_array_node(**{"$nd": 5})),
        _message({"$unknown": 1}),
        _message({"$tuple": [], "$dict": {}}),
        _message({"$ref": "1", "type": "x"}),
        _message(_nested(100)),
    ],
    ids=[
        "empty", "truncated", "trailing", "object-dtype", "structured-dtype", "void-dtype",
        "size-mismatch", "huge-shape", "too-many-dims", "negative-shape", "scalar-not-bool",
        "scalar-with-shape", "extra-key", "bad-index", "bad-key", "two-kinds", "bad-ref", "deep",
    ],
)  # fmt: skip
def test_malformed_messages_are_rejected(data):
    with pytest.raises(CodecError):
        decode(data)


def _node(array):
    return {"$nd": 0, "dtype": array.dtype.str, "shape": list(array.shape)}


def test_huge_dimensions_are_refused_before_they_are_multiplied(monkeypatch):
    """Sixty-four sizes of thousands of digits cost the grader a second to multiply: each
    size is bounded first, and nothing is multiplied."""
    multiplied = []
    monkeypatch.setattr(codec.math, "prod", lambda sizes: multiplied.append(sizes) or 0)
    node = _array_node(shape=[int("9" * 4000)] * 63 + [0])
    with pytest.raises(CodecError, match="malformed array"):
        decode(_message(node, [b""]))
    assert multiplied == []


def test_an_empty_array_too_large_to_decode_is_refused_when_sent():
    """Zero elements, but a dimension the receiving side refuses: the sender says so."""
    with pytest.raises(CodecError, match=r"shape \(0, 65536, 65536\) cannot be sent"):
        encode(np.empty((0, 2**16, 2**16)))
    with pytest.raises(CodecError, match="malformed array"):
        decode(_message(_array_node(shape=[0, 2**16, 2**16]), [b""]))


def test_an_array_may_appear_only_once():
    with pytest.raises(CodecError, match="appears twice"):
        decode(_message([_node(np.zeros(1))] * 2, [np.zeros(1).tobytes()]))


@pytest.mark.parametrize(
    "data, text",
    [
        (_message([_node(np.zeros(1))] * 300_000, [np.zeros(1).tobytes()]), "structure"),
        (_message(list(range(2000)), [np.zeros(1).tobytes()] * 2000), "arrays"),
        (_message([0], [np.zeros(20_000_000 // 8).tobytes()] * 4), "bytes"),
        (_message([[]] * 200_000), "parts"),
    ],
    ids=["many-references", "many-arrays", "large", "many-lists"],
)
def test_a_reply_holds_at_most_what_its_request_allows(data, text):
    """A reply's size, structure and arrays are bounded relative to its request (here a
    small one), and an oversized reply is refused before anything in it is decoded."""
    bounds = reply_bounds(encode(("x", np.ones(3))))
    assert bounds.size < 70_000_000 and bounds.arrays < 2000
    with pytest.raises(CodecError, match=text):
        decode(data, bounds)


def test_a_reply_structure_does_not_grow_with_the_structure_sent_back():
    """The grader sends back what student code returned (an optimizer's config): were the
    reply's structure allowed to grow with the request's, each round trip could grow it
    fourfold. Each round here returns as much structure as the last reply could hold."""
    bounds = REPLY_FLOOR
    for _ in range(3):
        returned = {"config": ["x"] * ((bounds.header - 100) // 5)}  # '"x", ' is five bytes
        assert decode(encode(returned), bounds) == returned
        bounds = reply_bounds(encode(("sgd", returned)))
    assert _structure(bounds) == _structure(reply_bounds(encode(("sgd", {"config": []}))))
    with pytest.raises(CodecError, match="structure"):
        decode(encode({"config": ["x"] * (bounds.header // 5 + 10)}), bounds)


def _structure(bounds):
    """What a reply's structure may hold (its bytes grow with the request's, by design)."""
    return bounds.header, bounds.arrays, bounds.nodes


def test_the_arrays_a_reply_may_hold_stop_growing():
    """Arrays sent back raise the next reply's allowance (traced arguments come back with the
    results), but only up to MAX_REPLY_ARRAYS, and the structure with them."""
    bounds = REPLY_FLOOR
    for _ in range(8):
        returned = [np.zeros(0, dtype=bool)] * bounds.arrays
        assert len(decode(encode(returned), bounds)) == bounds.arrays
        bounds = reply_bounds(encode(("sgd", returned)))
    assert bounds.arrays == MAX_REPLY_ARRAYS
    more = reply_bounds(encode([np.zeros(0, dtype=bool)] * 2 * MAX_REPLY_ARRAYS))
    assert _structure(bounds) == _structure(more)
    assert bounds.header < 2 * 1024 * 1024 + 32 * MAX_REPLY_ARRAYS + 1


def test_bounds_grow_with_the_request():
    small = reply_bounds(encode(np.ones(3)))
    large = reply_bounds(encode([np.ones(10) for _ in range(1000)]))
    assert large.arrays >= small.arrays + 1990 and large.header > small.header
    value = [np.ones(10) for _ in range(3000)]
    assert len(decode(encode(value), large)) == 3000

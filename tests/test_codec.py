import io
import json
import struct

import numpy as np
import pytest

from grader.sandbox.codec import CodecError, Ref, Seed, decode, encode, reply_bounds


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
        assert back.dtype == value.dtype
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


def _pickled_object_array():
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        encode([1, 2])[:-3],
        encode(1) + b"x",
        _message({"$nd": 0, "scalar": False}, [_pickled_object_array()]),
        _message({"$nd": 5, "scalar": False}),
        _message({"$unknown": 1}),
        _message({"$ref": "1", "type": "x"}),
        _message(_nested(100)),
    ],
    ids=["empty", "truncated", "trailing", "pickle", "bad-index", "bad-key", "bad-ref", "deep"],
)
def test_malformed_messages_are_rejected(data):
    with pytest.raises(CodecError):
        decode(data)


def _blob(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def test_an_array_may_appear_only_once():
    with pytest.raises(CodecError, match="appears twice"):
        decode(_message([{"$nd": 0, "scalar": False}] * 2, [_blob(np.zeros(1))]))


@pytest.mark.parametrize(
    "data, text",
    [
        (_message([{"$nd": 0, "scalar": False}] * 300_000, [_blob(np.zeros(1))]), "structure"),
        (_message(list(range(2000)), [_blob(np.zeros(1))] * 2000), "arrays"),
        (_message([0], [_blob(np.zeros(20_000_000 // 8))] * 4), "bytes"),
    ],
    ids=["many-references", "many-arrays", "large"],
)
def test_a_reply_holds_at_most_what_its_request_allows(data, text):
    """A reply's size, structure and arrays are bounded relative to its request (here a
    small one), and an oversized reply is refused before anything in it is decoded."""
    bounds = reply_bounds(encode(("x", np.ones(3))))
    assert bounds.size < 70_000_000 and bounds.arrays < 2000
    with pytest.raises(CodecError, match=text):
        decode(data, bounds)


def test_bounds_grow_with_the_request():
    small = reply_bounds(encode(np.ones(3)))
    large = reply_bounds(encode([np.ones(10) for _ in range(1000)]))
    assert large.arrays > small.arrays + 3000 and large.header > small.header
    value = [np.ones(10) for _ in range(3000)]
    assert len(decode(encode(value), large)) == 3000

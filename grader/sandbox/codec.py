"""Safe wire format between the grader and the worker that runs student code.

Nothing is pickled: the structure travels as JSON, with each array's dtype and shape, and the
arrays' contents follow it as raw bytes (no ``.npy`` header, whose Python-literal syntax cost an
``ast.literal_eval`` per array). Only plain data crosses: None, bool, int, float, str, numpy
arrays and scalars of numeric dtypes, and tuples, lists and string-keyed dicts of those.
Anything else that a student function returns stays in the worker and travels as an opaque
:class:`Ref`.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: numpy dtype kinds that may cross: bool, signed/unsigned int, float, complex.
ARRAY_KINDS = frozenset("biufc")
MAX_DEPTH = 64
#: A plain dtype as ``dtype.str`` spells it: byte order, kind, item size ("<f8", "|b1").
_DTYPE = re.compile(rf"[<>|][{''.join(sorted(ARRAY_KINDS))}][0-9]{{1,2}}")
#: numpy's own limit on an array's dimensions.
MAX_DIMS = 64
#: The largest size of one dimension, and of the product of an array's sizes with its empty
#: dimensions counted as 1: more than any message's bytes could fill, and each size is checked
#: before they are multiplied (64 numbers of thousands of digits cost a second to). An empty
#: array of shape (0, 2**40) would cost nothing to send and terabytes to reduce along axis 0.
MAX_DIMENSION = 2**31
_LEN = struct.Struct("<Q")


class CodecError(ValueError):
    """A value cannot be sent, or a received message is malformed."""


@dataclass(frozen=True)
class Bounds:
    """The most one message may hold, checked before anything in it is decoded."""

    size: int = 64 * 1024 * 1024
    #: Bytes of JSON structure: three bytes of it (``[],``) cost the grader 140 of memory.
    header: int = 2 * 1024 * 1024
    arrays: int = 1024
    #: Brackets in the structure, counted before it is parsed (those in strings too): one for a
    #: list, two for a tuple, a dict or an array.
    nodes: int = 100_000


#: What any reply may hold; a reply may also hold more, for each array its request held.
REPLY_FLOOR = Bounds()
#: The most arrays a reply may hold, however many its request held.
MAX_REPLY_ARRAYS = 65_536
#: A reply's structure may grow by this many bytes per array of its request: a float for each
#: point of an ``objective`` request, a node for each traced argument.
_HEADER_PER_ARRAY = 32


def reply_bounds(request: bytes) -> Bounds:
    """The bounds of the reply to ``request`` (encoded). A function's results are of the order
    of its inputs, so a reply gets four times the request's bytes on top of
    :data:`REPLY_FLOOR`, and its traced arguments and results twice the request's arrays, up to
    :data:`MAX_REPLY_ARRAYS`. Its structure grows only with those arrays, not with the request's
    own structure. The grader sends back what student code returned (an optimizer's config, a
    forward's cache): an allowance that grew with each round trip, fourfold for the structure or
    twice for the arrays, would grow without end."""
    arrays = 0
    if len(request) >= 2 * _LEN.size:
        (header,) = _LEN.unpack_from(request, 0)
        (arrays,) = _LEN.unpack_from(request, _LEN.size + header)
    floor, arrays = REPLY_FLOOR, min(arrays, MAX_REPLY_ARRAYS)
    return Bounds(
        floor.size + 4 * len(request), floor.header + _HEADER_PER_ARRAY * arrays,
        min(floor.arrays + 2 * arrays, MAX_REPLY_ARRAYS), floor.nodes + 2 * arrays,
    )  # fmt: skip


@dataclass(frozen=True)
class Ref:
    """A student object that stays in the worker (a free-form cache, a layer): a handle.

    ``worker`` names the worker process that holds it, so that a handle from a worker that was
    replaced (after a crash) is refused there rather than confused with a newer object."""

    id: int
    type_name: str
    worker: str = ""

    def __repr__(self) -> str:
        return f"<student object of type {self.type_name}>"


@dataclass(frozen=True)
class Seed:
    """Stands for ``numpy.random.default_rng(value)``, made in the worker: a Generator itself
    cannot cross, but a test can hand student code one this way (``xavier_init(..., rng)``)."""

    value: int


def encode(value: Any, keep: Callable[[Any], Ref] | None = None) -> bytes:
    """Serialise ``value``; values that cannot cross are handed to ``keep`` (or rejected)."""
    blobs: list[bytes] = []
    tree = _to_tree(value, blobs, keep, 0)
    header = json.dumps(tree).encode()
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(blobs))]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def decode(data: bytes | bytearray, bounds: Bounds | None = None) -> Any:
    """Rebuild a value from :func:`encode`'s bytes, validating every part of it; each array
    is read once and may appear once (no million references to one array)."""
    view = memoryview(data)
    bounds = bounds or Bounds(size=len(data), header=len(data), arrays=len(data), nodes=len(data))
    if len(view) > bounds.size:
        raise CodecError(f"message of {len(view)} bytes exceeds {bounds.size}")
    header, pos = _take(view, 0)
    if len(header) > bounds.header:
        raise CodecError(f"message structure of {len(header)} bytes exceeds {bounds.header}")
    if pos + _LEN.size > len(view):
        raise CodecError("truncated message")
    (count,), pos = _LEN.unpack_from(view, pos), pos + _LEN.size
    if count > bounds.arrays:
        raise CodecError(f"message of {count} arrays exceeds {bounds.arrays}")
    blobs: list[memoryview | None] = []
    for _ in range(count):
        blob, pos = _take(view, pos)
        blobs.append(blob)
    if pos != len(view):
        raise CodecError("trailing bytes after message")
    text = bytes(header)
    if text.count(b"[") + text.count(b"{") > bounds.nodes:  # brackets in strings count too
        raise CodecError(f"message structure of more than {bounds.nodes} parts")
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"malformed message header: {exc}") from None
    return _from_tree(tree, blobs, 0)


def _take(view: memoryview, pos: int) -> tuple[memoryview, int]:
    if pos + _LEN.size > len(view):
        raise CodecError("truncated message")
    (size,) = _LEN.unpack_from(view, pos)
    start = pos + _LEN.size
    if start + size > len(view):
        raise CodecError("truncated message")
    return view[start : start + size], start + size


def _to_tree(value: Any, blobs: list[bytes], keep: Callable[[Any], Ref] | None, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError(f"value is nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is Ref:
        ref = {"$ref": value.id, "type": value.type_name}
        return {**ref, "worker": value.worker} if value.worker else ref
    if kind is Seed:
        return {"$rng": int(value.value)}
    if kind in (tuple, list):
        items = [_to_tree(v, blobs, keep, depth + 1) for v in value]
        return {"$tuple": items} if kind is tuple else items
    if kind is dict and all(type(k) is str for k in value):
        return {"$dict": {k: _to_tree(v, blobs, keep, depth + 1) for k, v in value.items()}}
    if (kind is np.ndarray or isinstance(value, np.generic)) and _plain_dtype(value.dtype):
        array = np.asarray(value)
        if _too_large(array.shape):  # only an empty array can be: the other side refuses it
            raise CodecError(f"an array of shape {array.shape} cannot be sent to or from student "
                             f"code: its nonzero sizes multiply past {MAX_DIMENSION}")  # fmt: skip
        fortran = array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
        blobs.append(array.tobytes(order="F" if fortran else "C"))
        node = {"$nd": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}
        if fortran:
            node["fortran"] = True
        return {**node, "scalar": True} if kind is not np.ndarray else node
    if keep is not None:
        return _to_tree(keep(value), blobs, None, depth)
    raise CodecError(f"a value of type {kind.__name__} cannot be sent to or from student code")


def _too_large(shape: Any) -> bool:
    return math.prod(max(n, 1) for n in shape) > MAX_DIMENSION


def _plain_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in ARRAY_KINDS and dtype.fields is None and dtype.subdtype is None


def _from_tree(tree: Any, blobs: list[memoryview | None], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise CodecError(f"value is nested more than {MAX_DEPTH} levels deep")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is list:
        return [_from_tree(v, blobs, depth + 1) for v in tree]
    if type(tree) is not dict:
        raise CodecError("malformed value in message")
    if len(tree) == 1 and type(tree.get("$tuple")) is list:
        return tuple(_from_tree(v, blobs, depth + 1) for v in tree["$tuple"])
    if len(tree) == 1 and type(tree.get("$dict")) is dict:
        return {k: _from_tree(v, blobs, depth + 1) for k, v in tree["$dict"].items()}
    if len(tree) == 1 and type(tree.get("$rng")) is int:
        return Seed(tree["$rng"])
    if (
        "$ref" in tree
        and type(tree["$ref"]) is int
        and type(tree.get("type")) is str
        and type(tree.get("worker", "")) is str
        and set(tree) <= {"$ref", "type", "worker"}
    ):
        return Ref(tree["$ref"], tree["type"], tree.get("worker", ""))
    if "$nd" in tree and type(tree["$nd"]) is int and 0 <= tree["$nd"] < len(blobs):
        blob, blobs[tree["$nd"]] = blobs[tree["$nd"]], None
        if blob is None:
            raise CodecError("an array appears twice in the message")
        return _array(tree, blob)
    raise CodecError("malformed value in message")


def _array(node: dict[str, Any], blob: memoryview) -> Any:
    """A fresh, writable array (student code may write into its inputs) from a validated node:
    a plain dtype, a shape of at most :data:`MAX_DIMS` sizes within :data:`MAX_DIMENSION`
    that accounts for every byte."""
    dtype, shape, scalar = node.get("dtype"), node.get("shape"), node.get("scalar", False)
    fortran = node.get("fortran", False)
    if (
        not set(node) <= {"$nd", "dtype", "shape", "scalar", "fortran"}
        or type(dtype) is not str
        or not _DTYPE.fullmatch(dtype)
        or type(shape) is not list
        or len(shape) > MAX_DIMS
        or not all(type(n) is int and 0 <= n <= MAX_DIMENSION for n in shape)
        or _too_large(shape)
        or type(scalar) is not bool
        or type(fortran) is not bool
        or (scalar and shape)
    ):
        raise CodecError("malformed array in message")
    try:
        kind = np.dtype(dtype)
    except TypeError:
        raise CodecError(f"malformed array in message: dtype {dtype}") from None
    if not _plain_dtype(kind) or math.prod(shape) * kind.itemsize != len(blob):
        raise CodecError("malformed array in message: its size does not match its shape")
    try:
        flat = np.frombuffer(blob, dtype=kind)
        array = flat.reshape(shape, order="F" if fortran else "C").copy(order="K")
    except ValueError as exc:  # a shape numpy cannot make: an empty one of sizes past 2**63
        raise CodecError(f"malformed array in message: {exc}") from None
    return array[()] if scalar else array

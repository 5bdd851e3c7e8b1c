"""Length-prefixed frames over pipe file descriptors, with deadlines on the reading side."""

from __future__ import annotations

import os
import select
import struct
import time

_LEN = struct.Struct("<Q")
#: Larger frames are refused: grading never needs them and they could exhaust memory.
MAX_FRAME = 512 * 1024 * 1024


class ChannelClosed(EOFError):
    """The other end closed the pipe (the process died or exited)."""


class ChannelTimeout(TimeoutError):
    """No complete frame arrived before the deadline."""


class FrameTooLarge(ValueError):
    """The other end announced a frame larger than :data:`MAX_FRAME`."""


def send(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one frame, raising :class:`ChannelTimeout` if the pipe has not taken all of it by
    ``deadline`` (time.monotonic): a reader that stops reading (student code that never reads
    its requests again) must not hang the writer. With a deadline, ``fd`` must be non-blocking."""
    data = memoryview(_LEN.pack(len(payload)) + payload)
    while data:
        try:
            written = os.write(fd, data)
        except BlockingIOError:  # a full pipe (or room for less than PIPE_BUF bytes)
            written = 0
        data = data[written:]
        if data and deadline is not None:  # wait for room: only when the pipe was full
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                raise ChannelTimeout


def recv(fd: int, deadline: float | None = None, max_size: int = MAX_FRAME) -> bytearray:
    """Read one frame of at most ``max_size`` bytes, raising :class:`ChannelTimeout` past
    ``deadline`` (time.monotonic). A bytearray: a copy into ``bytes`` would double the grader's
    memory for a large reply."""
    (size,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
    if size > min(max_size, MAX_FRAME):
        limit = min(max_size, MAX_FRAME)
        raise FrameTooLarge(f"message of {size} bytes exceeds the {limit}-byte limit")
    return _read_exact(fd, size, deadline)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise ChannelTimeout
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ChannelClosed
        chunks += chunk
    return chunks

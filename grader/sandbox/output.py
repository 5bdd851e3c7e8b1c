"""Capture what student code prints, keeping only a bounded part of it.

A submission that prints gigabytes must neither fill the disk nor the grader's memory, nor block
on a full pipe: a thread drains the pipe continuously and keeps, per segment (one test), the
first HEAD bytes and the last TAIL bytes, counting the rest. Every read happens under one lock,
so that :meth:`OutputCapture.take` can first collect what is still in the pipe: whatever the
worker printed before its reply is in the segment the reply ends.
"""

from __future__ import annotations

import os
import select
import threading

HEAD = 2048
TAIL = 1024


class OutputCapture:
    """Drains one pipe in a background thread; ``take()`` returns the current segment."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self._fd = fd
        self._lock = threading.Lock()
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0
        self._open = True
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                select.select([self._fd], [], [])
            except (OSError, ValueError):
                return
            with self._lock:
                if not self._read_available():
                    return

    def _read_available(self) -> bool:
        """Under the lock: keep what the pipe holds now; False (and the pipe closed) once the
        writers are gone."""
        while self._open:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            if not chunk:
                os.close(self._fd)
                self._open = False
                break
            self._total += len(chunk)
            room = HEAD - len(self._head)
            self._head += chunk[:room]
            self._tail = (self._tail + chunk[room:])[-TAIL:]
        return False

    def take(self) -> str:
        """What was printed since the last take, shortened to HEAD + TAIL bytes."""
        with self._lock:
            self._read_available()
            head, tail, total = bytes(self._head), bytes(self._tail), self._total
            self._head, self._tail, self._total = bytearray(), bytearray(), 0
        skipped = total - len(head) - len(tail)
        text = head.decode("utf-8", "replace")
        if skipped > 0:
            text += f"\n[... {skipped} more bytes not shown ...]\n"
        return text + tail.decode("utf-8", "replace")

    def close(self, timeout: float = 1.0) -> None:
        """Wait briefly for the writer side to be gone (a killed worker's pipe closes)."""
        self._thread.join(timeout)

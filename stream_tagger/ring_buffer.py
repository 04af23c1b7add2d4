"""Bounded single-producer / single-consumer audio ring buffer between a source and the analysis.

Positions are absolute sample counts of the source (at the source's own rate), so the reader
always knows which sample of the stream it got, even after an overrun.

Two ways to write:

* :meth:`RingBuffer.write` (live sources, audio callbacks): copies and returns at once. If the
  reader has fallen behind and the buffer is full, the *oldest* unread audio is dropped and
  counted in :attr:`RingBuffer.dropped_samples`; the writer never waits for the reader.
* :meth:`RingBuffer.write_blocking` (files and pipes read as fast as possible): waits for room,
  so nothing is dropped (back-pressure instead of loss).

The lock is held only for the copy itself (a few microseconds), never while the reader
computes anything.
"""

from __future__ import annotations

import collections
import threading
import time

import numpy as np


class RingBuffer:
    """Mono float32 ring buffer of ``capacity`` samples with absolute positions.

    ``close(error=None)`` marks the end of the stream (optionally with the exception that
    ended it); :meth:`read` returns what is left and then ``None``.
    """

    def __init__(self, capacity: int):
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self._buf = np.zeros(self.capacity, np.float32)
        self._written = 0  # total samples ever written (absolute write position)
        self._read = 0  # absolute position of the next unread sample
        self.dropped_samples = 0  # samples overwritten before they were read
        self._closed = False
        self.error: BaseException | None = None
        self._cond = threading.Condition(threading.Lock())
        # (absolute end position, monotonic time) of recent writes: when each sample became available
        self._marks: collections.deque = collections.deque(maxlen=1024)

    # -- producer side ---------------------------------------------------------------------
    def write(self, samples: np.ndarray) -> int:
        """Copy ``samples`` in without waiting; returns how many old samples were dropped."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        n = x.shape[0]
        if n == 0:
            return 0
        with self._cond:
            if self._closed:
                return 0
            if n > self.capacity:  # a single write larger than the buffer: keep its tail
                skipped = n - self.capacity
                self._written += skipped
                x = x[skipped:]
                n = self.capacity
            self._copy_in(x)
            dropped = 0
            unread = self._written - self._read
            if unread > self.capacity:
                dropped = unread - self.capacity
                self._read += dropped
                self.dropped_samples += dropped
            self._marks.append((self._written, time.monotonic()))
            self._cond.notify()
        return dropped

    def write_blocking(self, samples: np.ndarray, timeout_s: float | None = None) -> bool:
        """Copy ``samples`` in, waiting for room (no drops). False if closed meanwhile."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        pos = 0
        while pos < x.shape[0]:
            with self._cond:
                while not self._closed and self._written - self._read >= self.capacity:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(0.1 if remaining is None else min(0.1, remaining))
                if self._closed:
                    return False
                room = self.capacity - (self._written - self._read)
                chunk = x[pos : pos + room]
                self._copy_in(chunk)
                pos += chunk.shape[0]
                self._marks.append((self._written, time.monotonic()))
                self._cond.notify_all()
        return True

    def _copy_in(self, x: np.ndarray) -> None:
        n = x.shape[0]
        i = self._written % self.capacity
        first = min(n, self.capacity - i)
        self._buf[i : i + first] = x[:first]
        if first < n:
            self._buf[: n - first] = x[first:]
        self._written += n

    def close(self, error: BaseException | None = None) -> None:
        """End of stream (no more writes). ``error``: why it ended, if abnormally."""
        with self._cond:
            if error is not None and self.error is None:
                self.error = error
            self._closed = True
            self._cond.notify_all()

    # -- consumer side ---------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def written(self) -> int:
        return self._written

    def available(self) -> int:
        with self._cond:
            return self._written - self._read

    def read(self, max_samples: int, timeout_s: float | None = None) -> tuple[int, np.ndarray] | None:
        """Up to ``max_samples`` unread samples as ``(absolute_start, samples)``.

        Waits until at least one sample is there (or ``timeout_s`` passes: returns
        ``(position, empty array)``). Returns ``None`` once closed and drained.
        A start beyond the previous read's end means audio was dropped in between.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._written == self._read:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return self._read, np.zeros(0, np.float32)
                self._cond.wait(0.1 if remaining is None else min(0.1, remaining))
            n = min(int(max_samples), self._written - self._read)
            start = self._read
            i = start % self.capacity
            first = min(n, self.capacity - i)
            out = np.empty(n, np.float32)
            out[:first] = self._buf[i : i + first]
            if first < n:
                out[first:] = self._buf[: n - first]
            self._read += n
            self._cond.notify_all()
            return start, out

    def time_available(self, position: int) -> float | None:
        """Monotonic time at which absolute sample ``position - 1`` was written (None if unknown)."""
        with self._cond:
            for end, t in self._marks:
                if end >= position:
                    return t
        return None

"""Bounded single-producer / single-consumer audio ring buffer between a source and the analysis.

Positions are absolute sample counts of the source (at the source's own rate), so the reader
always knows which sample of the stream it got, even after an overrun.

Two ways to write:

* :meth:`RingBuffer.write` (live sources, audio callbacks): copies and returns at once. If the
  reader has fallen behind and the buffer is full, the *oldest* unread audio is dropped and
  counted in :attr:`RingBuffer.dropped_samples`; the writer never waits for the reader.
* :meth:`RingBuffer.write_blocking` (files and pipes read as fast as possible): waits for room,
  so nothing is dropped (back-pressure instead of loss).

A source that knows audio is missing (a network stream that stalled and reconnected) calls
:meth:`RingBuffer.skip`: the write position jumps ahead without samples, the reader's next
read starts after the hole (as after an overrun), and the object given with the hole (a
:class:`~stream_tagger.events.Gap`) is handed to the reader by :meth:`RingBuffer.take_skipped`.
Holes take no room in the buffer.

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
        self._written = 0  # absolute write position: samples ever written plus holes skipped
        self._read = 0  # absolute position of the next unread sample
        self._skipped_total = 0  # samples of all holes (positions without samples)
        self._read_skipped = 0  # samples of the holes the reader has passed
        self._holes: collections.deque = collections.deque()  # [position, samples, tag] not yet passed
        self._passed: list = []  # tags of the holes passed, for take_skipped()
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
            unread = self._unread()
            if unread > self.capacity:
                dropped = unread - self.capacity
                self._drop_oldest(dropped)
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
                while not self._closed and self._unread() >= self.capacity:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(0.1 if remaining is None else min(0.1, remaining))
                if self._closed:
                    return False
                room = self.capacity - self._unread()
                chunk = x[pos : pos + room]
                self._copy_in(chunk)
                pos += chunk.shape[0]
                self._marks.append((self._written, time.monotonic()))
                self._cond.notify_all()
        return True

    def skip(self, samples: int, tag=None) -> None:
        """Advance the write position by ``samples`` without samples (audio known to be missing);
        ``tag`` goes to the reader through :meth:`take_skipped` once it passes the hole. A hole of
        0 samples is a mark (the reader learns where audio stopped, before the rest is known)."""
        n = int(samples)
        if n < 0:
            return
        with self._cond:
            if self._closed:
                return
            if n == 0 and tag is None:
                return
            self._holes.append([self._written, n, tag])
            self._written += n
            self._skipped_total += n
            self._cond.notify_all()

    def take_skipped(self) -> list:
        """The tags of the holes the reader has passed since the last call, oldest first."""
        with self._cond:
            out, self._passed = self._passed, []
            return out

    def _unread(self) -> int:
        """Unread samples held (holes not counted); lock held."""
        return (self._written - self._skipped_total) - (self._read - self._read_skipped)

    def _pass_hole(self) -> None:
        pos, n, tag = self._holes.popleft()
        self._read = pos + n
        self._read_skipped += n
        self._passed.append(tag)

    def _drop_oldest(self, n: int) -> None:
        """Drop the ``n`` oldest unread samples (passing any hole among them); lock held."""
        while n > 0:
            if self._holes and self._holes[0][0] - self._read <= n:
                k = self._holes[0][0] - self._read
                self._read += k
                self.dropped_samples += k
                n -= k
                self._pass_hole()
            else:
                self._read += n
                self.dropped_samples += n
                n = 0

    def _copy_in(self, x: np.ndarray) -> None:
        n = x.shape[0]
        i = (self._written - self._skipped_total) % self.capacity
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

    @property
    def last_write_s(self) -> float | None:
        """Monotonic time (s) of the latest write, None before the first."""
        marks = self._marks
        try:
            return marks[-1][1]
        except IndexError:
            return None

    def available(self) -> int:
        with self._cond:
            return self._unread()

    def read(self, max_samples: int, timeout_s: float | None = None) -> tuple[int, np.ndarray] | None:
        """Up to ``max_samples`` unread samples as ``(absolute_start, samples)``.

        Waits until at least one sample is there (or ``timeout_s`` passes: returns
        ``(position, empty array)``). Returns ``None`` once closed and drained.
        A start beyond the previous read's end means audio was dropped or skipped
        (:meth:`skip`) in between. A read never spans a hole.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while True:
                while self._holes and self._holes[0][0] == self._read:
                    self._pass_hole()
                if self._written != self._read:
                    break
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return self._read, np.zeros(0, np.float32)
                self._cond.wait(0.1 if remaining is None else min(0.1, remaining))
            n = min(int(max_samples), self._written - self._read)
            if self._holes:
                n = min(n, self._holes[0][0] - self._read)
            start = self._read
            i = (start - self._read_skipped) % self.capacity
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
            return self._first_mark_at_or_after(position)

    def _first_mark_at_or_after(self, position: int) -> float | None:
        """Time of the oldest kept write ending at or after ``position``. Searched from the newest
        back (the positions asked for are recent): a handful of steps, not the 1024 marks kept."""
        found = None
        for end, t in reversed(self._marks):
            if end < position:
                break
            found = t
        return found

    def wait_available(self, samples: int, timeout_s: float, max_age_s: float | None = None) -> None:
        """Wait until ``samples`` are unread, the stream is closed, ``timeout_s`` passes, or (with
        ``max_age_s``) the oldest unread sample has waited that long: a reader that takes a live
        source's audio in batches (:attr:`Tagger.live_read_s`) instead of waking up for every
        block the source writes, and never holds a sample back longer than ``max_age_s``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._written - self._read < samples and not self._closed:
                now = time.monotonic()
                until = deadline
                if max_age_s is not None and self._written > self._read:
                    first = self._first_mark_at_or_after(self._read + 1)
                    first = now if first is None else first
                    until = min(until, first + max_age_s)
                if now >= until:
                    return
                self._cond.wait(min(0.1, until - now))

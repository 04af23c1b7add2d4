"""Wall-clock (UTC) time of a live source's samples, from the times its blocks arrived.

A live source (input device, network stream) tells :class:`SampleClock` when each block of
samples reached it (:meth:`SampleClock.observe`); the clock answers the UTC time of any sample
position (:meth:`SampleClock.utc_at`). Samples are taken to be evenly spaced at the source's
rate, so the time of position ``p`` is ``anchor + p / rate``. A block cannot have been captured
after it arrived, so the anchor is the smallest ``arrival - end / rate`` seen: the block that
came with the least delay sets it, and a burst (a network stream's buffered start, a process
that was held up) does not move it. It rises again slowly (:data:`RELAX_S_PER_S`), so a sample
clock slower than the computer's, or a stream that came back later, is followed.

A reconnected stream starts a new span (:meth:`SampleClock.start_span`) with an anchor of its
own, never earlier than the time the previous span ended.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from ..events import utc_iso

RELAX_S_PER_S = 0.001
"""How fast the anchor may move later: seconds per second of wall-clock time (1 ms/s follows a
sample clock up to 1000 ppm slow and forgets a one-off early arrival within seconds)."""


class SampleClock:
    """UTC seconds (since 1970) of sample positions at ``rate_hz`` (see the module docstring)."""

    def __init__(self, rate_hz: int, max_spans: int = 256):
        self.rate_hz = int(rate_hz)
        self._lock = threading.Lock()
        # [first position, anchor (UTC s of position 0) or None, floor of the anchor, wall s of the last observation]
        self._spans: deque = deque([[0, None, None, 0.0]], maxlen=max_spans)

    def observe(self, end_position: int, wall_s: float | None = None) -> None:
        """The samples up to absolute position ``end_position`` (exclusive) arrived at ``wall_s``
        (UTC seconds; default: now)."""
        wall = time.time() if wall_s is None else float(wall_s)
        offset = wall - end_position / self.rate_hz
        with self._lock:
            span = self._spans[-1]
            if span[1] is None:
                anchor = offset
            else:
                anchor = min(span[1] + RELAX_S_PER_S * max(0.0, wall - span[3]), offset)
            if span[2] is not None:
                anchor = max(anchor, span[2])
            span[1], span[3] = anchor, wall

    def start_span(self, position: int, not_before_s: float | None = None) -> None:
        """Samples from ``position`` on come from a new connection: a new anchor, such that
        position ``position`` is not earlier than ``not_before_s`` (UTC seconds)."""
        floor = None if not_before_s is None else not_before_s - position / self.rate_hz
        with self._lock:
            self._spans.append([int(position), None, floor, 0.0])

    def utc_at(self, position: float) -> float | None:
        """UTC seconds of sample ``position`` (None before the first observation)."""
        with self._lock:
            chosen = self._spans[0]
            for span in reversed(self._spans):
                if span[0] <= position:
                    chosen = span
                    break
            anchor = chosen[1]
            if anchor is None:  # a span not observed yet: the previous one's reckoning
                for span in reversed(self._spans):
                    if span[1] is not None and span[0] <= position:
                        anchor = span[1]
                        break
        return None if anchor is None else anchor + position / self.rate_hz

    def iso_at_s(self, time_s: float) -> str | None:
        """The UTC time of stream second ``time_s`` (position ``time_s * rate``) as ISO 8601
        with milliseconds (:func:`~stream_tagger.events.utc_iso`), None before it is known."""
        t = self.utc_at(time_s * self.rate_hz)
        return None if t is None else utc_iso(t)

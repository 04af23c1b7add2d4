"""The queue between the engine's worker thread and the consumer of ``Tagger.stream``.

The worker puts hops, segments and gaps as they are decided, then the error that ended the
stream (if any), then :data:`END`; the consumer takes them in that order.
"""

from __future__ import annotations

import queue
import threading

EVENT_QUEUE_SIZE = 1024
"""Events waiting for the consumer at most. When full, a file's or stdin's analysis waits (the
back-pressure reaches the ring buffer and the reader); a live source's (device, paced replay)
goes on, and the events that find no room are lost and counted (``RunStats.lost_events``)."""

END = object()
"""The last item of a stream's queue."""


class EventQueue:
    """One stream's events on their way to its consumer. ``live``: the running source is live
    (a full queue loses events instead of waiting)."""

    def __init__(self, live: bool, maxsize: int = EVENT_QUEUE_SIZE):
        self._q: queue.Queue = queue.Queue(maxsize=maxsize)
        self.live = bool(live)
        self.consumer_gone = threading.Event()  # the stream's consumer has left: nobody reads the queue

    def deliver(self, ev) -> bool:
        """Queue an event for the consumer: a live source's never waits (no room: it is lost, and
        this returns False), others wait for room (see :data:`EVENT_QUEUE_SIZE`)."""
        if not self.live:
            self.put_waiting(ev)
            return True
        try:
            self._q.put_nowait(ev)
        except queue.Full:
            return False
        return True

    def put_waiting(self, item) -> None:
        """Put ``item`` when there is room, unless the consumer has gone (then it is dropped)."""
        while not self.consumer_gone.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                pass

    def get(self, timeout_s: float):
        """The next item; raises :class:`queue.Empty` after ``timeout_s`` seconds without one."""
        return self._q.get(timeout=timeout_s)

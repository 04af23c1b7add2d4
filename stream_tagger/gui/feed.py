"""What the window reads: the engine's events and a snapshot of its state, thread-safely.

The engine's threads call :meth:`Feed.on_hop` / :meth:`Feed.on_segment`, which only append to a
lock-free queue (``queue.SimpleQueue.put`` never blocks), so the GUI cannot slow the analysis
down. The GUI thread calls :meth:`Feed.drain` and :meth:`Feed.snapshot` from its timer.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass

import numpy as np

from ..events import Hop, Segment


@dataclass(frozen=True)
class FeedSnapshot:
    """The engine's state at one moment, as the window shows it.

    ``stream_time_s``: stream seconds analysed so far (from sample counts).
    ``logmel``: recent frontend frames ``(n_mels, n)``, the last one being global frame
    ``logmel_end_frame - 1`` (frame k is centred on stream time ``k * frame_hop_s``).
    ``load``: processing time / stream time over the recent past (None before known).
    """

    stream_time_s: float
    sample_rate_hz: int
    source_description: str
    level_dbfs: float | None
    load: float | None
    dropped_samples: int
    logmel: np.ndarray | None
    logmel_end_frame: int
    running: bool


class Feed:
    """Base: the queue side. Subclasses bind it to the engine (see :meth:`start`)."""

    network_labels: tuple[str, ...] = ("speech", "music", "noise")
    n_mels: int = 64
    frame_hop_s: float = 0.01
    is_live: bool = False

    def __init__(self):
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self.thresholds: dict[str, float] = {}
        self.silence_dbfs: float = -50.0
        self.source_description = ""

    # called from the engine's threads: must never block
    def on_hop(self, hop: Hop) -> None:
        self._events.put(hop)

    def on_segment(self, seg: Segment) -> None:
        self._events.put(seg)

    # called from the GUI thread
    def drain(self, max_events: int = 100000) -> list:
        out = []
        try:
            while len(out) < max_events:
                out.append(self._events.get_nowait())
        except queue.Empty:
            pass
        return out

    def snapshot(self) -> FeedSnapshot:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_silence_dbfs(self, value_dbfs: float) -> None:
        self.silence_dbfs = float(value_dbfs)

    def input_devices(self) -> list[tuple[object, str]]:
        """``(device id, name)`` of the input devices (live streams only)."""
        return []

    def current_device(self):
        return None

    def switch_device(self, device) -> None:
        raise NotImplementedError("this source has no devices")

    def stop(self) -> None:
        """Stop the stream and join the engine's threads."""

    def error(self):
        """The error that ended the stream, if any (a TaggerError), else None."""
        return None

    @classmethod
    def start(cls, tagger, source, play: bool = False) -> "Feed":
        """Start ``tagger`` on ``source`` and return the feed that follows it."""
        return EngineFeed(tagger, source, play=play)


class EngineFeed(Feed):
    """A feed bound to the streaming engine (filled in once the engine's API lands)."""

    def __init__(self, tagger, source, play: bool = False):
        super().__init__()
        raise NotImplementedError("engine API not available yet")

"""What a run reports: :class:`RunStats` (totals, latencies, losses) and :class:`EngineSnapshot`
(the read-only view a display polls). Both are re-exported by :mod:`stream_tagger.engine`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .analysis import RATE_HZ
from .events import Hop


@dataclass
class EngineSnapshot:
    """Read-only view of the engine for displays (see :mod:`stream_tagger.engine`'s docstring)."""

    running: bool = False
    source_description: str = ""
    source_rate_hz: int = 0
    sample_rate_hz: int = RATE_HZ
    stream_time_s: float = 0.0
    level_dbfs: float = -120.0
    level_envelope_dbfs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    floor_dbfs: float | None = None
    logmel: np.ndarray = field(default_factory=lambda: np.zeros((64, 0), np.float32))
    logmel_end_s: float = 0.0
    load: float = 0.0
    dropped_samples: int = 0
    last_hop: Hop | None = None
    error: str | None = None


LATENCY_WINDOW_HOPS = 2048  # latencies kept: the latest 2048 hops (8.5 min at the 0.25 s hop)


@dataclass
class RunStats:
    """Totals of one run. ``latencies_s``: per hop of the latest :data:`LATENCY_WINDOW_HOPS`
    (a bounded window, so a 24/7 run does not grow), from the moment the audio completing its
    last window was written into the ring buffer to the moment the hop was emitted, seconds.
    ``lost_events``: hops and segments of a live source that found the event queue full (the
    consumer, e.g. a stalled standard output, fell :data:`~stream_tagger.event_queue.EVENT_QUEUE_SIZE` events behind).
    ``gaps``, ``gap_s``: how many :class:`~stream_tagger.events.Gap` events, and their wall-clock seconds."""

    audio_s: float = 0.0
    processing_s: float = 0.0
    hops: int = 0
    segments: int = 0
    windows: int = 0
    dropped_samples: int = 0
    lost_events: int = 0
    gaps: int = 0
    gap_s: float = 0.0
    first_hop_wall_s: float | None = None
    latencies_s: deque = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW_HOPS))

    @property
    def realtime_factor(self) -> float:
        return self.audio_s / self.processing_s if self.processing_s > 0 else float("inf")

"""What the engine publishes: labelled hops, closed segments and, for network streams, gaps.

All times are seconds of *stream time*, derived from sample counts (sample index / 16 000),
never from the wall clock. A live stream's time 0 is its first captured sample.

A live source (input device, network stream) also tells the wall-clock time of its samples:
hops and segments then carry ``utc``, the UTC time of their start as ISO 8601 with
milliseconds (``2025-03-01T12:00:00.250Z``, :func:`utc_iso`), derived from the source's
capture times of its blocks (not from the time the event is written). Files, paced replays
and standard input have no wall-clock time: ``utc`` is None.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

LABELS = ("speech", "music", "noise", "silence")
"""All labels, in display order. The network predicts the first three; silence comes from level."""


def span_decimals(start_s: float, end_s: float, decimals: int = 3) -> int:
    """Decimals to print the times of a span with: ``decimals``, or 6 (microseconds) when the span
    has a positive length that ``decimals`` would print as zero (only a stream shorter than 10 ms
    has such a span: 1 sample at 16 kHz lasts 0.0000625 s)."""
    if end_s > start_s and round(end_s, decimals) <= round(start_s, decimals):
        return max(decimals, 6)
    return decimals


@dataclass(frozen=True)
class Hop:
    """One hop-long cell of stream time with its decisions.

    ``probabilities``: per network label, the mean of the windows covering this cell (0..1).
    ``level_dbfs``: RMS level of the cell in dBFS (full-scale sine = -3 dBFS; digital silence -120).
    ``labels``: the labels on in this cell after thresholds, hysteresis and minimum durations;
    inside a silence not yet known to last ``min_silence_s`` (a pause, :mod:`stream_tagger.pauses`),
    the labels of the hop before it.
    ``dropped_samples``: total input samples dropped so far because analysis fell behind.
    ``utc``: wall-clock UTC time of the cell's start (live sources), else None.
    ``floor_dbfs``: the input's tracked noise floor when this cell was decided, dBFS (the level
    the quietest few seconds of the last minute stay at or below, :class:`~stream_tagger.level.NoiseFloor`);
    None until those seconds have come. Silence in ``floor`` mode is decided against it.
    """

    index: int
    start_s: float
    end_s: float
    probabilities: dict[str, float]
    level_dbfs: float
    labels: frozenset[str]
    dropped_samples: int = 0
    utc: str | None = field(default=None, compare=False)
    floor_dbfs: float | None = None


@dataclass(frozen=True, order=True)
class Segment:
    """A contiguous run of one label, ``start_s`` .. ``end_s`` in stream seconds (10 ms resolution).

    ``utc``: wall-clock UTC time of its start (live sources), else None; not compared."""

    start_s: float
    end_s: float
    label: str = field(compare=True)
    utc: str | None = field(default=None, compare=False)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Gap:
    """Wall-clock time in which a network stream delivered no audio (stalled, dropped, reconnecting).

    ``start_utc`` / ``end_utc``: ISO 8601 UTC with milliseconds (:func:`utc_iso`) of the end of
    the last audio before the gap and of the start of the first audio after it (or of the moment
    the source gave up or was stopped). ``seconds``: their difference. The analysis is not glued
    across a gap: segments open at its start are closed there and a new run starts after it.
    ``start_s`` / ``end_s``: where the gap lies in stream time; the stream's sample count skips
    the missing time (``end_s - start_s`` is ``seconds`` to a sample), like audio dropped by an
    overrun, so stream time keeps step with the wall clock across reconnections.
    """

    start_utc: str
    end_utc: str
    seconds: float
    start_s: float = 0.0
    end_s: float = 0.0


def utc_iso(epoch_s: float) -> str:
    """``epoch_s`` (seconds since 1970, UTC) as ISO 8601 with milliseconds: ``2025-03-01T12:00:00.250Z``."""
    ms = int(round(epoch_s * 1000.0))
    whole, frac = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{frac:03d}Z"

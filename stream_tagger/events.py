"""What the engine publishes: labelled hops and closed segments.

All times are seconds of *stream time*, derived from sample counts (sample index / 16 000),
never from the wall clock. A live stream's time 0 is its first captured sample.
"""

from __future__ import annotations

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
    ``labels``: the labels on in this cell after thresholds, hysteresis and minimum durations.
    ``dropped_samples``: total input samples dropped so far because analysis fell behind.
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
    floor_dbfs: float | None = None


@dataclass(frozen=True, order=True)
class Segment:
    """A contiguous run of one label, ``start_s`` .. ``end_s`` in stream seconds (10 ms resolution)."""

    start_s: float
    end_s: float
    label: str = field(compare=True)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

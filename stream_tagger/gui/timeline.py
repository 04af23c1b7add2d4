"""What the window shows, kept from the engine's events (no Qt here, so it is testable alone).

:class:`LabelTimeline` answers "which labels are on between t0 and t1": closed
:class:`~stream_tagger.events.Segment` events are final (refined boundaries); hops that are
of a label are drawn provisionally until the segment that closes them arrives (the segment's
refined boundaries then replace the hop-rounded ones); a final segment of speech, music or
noise also removes provisional silence within it (a pause, :mod:`stream_tagger.pauses`). A
network stream's :class:`~stream_tagger.events.Gap` (no audio) is kept as a span of its own.
:class:`HopHistory` keeps recent per-hop probabilities and levels as arrays for
the curves. All times are seconds of stream time.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..events import LABELS, Gap, Hop, Segment


class LabelTimeline:
    """Per-label on-intervals from hops (provisional) and segments (final).

    ``keep_s``: how much stream time before the newest event to keep (older data is dropped,
    so memory is bounded on endless live streams); ``None`` keeps everything.
    """

    def __init__(self, keep_s: float | None = 120.0):
        self.keep_s = keep_s
        self._final: dict[str, deque[tuple[float, float]]] = {lab: deque() for lab in LABELS}
        self._final_end_s: dict[str, float] = {lab: 0.0 for lab in LABELS}
        self._runs: dict[str, deque[list[float]]] = {lab: deque() for lab in LABELS}
        self._gaps: deque[tuple[float, float]] = deque()
        self.end_s = 0.0  # newest hop end seen
        self.labels_now: frozenset[str] = frozenset()

    def add_hop(self, hop: Hop) -> None:
        """Extend the provisional runs with one hop cell."""
        self.labels_now = frozenset(hop.labels)
        self.end_s = max(self.end_s, hop.end_s)
        for lab in hop.labels:
            runs = self._runs.get(lab)
            if runs is None:
                continue
            if runs and abs(runs[-1][1] - hop.start_s) < 1e-6:
                runs[-1][1] = hop.end_s
            else:
                runs.append([hop.start_s, hop.end_s])
        self._prune()

    def add_segment(self, seg: Segment) -> None:
        """Record a final segment; it replaces the provisional hops it covers."""
        if seg.label not in self._final:
            return
        self._final[seg.label].append((seg.start_s, seg.end_s))
        self._final_end_s[seg.label] = max(self._final_end_s[seg.label], seg.end_s)
        # the provisional run(s) this segment closes are superseded, whatever their hop-rounded ends
        eps = 1e-6
        runs = self._runs[seg.label]
        kept = [r for r in runs if not (r[0] < seg.end_s + eps and r[1] > seg.start_s - eps)]
        if len(kept) != len(runs):
            runs.clear()
            runs.extend(kept)
        if seg.label != "silence":  # no silence inside a final segment of another label (a pause)
            self._clip_runs("silence", seg.start_s, seg.end_s)
        self.end_s = max(self.end_s, seg.end_s)
        self._prune()

    def _clip_runs(self, label: str, start_s: float, end_s: float) -> None:
        """Cut ``[start_s, end_s]`` out of ``label``'s provisional runs."""
        runs = self._runs[label]
        out = []
        for a, b in runs:
            if b <= start_s or a >= end_s:
                out.append([a, b])
                continue
            if a < start_s:
                out.append([a, start_s])
            if b > end_s:
                out.append([end_s, b])
        runs.clear()
        runs.extend(out)

    def add_gap(self, gap: Gap) -> None:
        """Record a span of stream time without audio (``gap.start_s`` .. ``gap.end_s``)."""
        if gap.end_s > gap.start_s:
            self._gaps.append((gap.start_s, gap.end_s))
            self.end_s = max(self.end_s, gap.end_s)
            self._prune()

    def gaps(self, t0_s: float = -np.inf, t1_s: float = np.inf) -> list[tuple[float, float]]:
        """``(start_s, end_s)`` of the gaps overlapping ``[t0_s, t1_s]``, clipped to it."""
        return [(max(a, t0_s), min(b, t1_s)) for a, b in self._gaps if b > t0_s and a < t1_s]

    def intervals(self, label: str, t0_s: float = -np.inf, t1_s: float = np.inf) -> list[tuple[float, float, bool]]:
        """``(start_s, end_s, final)`` of ``label`` overlapping ``[t0_s, t1_s]``, clipped to it."""
        out: list[tuple[float, float, bool]] = []
        for a, b in self._final[label]:
            if b > t0_s and a < t1_s:
                out.append((max(a, t0_s), min(b, t1_s), True))
        fin = self._final_end_s[label]
        for a, b in self._runs[label]:
            a = max(a, fin)
            if b > a and b > t0_s and a < t1_s:
                out.append((max(a, t0_s), min(b, t1_s), False))
        return out

    def segments(self) -> list[Segment]:
        """Every interval kept, as segments (final and provisional), sorted by time.

        This is what "save the labels so far" writes."""
        segs = [Segment(a, b, lab) for lab in LABELS for a, b, _ in self.intervals(lab)]
        return sorted(segs)

    def _prune(self) -> None:
        if self.keep_s is None:
            return
        cut = self.end_s - self.keep_s
        while self._gaps and self._gaps[0][1] < cut:
            self._gaps.popleft()
        for lab in LABELS:
            for q in (self._final[lab], self._runs[lab]):
                while q and q[0][1] < cut:
                    q.popleft()


class HopHistory:
    """Recent hops as arrays: times, probabilities per network label, level. Bounded ring."""

    def __init__(self, labels=("speech", "music", "noise"), capacity: int = 20000):
        self.labels = tuple(labels)
        self.capacity = int(capacity)
        self._t = np.zeros(self.capacity, np.float64)
        self._p = np.zeros((len(self.labels), self.capacity), np.float32)
        self._level = np.zeros(self.capacity, np.float32)
        self._n = 0  # total hops added

    def add(self, hop: Hop) -> None:
        i = self._n % self.capacity
        self._t[i] = 0.5 * (hop.start_s + hop.end_s)
        for k, lab in enumerate(self.labels):
            self._p[k, i] = hop.probabilities.get(lab, np.nan)
        self._level[i] = hop.level_dbfs
        self._n += 1

    def add_break(self, time_s: float) -> None:
        """No data at ``time_s`` (a gap): a point of NaN probabilities, so curves drawn with
        ``connect="finite"`` are not joined across it."""
        i = self._n % self.capacity
        self._t[i] = time_s
        self._p[:, i] = np.nan
        self._level[i] = self._level[(self._n - 1) % self.capacity] if self._n else -120.0
        self._n += 1

    def __len__(self) -> int:
        return min(self._n, self.capacity)

    def arrays(self, since_s: float = -np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(times_s, probabilities (labels, n), level_dbfs)`` in time order, hops centred after ``since_s``."""
        n = len(self)
        if self._n <= self.capacity:
            idx = np.arange(n)
        else:
            start = self._n % self.capacity
            idx = (np.arange(n) + start) % self.capacity
        t = self._t[idx]
        keep = t >= since_s
        idx = idx[keep]
        return self._t[idx], self._p[:, idx], self._level[idx]

    @property
    def last_level_dbfs(self) -> float:
        if self._n == 0:
            return -120.0
        return float(self._level[(self._n - 1) % self.capacity])

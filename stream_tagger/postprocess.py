"""Decisions: probabilities and levels of hop cells -> labels on/off -> segments.

Per network label (speech, music, noise):

1. hysteresis on the cell's probability: on at ``p >= threshold + hysteresis/2``, off at
   ``p < threshold - hysteresis/2`` (threshold per label from the model metadata);
2. a cell that is silent (below) is forced off;
3. minimum durations (:class:`RunTracker`): a run of raw-on cells becomes a segment only once
   it has lasted ``min_on`` cells (its start is then back-dated to the run's first cell), and
   a segment ends only after ``min_off`` raw-off cells (its end is back-dated to the first of
   them); shorter gaps are bridged. Everything is causal, so hop labels need no look-ahead:
   a hop shows the label state confirmed so far.

Silence comes from the level, gated by the network (:meth:`Decider.silent`). ``absolute`` mode: a
cell is silent when its level is below ``silence_dbfs`` and stays silent until the level reaches
``silence_dbfs + silence_hysteresis_db``. ``floor`` mode (:data:`SILENCE_MODES`) adds: a cell is
also silent when its level is *at the floor* -- within ``floor_margin_db`` of the input's tracked
noise floor (:class:`~stream_tagger.level.NoiseFloor`: the level the quietest ``floor_quiet_s``
of the last ``floor_window_s`` stay at or below; released ``silence_hysteresis_db`` higher), a
floor at or below ``floor_max_dbfs`` -- and no label of :data:`FLOOR_BLOCKING_LABELS` is held by
every window covering the cell (:meth:`Decider.held`): a steady hiss, hum or room tone is what the
floor is made of, and the network calls it noise; a soft piano piece or a whisper at the floor's
level is music or speech in all its windows, while a pause next to speech has a window beside the
speech that holds none. At the floor, ``noise`` (:data:`FLOOR_SOUND_LABEL`) is off: the floor under
a speech pause is not a noise. Then the same minimum-duration tracking. Speech, music and noise may be on together.

Pauses (``min_silence_s``, applied after these per-cell decisions, on the segments, by
:class:`~stream_tagger.analysis.Analysis`): a silence shorter than ``min_silence_s`` between two
stretches of the same label does not break that label and is not reported as silence.

Boundary refinement (:func:`refine_boundary`): a segment's hop-quantised boundary is moved
to the strongest rise (start) or fall (end) of the 10 ms level envelope inside the region
the overlapping windows leave uncertain, if that step is at least ``min_step_db``. The end of
a network label is first placed where its per-window probabilities fall
(:func:`window_fall_sample`), and level steps are searched only ``fall_radius_s`` around that:
where the sound goes on (speech stopping over music) the envelope has no edge of its own, and
the hop grid's end lies up to half a window late. A network label's boundary that is not a
silence edge (a class change: speech to music, music to noise, a crossfade) is then placed by
:mod:`stream_tagger.boundaries` (the windows' threshold crossing, then the largest change of
spectral shape near it), except where the spectrum shows no change, and except a speech end on
a level step where its windows fall (a voice stopping over a sound that goes on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import boundaries

NETWORK_LABELS = ("speech", "music", "noise")
SILENCE = "silence"
SILENCE_DBFS_RANGE = (-120.0, 0.0)  # silence levels accepted from metadata and --silence-db, dBFS
MIN_SILENCE_S_RANGE = (0.0, 60.0)  # pause lengths accepted from metadata and --min-silence-s, seconds
SILENCE_MODES = ("absolute", "floor")  # how silence is decided (see the module doc)
FLOOR_MARGIN_DB_RANGE = (0.0, 40.0)  # margins above the floor accepted from metadata and --floor-margin-db, dB
FLOOR_BLOCKING_LABELS = ("speech", "music")  # network labels whose being on keeps a cell at the floor from silence
FLOOR_SOUND_LABEL = "noise"  # what the network hears a floor (hiss, hum, room tone) as; off at the floor


@dataclass
class DecisionParams:
    """Decision settings. Durations in seconds, levels in dBFS, probabilities 0..1."""

    thresholds: dict[str, float] = field(default_factory=lambda: {k: 0.5 for k in NETWORK_LABELS})
    hysteresis: float = 0.1
    min_on_s: dict[str, float] = field(default_factory=dict)
    min_off_s: dict[str, float] = field(default_factory=dict)
    silence_dbfs: float = -50.0
    silence_hysteresis_db: float = 3.0
    silence_mode: str = "floor"  # one of SILENCE_MODES (floor won on every degraded copy, see README)
    floor_margin_db: float = 3.0  # floor mode: silent up to this far above the tracked floor, dB
    floor_window_s: float = 60.0  # floor mode: the floor is taken over this much of the latest audio, s
    floor_quiet_s: float = 3.0  # floor mode: ... as the level its quietest this-many seconds stay at or below
    floor_max_dbfs: float = -35.0  # floor mode: a floor louder than this is not taken for silence
    refine: bool = True
    refine_radius_s: float | None = None  # default: half the analysis window
    refine_any_direction: bool = True  # network labels: strongest change either way (tuned on val)
    refine_distance_db_per_s: float = 0.0  # network labels: penalty on distance from the hop boundary
    min_step_db: float = 6.0
    fall_radius_s: float = 0.15  # network labels' ends: level steps searched this near the windows' fall
    min_silence_s: float = 0.5  # pauses: a shorter silence between two stretches of one label is that label
    class_change_by_spectrum: bool = True  # network labels away from silence: placed by stream_tagger.boundaries
    change_keep_fall_step_labels: tuple[str, ...] = ("speech",)  # ... except their ends on a level step where their windows fall
    change_covered_s: float = boundaries.COVERED_S  # ... seconds of the label the threshold-crossing window holds
    change_max_move_s: float = 0.75  # ... the crossing is used only this near the level search's place, s
    change_radius_s: float = boundaries.RADIUS_S  # ... spectral change searched this near the coarse place, s
    change_half_s: float = boundaries.HALF_S  # ... seconds of frames compared on each side
    change_min_novelty_db: float = boundaries.MIN_NOVELTY_DB  # ... a smaller change of spectral shape leaves the level's place
    change_halfway_smooth_s: float = boundaries.HALFWAY_SMOOTH_S  # ... then where the shape is half way across, averaged over this, s (0: off)
    change_distance_per_s: float = boundaries.DISTANCE_PER_S  # ... penalty per second from the coarse place (share of the largest change)

    DEFAULT_MIN_SILENCE_S = 0.5  # metadata without ``min_silence_s`` (written before it existed)

    DEFAULT_MIN_ON_S = {"speech": 0.25, "music": 0.25, "noise": 0.25, SILENCE: 0.5}
    DEFAULT_MIN_OFF_S = {"speech": 0.5, "music": 0.5, "noise": 0.5, SILENCE: 0.25}

    FLOOR_FIELDS = ("floor_margin_db", "floor_window_s", "floor_quiet_s", "floor_max_dbfs")

    @classmethod
    def from_metadata(cls, meta: dict, silence_dbfs: float | None = None, min_silence_s: float | None = None,
                      silence_mode: str | None = None, floor_margin_db: float | None = None) -> "DecisionParams":
        """Settings from model metadata (``thresholds``, optional ``hysteresis``, ``min_on_s``,
        ``min_off_s``, ``silence_dbfs``, ``silence_hysteresis_db``, ``min_silence_s`` (absent:
        :data:`DEFAULT_MIN_SILENCE_S`), ``silence_mode`` and the :data:`FLOOR_FIELDS`);
        ``silence_dbfs``, ``min_silence_s``, ``silence_mode`` and ``floor_margin_db`` override."""
        p = cls(thresholds={k: float(v) for k, v in meta.get("thresholds", {}).items()})
        p.hysteresis = float(meta.get("hysteresis", p.hysteresis))
        p.min_on_s = {k: float(v) for k, v in dict(meta.get("min_on_s", {})).items()}
        p.min_off_s = {k: float(v) for k, v in dict(meta.get("min_off_s", {})).items()}
        p.silence_dbfs = float(meta.get("silence_dbfs", p.silence_dbfs))
        p.silence_hysteresis_db = float(meta.get("silence_hysteresis_db", p.silence_hysteresis_db))
        p.min_silence_s = float(meta.get("min_silence_s", cls.DEFAULT_MIN_SILENCE_S))
        if min_silence_s is not None:
            p.min_silence_s = float(min_silence_s)
        p.silence_mode = str(meta.get("silence_mode", p.silence_mode))
        for key in cls.FLOOR_FIELDS:
            setattr(p, key, float(meta.get(key, getattr(p, key))))
        if silence_dbfs is not None:
            p.silence_dbfs = float(silence_dbfs)
        if silence_mode is not None:
            p.silence_mode = str(silence_mode)
        if floor_margin_db is not None:
            p.floor_margin_db = float(floor_margin_db)
        return p

    def floor_blocks(self, block_s: float = 0.01) -> tuple[int, int]:
        """The floor tracker's window and quiet span in 10 ms blocks (``NoiseFloor``'s arguments)."""
        window = max(1, int(round(self.floor_window_s / block_s)))
        return window, min(window, max(1, int(round(self.floor_quiet_s / block_s))))

    def settings(self) -> dict:
        """The silence settings in force, as metadata fields (for logs and reports)."""
        out = {"silence_mode": self.silence_mode, "silence_dbfs": self.silence_dbfs}
        if self.silence_mode == "floor":
            out.update({key: getattr(self, key) for key in self.FLOOR_FIELDS})
        return out

    def min_on_cells(self, label: str, hop_s: float) -> int:
        s = self.min_on_s.get(label, self.DEFAULT_MIN_ON_S.get(label, 0.25))
        return max(1, math.ceil(s / hop_s - 1e-9))

    def min_off_cells(self, label: str, hop_s: float) -> int:
        s = self.min_off_s.get(label, self.DEFAULT_MIN_OFF_S.get(label, 0.5))
        return max(1, math.ceil(s / hop_s - 1e-9))


class RunTracker:
    """Minimum-duration tracking of one label over cells (causal, back-dated boundaries).

    :meth:`update` takes the raw on/off of cell ``k`` (cells arrive in order) and returns
    ``(state, opened, closed)``: the confirmed state after this cell, the start cell of a
    segment confirmed by this cell (or None), and ``(start_cell, end_cell)`` of a segment
    closed by this cell (end exclusive) or None.
    """

    def __init__(self, min_on: int, min_off: int):
        self.min_on = max(1, int(min_on))
        self.min_off = max(1, int(min_off))
        self.reset()

    def reset(self) -> None:
        self.on = False
        self.start: int | None = None  # start cell of the current (confirmed) segment
        self._run_start: int | None = None  # first cell of the current raw-on (or raw-off) run
        self._run_len = 0

    def update(self, k: int, raw_on: bool) -> tuple[bool, int | None, tuple[int, int] | None]:
        opened = closed = None
        if not self.on:
            if raw_on:
                if self._run_start is None:
                    self._run_start, self._run_len = k, 0
                self._run_len += 1
                if self._run_len >= self.min_on:
                    self.on, self.start = True, self._run_start
                    opened = self.start
                    self._run_start, self._run_len = None, 0
            else:
                self._run_start, self._run_len = None, 0
        else:
            if not raw_on:
                if self._run_start is None:
                    self._run_start, self._run_len = k, 0
                self._run_len += 1
                if self._run_len >= self.min_off:
                    closed = (self.start, self._run_start)
                    self.on, self.start = False, None
                    self._run_start, self._run_len = None, 0
            else:
                self._run_start, self._run_len = None, 0
        return self.on, opened, closed

    def peek(self, raw_on: bool) -> bool:
        """The state :meth:`update` would return for the next cell, without changing anything."""
        if self.on:
            return raw_on or self._run_len + 1 < self.min_off
        return raw_on and self._run_len + 1 >= self.min_on

    def earliest_end(self, k: int) -> int:
        """On after cell ``k``: the earliest cell its segment can end at (exclusive), the first
        cell of a pending raw-off run (it closes back-dated there if the run lasts ``min_off``),
        else ``k + 1``."""
        return self._run_start if self._run_start is not None else k + 1

    @property
    def provisional(self) -> bool:
        """Off, with a raw-on run going since the run's first cell: nothing has been confirmed
        before it, so a hop shows it (the stream's first ``min_on``); a segment follows if it
        lasts ``min_on``."""
        return not self.on and self._run_start == 0 and self._run_len > 0

    def flush(self, end_cell: int) -> tuple[int, int] | None:
        """End of stream after cell ``end_cell - 1``: close an open segment (a pending off-run
        ends it at that run's start). Unconfirmed on-runs are dropped, except one that spans the
        whole stream (cells ``0 .. end_cell - 1``): a stream shorter than ``min_on`` that is all
        one thing (e.g. 50 ms of silence) is labelled, not left blank."""
        closed = None
        if self.on:
            end = self._run_start if self._run_start is not None else end_cell
            closed = (self.start, end)
        elif self._run_start == 0 and self._run_len == end_cell > 0:
            closed = (0, end_cell)
        self.reset()
        return closed


class Hysteresis:
    """Two-threshold switch: on at ``value >= on_at``, off at ``value < off_below``."""

    def __init__(self, on_at: float, off_below: float, invert: bool = False):
        self.on_at, self.off_below, self.invert = on_at, off_below, invert
        self.on = False

    def update(self, value: float) -> bool:
        if self.invert:  # silence: on when value is LOW
            if self.on and value >= self.off_below:
                self.on = False
            elif not self.on and value < self.on_at:
                self.on = True
        else:
            if self.on and value < self.off_below:
                self.on = False
            elif not self.on and value >= self.on_at:
                self.on = True
        return self.on

    def reset(self) -> None:
        self.on = False


class Decider:
    """All labels' decisions for a stream of cells.

    ``update(k, probabilities, level_dbfs, floor_dbfs=None)`` -> ``(labels_on, opened, closed)``
    where ``opened`` is a list of ``(label, start_cell)`` and ``closed`` of
    ``(label, start_cell, end_cell)`` (end exclusive); ``floor_dbfs`` is the input's tracked noise
    floor at this cell (floor mode; None: not known yet).
    """

    def __init__(self, params: DecisionParams, labels: list[str], hop_s: float):
        self.params = params
        self.labels = list(labels)
        h = params.hysteresis / 2.0
        self._hyst = {}
        for lab in self.labels:
            thr = float(params.thresholds.get(lab, 0.5))
            self._hyst[lab] = Hysteresis(min(thr + h, 1.0), max(thr - h, 0.0))
        self._hyst[SILENCE] = Hysteresis(params.silence_dbfs, params.silence_dbfs + params.silence_hysteresis_db,
                                         invert=True)
        self._floor_hyst = Hysteresis(0.0, 0.0, invert=True)  # level against floor + margin (floor mode)
        self.at_floor = False  # the latest cell's level was at the floor (floor mode)
        self.trackers = {lab: RunTracker(params.min_on_cells(lab, hop_s), params.min_off_cells(lab, hop_s))
                         for lab in self.labels + [SILENCE]}
        self._last_fallback: str | None = None  # the label the cell before took as the most probable

    def update(self, k: int, probabilities: dict[str, float], level_dbfs: float, floor_dbfs: float | None = None,
               window_min: dict[str, float] | None = None, background_dbfs: float | None = None):
        opened, closed, on = [], [], []
        prob_on = {lab: self._hyst[lab].update(float(probabilities.get(lab, 0.0))) for lab in self.labels}
        silent = self.silent(level_dbfs, floor_dbfs, self.held(probabilities if window_min is None else window_min))
        raw = {lab: prob_on[lab] and not silent for lab in self.labels}
        if self.at_floor and FLOOR_SOUND_LABEL in raw:  # the floor itself is not a noise
            raw[FLOOR_SOUND_LABEL] = False
        if (FLOOR_SOUND_LABEL in raw and background_dbfs is not None and self.floor_usable(floor_dbfs)
                and background_dbfs <= floor_dbfs + self.params.floor_margin_db
                and any(prob_on.get(lab, False) for lab in FLOOR_BLOCKING_LABELS)):
            raw[FLOOR_SOUND_LABEL] = False  # speech or music, and between its words or notes only the floor
        raw[SILENCE] = silent
        if not silent and self.labels and not any(raw[lab] for lab in self.labels):
            raw[self._most_probable(probabilities)] = True  # a sound gets a label (see module doc)
        else:
            self._last_fallback = None
        for lab in self.labels + [SILENCE]:
            state, o, c = self.trackers[lab].update(k, raw[lab])
            if state or self.trackers[lab].provisional:
                on.append(lab)
            if o is not None:
                opened.append((lab, o))
            if c is not None:
                closed.append((lab, c[0], c[1]))
        return frozenset(on), opened, closed

    def floor_usable(self, floor_dbfs: float | None) -> bool:
        """Whether silence is decided against ``floor_dbfs`` now: floor mode, a floor known and at
        or below ``floor_max_dbfs``."""
        p = self.params
        return p.silence_mode == "floor" and floor_dbfs is not None and floor_dbfs <= p.floor_max_dbfs

    def held(self, window_min: dict[str, float]) -> dict[str, bool]:
        """Per network label, whether it is held by every window covering a cell: its lowest
        probability over them (``window_min``) at or above its release level (threshold minus half
        the hysteresis). A cell at the edge of a sound has a window beside the sound that does not
        hold it; a cell inside a soft piece or a whisper has none."""
        h = self.params.hysteresis / 2.0
        return {lab: float(window_min.get(lab, 0.0)) >= max(float(self.params.thresholds.get(lab, 0.5)) - h, 0.0)
                for lab in self.labels}

    def silent(self, level_dbfs: float, floor_dbfs: float | None, held: dict[str, bool]) -> bool:
        """Whether a cell of ``level_dbfs`` is silent (raw, before minimum durations), given the
        tracked floor and which network labels every window covering the cell holds (:meth:`held`;
        see the module doc). Sets :attr:`at_floor` (the level is within the margin of a usable
        floor, floor mode). Reads ``params`` at every call: the GUI may change the level, mode
        or margin live."""
        p = self.params
        hy = self._hyst[SILENCE]
        hy.on_at, hy.off_below = p.silence_dbfs, p.silence_dbfs + p.silence_hysteresis_db
        silent = hy.update(level_dbfs)
        fh = self._floor_hyst
        if not self.floor_usable(floor_dbfs):
            fh.reset()
            self.at_floor = False
            return silent
        fh.on_at = floor_dbfs + p.floor_margin_db + 1e-9  # at the margin counts as near
        fh.off_below = fh.on_at + p.silence_hysteresis_db
        self.at_floor = fh.update(level_dbfs)
        return silent or (self.at_floor and not any(held.get(lab, False) for lab in FLOOR_BLOCKING_LABELS))

    def _most_probable(self, probabilities: dict[str, float]) -> str:
        """The network label of a sound no label is on for: the most probable one; but a label
        already on (or chosen so for the cell before) stays while its probability is within
        ``hysteresis`` of the most probable, so that a stretch does not flicker between labels."""
        p = {lab: float(probabilities.get(lab, 0.0)) for lab in self.labels}
        best = max(self.labels, key=lambda lab: p[lab])
        if self.at_floor and len(self.labels) > 1:  # at the floor a sound is not the floor's own noise
            p.pop(FLOOR_SOUND_LABEL, None)
            best = max(p, key=lambda lab: p[lab])
        keep = [lab for lab in p if (lab == self._last_fallback or self.trackers[lab].on)
                and p[lab] >= p[best] - self.params.hysteresis]
        if keep:
            best = max(keep, key=lambda lab: p[lab])
        self._last_fallback = best
        return best

    def flush(self, end_cell: int) -> list[tuple[str, int, int]]:
        out = []
        for lab, tr in self.trackers.items():
            c = tr.flush(end_cell)
            if c is not None:
                out.append((lab, c[0], c[1]))
        for hy in list(self._hyst.values()) + [self._floor_hyst]:
            hy.reset()
        self._last_fallback = None
        self.at_floor = False
        return out


def step_scores(env_dbfs: np.ndarray, floor_dbfs: float, span: int = 3) -> np.ndarray:
    """Level step at each block boundary ``j`` (between blocks j-1 and j), in dB:
    mean of the ``span`` blocks after minus mean of the ``span`` blocks before.
    Entry ``j`` is valid for ``span <= j <= len - span``; others are 0."""
    e = np.maximum(np.asarray(env_dbfs, dtype=np.float64), floor_dbfs)
    n = e.shape[0]
    out = np.zeros(n + 1)
    if n < 2 * span:
        return out
    c = np.concatenate([[0.0], np.cumsum(e)])
    j = np.arange(span, n - span + 1)
    after = (c[j + span] - c[j]) / span
    before = (c[j] - c[j - span]) / span
    out[j] = after - before
    return out


def refine_boundary(env_dbfs: np.ndarray, env_first_block: int, boundary_block: int, lo_block: int,
                    hi_block: int, rising: bool | None, floor_dbfs: float, min_step_db: float = 6.0,
                    span: int = 3, pick: str = "strongest", gate_dbfs: float | None = None,
                    distance_db_per_s: float = 0.0) -> int:
    """Block index of a level rise (``rising``), fall (``not rising``) or either (``rising=None``)
    within ``[lo_block, hi_block]``.

    ``pick="strongest"``: the largest step (ties: nearest the original boundary).
    ``pick="last"`` / ``"first"``: the last / first local peak of the step score that is at
    least ``min_step_db`` and, with ``gate_dbfs``, leads into (a fall) or out of (a rise) a
    level below ``gate_dbfs``: a silence starts at the last drop into quiet, and ends at the
    first rise out of it, even when a louder step lies nearby (e.g. the drop into a word's
    quiet tail before the drop to room tone). Falls back to the strongest step.

    ``env_dbfs[i]`` is the level of block ``env_first_block + i``. Returns ``boundary_block``
    unchanged when no step of at least ``min_step_db`` lies in the region (or the envelope
    does not reach it). ``distance_db_per_s``: with ``"strongest"``, each candidate's step is
    reduced by this much per second away from ``boundary_block`` (prefers nearby changes).
    """
    a = max(lo_block - span, env_first_block)
    b = min(hi_block + span, env_first_block + len(env_dbfs))
    if b - a < 2 * span + 1:
        return boundary_block
    seg = env_dbfs[a - env_first_block : b - env_first_block]
    scores = step_scores(seg, floor_dbfs, span)  # scores[j] at absolute block a + j
    cand = np.arange(max(lo_block, a + span), min(hi_block, b - span) + 1)
    if cand.shape[0] == 0:
        return boundary_block
    s = scores[cand - a]
    if rising is None:
        s = np.abs(s)
    elif not rising:
        s = -s
    best = float(s.max())
    if best < min_step_db:
        return boundary_block
    if pick in ("first", "last") and rising is not None:
        ok = s >= min_step_db
        if gate_dbfs is not None:
            e = np.maximum(np.asarray(seg, dtype=np.float64), floor_dbfs)
            c = np.concatenate([[0.0], np.cumsum(e)])
            j = cand - a
            quiet = (c[j + span] - c[j]) / span if not rising else (c[j] - c[j - span]) / span
            ok &= quiet < gate_dbfs
        padded = np.concatenate([[-np.inf], s, [-np.inf]])
        peak = (s >= padded[:-2]) & (s >= padded[2:])
        idx = np.flatnonzero(ok & peak)
        if idx.shape[0]:
            return _to_ramp_end(seg, a, int(cand[idx[-1] if pick == "last" else idx[0]]), rising, floor_dbfs, span)
    if distance_db_per_s:
        s = s - distance_db_per_s * 0.01 * np.abs(cand - boundary_block)
        best = float(s.max())
    near = cand[s >= best - 1e-9]
    j = int(near[np.argmin(np.abs(near - boundary_block))])
    return _to_ramp_end(seg, a, j, rising, floor_dbfs, span) if rising is not None else j


def window_fall_sample(window_probs: dict[int, float], end_cell: int, threshold: float, hop_samples: int,
                       cover: int) -> int | None:
    """Where a label stops, from the probabilities of the overlapping windows, in samples of the
    run; None if the windows around do not show one fall.

    Window ``m`` covers samples ``[m * hop, m * hop + window)``; ``cover`` windows contain each
    hop cell, and a cell's probability is their mean, so a label that ends at ``t`` keeps its
    cells on until most windows reaching back over it have fallen: the hop-quantised end lies
    up to ``cover / 2`` hops after ``t`` (0.5 s at the 0.25 s hop). The windows themselves tell
    it closer. ``end_cell`` is the label's first off cell; the last window up to it with a
    probability at or above ``threshold`` (window ``m``) still holds enough of the label, the
    next does not, so the label stops about where window ``m + 1`` begins, later by up to a hop
    as window ``m + 1`` still holds some of it: by ``hop * p[m + 1] / threshold`` (linear in
    the share of the threshold it reaches; measured with speech ending over continuing music).
    """
    for m in range(end_cell, end_cell - cover - 1, -1):
        p = window_probs.get(m)
        if p is None:
            return None
        if p >= threshold:
            after = window_probs.get(m + 1)
            if after is None:
                return None
            return (m + 1) * hop_samples + int(round(hop_samples * min(1.0, after / threshold)))
    return None


def _to_ramp_end(seg: np.ndarray, a: int, j: int, rising: bool, floor_dbfs: float, span: int,
                 ramp_db: float = 6.0, tail_db: float = 20.0) -> int:
    """Move a step found by the ``span``-block detector (which peaks mid-ramp) to where the sound
    begins (a rise: the first block of the climb) or ends (a fall: the first block at the bottom).
    A block counts as part of the ramp if it differs by ``ramp_db`` or more from its neighbour
    outside and lies within ``tail_db`` of its neighbour inside (not a faint precursor, such as
    a resampling filter's pre-ringing before an abrupt onset)."""
    e = np.maximum(np.asarray(seg, dtype=np.float64), floor_dbfs)
    i = j - a  # block i is the first block after the boundary
    if rising:
        for _ in range(span - 1):
            if i - 2 >= 0 and e[i - 1] - e[i - 2] >= ramp_db and e[i - 1] >= e[i] - tail_db:
                i -= 1
            else:
                break
    else:
        for _ in range(span - 1):
            if i + 1 < e.shape[0] and e[i] - e[i + 1] >= ramp_db and e[i] >= e[i - 1] - tail_db:
                i += 1
            else:
                break
    return a + i

"""Boundary placement: where, on the 10 ms grid, a segment of one run of analysis starts or ends.

A label is decided per hop cell (:class:`~stream_tagger.postprocess.Decider`); its boundary is
first the start of the cell where its run began or ended, then placed more finely by
:class:`BoundaryPlacer` for its :class:`~stream_tagger.analysis.Analysis`:

- **silence** (a level decision): on the 10 ms level envelope near the hop boundary
  (:func:`~stream_tagger.postprocess.refine_boundary`): a silence starts at the last drop into
  quiet within the last sounding cell or the first silent one (silent on its average level, so a
  tail above the silence level can reach into it), and ends at the first rise out of quiet from
  20 ms before the boundary to the end of the first sounding cell;
- **a network label** next to a silence edge decided at the same cell shares that edge; a run that
  begins with sound starts at its first sample;
- **a network label** elsewhere: the strongest level step within ``refine_radius_s`` of the hop
  boundary (an end within ``fall_radius_s`` of where its window probabilities fall,
  :func:`~stream_tagger.postprocess.window_fall_sample`), then, unless that step is a speech end
  where its windows fall, moved by the spectrum (:mod:`stream_tagger.boundaries`).

A boundary never moves before the run's start, the label's previous end or (for an end) its own
start, nor past the samples pushed so far. Only what the analysis holds when the cell is decided
is read, so any chunking of the input gives the same boundaries.
"""

from __future__ import annotations

from .boundaries import place_change, window_crossing_sample
from .level import power_to_dbfs
from .postprocess import SILENCE, refine_boundary, step_scores, window_fall_sample


class BoundaryPlacer:
    """Boundary placement for one :class:`~stream_tagger.analysis.Analysis` (``an``), which calls
    :meth:`refine` for each boundary as its cell is decided. Reads the analysis's level envelope
    (``env_pow`` from block ``env_first``), window probabilities (``win_probs``), frames
    (``front``), grid (``base``, ``n``, ``hop_samples``, the cell being decided ``cur_cell``),
    parameters (``decision``, ``params``, ``refine_radius_blocks``) and its open and closed
    segments (``open_starts``, ``last_end``, ``silence_edges``); changes nothing.
    ``block_samples``: 16 kHz samples per 10 ms block; ``rate_hz``: the analysis sample rate (Hz)."""

    def __init__(self, an, block_samples: int, rate_hz: int):
        self.an = an
        self.block = int(block_samples)
        self.rate_hz = int(rate_hz)

    def _starts_loud(self) -> bool:
        """Whether the run's first 10 ms block is at or above the silence level (dBFS)."""
        an, block = self.an, self.block
        i = an.base // block - an.env_first
        return 0 <= i < an.env_pow.shape[0] and power_to_dbfs(an.env_pow[i]) >= an.decision.silence_dbfs

    def _quiet_dbfs(self) -> float:
        """The level below which a stretch counts as quiet for a silence edge: the silence level,
        or in floor mode the tracked floor plus its margin when that is higher (a hiss floor)."""
        an = self.an
        d = an.decision
        f = an.floor_dbfs
        if d.silence_mode == "floor" and f is not None and f <= d.floor_max_dbfs:
            return max(d.silence_dbfs, f + d.floor_margin_db + d.silence_hysteresis_db)
        return d.silence_dbfs

    def refine(self, lab: str, cell: int, rising: bool) -> int:
        """Refined absolute block of the boundary at the start of ``cell``."""
        an, block, rate_hz = self.an, self.block, self.rate_hz
        b = (an.base + cell * an.hop_samples) // block
        if not an.decision.refine:
            return b
        is_end = rising != (lab != SILENCE)  # network labels end on a fall, silence on a rise
        if lab != SILENCE and cell in an.silence_edges:
            e = an.silence_edges[cell]
            if (not is_end and e >= an.last_end.get(lab, e)) or (is_end and e > an.open_starts.get(lab, e - 1)):
                return e
        if lab != SILENCE and not is_end and cell == 0 and self._starts_loud():
            return b  # the run begins with sound: it starts at its first sample, not at a later step
        if lab == SILENCE:  # level decisions: the true edge lies within the cell before/after
            if rising:  # silence ends -> sound starts within the first non-silent cell
                lo, hi = b - 2, b + an.fph
            else:  # silence starts -> sound ended within the last non-silent cell, or within the first
                lo, hi = b - an.fph, b + an.fph  # silent one (silent on average: a tail above the level can reach into it)
        fall = None
        if lab != SILENCE:
            r = an.refine_radius_blocks
            lo, hi = b - r, b + r
            fall = self._window_fall_block(lab, cell) if is_end else None
            if fall is not None and lo <= fall <= hi:  # search near the windows' fall, not the hop grid
                rf = int(round(an.decision.fall_radius_s * rate_hz / block))
                b, lo, hi = fall, fall - rf, fall + rf
        lo = max(lo, an.base // block, an.last_end.get(lab, lo))
        if is_end and lab in an.open_starts:
            lo = max(lo, an.open_starts[lab] + 1)
        hi = min(hi, (an.base + an.n) // block)
        if hi < lo:
            return b
        env_db = power_to_dbfs(an.env_pow)
        floor = an.decision.silence_dbfs - 20.0
        d = an.decision
        if lab == SILENCE:  # silence starts at the last drop into quiet, ends at the first rise out of it
            return refine_boundary(env_db, an.env_first, b, lo, hi, rising, floor, d.min_step_db,
                                   pick="first" if rising else "last", gate_dbfs=self._quiet_dbfs())
        direction = None if d.refine_any_direction else rising
        level = refine_boundary(env_db, an.env_first, b, lo, hi, direction, floor, d.min_step_db,
                                distance_db_per_s=d.refine_distance_db_per_s)
        if not d.class_change_by_spectrum:
            return level
        i = level - an.env_first  # the step at the level's place, from the 3 blocks either side
        if fall is not None and lo <= fall <= hi and lab in d.change_keep_fall_step_labels and \
                3 <= i <= env_db.shape[0] - 3 and abs(step_scores(env_db[i - 3:i + 3], floor)[3]) >= d.min_step_db:
            return level  # a voice stopping over a sound that goes on: the level drops where it stopped
        return self._place_change(lab, level, is_end, lo)

    def _place_change(self, lab: str, level_block: int, is_end: bool, lo_block: int) -> int:
        """A network label's boundary away from silence (:mod:`stream_tagger.boundaries`): the
        crossing of its window probabilities (else ``level_block``, the level-step search's
        answer) as the coarse place, moved to the largest change of spectral shape near it.
        Reads only windows up to the cell being decided and the frames up to that window's end
        (or the run's last frame of real samples), so any chunking of the input gives the same.
        Where the spectrum shows no change (a sound only getting louder or softer), or the frames
        are too few, ``level_block`` stands."""
        an, block, rate_hz = self.an, self.block, self.rate_hz
        d, k, fb = an.decision, an.cur_cell, an.params.hop_samples
        i = an.decider.labels.index(lab)
        probs = {m: float(p[i]) for m, p in an.win_probs.items()}  # read up to window k only
        near = level_block * block - an.base
        cross = window_crossing_sample(probs, near, not is_end, float(d.thresholds.get(lab, 0.5)),
                                       an.hop_samples, an.window_samples, k, d.change_covered_s, rate_hz)
        coarse = near if cross is None or abs(cross - near) > d.change_max_move_s * rate_hz else cross
        radius, half = (int(round(v * rate_hz / fb)) for v in (d.change_radius_s, d.change_half_s))
        hi_frame = min(k * an.fph + an.params.frames_per_window,
                       (an.n - an.params.context_samples) // fb + 1)  # frames [.., hi_frame) are read
        lo_frame = max(coarse // fb - radius - half, an.front.first_frame, 0)
        if hi_frame - lo_frame < 2 * half // 4 + 1:
            return level_block
        frames = an.front.frames(lo_frame, hi_frame)
        j = place_change(frames, lo_frame, int(round(coarse / fb)), radius, half, d.change_distance_per_s / 100,
                         min_novelty_db=d.change_min_novelty_db,
                         halfway_smooth=int(round(d.change_halfway_smooth_s * rate_hz / fb)))
        if j is None:
            return level_block
        block = (an.base // block) + j * fb // block
        block = max(block, lo_block)
        if is_end and lab in an.open_starts:
            block = max(block, an.open_starts[lab] + 1)
        return block

    def _window_fall_block(self, lab: str, cell: int) -> int | None:
        """Absolute block where ``lab``'s window probabilities fall before ``cell`` (its first off
        cell), see :func:`~stream_tagger.postprocess.window_fall_sample`; None if they show none."""
        an, block = self.an, self.block
        i = an.decider.labels.index(lab)
        probs = {m: float(p[i]) for m, p in an.win_probs.items()}
        thr = float(an.decision.thresholds.get(lab, 0.5))
        fall = window_fall_sample(probs, cell, thr, an.hop_samples, an.cover)
        return None if fall is None else (an.base + fall + block // 2) // block


"""Analysis of one continuous run of 16 kHz audio: frontend -> model -> decisions -> segments.

The engine's worker (:mod:`stream_tagger.engine`) feeds one :class:`Analysis` per run of
samples without a gap. The rules it follows:

Timing
------
Hop cell ``k`` covers stream samples ``[k*hop, (k+1)*hop)`` (16 kHz sample counts; a stream's
time 0 is its first sample). Window ``m`` covers ``[m*hop, m*hop + 1 s)``. A cell's
probabilities are the mean of the windows that contain it, so cell ``k`` is decided as soon
as window ``k`` is computed, about 1 s after the cell starts. At the end of the stream the
remaining cells use the windows that contain them, or one last window aligned on the end.
A shared-trunk model (:mod:`stream_tagger.trunk`) computes its windows from a trunk run once
over the run's frames, giving the same probabilities as each window on its own would.
Nothing depends on the wall clock: the same samples give the same events at any pace.
If the analysis falls behind a live source, the ring buffer drops the oldest audio: the run
is ended at the gap (its open segments closed) and a new one starts on the hop grid after it,
so hop indices skip the gap and times stay those of the source's sample count. A network
stream's missing wall-clock time (:class:`~stream_tagger.events.Gap`) is skipped the same way.

Decisions (:mod:`stream_tagger.postprocess`)
----------------------------------------------
A hop's ``labels`` are the states confirmed so far (causal, no look-ahead), so a label may
show up a ``min_on`` later than its segment begins. Segments are back-dated to where their
run began, their boundaries refined on the 10 ms level envelope (:mod:`stream_tagger.placement`),
and emitted once they have closed (``min_off`` after their end; a change between two sounding
labels is placed by the spectrum instead, :mod:`stream_tagger.boundaries`) and the label can no
longer reopen at their refined end
(a reopening whose refined start lands there continues the same segment; this holds a
segment back by at most the refinement radius plus ``min_on``); at the end of a stream or
on :meth:`Tagger.stop`, open segments are closed at the stream's end (at its last sample, not
the next 10 ms step). Silence is decided by level (below ``silence_dbfs``, or in ``floor`` mode
also near the input's tracked noise floor while neither speech nor music is on) and forces the
other labels off; a label
starting or ending where silence ends or starts shares its edge, and no segment of another
label reaches into a silence (one that ended before the silence was confirmed is cut back to
its start). A run that begins with sound starts its labels at its first sample. A whole stream
shorter than a label's ``min_on`` that is all one label still gets that segment.

Pauses (:mod:`stream_tagger.pauses`, ``min_silence_s``, default 0.5 s from the model metadata):
after these decisions, a silence shorter than ``min_silence_s`` between two stretches of the
same label does not break that label and is not reported as silence. The segments around such
a silence wait at most ``min_silence_s`` (and the hop it ends in) longer before they are emitted,
and a hop inside a silence not yet known to last ``min_silence_s`` shows the labels of the hop
before it. ``min_silence_s = 0`` gives the decisions' own events.
"""

from __future__ import annotations

import numpy as np

from .events import Hop, Segment
from .level import LevelMeter, power_to_dbfs
from .pauses import PauseRule
from .placement import BoundaryPlacer
from .postprocess import SILENCE, Decider

RATE_HZ = 16000  # analysis sample rate (Hz)
BLOCK = 160  # samples of the 10 ms level/frame grid


class Analysis:
    """Analysis of one continuous run of 16 kHz samples starting at absolute sample ``base``:
    log-mel frames, windows through the model, per-cell decisions, segments with refined
    boundaries (the rules in this module's docstring).

    Not thread-safe; owned by the engine's worker. It talks only to what it is handed:
    ``model`` (``predict``, ``labels``), ``params`` (the frontend's
    :class:`~stream_tagger.frontend.FrontendParams`), ``decision``
    (:class:`~stream_tagger.postprocess.DecisionParams`, read at every cell), ``hop_samples``
    (16 kHz samples per hop), ``max_batch`` (windows per model call), ``refine_radius_blocks``
    (10 ms blocks a boundary may move), ``env_keep_blocks`` (10 ms blocks of level envelope
    kept), and the callbacks ``on_hop(hop, window_end_sample)``, ``on_segment(segment)``,
    ``on_windows(count)`` (windows computed), ``publish(analysis, new_frames, block_powers)``
    (display state) and ``dropped_samples()`` (16 kHz samples lost so far, for the hops).
    ``noise_floor``: the stream's :class:`~stream_tagger.level.NoiseFloor` (it outlives a run, so
    a restart after a gap keeps the floor), fed each cell's 10 ms levels just before the cell is
    decided, so that the floor a cell sees does not depend on how the audio was chunked.
    """

    def __init__(self, model, params, decision, hop_samples: int, base: int, *, max_batch: int,
                 refine_radius_blocks: int, env_keep_blocks: int, on_hop, on_segment, on_windows, publish,
                 dropped_samples, noise_floor=None):
        self.model = model
        self.params = params
        self.decision = decision
        self.max_batch = int(max_batch)
        self.refine_radius_blocks = int(refine_radius_blocks)
        self.env_keep_blocks = int(env_keep_blocks)
        self.on_hop, self.on_segment, self.on_windows = on_hop, on_segment, on_windows
        self.dropped_samples = dropped_samples
        self.base = base  # absolute 16 kHz sample of this run's sample 0 (multiple of hop)
        self.hop_samples = int(hop_samples)
        self.window_samples = params.window_samples
        self.fph = self.hop_samples // BLOCK  # 10 ms blocks per hop
        self.cover = self.window_samples // self.hop_samples  # windows covering a cell: m in [k - cover + 1, k]
        from .frontend import StreamingLogMel  # noqa: PLC0415 - deferred import (see Tagger.load_model)

        self.front = StreamingLogMel(params, keep_frames=1024)  # >= the frames a class change reads back
        # a shared-trunk model runs its trunk once over the run's frames (stream_tagger.trunk)
        self.trunk = model.stream(self.front, self.fph) if hasattr(model, "stream") else None
        self.meter = LevelMeter(BLOCK)
        self.n = 0  # samples of this run pushed so far
        self.end_s: float | None = None  # the run's true end in stream seconds, once finished
        self.next_window = 0
        self.next_cell = 0
        self.win_probs: dict[int, np.ndarray] = {}
        self.decider = Decider(decision, model.labels, self.hop_samples / RATE_HZ)
        # windows kept: those of the cells a closing segment looks back over (window_fall_sample)
        self.keep_windows = 2 * self.cover + max(tr.min_off for tr in self.decider.trackers.values()) + 1
        self.publish = publish
        # level envelope (block powers) with absolute block index of the first kept block
        self.env_pow = np.zeros(0)
        self.env_first = base // BLOCK
        self.open_starts: dict[str, int] = {}  # label -> refined start block (absolute)
        self.raw_starts: dict[str, int] = {}  # label -> hop-quantised start block
        self.last_end: dict[str, int] = {}  # label -> end block of its previous segment
        self.silence_edges: dict[int, int] = {}  # cell -> refined block of a recent silence start/end
        # label -> (start block, end block, hop-quantised start block) of its last closed segment,
        # held back until the label can no longer reopen at that segment's refined end
        self.held: dict[str, tuple[int, int, int]] = {}
        self.reach_blocks = max(self.refine_radius_blocks, self.fph) + 2  # how far back a refined start can move
        self.placer = BoundaryPlacer(self, BLOCK, RATE_HZ)  # refined boundaries (stream_tagger.placement)
        self.pauses = PauseRule(self, BLOCK)  # short silences between stretches of one label (decision.min_silence_s)
        self.noise_floor = noise_floor
        self.floor_next_block = base // BLOCK  # absolute block the noise floor takes next
        self.floor_dbfs: float | None = None  # the floor the latest cell was decided with
        self.cur_cell = 0  # the cell being decided

    # -- feeding ---------------------------------------------------------------------------
    def push(self, x: np.ndarray) -> list[int]:
        """Analyse new samples; returns the cells emitted (relative indices)."""
        if x.shape[0] == 0:
            return []
        self.n += x.shape[0]
        new_frames = self.front.push(x)
        pw = self.meter.push(x)
        self._add_env(pw)
        self.publish(self, new_frames, pw)
        return self._process_windows()

    def samples_to_next_window(self) -> int:
        """16 kHz samples still to push before the next window (and so the next hop's cell) is
        complete; 0 when it is."""
        return self.front.samples_until_window(self.next_window * self.hop_samples)

    def _add_env(self, pw: np.ndarray) -> None:
        if pw.shape[0]:
            self.env_pow = np.concatenate([self.env_pow, pw])
            keep = self.env_keep_blocks
            if self.env_pow.shape[0] > 2 * keep:
                drop = self.env_pow.shape[0] - keep
                self.env_pow = self.env_pow[drop:]
                self.env_first += drop

    def _process_windows(self) -> list[int]:
        ms = []
        m = self.next_window
        while self.front.has_window(m * self.hop_samples):
            ms.append(m)
            m += 1
        if not ms:
            return []
        probs = self._window_probs(ms)
        for mm, p in zip(ms, probs):
            self.win_probs[mm] = p
        self.next_window = m
        self.on_windows(len(ms))
        emitted = []
        for k in ms:  # cell k is complete once window k exists
            self._emit_cell(k, [self.win_probs[j] for j in range(max(0, k - self.cover + 1), k + 1)])
            emitted.append(k)
        for j in [j for j in self.win_probs if j <= m - self.keep_windows]:
            del self.win_probs[j]
        return emitted

    def _window_probs(self, ms: list[int]) -> np.ndarray:
        """Probabilities of the windows ``ms`` (hop indices of this run): pooled from the shared
        trunk's steps, or each window through the model."""
        if self.trunk is None:
            return self._predict(np.stack([self.front.window(mm * self.hop_samples) for mm in ms]))
        p = self.trunk.window_probs([mm * self.hop_samples // self.params.hop_samples for mm in ms])
        return np.nan_to_num(p, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)

    def _predict(self, feats: np.ndarray) -> np.ndarray:
        out = []
        bs = self.max_batch
        for i in range(0, feats.shape[0], bs):
            out.append(self.model.predict(feats[i : i + bs]))
        p = np.concatenate(out, axis=0)
        return np.nan_to_num(p, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)

    # -- cells -----------------------------------------------------------------------------
    def _cell_level_dbfs(self, k: int, end_sample: int | None = None) -> float:
        a = (self.base + k * self.hop_samples) // BLOCK - self.env_first
        b = a + self.fph
        if end_sample is not None:
            b = min(b, -(-(self.base + end_sample) // BLOCK) - self.env_first)
        seg = self.env_pow[max(0, a) : max(0, b)]
        return float(power_to_dbfs(seg.mean())) if seg.shape[0] else -120.0

    def _cell_background_dbfs(self, k: int, end_sample: int | None = None) -> float:
        """The level between the sounds of cell ``k``: its 10 ms levels' 20th percentile, dBFS."""
        a = (self.base + k * self.hop_samples) // BLOCK - self.env_first
        b = a + self.fph
        if end_sample is not None:
            b = min(b, -(-(self.base + end_sample) // BLOCK) - self.env_first)
        seg = np.sort(self.env_pow[max(0, a) : max(0, b)])
        return float(power_to_dbfs(seg[(seg.shape[0] - 1) // 5])) if seg.shape[0] else -120.0

    def _advance_floor(self, k: int, end_sample: int | None = None) -> float | None:
        """Feed the noise floor the 10 ms levels up to the end of cell ``k`` (or ``end_sample``);
        the floor in dBFS after them (None without a tracker or before any level)."""
        nf = self.noise_floor
        if nf is None:
            return None
        end = self.base + (k + 1) * self.hop_samples if end_sample is None else self.base + end_sample
        b = -(-end // BLOCK) - self.env_first
        a = max(0, self.floor_next_block - self.env_first)
        b = min(b, self.env_pow.shape[0])
        if b > a:
            nf.push(power_to_dbfs(self.env_pow[a:b]))
            self.floor_next_block = self.env_first + b
        return nf.floor_dbfs

    def _emit_cell(self, k: int, windows: list[np.ndarray], end_sample: int | None = None) -> None:
        self.cur_cell = k  # the cell being decided: what a boundary placed now may read (BoundaryPlacer)
        labels_net = self.model.labels
        p = np.mean(windows, axis=0) if windows else np.zeros(len(labels_net), np.float32)
        probs = {lab: round(float(v), 4) for lab, v in zip(labels_net, p)}
        level = self._cell_level_dbfs(k, end_sample)
        self.floor_dbfs = self._advance_floor(k, end_sample)
        low = np.min(windows, axis=0) if windows else p  # each label's lowest window over the cell
        labels, opened, closed = self.decider.update(k, probs, level, self.floor_dbfs,
                                                     {lab: float(v) for lab, v in zip(labels_net, low)},
                                                     self._cell_background_dbfs(k, end_sample))
        # silence edges first: a network label starting or ending on the same cell shares the
        # silence's refined edge (a level decision, more reliable than a search of its own)
        segs = [(lab, self._close(lab, c1)) for lab, c0, c1 in closed if lab == SILENCE]
        for lab, c0 in sorted(opened, key=lambda e: e[0] != SILENCE):
            self.open_starts[lab] = self.placer.refine(lab, c0, rising=lab != SILENCE)
            self.raw_starts[lab] = (self.base + c0 * self.hop_samples) // BLOCK
            if lab == SILENCE:
                self._edge(c0, self.open_starts[lab])
                self._cut_held_at_silence(self.open_starts[lab])
            held = self.held.get(lab)
            if held is not None and self.open_starts[lab] <= held[1]:
                # reopened at the refined end of its last segment: one run, that segment goes on
                self.open_starts[lab], self.raw_starts[lab] = held[0], held[2]
                del self.held[lab]
        segs += [(lab, self._close(lab, c1)) for lab, c0, c1 in closed if lab != SILENCE]
        self.pauses.bridge(k, segs)
        labels = self.pauses.hop_labels(k, labels)
        start = self.base + k * self.hop_samples
        end_s = self._time_s(self.base + end_sample) if end_sample is not None else (start + self.hop_samples) / RATE_HZ
        hop = Hop(index=(self.base // self.hop_samples) + k, start_s=start / RATE_HZ, end_s=end_s,
                  probabilities=probs, level_dbfs=round(level, 2), labels=labels,
                  dropped_samples=self.dropped_samples(),
                  floor_dbfs=None if self.floor_dbfs is None else round(self.floor_dbfs, 2))
        self.on_hop(hop, self.base + (k * self.hop_samples) + self.window_samples)
        for lab, seg in segs:
            if seg is not None:
                self._hold(lab, seg)
        self._release(k)

    def _cut_held_at_silence(self, start_block: int) -> None:
        """A silence starting at ``start_block``: held segments of other labels end there (their
        end was refined before the silence was confirmed); one lying wholly inside it is dropped."""
        for lab, (s0, e0, r0) in list(self.held.items()):
            if lab == SILENCE or e0 <= start_block:
                continue
            if s0 < start_block:
                self.held[lab] = (s0, start_block, r0)
                self.last_end[lab] = start_block
            else:
                del self.held[lab]

    def _hold(self, lab: str, seg: tuple[int, int, int]) -> None:
        """Keep ``lab``'s just-closed segment back (see :meth:`_release`); one held per label."""
        if lab in self.held:  # the label reopened after a gap: its earlier segment is final
            self._emit_segment(lab, self.held.pop(lab))
        self.held[lab] = seg

    def _release(self, k: int | None) -> None:
        """Emit held segments that no later cell can continue: after cell ``k``, a label opening
        is back-dated at most ``min_on - 1`` cells and its refined start moves back at most
        ``reach_blocks``. ``k=None``: emit all (end of the run), in order of end."""
        for lab, seg in sorted(self.held.items(), key=lambda e: (e[1][1], e[0] != SILENCE)):
            if k is not None:
                earliest_start = k + 2 - self.decider.trackers[lab].min_on
                if (self.base + earliest_start * self.hop_samples) // BLOCK - self.reach_blocks <= seg[1]:
                    continue
                if self.pauses.waits(lab, seg, k):
                    continue
            del self.held[lab]
            self._emit_segment(lab, seg)

    def _emit_segment(self, lab: str, seg: tuple[int, int, int]) -> None:
        """Emit ``seg`` (start block, end block, ...) of ``lab`` as a :class:`Segment` in seconds."""
        start_s, end_s = (self._time_s(b * BLOCK) for b in seg[:2])
        self.on_segment(Segment(start_s, end_s, lab))

    def _time_s(self, sample: int) -> float:
        """Stream seconds of absolute 16 kHz ``sample`` on the 10 ms grid: a point at or past the
        run's last sample is the run's true end (:attr:`end_s`, the source's own sample count)."""
        end = self.base + self.n
        if sample < end:
            return round(sample / RATE_HZ, 2)
        return self.end_s if self.end_s is not None else end / RATE_HZ

    def _edge(self, cell: int, block: int) -> None:
        self.silence_edges[cell] = block
        if len(self.silence_edges) > 16:
            del self.silence_edges[min(self.silence_edges)]

    def _close(self, lab: str, end_cell: int, end_block: int | None = None) -> tuple[int, int, int] | None:
        """``(start block, end block, hop-quantised start block)`` of the segment of ``lab`` ending
        at ``end_cell`` (or at ``end_block``), with refined bounds; ``None`` if ``lab`` was not open."""
        if end_block is None:
            end_block = self.placer.refine(lab, end_cell, rising=lab == SILENCE)
        if lab == SILENCE:
            self._edge(end_cell, end_block)
        start_block = self.open_starts.pop(lab, None)
        raw_start = self.raw_starts.pop(lab, start_block)
        if start_block is None:
            return None
        raw_end = (self.base + end_cell * self.hop_samples) // BLOCK if end_cell is not None else end_block
        if end_block - start_block < max(1, (raw_end - raw_start) // 2):
            # refinement collapsed the segment (both edges moved onto one level change): keep
            # the hop-quantised start, and the refined end only if it still lies after it
            start_block = max(raw_start, self.last_end.get(lab, raw_start))
            if end_block <= start_block:
                end_block = max(raw_end, start_block + 1)
        if lab != SILENCE:  # silence forces the other labels off: their segments stop at its edges
            sil_end, sil_start = self.last_end.get(SILENCE), self.open_starts.get(SILENCE)
            if sil_end is not None and start_block < sil_end < end_block and not self.pauses.spans_short_silence(start_block, sil_end):
                start_block = sil_end
            if sil_start is not None and start_block < sil_start < end_block:
                end_block = sil_start
            elif sil_start is not None and start_block >= sil_start:
                # its start was refined onto (or past) the edge of the silence that has opened since:
                # the label ran from its hop-quantised start up to that silence, if at all
                if raw_start >= sil_start:
                    return None
                start_block, end_block = raw_start, sil_start
        self.last_end[lab] = end_block
        return start_block, end_block, raw_start

    # -- end -------------------------------------------------------------------------------
    def finish(self, end_s: float | None = None) -> None:
        """End of this run: remaining cells (last partial one included), open segments.
        ``end_s``: the run's true end in stream seconds (source samples / source rate); the
        16 kHz count can overshoot it by up to one sample."""
        n = self.n
        if n <= 0:
            return
        self.end_s = min(end_s, (self.base + n) / RATE_HZ) if end_s is not None else (self.base + n) / RATE_HZ
        pw = self.meter.flush()
        self._add_env(pw)
        p = self.params
        # frames past the end see zeros (as signal_logmel pads); short runs get one padded window
        pad = p.context_samples + max(0, self.window_samples - n)
        self.front.push(np.zeros(pad, np.float32))
        self._process_windows_bounded(n)
        n_cells = -(-n // self.hop_samples)
        tail = None
        if self.next_cell_pending(n_cells):
            t0 = max(0, ((n - self.window_samples) // BLOCK) * BLOCK) if n >= self.window_samples else 0
            tail = self._predict(self.front.window(t0)[None])[0]
            self.on_windows(1)
        last_w = self.next_window - 1
        for k in range(self.next_cell, n_cells):
            ws = [self.win_probs[j] for j in range(max(0, k - self.cover + 1), min(k, last_w) + 1)
                  if j in self.win_probs and j * self.hop_samples + self.window_samples >= min((k + 1) * self.hop_samples, n)]
            if not ws and tail is not None:
                ws = [tail]
            self._emit_cell(k, ws, end_sample=min((k + 1) * self.hop_samples, n))
        self.next_cell = self.cur_cell = n_cells
        end_block = -(-(self.base + n) // BLOCK)  # past the last sample: the run's true end
        flushed = sorted(self.decider.flush(n_cells), key=lambda e: e[0] != SILENCE)
        for lab, c0, c1 in flushed:
            if lab not in self.open_starts:  # a whole-stream run shorter than min_on (see RunTracker.flush)
                self.open_starts[lab] = self.raw_starts[lab] = (self.base + c0 * self.hop_samples) // BLOCK
            seg = self._close(lab, c1, end_block=end_block if c1 >= n_cells else None)
            if seg is not None:
                self._hold(lab, seg)
        self.pauses.bridge(n_cells, [])  # a short silence inside a segment closed by the end
        self._release(None)

    def _process_windows_bounded(self, n: int) -> None:
        """Windows that lie completely inside the run (not in the zero padding)."""
        m = self.next_window
        ms = []
        while m * self.hop_samples + self.window_samples <= n and self.front.has_window(m * self.hop_samples):
            ms.append(m)
            m += 1
        if ms:
            probs = self._window_probs(ms)
            for mm, pr in zip(ms, probs):
                self.win_probs[mm] = pr
            self.on_windows(len(ms))
            for k in ms:
                self._emit_cell(k, [self.win_probs[j] for j in range(max(0, k - self.cover + 1), k + 1)])
            self.next_window = m
        self.next_cell = self.next_window

    def next_cell_pending(self, n_cells: int) -> bool:
        """Whether some remaining cell has no full regular window containing it."""
        last_w = self.next_window - 1
        for k in range(self.next_window, n_cells):
            end = min((k + 1) * self.hop_samples, self.n)
            if not any(j >= 0 and j * self.hop_samples + self.window_samples >= end for j in range(k - self.cover + 1, min(k, last_w) + 1)):
                return True
        return False

"""Pauses: a silence shorter than ``min_silence_s`` between two stretches of the same label does
not break that label and is not reported as silence.

A stage after the per-hop decisions (:class:`~stream_tagger.postprocess.Decider`, whatever
decides that a cell is silent) and after boundary refinement: it works on the segments an
:class:`~stream_tagger.analysis.Analysis` has closed but not yet emitted (its ``held``
segments) and on the labels of each hop. Lengths are measured on the refined boundaries
(10 ms blocks), so "0.3 s of silence" is what the segment would have said.

Segments. When a label X opens again right where a silence ends (its refined start within
:data:`TOLERANCE_BLOCKS` of the silence's end), the silence is shorter than ``min_silence_s``,
and X's previous segment ended right where that silence began, the previous segment goes on
(X's open segment starts at its start) and the silence is dropped. A short silence inside a
segment of X that X's minimum durations kept on across it (X on before it and after it) is
dropped too, and that segment is not cut at the silence's end. A label on only one side ends or
starts at the silence's edge as before; if no label goes on across it, the silence is reported.
Between different labels (speech, a short silence, music) nothing changes. To decide this the
analysis holds back, beyond its usual hold:

- X's closed segment, while a silence that began at its end may still turn out shorter than
  ``min_silence_s`` and be followed by X (at most ``min_silence_s`` after its end, plus the
  time X takes to be confirmed, ``min_on``);
- a silence shorter than ``min_silence_s``, while a label that ended where it began may still
  open where it ends (``min_on`` of that label after its end), or while a label on since before
  it may still end at it (its end can be refined back by the refinement radius, 0.5 s: only
  with metadata whose ``min_off_s`` outlasts silence's ``min_on_s``).

So (with silence's ``min_on_s`` at least the labels' ``min_off_s``, as shipped) a silence segment
is emitted at most ``min_silence_s`` (and the hop it ends in) later than without the rule, and
so are the segments before it; nothing else waits.

Hops. Whether a silence is a pause is known only when the sound comes back, after
``min_silence_s`` at most. A hop inside a silence not yet known to last ``min_silence_s`` (from
its refined start to the hop's end, less the :data:`TOLERANCE_BLOCKS` its end may still move
back) shows the labels of the last hop before the silence instead (provisional, like every
hop's labels): the word gaps of a talk do not flicker to silence on the hop lines, and dead air
shows as silence on the hops once it has lasted that long (its segment is back-dated to where
it began): at the 0.25 s hop and the default 0.5 s, on the third hop of a silence that begins
on a hop's start, one hop later than without the rule. When a short silence is followed by
another label (speech, a short silence, music), the hops showed the first label through it,
while the segments report the silence.

``min_silence_s = 0`` turns all of this off: segments, hops and their order are those of the
decisions alone.
"""

from __future__ import annotations

from .postprocess import SILENCE

TOLERANCE_BLOCKS = 2  # 10 ms blocks: a label "ends where a silence begins" up to 20 ms apart


class PauseRule:
    """The pause rule for one :class:`~stream_tagger.analysis.Analysis` (``an``), which calls:

    :meth:`bridge` after the labels opening at a cell have their refined starts, with that
    cell's closing silences; :meth:`waits` from its release of held segments; :meth:`hop_labels`
    for the labels a hop shows. Reads ``an.decision.min_silence_s`` each time (seconds)."""

    def __init__(self, an, block_samples: int):
        self.an = an
        self.block = int(block_samples)  # 16 kHz samples per 10 ms block
        self.labels_before: frozenset[str] = frozenset()  # the network labels of the last hop without silence
        self.dropped: tuple[int, int, int] | None = None  # the last silence dropped as a pause

    def min_blocks(self) -> int:
        """``min_silence_s`` in 10 ms blocks (0: the rule is off)."""
        return max(0, int(round(float(self.an.decision.min_silence_s) * 100)))

    def _block(self, cell: int) -> int:
        """Absolute 10 ms block where ``cell`` of the run starts."""
        return (self.an.base + cell * self.an.hop_samples) // self.block

    def _earliest_start_block(self, lab: str, k: int) -> int:
        """The earliest refined start ``lab`` can get from a cell after ``k`` (see Analysis._release)."""
        an = self.an
        return self._block(k + 2 - an.decider.trackers[lab].min_on) - an.reach_blocks

    # -- segments --------------------------------------------------------------------------
    def spans_short_silence(self, start_block: int, silence_end_block: int) -> bool:
        """Whether a segment starting at ``start_block`` began before the silence that ends at
        ``silence_end_block``, a silence shorter than ``min_silence_s`` (held, or dropped as a
        pause): such a segment is not cut at the silence's end, as segments are at the end of
        a silence (one starting inside it still is)."""
        min_b = self.min_blocks()
        if min_b <= 0:
            return False
        held = self.an.held.get(SILENCE)
        for s in (held, self.dropped):
            if s is not None and s[1] == silence_end_block and s[1] - s[0] < min_b:
                return start_block < s[0]
        return False

    def bridge(self, k: int, segs: list) -> None:
        """Join labels across short silences (see module doc), at cell ``k``. ``segs``: the
        analysis's ``(label, segment)`` closed at this cell; a dropped silence there becomes
        ``(label, None)``, a held one is removed."""
        an = self.an
        min_b = self.min_blocks()
        if min_b <= 0:
            return
        cands = [(i, seg) for i, (lab, seg) in enumerate(segs) if lab == SILENCE and seg is not None]
        if SILENCE in an.held:
            cands.append((None, an.held[SILENCE]))
        closed_now = {lab: seg for lab, seg in segs if lab != SILENCE and seg is not None}
        tol = TOLERANCE_BLOCKS
        for i, s in cands:
            if s[1] - s[0] >= min_b:
                continue
            across = [lab for lab in an.decider.labels if lab in an.held and lab in an.open_starts
                      and abs(an.held[lab][1] - s[0]) <= tol and abs(an.open_starts[lab] - s[1]) <= tol]
            if not across and not any(self._spans(lab, s, k, closed_now.get(lab)) for lab in an.decider.labels):
                continue
            for lab in across:  # the segment before the pause goes on
                start, _, raw_start = an.held.pop(lab)
                an.open_starts[lab], an.raw_starts[lab] = start, raw_start
                an.last_end[lab] = start
            if i is None:
                del an.held[SILENCE]
            else:
                segs[i] = (SILENCE, None)
            self.dropped = s

    def _spans(self, lab: str, s: tuple[int, int, int], k: int, closed=None) -> bool | None:
        """Whether ``lab``'s segment goes on across silence ``s`` (its minimum durations kept it
        on): True, False, or None while not known yet (after cell ``k``). ``closed``: its segment
        closed at cell ``k``, if any."""
        an = self.an
        tol = TOLERANCE_BLOCKS
        seg = closed if closed is not None else an.held.get(lab)
        if seg is not None and seg[0] <= s[0] + tol and seg[1] >= s[1] - tol:
            return True
        tr = an.decider.trackers[lab]
        if closed is None and lab in an.open_starts and tr.on and an.open_starts[lab] <= s[0] + tol:
            # its end can still be refined back by reach_blocks from the cell it ends at
            if self._block(tr.earliest_end(k)) - an.reach_blocks > s[1] + tol:
                return True
            return None
        return False

    def waits(self, lab: str, seg: tuple[int, int, int], k: int) -> bool:
        """Whether ``lab``'s held segment ``seg`` must wait after cell ``k`` (its usual hold
        being over) because it may yet be part of a pause (see module doc)."""
        an = self.an
        min_b = self.min_blocks()
        if min_b <= 0:
            return False
        tol = TOLERANCE_BLOCKS
        if lab == SILENCE:
            if seg[1] - seg[0] >= min_b:
                return False
            for x in an.decider.labels:
                if x in an.open_starts:
                    if self._spans(x, seg, k) is None:  # open since before it: may go on across it
                        return True
                elif (x in an.held and abs(an.held[x][1] - seg[0]) <= tol
                      and self._earliest_start_block(x, k) <= seg[1] + tol):
                    return True  # ended where the silence began, and may open where it ends
            return False
        end = seg[1]
        sil = an.open_starts.get(SILENCE)
        if sil is not None and abs(sil - end) <= tol:  # a silence began at its end and goes on
            return self._block(k + 1) - tol - sil < min_b  # it may still end shorter than min
        held = an.held.get(SILENCE)
        if held is not None and abs(held[0] - end) <= tol:  # a silence began at its end and is over
            return held[1] - held[0] < min_b and self._earliest_start_block(lab, k) <= held[1] + tol
        if any(abs(b - end) <= tol for b in an.silence_edges.values()):
            return False  # that silence is gone already (emitted, or dropped by another label)
        # no silence began at its end yet: one beginning there would be confirmed by cell
        # (its first cell) + min_on - 1 of silence; its first cell begins at most 2 blocks after
        first_cell = ((end + tol) * self.block - an.base) // an.hop_samples
        return k < first_cell + an.decider.trackers[SILENCE].min_on

    # -- hops ------------------------------------------------------------------------------
    def hop_labels(self, k: int, labels: frozenset[str]) -> frozenset[str]:
        """The labels hop ``k`` shows: inside a silence that has lasted less than
        ``min_silence_s`` so far, the labels of the last hop before it (see module doc)."""
        if SILENCE not in labels:
            self.labels_before = frozenset(labels)
            return labels
        sil = self.an.open_starts.get(SILENCE)
        min_b = self.min_blocks()
        if min_b <= 0 or sil is None or not self.labels_before:
            return labels
        if self._block(k + 1) - TOLERANCE_BLOCKS - sil < min_b:  # its end may yet be refined back by 2 blocks
            return self.labels_before
        self.labels_before = frozenset()  # a silence, not a pause: it stays so until sound returns
        return labels

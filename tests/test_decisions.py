"""The decisions on their own: hand-made probability and level sequences through
:class:`~stream_tagger.postprocess.Decider`, with the exact cells where each label switches on
and off (hysteresis on the probabilities, the silence rule on the level, minimum durations,
the most-probable fallback), and the pure helpers of boundary refinement with exact results.

Probabilities and thresholds are dyadic fractions (0.5 +- 0.125, ...) so that the switch points
are exact in binary floating point and a test can sit a value right on them.
"""

from __future__ import annotations

import numpy as np
import pytest

from stream_tagger.postprocess import (
    NETWORK_LABELS,
    SILENCE,
    Decider,
    DecisionParams,
    RunTracker,
    refine_boundary,
    step_scores,
    window_fall_sample,
)

HOP_S = 0.25
LOUD_DBFS = -20.0
LABELS = list(NETWORK_LABELS)


def _params(hysteresis=0.25, thresholds=None, min_on=1, min_off=1, silence_dbfs=-50.0, silence_hysteresis_db=3.0,
            **durations):
    """Decision settings with every label's minimum durations ``min_on`` / ``min_off`` cells
    (``durations``: per-label overrides in cells, e.g. ``speech=(2, 3)``)."""
    p = DecisionParams(thresholds=thresholds or {lab: 0.5 for lab in LABELS}, hysteresis=hysteresis,
                       silence_dbfs=silence_dbfs, silence_hysteresis_db=silence_hysteresis_db)
    for lab in LABELS + [SILENCE]:
        on, off = durations.get(lab, (min_on, min_off))
        p.min_on_s[lab], p.min_off_s[lab] = on * HOP_S, off * HOP_S
    return p


def _run(decider, cells):
    """Feed ``cells`` (``(probabilities, level_dbfs)``); -> (labels on per cell, opened, closed)."""
    states, opened, closed = [], [], []
    for k, (probs, level) in enumerate(cells):
        on, o, c = decider.update(k, probs, level)
        states.append(on)
        opened += [(lab, k, start) for lab, start in o]
        closed += [(lab, k, start, end) for lab, start, end in c]
    return states, opened, closed


def _cells_with(states, label):
    return [k for k, on in enumerate(states) if label in on]


# ------------------------------------------------------------------ hysteresis on the probabilities
SPEECH_P = [0.1, 0.6, 0.625, 0.5, 0.4, 0.375, 0.374, 0.5, 0.62, 0.625, 0.9, 0.2]


@pytest.mark.parametrize("hysteresis, speech_cells, opened, closed", [
    # threshold 0.5, band 0.25: on at p >= 0.625 (cells 2, 9), off at p < 0.375 (cells 6, 11); the
    # values in between (0.6, 0.5, 0.4, exactly 0.375) keep the state the cell before had
    (0.25, [2, 3, 4, 5, 9, 10], [("speech", 2, 2), ("speech", 9, 9)],
     [("speech", 6, 2, 6), ("speech", 11, 9, 11)]),
    # no band: on at p >= 0.5, off below it
    (0.0, [1, 2, 3, 7, 8, 9, 10], [("speech", 1, 1), ("speech", 7, 7)],
     [("speech", 4, 1, 4), ("speech", 11, 7, 11)]),
])
def test_a_label_switches_on_and_off_at_the_hysteresis_points(hysteresis, speech_cells, opened, closed):
    """Speech through one label's hysteresis (noise on throughout, so no fallback interferes),
    minimum durations of one cell: the exact cells where speech is on, opens and closes."""
    d = Decider(_params(hysteresis), LABELS, HOP_S)
    cells = [({"speech": p, "music": 0.0, "noise": 0.9}, LOUD_DBFS) for p in SPEECH_P]
    states, o, c = _run(d, cells)
    assert _cells_with(states, "speech") == speech_cells
    assert _cells_with(states, "noise") == list(range(len(SPEECH_P)))
    assert _cells_with(states, "music") == [] and _cells_with(states, SILENCE) == []
    assert [e for e in o if e[0] == "speech"] == opened
    assert [e for e in c if e[0] == "speech"] == closed
    assert [e for e in o if e[0] != "speech"] == [("noise", 0, 0)] and [e for e in c if e[0] != "speech"] == []


def test_each_label_uses_its_own_threshold():
    """Thresholds 0.25 / 0.5 / 0.75 with the band 0.25: music on at 0.375, speech at 0.625, noise
    at 0.875; the same probability 0.5 is on for music only, 0.7 for music and speech."""
    d = Decider(_params(0.25, thresholds={"music": 0.25, "speech": 0.5, "noise": 0.75}), LABELS, HOP_S)
    rows = [0.5, 0.7, 0.875, 0.7, 0.625, 0.5, 0.3]
    states, _, _ = _run(d, [({lab: p for lab in LABELS}, LOUD_DBFS) for p in rows])
    assert _cells_with(states, "music") == [0, 1, 2, 3, 4, 5, 6]  # off only below 0.125
    assert _cells_with(states, "speech") == [1, 2, 3, 4, 5]  # off below 0.375: cell 6 (0.3)
    assert _cells_with(states, "noise") == [2, 3, 4]  # off below 0.625: cell 5 (0.5)


def test_a_threshold_near_one_still_switches_on_at_one():
    """Threshold 0.9375, band 0.25: the on-point 1.0625 is clamped to 1.0 (a probability can reach
    it), the off-point is 0.8125."""
    d = Decider(_params(0.25, thresholds={"speech": 0.9375, "music": 0.5, "noise": 0.5}), LABELS, HOP_S)
    rows = [0.99, 1.0, 0.82, 0.8125, 0.81]
    states, _, _ = _run(d, [({"speech": p, "music": 0.0, "noise": 0.9}, LOUD_DBFS) for p in rows])
    assert _cells_with(states, "speech") == [1, 2, 3]


# ------------------------------------------------------------------ the silence rule on the level
LEVELS = [-20.0, -49.0, -50.0, -50.5, -49.0, -47.5, -47.0, -46.0, -55.0, -20.0, -60.0, -47.01, -47.0]


@pytest.mark.parametrize("band_db, silent_cells", [
    # silence at -50 dBFS, band 3 dB: silent below -50 (not at -50 itself: cell 2), and stays
    # silent until the level reaches -47 (cells 4, 5 and -47.01 at 11 stay silent; -47 ends it)
    (3.0, [3, 4, 5, 8, 10, 11]),
    # no band: silent exactly where the level is below -50
    (0.0, [3, 8, 10]),
])
def test_silence_switches_on_below_the_level_and_off_at_the_level_plus_its_band(band_db, silent_cells):
    """Speech is at 0.9 throughout: it is on exactly in the cells that are not silent (silence
    forces the network labels off), with minimum durations of one cell."""
    d = Decider(_params(silence_hysteresis_db=band_db), LABELS, HOP_S)
    states, _, closed = _run(d, [({"speech": 0.9, "music": 0.0, "noise": 0.0}, lv) for lv in LEVELS])
    assert _cells_with(states, SILENCE) == silent_cells
    assert _cells_with(states, "speech") == [k for k in range(len(LEVELS)) if k not in silent_cells]
    assert _cells_with(states, "music") == _cells_with(states, "noise") == []
    assert all(states[k] == {SILENCE} for k in silent_cells)
    runs = [(a, b) for lab, _, a, b in closed if lab == SILENCE]
    assert runs == ([(3, 6), (8, 9), (10, 12)] if band_db else [(3, 4), (8, 9), (10, 11)])


def test_the_silence_level_changed_while_running_counts_from_the_next_cell():
    """The GUI changes ``params.silence_dbfs`` live; the decider reads it at every cell."""
    p = _params()
    d = Decider(p, LABELS, HOP_S)
    probs = {"speech": 0.9, "music": 0.0, "noise": 0.0}
    assert [SILENCE in d.update(k, probs, -55.0)[0] for k in range(2)] == [True, True]
    p.silence_dbfs = -60.0  # -55 is now 5 dB above the level: above its band of 3 dB
    assert [SILENCE in d.update(k, probs, -55.0)[0] for k in range(2, 4)] == [False, False]
    p.silence_dbfs = -53.0  # -55 below the new level: silent again
    assert SILENCE in d.update(4, probs, -55.0)[0]


# ------------------------------------------------------------------ minimum durations
def test_minimum_durations_bridge_gaps_and_backdate_both_edges():
    """Speech needs 2 cells on to open and 3 off to close: a lone on-cell (1) is ignored, the run
    from cell 3 opens at cell 4 back-dated to 3, the 2-cell gap at 5-6 is bridged, and the off-run
    from cell 10 closes the segment at cell 12 with its end back-dated to 10."""
    d = Decider(_params(speech=(2, 3)), LABELS, HOP_S)
    raw = [0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0]
    cells = [({"speech": 0.9 if r else 0.1, "music": 0.0, "noise": 0.9}, LOUD_DBFS) for r in raw]
    states, opened, closed = _run(d, cells)
    assert _cells_with(states, "speech") == list(range(4, 12))
    assert [e for e in opened if e[0] == "speech"] == [("speech", 4, 3)]
    assert [e for e in closed if e[0] == "speech"] == [("speech", 12, 3, 10)]


def test_silence_has_its_own_minimum_durations():
    """Silence with 2 cells to open and 2 to close (a one-cell dip and a one-cell sound are
    ignored), the network labels with one cell: a silent cell forces speech off at once, before
    silence is confirmed, and speech shows in the loud cells inside the bridged silence."""
    d = Decider(_params(silence=(2, 2)), LABELS, HOP_S)
    levels = [-20, -60, -20, -60, -60, -60, -20, -60, -20, -20, -20]
    states, opened, closed = _run(d, [({"speech": 0.9, "music": 0.0, "noise": 0.0}, lv) for lv in levels])
    assert _cells_with(states, SILENCE) == [4, 5, 6, 7, 8]
    assert [e for e in opened if e[0] == SILENCE] == [(SILENCE, 4, 3)]
    assert [e for e in closed if e[0] == SILENCE] == [(SILENCE, 9, 3, 8)]
    assert _cells_with(states, "speech") == [0, 2, 6, 8, 9, 10]


def test_a_run_from_the_first_cell_shows_before_it_is_confirmed():
    """A stream beginning with speech (min_on 3 cells): cells 0 and 1 already show it
    (provisional), it opens at cell 2 back-dated to 0. A stream whose first run is too short
    shows it provisionally and opens nothing; a later short run shows nothing."""
    d = Decider(_params(speech=(3, 1)), LABELS, HOP_S)
    cells = [({"speech": 0.9, "music": 0.0, "noise": 0.9}, LOUD_DBFS)] * 4
    states, opened, _ = _run(d, cells)
    assert _cells_with(states, "speech") == [0, 1, 2, 3]
    assert [e for e in opened if e[0] == "speech"] == [("speech", 2, 0)]
    d = Decider(_params(speech=(3, 1)), LABELS, HOP_S)
    raw = [1, 1, 0, 1, 1, 0]
    cells = [({"speech": 0.9 if r else 0.1, "music": 0.0, "noise": 0.9}, LOUD_DBFS) for r in raw]
    states, opened, closed = _run(d, cells)
    assert _cells_with(states, "speech") == [0, 1]
    assert [e for e in opened + closed if e[0] == "speech"] == []


def test_flush_closes_open_segments_at_the_end_and_keeps_a_whole_short_stream():
    """At the end: an open segment ends at the stream's end, or at the start of a pending off-run;
    an unconfirmed run is dropped unless it is the whole stream."""
    d = Decider(_params(speech=(1, 3)), LABELS, HOP_S)
    raw = [1, 1, 1, 0, 0]  # off-run from cell 3 not long enough to close: the end is cell 3
    _run(d, [({"speech": 0.9 if r else 0.1, "music": 0.0, "noise": 0.9}, LOUD_DBFS) for r in raw])
    assert sorted(d.flush(len(raw))) == [("noise", 0, 5), ("speech", 0, 3)]
    # flushed and reset: the decider starts again from nothing
    states, opened, _ = _run(d, [({"speech": 0.1, "music": 0.0, "noise": 0.9}, LOUD_DBFS)])
    assert states == [frozenset({"noise"})] and opened == [("noise", 0, 0)]
    d = Decider(_params(silence=(4, 1)), LABELS, HOP_S)
    _run(d, [({"speech": 0.0, "music": 0.0, "noise": 0.0}, -80.0)] * 2)  # 2 cells of silence, min_on 4
    assert d.flush(2) == [(SILENCE, 0, 2)]
    d = Decider(_params(silence=(4, 1), noise=(1, 3)), LABELS, HOP_S)
    _run(d, [({"speech": 0.0, "music": 0.0, "noise": 0.9}, lv) for lv in (-20.0, -80.0, -80.0)])
    assert d.flush(3) == [("noise", 0, 1)]  # the silence run (cells 1-2) does not span the stream


def test_run_tracker_peek_tells_the_next_state_without_changing_it():
    tr = RunTracker(min_on=2, min_off=2)
    assert tr.peek(True) is False  # one on-cell is not enough
    tr.update(0, True)
    assert tr.peek(True) is True and tr.peek(False) is False
    tr.update(1, True)
    assert tr.on and tr.peek(False) is True  # one off-cell does not close it
    tr.update(2, False)
    assert tr.peek(False) is False and tr.peek(True) is True
    assert tr.on


# ------------------------------------------------------------------ a sound no label is on for
def test_a_sound_below_every_threshold_takes_the_most_probable_label_and_keeps_it():
    """Band 0.125 (on at 0.5625): no probability reaches an on-point, so each loud cell takes the
    most probable label, but the label it had stays while it is within 0.125 of the best; in a
    silent cell no network label is forced on."""
    d = Decider(_params(0.125), LABELS, HOP_S)
    rows = [  # (speech, music, noise, level)
        (0.30, 0.35, 0.10, LOUD_DBFS),  # music is the most probable
        (0.40, 0.30, 0.10, LOUD_DBFS),  # music kept: 0.30 >= 0.40 - 0.125
        (0.45, 0.30, 0.10, LOUD_DBFS),  # 0.30 < 0.325: speech
        (0.30, 0.35, 0.10, LOUD_DBFS),  # speech kept (it is on): 0.30 >= 0.35 - 0.125
        (0.10, 0.35, 0.30, -70.0),  # silent: silence only
        (0.10, 0.30, 0.35, LOUD_DBFS),  # after silence nothing is kept: noise, the most probable
    ]
    states, _, _ = _run(d, [({"speech": s, "music": m, "noise": n}, lv) for s, m, n, lv in rows])
    assert states == [{"music"}, {"music"}, {"speech"}, {"speech"}, {SILENCE}, {"noise"}]


# ------------------------------------------------------------------ settings
def test_settings_from_metadata_and_minimum_cells():
    meta = {"thresholds": {"speech": 0.425, "music": 0.425, "noise": 0.5}, "hysteresis": 0.05,
            "min_on_s": {"speech": 0.3}, "min_off_s": {"music": 1.0}, "silence_dbfs": -45,
            "silence_hysteresis_db": 2}
    p = DecisionParams.from_metadata(meta)
    assert p.thresholds == {"speech": 0.425, "music": 0.425, "noise": 0.5} and p.hysteresis == 0.05
    assert (p.silence_dbfs, p.silence_hysteresis_db) == (-45.0, 2.0)
    assert DecisionParams.from_metadata(meta, silence_dbfs=-60).silence_dbfs == -60.0
    # seconds -> whole cells, rounded up (0.3 s at the 0.25 s hop: 2 cells; exactly 0.5 s: 2)
    assert p.min_on_cells("speech", 0.25) == 2 and p.min_off_cells("music", 0.25) == 4
    assert p.min_on_cells("music", 0.25) == 1 and p.min_off_cells("speech", 0.25) == 2  # defaults
    assert p.min_on_cells(SILENCE, 0.25) == 2 and p.min_off_cells(SILENCE, 0.25) == 1
    assert p.min_on_cells(SILENCE, 0.1) == 5 and p.min_on_cells("noise", 1.0) == 1
    bare = DecisionParams.from_metadata({"thresholds": {"speech": 0.5}})
    assert (bare.hysteresis, bare.silence_dbfs, bare.silence_hysteresis_db) == (0.1, -50.0, 3.0)


# ------------------------------------------------------------------ refinement helpers
def test_step_scores_are_the_mean_after_minus_the_mean_before():
    env = [-60.0, -60.0, -60.0, -30.0, -30.0, -30.0, -30.0]
    s = step_scores(env, floor_dbfs=-70.0, span=3)
    assert s.shape == (8,)
    assert s.tolist() == [0.0, 0.0, 0.0, 30.0, 20.0, 0.0, 0.0, 0.0]  # valid for 3 <= j <= 4
    # the floor: a drop to -120 counts as a drop to -70
    assert step_scores([-20.0] * 3 + [-120.0] * 3, -70.0, 3).tolist() == [0, 0, 0, -50.0, 0, 0, 0]
    assert step_scores([-20.0] * 5, -70.0, 3).tolist() == [0.0] * 6  # too short for a step


def test_window_fall_places_the_end_by_the_last_window_above_threshold():
    """Hop 4000 samples, 4 windows per cell, speech's first off cell 10: window 7 is the last at
    or above the threshold 0.5, window 8 has 0.2, so the end is where window 8 starts plus
    0.2 / 0.5 of a hop: 8 * 4000 + 1600."""
    probs = {5: 0.9, 6: 0.9, 7: 0.5, 8: 0.2, 9: 0.0, 10: 0.0}
    assert window_fall_sample(probs, 10, 0.5, 4000, 4) == 33600
    assert window_fall_sample({**probs, 8: 0.75}, 10, 0.5, 4000, 4) == 36000  # 8 is on: the end is window 9's start
    assert window_fall_sample({**probs, 8: 0.6, 9: 0.55}, 10, 0.5, 4000, 4) == 40000 + 0  # window 9: then 10 at 0.0
    # no window in reach at or above the threshold (cells 10 .. 10 - 4 - 1 exclusive): no fall
    assert window_fall_sample({m: 0.1 for m in range(4, 12)}, 10, 0.5, 4000, 4) is None
    assert window_fall_sample({6: 0.9, 7: 0.1, 8: 0.1, 9: 0.1, 10: 0.1}, 10, 0.5, 4000, 4) == 28000 + 800
    assert window_fall_sample({5: 0.9, 6: 0.1, 7: 0.1, 8: 0.1, 9: 0.1, 10: 0.1}, 10, 0.5, 4000, 4) is None
    assert window_fall_sample({7: 0.9, 9: 0.1, 10: 0.1}, 10, 0.5, 4000, 4) is None  # window 8 missing
    # the first off cell's own window may still be on (the cell's mean is off): the end is after it
    assert window_fall_sample({6: 0.9, 7: 0.9, 8: 0.9, 9: 0.9, 10: 0.6, 11: 0.1}, 10, 0.5, 4000, 4) == 44000 + 800


def test_refine_boundary_takes_the_strongest_step_nearest_the_boundary():
    """Two equal rises (blocks 10 and 30) and a fall between (20): the one nearest the hop
    boundary wins; either direction with ``rising=None``; a step under ``min_step_db`` moves
    nothing; with a distance penalty a weaker step near the boundary beats a stronger one far off."""
    env = np.array([-60.0] * 10 + [-30.0] * 10 + [-60.0] * 10 + [-30.0] * 10)
    assert refine_boundary(env, 0, 28, 5, 35, rising=True, floor_dbfs=-70) == 30
    assert refine_boundary(env, 0, 12, 5, 35, rising=True, floor_dbfs=-70) == 10
    assert refine_boundary(env, 0, 28, 5, 35, rising=False, floor_dbfs=-70) == 20
    assert refine_boundary(env, 0, 21, 5, 35, rising=None, floor_dbfs=-70) == 20
    assert refine_boundary(env + 0.0, 1000, 1028, 1005, 1035, rising=True, floor_dbfs=-70) == 1030  # absolute blocks
    small = np.array([-40.0] * 20 + [-36.0] * 20)  # a 4 dB step
    assert refine_boundary(small, 0, 25, 10, 30, rising=True, floor_dbfs=-70) == 25
    assert refine_boundary(small, 0, 25, 10, 30, rising=True, floor_dbfs=-70, min_step_db=3.0) == 20
    unequal = np.array([-60.0] * 10 + [-30.0] * 10 + [-60.0] * 10 + [-35.0] * 10)  # 30 dB at 10, 25 dB at 30
    assert refine_boundary(unequal, 0, 28, 5, 35, rising=True, floor_dbfs=-70) == 10
    assert refine_boundary(unequal, 0, 28, 5, 35, rising=True, floor_dbfs=-70, distance_db_per_s=300.0) == 30


def test_refine_boundary_moves_a_step_to_the_end_of_its_ramp():
    """A rise over three blocks (-53, -46, -34 dBFS after -79) starts at the ramp's first block
    (30), not where the step detector peaks (31); the mirrored fall ends at its first block at the
    bottom (33)."""
    onset = np.concatenate([np.full(30, -79.0), [-53.0, -46.0, -34.0], np.full(30, -23.0)])
    assert refine_boundary(onset, 0, 40, 20, 45, rising=True, floor_dbfs=-70) == 30
    assert refine_boundary(onset, 0, 40, 20, 45, rising=None, floor_dbfs=-70) == 31  # no direction: no ramp
    fall = onset[::-1].copy()
    assert refine_boundary(fall, 0, 25, 15, 40, rising=False, floor_dbfs=-70) == 33


def test_silence_edges_take_only_steps_into_or_out_of_quiet():
    """``pick="last"`` / ``"first"`` with ``gate_dbfs``: a silence starts at the last fall INTO a
    level below the gate (block 30), not at a later fall between two loud levels (56); it ends
    at the first rise OUT OF quiet (46), not at an earlier rise between loud levels (20)."""
    env = np.array([-20.0] * 30 + [-79.0] * 16 + [-30.0] * 10 + [-40.0] * 20)
    assert refine_boundary(env, 0, 45, 25, 60, rising=False, floor_dbfs=-70, pick="last", gate_dbfs=-50) == 30
    assert refine_boundary(env, 0, 45, 25, 60, rising=False, floor_dbfs=-70, pick="last") == 56
    env = np.array([-40.0] * 20 + [-30.0] * 10 + [-79.0] * 16 + [-20.0] * 30)
    assert refine_boundary(env, 0, 25, 15, 50, rising=True, floor_dbfs=-70, pick="first", gate_dbfs=-50) == 46
    assert refine_boundary(env, 0, 25, 15, 50, rising=True, floor_dbfs=-70, pick="first") == 20

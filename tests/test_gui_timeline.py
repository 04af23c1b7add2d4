"""LabelTimeline / HopHistory: what the window draws, from Hop and Segment events (no Qt)."""

import numpy as np

from stream_tagger.events import Hop, Segment
from stream_tagger.gui.timeline import HopHistory, LabelTimeline


def _hop(i, labels, hop_s=0.1, probs=None, level=-20.0):
    return Hop(i, round(i * hop_s, 6), round((i + 1) * hop_s, 6), probs or {"speech": 0.1, "music": 0.2, "noise": 0.3},
               level, frozenset(labels))


def test_hops_make_provisional_runs_and_segments_replace_them():
    tl = LabelTimeline(keep_s=None)
    for i in range(100):  # music on 0..5 s, off after
        tl.add_hop(_hop(i, ["music"] if i < 50 else ["silence"]))
    assert tl.intervals("music") == [(0.0, 5.0, False)]
    assert tl.intervals("silence") == [(5.0, 10.0, False)]
    assert tl.intervals("speech") == []
    # the refined segment ends earlier than the hop grid said: it replaces the provisional run
    tl.add_segment(Segment(0.0, 4.87, "music"))
    assert tl.intervals("music") == [(0.0, 4.87, True)]
    # silence still provisional, then final
    tl.add_segment(Segment(4.87, 10.0, "silence"))
    assert tl.intervals("silence") == [(4.87, 10.0, True)]
    assert tl.labels_now == frozenset({"silence"})
    assert [s.label for s in tl.segments()] == ["music", "silence"]


def test_new_runs_after_a_final_segment_stay_provisional_and_are_clipped_to_the_view():
    tl = LabelTimeline(keep_s=None)
    for i in range(30):
        tl.add_hop(_hop(i, ["speech"] if i < 10 or i >= 20 else []))
    tl.add_segment(Segment(0.0, 1.02, "speech"))
    assert tl.intervals("speech") == [(0.0, 1.02, True), (2.0, 3.0, False)]
    assert tl.intervals("speech", 0.5, 2.5) == [(0.5, 1.02, True), (2.0, 2.5, False)]
    assert tl.intervals("speech", 1.1, 1.9) == []


def test_timeline_forgets_old_stream_time():
    tl = LabelTimeline(keep_s=10.0)
    for i in range(1000):  # 100 s alternating 1 s runs
        tl.add_hop(_hop(i, ["noise"] if (i // 10) % 2 else ["speech"]))
        if i % 10 == 9:
            lab = "noise" if (i // 10) % 2 else "speech"
            tl.add_segment(Segment((i - 9) / 10, (i + 1) / 10, lab))
    kept = tl.intervals("noise") + tl.intervals("speech")
    assert kept and min(a for a, _, _ in kept) >= 100.0 - 10.0 - 1.0
    assert len(kept) <= 12


def test_hop_history_ring_keeps_the_newest_in_time_order():
    h = HopHistory(capacity=50)
    for i in range(120):
        h.add(_hop(i, [], probs={"speech": i / 200, "music": 0.5, "noise": 0.0}, level=-float(i)))
    t, p, level = h.arrays()
    assert len(t) == 50
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t[-1], 11.95)
    np.testing.assert_allclose(p[0, -1], 119 / 200, rtol=1e-6)
    assert level[-1] == -119.0 and h.last_level_dbfs == -119.0
    t2, _, _ = h.arrays(since_s=11.0)
    assert t2[0] >= 11.0 and len(t2) == 10

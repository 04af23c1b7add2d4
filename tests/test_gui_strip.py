"""The label strip widget under a real X server (Xvfb): events in, coloured pixels out."""

import numpy as np
import pytest

from stream_tagger.events import LABELS, Hop, Segment
from stream_tagger.gui.colors import LABEL_RGB, nearest_label
from stream_tagger.gui.xvfb import shared_display, xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")


@pytest.fixture(scope="session")
def qapp_args():
    """pytest-qt builds its QApplication from this: start the X server (Xvfb) first."""
    shared_display()
    return ["stream-tagger-tests"]


@pytest.fixture
def gui(qapp):
    import pyqtgraph as pg

    from stream_tagger.gui.strip import LabelStrip
    from stream_tagger.gui.timeline import LabelTimeline

    return pg, LabelStrip, LabelTimeline


def _hop(i, labels, hop_s=0.1):
    return Hop(i, round(i * hop_s, 6), round((i + 1) * hop_s, 6), {}, -20.0, frozenset(labels))


def _make_strip(gui, qtbot):
    pg, LabelStrip, LabelTimeline = gui
    widget = pg.GraphicsLayoutWidget()
    widget.resize(900, 260)
    plot = widget.addPlot()
    strip = LabelStrip(plot)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, strip, LabelTimeline(keep_s=None)


def _pixel(widget, strip, t, label):
    """``(x, y)`` in ``widget.grab()`` of ``label``'s row centre at stream time ``t``."""
    from PyQt5 import QtCore

    pt = widget.mapFromScene(strip.scene_point(t, label))
    pt = widget.viewport().mapTo(widget, QtCore.QPoint(pt.x(), pt.y()))
    return pt.x(), pt.y()


def _label_at(widget, strip, img, t, label):
    x, y = _pixel(widget, strip, t, label)
    return img[y, x]


def test_strip_shows_each_segment_in_its_colour_at_its_time(gui, qtbot):
    from stream_tagger.gui.pixels import qimage_rgb

    widget, strip, tl = _make_strip(gui, qtbot)
    truth = [Segment(0.0, 6.0, "music"), Segment(6.0, 9.0, "silence"), Segment(9.0, 17.5, "noise"),
             Segment(17.5, 30.0, "speech"), Segment(12.0, 14.0, "speech")]
    for seg in truth:
        tl.add_segment(seg)
    strip.plot.setXRange(0.0, 30.0, padding=0)
    strip.update(tl, 0.0, 30.0)
    qtbot.wait(50)
    img = qimage_rgb(widget.grab())
    checked = 0
    for t in np.arange(0.25, 30.0, 0.5):
        on = {s.label for s in truth if s.start_s + 0.15 < t < s.end_s - 0.15}
        near_edge = any(abs(t - x) < 0.15 for s in truth for x in (s.start_s, s.end_s))
        if near_edge:
            continue
        for lab in LABELS:
            rgb = _label_at(widget, strip, img, t, lab)
            got = nearest_label(rgb, max_distance=12)
            assert (got == lab) == (lab in on), (t, lab, tuple(rgb), on)
            checked += 1
    assert checked > 200


def test_provisional_hops_are_drawn_faint_and_the_final_segment_replaces_them(gui, qtbot):
    from stream_tagger.gui.pixels import qimage_rgb

    widget, strip, tl = _make_strip(gui, qtbot)
    for i in range(100):  # hops say music 0..8 s, then silence
        tl.add_hop(_hop(i, ["music"] if i < 80 else ["silence"]))
    strip.plot.setXRange(0.0, 10.0, padding=0)
    strip.update(tl, 0.0, 10.0)
    qtbot.wait(50)
    img = qimage_rgb(widget.grab())
    faint = _label_at(widget, strip, img, 7.9, "music").astype(float)
    full = np.array(LABEL_RGB["music"], float)
    # provisional: same hue, darker than the final colour on the dark background, but clearly lit
    assert nearest_label(faint, max_distance=12) is None
    cos = faint @ full / (np.linalg.norm(faint) * np.linalg.norm(full))
    assert cos > 0.95 and 0.25 < np.linalg.norm(faint) / np.linalg.norm(full) < 0.8
    # the refined segment ends at 7.6 s: 7.8 s is no longer music, 7.4 s is, in full colour
    tl.add_segment(Segment(0.0, 7.6, "music"))
    strip.update(tl, 0.0, 10.0)
    qtbot.wait(50)
    img = qimage_rgb(widget.grab())
    assert nearest_label(_label_at(widget, strip, img, 7.4, "music"), 12) == "music"
    assert nearest_label(_label_at(widget, strip, img, 7.8, "music"), 40) is None
    assert np.linalg.norm(_label_at(widget, strip, img, 7.8, "music").astype(float) - faint) > 40


def test_a_gap_is_a_hatched_band_across_all_rows(gui, qtbot):
    from stream_tagger.events import Gap
    from stream_tagger.gui.colors import GAP_RGB
    from stream_tagger.gui.pixels import qimage_rgb

    widget, strip, tl = _make_strip(gui, qtbot)
    tl.add_segment(Segment(0.0, 10.0, "music"))
    tl.add_gap(Gap("2025-03-01T12:00:10.000Z", "2025-03-01T12:00:16.000Z", 6.0, 10.0, 16.0))
    tl.add_segment(Segment(16.0, 30.0, "speech"))
    strip.plot.setXRange(0.0, 30.0, padding=0)
    strip.update(tl, 0.0, 30.0)
    qtbot.wait(50)
    img = qimage_rgb(widget.grab()).astype(float)
    gap_rgb = np.array(GAP_RGB, float)
    for lab in LABELS:
        # inside the gap: hatching (some pixels of the gap colour), and no label colour anywhere
        (x0, y), (x1, _) = _pixel(widget, strip, 10.5, lab), _pixel(widget, strip, 15.5, lab)
        row = img[y, x0:x1]
        hatch = np.linalg.norm(row - gap_rgb, axis=1) < 60
        assert 0.05 < hatch.mean() < 0.7 and hatch.sum() >= 2, (lab, hatch.mean())
        assert not any(nearest_label(px, max_distance=12) for px in row)
    # outside it, the labels as before
    assert nearest_label(_label_at(widget, strip, img, 5.0, "music"), 12) == "music"
    assert nearest_label(_label_at(widget, strip, img, 20.0, "speech"), 12) == "speech"
    # the band is drawn at the gap's stream time only: none at 5 s or 20 s
    for t in (5.0, 20.0):
        assert np.linalg.norm(_label_at(widget, strip, img, t, "noise") - gap_rgb) > 60

"""The live window on a real network stream (a local HTTP radio) under Xvfb: a server that goes
down and comes back leaves a hatched gap in the label strip and a gap count in the status bar."""

import time

import numpy as np
import pytest
from conftest import tone_bursts
from stream_server import RadioServer

from stream_tagger.events import LABELS
from stream_tagger.gui.colors import GAP_RGB, nearest_label
from stream_tagger.gui.xvfb import shared_display, xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")
av = pytest.importorskip("av", reason="the monitor extra (PyAV) is not installed")


@pytest.fixture(scope="session")
def qapp_args():
    """pytest-qt builds its QApplication from this: start the X server (Xvfb) first."""
    shared_display()
    return ["stream-tagger-tests"]


def _radio():
    import io

    import soundfile as sf

    x = tone_bursts([(0.0, 1.0), (2.0, 3.0)], 4.0, rate=44100, amp=0.3)
    buf = io.BytesIO()
    sf.write(buf, np.stack([x, x], axis=1), 44100, format="MP3")
    srv = RadioServer()
    srv.add_stream("/radio.mp3", buf.getvalue(), 4.0, loop=True)
    return srv


def test_the_window_shows_a_streams_gap(qtbot, engine_model):
    from stream_tagger.engine import Tagger
    from stream_tagger.gui.feed import Feed
    from stream_tagger.gui.pixels import qimage_rgb
    from stream_tagger.gui.window import LiveWindow
    from stream_tagger.sources import StreamSource

    srv = _radio()
    status = []
    try:
        src = StreamSource(srv.url("/radio.mp3"), timeout_s=2.0, on_status=status.append)
        src.open()
        feed = Feed.start(Tagger(engine_model, hop_s=0.25), src)
        win = LiveWindow(feed, window_s=20.0)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.timeline.end_s >= 2.0, timeout=30000)
        srv.stop()
        time.sleep(1.5)  # the server is down for a while
        srv.start()
        qtbot.waitUntil(lambda: bool(win._gaps) and win.timeline.end_s >= win._gaps[0].end_s + 2.0, timeout=30000)
        win.set_paused(True)
        qtbot.wait(100)
        img = qimage_rgb(win.grab()).astype(float)
        gap = win._gaps[0]
        assert gap.seconds >= 1.0
        assert win.gap_label.isVisible() and win.gap_label.text().startswith("1 gap, ")
        # the gap's stream time is hatched in every row, and shows no label
        for lab in LABELS:
            (x0, y), (x1, _) = win.strip_pixel(gap.start_s + 0.1, lab), win.strip_pixel(gap.end_s - 0.1, lab)
            row = img[y, x0:x1]
            assert x1 - x0 > 20
            hatch = np.linalg.norm(row - np.array(GAP_RGB, float), axis=1) < 60
            assert 0.05 < hatch.mean() < 0.7 and hatch.sum() >= 2, (lab, hatch.mean())
            assert not any(nearest_label(px, max_distance=12) for px in row)
        # labels on both sides of it
        for times in (np.arange(gap.start_s - 1.5, gap.start_s, 0.1), np.arange(gap.end_s + 0.1, gap.end_s + 1.5, 0.1)):
            shown = {nearest_label(img[y, x], max_distance=40) for t in times for x, y in
                     (win.strip_pixel(t, lab) for lab in LABELS)}
            assert shown - {None}, times
    finally:
        win.close()
        srv.close()
    assert any("reconnected; no audio for" in s for s in status), status

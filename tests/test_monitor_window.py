"""The live window shows the alert rules' state in its status bar (real window under Xvfb, real
engine replaying a file)."""

import io
import json

import pytest
import soundfile as sf
from conftest import RATE, tone_bursts

from stream_tagger.gui.xvfb import shared_display, xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")


@pytest.fixture(scope="session")
def qapp_args():
    shared_display()
    return ["stream-tagger-tests"]


def test_status_bar_shows_a_firing_alert_until_it_clears(qtbot, engine_model, tmp_path):
    from stream_tagger.engine import Tagger
    from stream_tagger.gui.feed import Feed
    from stream_tagger.gui.window import LiveWindow
    from stream_tagger.monitor.alerts import parse_rule
    from stream_tagger.monitor.observer import LineOut, StreamObserver
    from stream_tagger.sources import FileSource

    wav = tmp_path / "gap.wav"
    sf.write(wav, tone_bursts([(0.0, 1.0), (4.0, 6.0)], 6.0, freq_hz=300.0), RATE)
    lines = io.StringIO()
    obs = StreamObserver("w", [parse_rule("silence>=1.5")], out=LineOut(lines))
    tagger = Tagger(engine_model)
    src = FileSource(str(wav), speed=4.0)
    src.open()
    obs.attach(tagger, src)
    feed = Feed.start(tagger, src, observer=obs)
    win = LiveWindow(feed, window_s=10.0)
    qtbot.addWidget(win)
    win.show()
    field = win.status_fields["alerts"]
    qtbot.waitUntil(lambda: field.text() == "ALERT silence>=1.5", timeout=60000)
    assert "e74c3c" in field.styleSheet()  # in red
    qtbot.waitUntil(lambda: field.text() == "alerts ok", timeout=60000)
    assert field.styleSheet() == ""
    qtbot.waitUntil(lambda: not feed.running, timeout=60000)
    win.close()
    recs = [json.loads(ln) for ln in lines.getvalue().splitlines()]
    assert [(r["alert"], r["state"]) for r in recs] == [("silence>=1.5", "firing"), ("silence>=1.5", "cleared")]

"""The real live window under Xvfb, fed by the real engine replaying a file with known segments.
(The command line's window: tests/test_gui_window_cli.py; the legend, meter and end of a
replay: tests/test_gui_window_display.py.)"""

import os
import threading

import numpy as np
import pytest
from gui_signals import DURATION_S, known_segments
from gui_window_helpers import _close_windows_after_each_test, known_wav, qapp_args  # noqa: F401 (fixtures)
from gui_window_helpers import _finish, _open

from stream_tagger.events import LABELS
from stream_tagger.gui.colors import nearest_label
from stream_tagger.gui.xvfb import xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")

ENGINE_THREADS = ("TaggerRun", "TaggerWorker", "FileSource", "PlayingFileSource")


def _strip_on(win, img, t):
    """Labels whose colour the screenshot shows at stream time ``t`` (centre of each row)."""
    on = set()
    for lab in LABELS:
        x, y = win.strip_pixel(t, lab)
        got = nearest_label(img[y, x], max_distance=12)
        if got is not None:
            assert got == lab
            on.add(lab)
    return on


def _times_clear_of_boundaries(margin_s):
    edges = [x for s in known_segments() for x in (s.start_s, s.end_s)]
    return [t for t in np.arange(0.05, DURATION_S, 0.1) if all(abs(t - e) > margin_s for e in edges)]


def test_replay_draws_known_silences_at_their_place(qtbot, engine_model, known_wav):
    from stream_tagger.gui.pixels import qimage_rgb

    win, feed = _open(qtbot, engine_model, known_wav)
    _finish(qtbot, win, feed)
    img = qimage_rgb(win.grab())
    x0, x1 = win.view_range_s()
    assert (x0, x1) == pytest.approx((0.0, 20.0), abs=0.01)
    silent = [s for s in known_segments() if s.label == "silence"]
    times = _times_clear_of_boundaries(0.3)
    for t in times:  # silence is decided by level: exact with any model
        want = any(s.start_s < t < s.end_s for s in silent)
        assert ("silence" in _strip_on(win, img, t)) == want, t
    # nothing is drawn after the end of the stream
    assert _strip_on(win, img, 19.0) == set()
    # labels on now (the file ends in silence), status bar
    assert "SILENCE" in win.now_label.text()
    status = " ".join(w.text() for w in win.status_fields.values())
    assert "known.wav" in status and "16 kHz" in status and "0:18.0" in status and "dropped 0" in status
    # the log-mel image holds the file's features: loud columns where there is sound
    spec = win._spec  # (time, mel), last row = last frame
    assert spec.shape[1] == 64 and spec[-1500:].max() > spec[-1500:].min() + 5
    win.close()


def test_replay_of_the_example_draws_its_segments_with_the_shipped_model(qtbot, shipped_model):
    """The shipped example (56.5 s, reference labels beside it): every label's row shows the
    engine's segments, and they agree with the known reference."""
    import os

    from stream_tagger.engine import tag_file
    from stream_tagger.gui.pixels import qimage_rgb
    from stream_tagger.labels import read_segments
    from stream_tagger.model import default_model_path

    assets = os.path.dirname(default_model_path())
    wav, ref = os.path.join(assets, "example.ogg"), os.path.join(assets, "example.csv")
    win, feed = _open(qtbot, shipped_model, wav, speed=8.0, window_s=60.0, hop_s=0.25)
    _finish(qtbot, win, feed, timeout_ms=60000)
    img = qimage_rgb(win.grab())
    engine_segs = tag_file(wav, shipped_model, hop_s=0.25)
    reference = read_segments(ref)
    edges = [x for sg in engine_segs for x in (sg.start_s, sg.end_s)]
    shown = agree_engine = agree_ref = 0
    for t in np.arange(0.1, 56.4, 0.2):
        got = _strip_on(win, img, t)
        shown += 1
        if all(abs(t - e) > 0.15 for e in edges):
            want = {sg.label for sg in engine_segs if sg.start_s < t < sg.end_s}
            assert got == want, (round(t, 2), got, want)
            agree_engine += 1
        truth = {sg.label for sg in reference if sg.start_s < t < sg.end_s}
        agree_ref += len(got & truth) / max(1, len(got | truth))
    print(f"example: strip = engine at {agree_engine}/{shown} points, agreement with the reference {agree_ref / shown:.2f}")
    # measured: 265 / 282 points clear of the engine's edges, 0.97 agreement with the reference
    assert agree_engine > 0.9 * shown
    assert agree_ref / shown >= 0.9, agree_ref / shown
    win.close()


def test_pause_freezes_the_display_while_the_analysis_runs_on(qtbot, engine_model, known_wav):
    win, feed = _open(qtbot, engine_model, known_wav, speed=3.0, window_s=10.0)
    qtbot.waitUntil(lambda: feed.snapshot().stream_time_s > 3.0, timeout=15000)
    win.pause_button.click()
    assert win.paused and win.pause_button.text() == "Resume"
    qtbot.wait(100)
    frozen = win.graphics.grab().toImage()
    range_before = win.view_range_s()
    t_before, redraws = feed.snapshot().stream_time_s, win.redraws
    qtbot.wait(1200)
    assert feed.snapshot().stream_time_s > t_before + 2.0  # analysis went on (3x speed)
    assert win.timeline.end_s > t_before + 1.5  # and its events were still collected
    assert win.redraws == redraws
    assert win.graphics.grab().toImage() == frozen  # the display did not move
    assert win.view_range_s() == range_before
    win.pause_button.click()
    assert not win.paused
    qtbot.waitUntil(lambda: win.view_range_s()[1] > range_before[1] + 1.0, timeout=3000)
    assert win.graphics.grab().toImage() != frozen
    win.close()


def test_closing_the_window_stops_the_engine_threads(qtbot, engine_model, known_wav):
    win, feed = _open(qtbot, engine_model, known_wav, speed=1.0)
    qtbot.waitUntil(lambda: feed.snapshot().stream_time_s > 1.0, timeout=10000)
    assert [t for t in threading.enumerate() if t.name in ENGINE_THREADS]
    win.close()
    assert not feed.running
    alive = [t.name for t in threading.enumerate() if t.name in ENGINE_THREADS and t.is_alive()]
    assert alive == []
    assert feed.error() is None
    assert feed.snapshot().stream_time_s < 5.0  # it stopped early, not at the end of the file


def test_silence_threshold_changes_live_and_labels_are_saved(qtbot, engine_model, known_wav, tmp_path):
    from stream_tagger.labels import read_segments

    win, feed = _open(qtbot, engine_model, known_wav, speed=4.0)
    qtbot.waitUntil(lambda: win.timeline.end_s > 7.0, timeout=15000)
    win.silence_spin.setValue(-10.0)  # everything in the file is quieter than -10 dBFS RMS
    assert win.silence_line.value() == pytest.approx(-10.0)
    assert feed.tagger.decision.silence_dbfs == pytest.approx(-10.0)
    changed_at = win.timeline.end_s
    _finish(qtbot, win, feed)
    out = tmp_path / "labels.csv"
    win.save_labels(str(out))
    segs = read_segments(str(out))
    silence = [s for s in segs if s.label == "silence"]
    # before the change: the known gap at 4..6 s; after it: silence all the way to the end
    assert any(abs(s.start_s - 4.0) < 0.3 and abs(s.end_s - 6.0) < 0.3 for s in silence), silence
    assert any(s.start_s < changed_at + 1.5 and s.end_s > DURATION_S - 0.2 for s in silence), (silence, changed_at)
    assert not any(s.start_s < 3.5 for s in silence)  # the music at 0..4 s was not silence
    # every tag format can be written, and holds the same segments
    from stream_tagger.labels import FORMATS, extension_for

    first_line = {"csv": "start,end,label", "jsonl": '{"start": ', "audacity": "\t", "textgrid": 'File type = "ooTextFile"'}

    def spans(segments):
        return sorted((round(s.start_s, 3), round(s.end_s, 3), s.label) for s in segments)

    assert len(segs) >= 4
    for fmt in FORMATS:
        p = tmp_path / ("labels" + extension_for(fmt))
        win.save_labels(str(p), fmt)
        assert first_line[fmt] in p.read_text().splitlines()[0], fmt  # written in that format
        assert spans(read_segments(str(p))) == spans(segs), fmt
    win.close()


def test_screenshot_is_the_window(qtbot, engine_model, known_wav, tmp_path):
    from PyQt5 import QtGui

    win, feed = _open(qtbot, engine_model, known_wav, speed=8.0)
    _finish(qtbot, win, feed)
    out = tmp_path / "shot.png"
    assert win.save_screenshot(str(out))
    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == (win.width(), win.height())
    # the PNG says which model and source it shows
    from stream_tagger.model import model_identity, read_metadata

    assert img.text("Model") == model_identity(engine_model, read_metadata(engine_model))
    assert img.text("Source") == os.path.basename(str(known_wav))
    assert img.text("Software").startswith("stream-tagger ")
    win.close()


@pytest.fixture
def pulse_in_process(pulse_env, monkeypatch):
    """Point this process's PortAudio (ALSA pulse plugin) at the private PulseAudio server."""
    sd = pytest.importorskip("sounddevice")
    monkeypatch.setenv("PULSE_SERVER", pulse_env["PULSE_SERVER"])
    sd._terminate()
    sd._initialize()
    yield pulse_env
    monkeypatch.undo()
    sd._terminate()
    sd._initialize()


def test_play_sounds_the_file_in_step_with_the_analysis(qtbot, engine_model, tmp_path, pulse_in_process):
    import os
    import subprocess
    import time

    import soundfile as sf

    from stream_tagger.engine import Tagger
    from stream_tagger.gui.feed import Feed
    from stream_tagger.gui.window import LiveWindow
    from stream_tagger.sources import FileSource

    rate = 44100
    t = np.arange(int(3.0 * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * 440 * t) * (t < 1.5)).astype(np.float32)  # 1.5 s tone, 1.5 s silence
    wav = str(tmp_path / "tone.wav")
    sf.write(wav, x, rate)
    rec_path = tmp_path / "rec.raw"
    with open(rec_path, "wb") as rec_file:
        rec = subprocess.Popen(["parec", "-d", "tagnull.monitor", "--raw", "--format=s16le", "--rate=16000",
                                "--channels=1"], stdout=rec_file, env=pulse_in_process)
        try:
            src = FileSource(wav, speed=1.0)
            src.open()
            t0 = time.monotonic()
            feed = Feed.start(Tagger(engine_model, hop_s=0.1), src, play=True)
            assert "(playing)" in feed.source_description
            win = LiveWindow(feed, window_s=5.0)
            qtbot.addWidget(win)
            win.show()
            qtbot.waitUntil(lambda: not feed.running, timeout=20000)
            wall_s = time.monotonic() - t0
            _finish(qtbot, win, feed)
            played = feed.source.played_samples
            win.close()
        finally:
            time.sleep(0.3)
            rec.terminate()
            rec.wait(5)
    assert feed.error() is None
    assert played == x.shape[0]  # every sample went to the sound card ...
    assert win.timeline.end_s == pytest.approx(3.0, abs=0.01)  # ... and into the analysis
    assert wall_s >= 2.9  # paced by the sound card, not as fast as possible
    silence = win._all_timeline.intervals("silence")
    assert any(abs(a - 1.5) < 0.3 and b == pytest.approx(3.0, abs=0.05) for a, b, _ in silence), silence
    # the tone really came out of the (null) sound card
    heard = np.frombuffer(rec_path.read_bytes(), np.int16).astype(np.float32) / 32768
    assert heard.shape[0] > 16000 and np.sqrt(np.mean(heard**2)) > 0.02, os.path.getsize(rec_path)


def test_device_picker_switches_live_input_and_time_goes_on(qtbot, engine_model, pulse_in_process):
    from stream_tagger.engine import Tagger
    from stream_tagger.gui.feed import Feed
    from stream_tagger.gui.window import LiveWindow
    from stream_tagger.sources import MicSource

    src = MicSource("pulse")
    src.open()
    feed = Feed.start(Tagger(engine_model, hop_s=0.1), src)
    assert feed.is_live
    win = LiveWindow(feed, window_s=10.0)
    qtbot.addWidget(win)
    win.show()
    names = [win.device_combo.itemText(i) for i in range(win.device_combo.count())]
    assert any(n.startswith("pulse") for n in names) and any(n.startswith("default") for n in names), names
    assert win.device_combo.currentText().startswith("pulse")
    qtbot.waitUntil(lambda: win.timeline.end_s > 1.0, timeout=10000)
    other = next(i for i, n in enumerate(names) if n.startswith("default"))
    before_s = win.timeline.end_s
    win.device_combo.setCurrentIndex(other)
    win.device_combo.activated.emit(other)
    assert feed.source_description.startswith("default")
    qtbot.waitUntil(lambda: win.timeline.end_s > before_s + 1.0, timeout=10000)
    # stream time continued after the switch (no jump back to 0), hops stay in order
    t, _, _ = win.history.arrays()
    assert np.all(np.diff(t) > 0)
    assert win.status_fields["source"].text().endswith(feed.source_description)
    win.close()
    assert not [t for t in threading.enumerate() if t.name in ENGINE_THREADS and t.is_alive()]

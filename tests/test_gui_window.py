"""The real live window under Xvfb, fed by the real engine replaying a file with known segments."""

import os
import threading

import numpy as np
import pytest
from gui_signals import DURATION_S, known_segments, make_known_file

from stream_tagger.events import LABELS
from stream_tagger.gui.colors import nearest_label
from stream_tagger.gui.xvfb import shared_display, xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")

ENGINE_THREADS = ("TaggerRun", "TaggerWorker", "FileSource", "PlayingFileSource")


@pytest.fixture(scope="session")
def qapp_args():
    """pytest-qt builds its QApplication from this: start the X server (Xvfb) first."""
    shared_display()
    return ["stream-tagger-tests"]


@pytest.fixture(autouse=True)
def _close_windows_after_each_test(qapp):
    """A failed assertion must not leave a window (and the engine behind it) running."""
    yield
    from PyQt5 import QtWidgets

    from stream_tagger.gui.window import LiveWindow

    for w in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(w, LiveWindow):
            w.close()


@pytest.fixture(scope="module")
def known_wav(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("gui") / "known.wav")
    make_known_file(path)
    return path


def _open(qtbot, model, wav, speed=4.0, window_s=20.0, hop_s=0.1):
    from stream_tagger.engine import Tagger
    from stream_tagger.gui.feed import Feed
    from stream_tagger.gui.window import LiveWindow
    from stream_tagger.sources import FileSource

    tagger = Tagger(model, hop_s=hop_s)
    src = FileSource(wav, speed=speed)
    src.open()
    feed = Feed.start(tagger, src)
    win = LiveWindow(feed, window_s=window_s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win, feed


def _finish(qtbot, win, feed, timeout_ms=30000):
    qtbot.waitUntil(lambda: not feed.running, timeout=timeout_ms)
    n = win.redraws
    qtbot.waitUntil(lambda: win.redraws >= n + 3, timeout=5000)  # the last events are drawn


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


_CLI_SCRIPT = r"""
import sys
from PyQt5 import QtCore, QtWidgets
app = QtWidgets.QApplication(sys.argv[:1])
from stream_tagger import cli
from stream_tagger.gui.window import LiveWindow
seen = {}
def close_when_done():
    for w in QtWidgets.QApplication.topLevelWidgets():
        if not (isinstance(w, LiveWindow) and w.isVisible() and not w.feed.running):
            continue
        # close after a redraw that happened once the feed had ended (it shows the whole file)
        if w.redraws > max(seen.setdefault(id(w), w.redraws), 3):
            print("WINDOW", w.window_s, round(w.timeline.end_s, 2), w.status_fields["source"].text(), flush=True)
            w.close()
timer = QtCore.QTimer()
timer.timeout.connect(close_when_done)
timer.start(100)
sys.exit(cli.main(sys.argv[1:]))
"""


def test_cli_replay_opens_the_window_and_exits_0_when_closed(engine_model, known_wav):
    """``stream-tagger replay FILE`` (no --headless) runs the window until it is closed."""
    import os
    import subprocess
    import sys

    shared_display()
    r = subprocess.run([sys.executable, "-c", _CLI_SCRIPT, "replay", known_wav, "--model", engine_model,
                        "--speed", "8", "--window-s", "12"],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert r.returncode == 0, r.stderr[-2000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("WINDOW"))
    assert line.split()[1:3] == ["12.0", "18.0"] and "known.wav" in line
    # --duration ends the analysis after that much of the file, in the window too
    r = subprocess.run([sys.executable, "-c", _CLI_SCRIPT, "replay", known_wav, "--model", engine_model,
                        "--speed", "8", "--window-s", "12", "--duration", "5.3"],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert r.returncode == 0, r.stderr[-2000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("WINDOW"))
    assert line.split()[1:3] == ["12.0", "5.3"]


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


@pytest.mark.parametrize(
    "extra, env_drop, message",
    [
        (["--window-s", "0"], (), "--window-s: window must be between 1 and 3600 seconds"),
        ([], ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"), "no display"),
    ],
)
def test_cli_window_errors_are_one_line(engine_model, known_wav, extra, env_drop, message):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    r = subprocess.run([sys.executable, "-m", "stream_tagger.cli", "replay", known_wav, "--model", engine_model,
                        *extra], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == (2 if extra else 1)  # an option out of range: usage (2); no display: 1
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("stream-tagger: error: "), r.stderr


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_closes_the_window_and_exits_0(engine_model, known_wav, sig):
    """The window stays open after the stream ends (to look at it); a signal closes it cleanly."""
    import os
    import signal
    import subprocess
    import sys
    import time

    shared_display()
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "replay", known_wav, "--model", engine_model,
                             "--speed", "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    try:
        time.sleep(6.0)  # the 18 s file has ended (2.3 s at speed 8), the window is still open
        assert proc.poll() is None
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_sigterm_while_the_window_is_being_built_closes_it(qapp, engine_model, known_wav, monkeypatch):
    """A SIGTERM that arrives while the window is being built (here: sent from inside its
    constructor, as a signal landing there would be) closes the window and ends the run with 0.
    Before, the command line's own handler was still the one installed then: it raised
    KeyboardInterrupt there, which inside a Qt callback is printed and dropped, and the window
    stayed open (seen under load in test_window_run_says_nothing_about_xdg_runtime_dir)."""
    import argparse
    import signal

    from stream_tagger import cli
    from stream_tagger.engine import Tagger
    from stream_tagger.gui import window
    from stream_tagger.sources import FileSource

    built = window.LiveWindow.__init__

    def init_then_signal(self, *a, **k):
        built(self, *a, **k)
        os.kill(os.getpid(), signal.SIGTERM)  # delivered at the next Python instruction, in here

    monkeypatch.setattr(window.LiveWindow, "__init__", init_then_signal)
    before = cli._install_interrupt_handlers()  # the command line's handlers, as when run by it
    try:
        src = FileSource(known_wav, speed=8.0)
        src.open()
        args = argparse.Namespace(window_s=20.0, play=False, duration=None)
        assert window.run_window(Tagger(engine_model, hop_s=0.1), src, args) == 0
        assert signal.getsignal(signal.SIGTERM) is cli._on_interrupt  # run_window put back what it found
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (0..255 components)."""
    c = np.asarray(rgb[:3], np.float64) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def _text_contrast(pixels) -> float:
    """WCAG contrast ratio between the commonest colour of ``pixels`` (the background) and the
    colour furthest from it in luminance (the text)."""
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    background = _luminance(colours[np.argmax(counts)])
    text = max((_luminance(c) for c in colours), key=lambda lum: abs(lum - background))
    return (max(background, text) + 0.05) / (min(background, text) + 0.05)


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory):
    """4 s of a 440 Hz tone at -23 dBFS: the level meter's green bar stands above -50 dBFS to the end."""
    import soundfile as sf

    path = str(tmp_path_factory.mktemp("gui") / "tone.wav")
    t = np.arange(4 * 16000) / 16000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    return path


@pytest.fixture
def ended_tone_window(qtbot, engine_model, tone_wav):
    """The window after replaying :func:`tone_wav` to its end, and its screenshot."""
    from stream_tagger.gui.pixels import qimage_rgb

    win, feed = _open(qtbot, engine_model, tone_wav, speed=8.0, window_s=10.0)
    _finish(qtbot, win, feed)
    yield win, qimage_rgb(win.grab())
    win.close()


def test_the_end_of_a_replay_is_shown(ended_tone_window):
    """Before: the end was a status-bar message that got no room beside the source's field."""
    from PyQt5 import QtWidgets

    win, _img = ended_tone_window
    shown = [w.text() for w in win.statusBar().findChildren(QtWidgets.QLabel)
             if w.isVisible() and "ended" in w.text() and w.width() >= w.sizeHint().width()]  # in full
    assert shown == ["replay ended"], (shown, win.statusBar().currentMessage())
    assert win.windowTitle().endswith("— replay ended")


def test_nothing_says_ended_while_the_replay_runs(qtbot, engine_model, known_wav):
    win, feed = _open(qtbot, engine_model, known_wav, speed=1.0)
    qtbot.waitUntil(lambda: win.redraws > 5, timeout=10000)
    assert feed.running and not win.ended_label.isVisible() and "ended" not in win.windowTitle()
    win.close()


def test_probability_legend_names_curves_and_thresholds_above_the_plot(ended_tone_window):
    """Before: the threshold lines (and the curves) had no legend."""
    win, _img = ended_tone_window
    names = [label.text for _sample, label in win.prob_legend.items]
    assert names == ["speech", "music", "noise", "threshold"]
    assert win.prob_legend.isVisible()
    # in the plot's title row, not over the curves
    assert win.prob_legend.sceneBoundingRect().bottom() <= win.prob_plot.vb.sceneBoundingRect().top() + 1


def test_equal_thresholds_both_show_their_lines(ended_tone_window):
    """Before: speech's threshold line lay under music's (the shipped model gives both 0.425)."""
    win, img = ended_tone_window
    thresholds = win.feed.thresholds
    assert len(set(thresholds.values())) < len(thresholds), thresholds  # some share a value
    x0, x1 = win.view_range_s()
    for lab, thr in thresholds.items():
        (left, y), (right, _) = win.prob_pixel(x0, thr), win.prob_pixel(x1, thr)
        columns = sum(any(nearest_label(img[y + dy, x], max_distance=60) == lab for dy in (-1, 0, 1))
                      for x in range(left + 2, right - 2))
        assert columns > 0.15 * (right - left), (lab, thr, columns, right - left)


def test_meter_number_reads_clearly_over_the_level_bar(ended_tone_window):
    """Before: the grey "-50" stood on the green bar (contrast ratio 1.2)."""
    win, img = ended_tone_window
    assert win.history.last_level_dbfs > -30
    rect, bar = win.item_rect(win.silence_line.label), win.item_rect(win.level_bar)
    assert bar.contains(rect), (rect, bar)  # the bar stands behind the number ...
    green = img[bar.center().y(), bar.center().x()].astype(int)
    assert np.abs(green - (46, 204, 113)).max() < 10, green  # ... in green
    number = img[rect.top():rect.bottom() + 1, rect.left():rect.right() + 1]
    assert number.size and _text_contrast(number) >= 4.5, _text_contrast(number)


def test_window_run_says_nothing_about_xdg_runtime_dir(engine_model, known_wav):
    """Before: Qt's 'QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to ...' reached stderr
    wherever the variable is unset (ssh -X, containers)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    shared_display()
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    proc = subprocess.Popen([sys.executable, "-m", "stream_tagger.cli", "replay", known_wav, "--model", engine_model,
                             "--speed", "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(4.0)  # the window is up (and the 18 s file has ended at speed 8)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "XDG_RUNTIME_DIR" not in err, err
    assert [line for line in err.splitlines() if not line.startswith("INFO: Created TensorFlow Lite")] == [], err


def test_meter_shows_the_tracked_floor_and_the_silence_mode_changes_live(qtbot, engine_model, tmp_path):
    import soundfile as sf
    from test_silence_floor import _floor_and_tone

    path = str(tmp_path / "hiss.wav")
    sf.write(path, _floor_and_tone(-45.0), 16000, subtype="FLOAT")  # hiss at -45 dBFS, a tone at 6-8 s
    win, feed = _open(qtbot, engine_model, path, speed=8.0, window_s=12.0, hop_s=0.25)
    _finish(qtbot, win, feed)
    floor = win.floor_line.value()
    assert win.floor_line.isVisible() and -47.0 <= floor <= -44.0, floor
    assert win.floor_line.label.toPlainText() == f"floor {floor:.0f}"
    low, high = win.meter.floor_band.getRegion()  # floor mode: the band that counts as silent
    assert win.meter.floor_band.isVisible() and (low, high) == pytest.approx((floor, floor + 3.0))
    assert win.mode_combo.currentText() == "floor" and win.margin_spin.isEnabled()
    rect = win.item_rect(win.floor_line.label)
    assert win.item_rect(win.level_plot).contains(rect.center())  # the number stands on the meter
    win.margin_spin.setValue(5.0)
    assert feed.tagger.decision.floor_margin_db == 5.0
    win.mode_combo.setCurrentText("absolute")
    assert feed.tagger.decision.silence_mode == "absolute" and not win.margin_spin.isEnabled()
    n = win.redraws
    qtbot.waitUntil(lambda: win.redraws >= n + 2, timeout=5000)
    assert win.floor_line.isVisible() and not win.meter.floor_band.isVisible()  # the floor, no silent band

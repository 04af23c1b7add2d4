"""What the live window shows beside the label strip, under Xvfb: the end of a replay, the
probability legend and threshold lines, and the level meter's number, tracked floor and silence
mode."""

import numpy as np
import pytest
from gui_window_helpers import _close_windows_after_each_test, known_wav, qapp_args  # noqa: F401 (fixtures)
from gui_window_helpers import _finish, _open

from stream_tagger.gui.colors import nearest_label
from stream_tagger.gui.xvfb import xvfb_available

pytestmark = pytest.mark.skipif(not xvfb_available(), reason="Xvfb not installed")


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

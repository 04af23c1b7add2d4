"""The live window's test setup (tests/test_gui_window*.py): Xvfb before pytest-qt's
QApplication, no window left open after a test, the known file, and a window replaying a file
through the real engine. A test module takes the fixtures by importing them."""

import pytest
from gui_signals import make_known_file

from stream_tagger.gui.xvfb import shared_display


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

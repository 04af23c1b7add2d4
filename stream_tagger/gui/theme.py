"""The window's Qt look and messages: the dark palette, threshold pens, and Qt's noise kept off stderr."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

from .colors import THRESHOLD_DASH, WINDOW_BACKGROUND_RGB


def threshold_pen(rgb, k: int) -> QtGui.QPen:
    """Dashed pen of the ``k``-th label's threshold line (see :data:`THRESHOLD_DASH`)."""
    pen = pg.mkPen(rgb, width=2)
    pen.setDashPattern(list(THRESHOLD_DASH))
    pen.setDashOffset(k * THRESHOLD_DASH[0])
    return pen


def apply_dark_theme(app) -> None:
    """Fusion style with a dark palette matching the plots (once per application)."""
    if app is None or app.property("stream_tagger_theme"):
        return
    app.setProperty("stream_tagger_theme", True)
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    bg = QtGui.QColor(*WINDOW_BACKGROUND_RGB)
    panel = QtGui.QColor(40, 43, 48)
    text = QtGui.QColor(225, 227, 230)
    for role, color in (
        (QtGui.QPalette.Window, panel), (QtGui.QPalette.WindowText, text), (QtGui.QPalette.Base, bg),
        (QtGui.QPalette.AlternateBase, panel), (QtGui.QPalette.Text, text), (QtGui.QPalette.Button, panel),
        (QtGui.QPalette.ButtonText, text), (QtGui.QPalette.ToolTipBase, panel), (QtGui.QPalette.ToolTipText, text),
        (QtGui.QPalette.Highlight, QtGui.QColor(52, 152, 219)), (QtGui.QPalette.HighlightedText, QtGui.QColor(0, 0, 0)),
    ):
        pal.setColor(role, color)
    pal.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.ButtonText, QtGui.QColor(120, 120, 120))
    app.setPalette(pal)


QT_NOISE = ("XDG_RUNTIME_DIR not set",)
"""Qt messages that say nothing to a user of the window: Qt warns when ``XDG_RUNTIME_DIR`` is
unset (a plain ``ssh -X`` session, a container) and then uses ``/tmp/runtime-$USER`` itself."""


def quiet_qt_messages() -> None:
    """Route Qt's messages to stderr as Qt does, except :data:`QT_NOISE` (before the QApplication)."""
    QtCore.qInstallMessageHandler(_qt_message)


def _qt_message(mode, context, message: str) -> None:
    if not any(noise in message for noise in QT_NOISE):
        sys.stderr.write(message + "\n")

"""The live window: label strip, probability curves, log-mel spectrogram, level meter (with the
silence level, draggable, and the input's tracked noise floor).

The window is a pure consumer. The engine's threads publish :class:`~stream_tagger.events.Hop`
and :class:`~stream_tagger.events.Segment` events through callbacks that only append to a
queue (never block), and a thread-safe snapshot (recent log-mel frames, level, load,
dropped samples). A QTimer (:data:`REDRAW_HZ`) drains the queue and redraws; the GUI never
calls the model. Pausing freezes the display only; events keep being collected so that
resuming shows everything. Closing the window stops the stream and joins its threads.

Entry point for the CLI: :func:`run_window`.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui, QtWidgets

from ..events import LABELS, Gap, Hop, Segment
from .colors import LABEL_RGB, WINDOW_BACKGROUND_RGB, label_hex
from .feed import Feed
from .meter import LevelMeter
from .strip import LabelStrip
from .theme import apply_dark_theme, quiet_qt_messages, threshold_pen
from .timeline import HopHistory, LabelTimeline
from .toolbar import build_toolbar

REDRAW_HZ = 30
"""Display refresh rate (timer), redraws per second."""
LOGMEL_LEVELS = (-12.0, 2.0)
"""Colour range of the spectrogram, natural-log mel power (the frontend's features)."""


class LiveWindow(QtWidgets.QMainWindow):
    """Main window following one stream through a :class:`~stream_tagger.gui.feed.Feed`."""

    def __init__(self, feed: Feed, window_s: float = 30.0, title: str = "stream-tagger"):
        super().__init__()
        self.feed = feed
        self.window_s = float(window_s)
        self.paused = False
        self.timeline = LabelTimeline(keep_s=max(120.0, 2 * self.window_s))
        self._all_timeline = LabelTimeline(keep_s=None)  # since the start, for "save labels so far"
        self._finished_shown = False
        self._gaps: list[Gap] = []  # the network stream's gaps so far (the status bar counts them)
        self.history = HopHistory(labels=feed.network_labels, capacity=int(self.window_s * 200) + 2000)
        self.redraws = 0  # completed display updates (for tests and the benchmark)
        self._closed = False
        self._view_end_s = 0.0
        frames = int(round(self.window_s * 100)) + 1
        self._spec = np.full((frames, feed.n_mels), LOGMEL_LEVELS[0], np.float32)  # (time, mel) for ImageItem
        self._spec_end_frame = 0

        apply_dark_theme(QtWidgets.QApplication.instance())
        self.setWindowTitle(f"{title} — {feed.source_description}")
        self.resize(1200, 860)
        pg.setConfigOptions(antialias=False, background=WINDOW_BACKGROUND_RGB, foreground=(220, 222, 225))
        build_toolbar(self)  # pause_button, device_combo, silence_spin, mode_combo, margin_spin
        self._build_central()
        self._build_statusbar()

        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.start(int(1000 / REDRAW_HZ))

    # ---------- layout ----------
    def _build_central(self) -> None:
        central = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(central)
        box.setContentsMargins(6, 4, 6, 0)
        box.setSpacing(2)
        self.now_label = QtWidgets.QLabel()
        font = self.now_label.font()
        font.setPointSize(26)
        font.setBold(True)
        self.now_label.setFont(font)
        self.now_label.setMinimumHeight(48)
        self.now_label.setTextFormat(QtCore.Qt.RichText)
        box.addWidget(self.now_label)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.graphics.ci.setSpacing(4)
        box.addWidget(self.graphics, 1)
        self.setCentralWidget(central)
        g = self.graphics

        # row 0: the strip
        self.strip_plot = g.addPlot(row=0, col=0)
        self.strip = LabelStrip(self.strip_plot)
        self.strip_plot.setLabel("bottom", "stream time (s)")

        # row 1: probabilities with thresholds
        self.prob_plot = g.addPlot(row=1, col=0)
        self.prob_plot.setXLink(self.strip_plot)
        self.prob_plot.setYRange(0, 1, padding=0.02)
        self.prob_plot.setMouseEnabled(x=False, y=False)
        self.prob_plot.hideButtons()
        self.prob_plot.setMenuEnabled(False)
        self.prob_plot.showGrid(x=True, y=True, alpha=0.2)
        self.prob_plot.getAxis("left").setWidth(70)
        self.prob_plot.setLabel("left", "probability")
        # the legend sits in the plot's title row, above the curves (inside it would hide them)
        self.prob_plot.setTitle(" ", size="10pt")
        self.prob_legend = pg.LegendItem(colCount=len(self.feed.network_labels) + 1, labelTextColor=(220, 222, 225),
                                         verSpacing=0)
        self.prob_legend.layout.setContentsMargins(0, 0, 0, 0)
        self.prob_legend.setParentItem(self.prob_plot)
        self.prob_legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 0))
        self.curves = {}
        self.threshold_lines = {}
        for k, lab in enumerate(self.feed.network_labels):
            color = LABEL_RGB[lab]
            self.curves[lab] = self.prob_plot.plot(pen=pg.mkPen(color, width=2), connect="finite")  # gaps: NaN
            self.prob_legend.addItem(self.curves[lab], lab)
            thr = self.feed.thresholds.get(lab)
            if thr is not None:
                line = pg.InfiniteLine(pos=thr, angle=0, pen=threshold_pen(color, k))
                self.prob_plot.addItem(line)
                self.threshold_lines[lab] = line
        if self.threshold_lines:
            self.prob_legend.addItem(pg.PlotDataItem(pen=threshold_pen((220, 222, 225), 0)), "threshold")

        # row 2: log-mel spectrogram (the frontend's features)
        self.spec_plot = g.addPlot(row=2, col=0)
        self.spec_plot.setXLink(self.strip_plot)
        self.spec_plot.setMouseEnabled(x=False, y=False)
        self.spec_plot.hideButtons()
        self.spec_plot.setMenuEnabled(False)
        self.spec_plot.getAxis("left").setWidth(70)
        self.spec_plot.setLabel("left", "mel band")
        self.spec_plot.setLabel("bottom", "stream time (s)")
        self.spec_plot.setYRange(0, self.feed.n_mels, padding=0)
        self.spec_image = pg.ImageItem(axisOrder="col-major")
        self.spec_image.setLookupTable(pg.colormap.get("magma").getLookupTable(nPts=256))
        self.spec_image.setLevels(LOGMEL_LEVELS)
        self.spec_plot.addItem(self.spec_image)

        # column 1: level meter with the silence threshold (draggable) and the tracked noise floor
        self.level_plot = g.addPlot(row=0, col=1, rowspan=3)
        self.meter = LevelMeter(self.level_plot, self.feed.silence_dbfs)
        self.level_bar, self.silence_line, self.floor_line = self.meter.bar, self.meter.silence_line, self.meter.floor_line
        self.silence_line.sigPositionChangeFinished.connect(lambda line: self.silence_spin.setValue(line.value()))

        g.ci.layout.setRowStretchFactor(0, 3)
        g.ci.layout.setRowStretchFactor(1, 3)
        g.ci.layout.setRowStretchFactor(2, 4)
        self._render_now(frozenset())

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        self.status_fields = {}
        for key, tip in (("source", "input"), ("alerts", "alert rules (--alert)"), ("rate", "sample rate"),
                         ("time", "elapsed stream time"), ("load", "processing time / stream time"),
                         ("dropped", "audio dropped")):
            w = QtWidgets.QLabel()
            w.setToolTip(tip)
            w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w, 1 if key == "source" else 0)
            self.status_fields[key] = w
        self.paused_label = QtWidgets.QLabel("")
        sb.addWidget(self.paused_label)
        # shown once the stream has ended (a replay at its end, a device gone): a permanent
        # widget, as the status bar's own messages get no room beside the source's stretch
        self.ended_label = QtWidgets.QLabel("")
        self.ended_label.setContentsMargins(6, 0, 6, 0)
        self.ended_label.setStyleSheet("color: #f1c40f; font-weight: bold")
        self.ended_label.hide()
        sb.insertPermanentWidget(1, self.ended_label)
        # a network stream's gaps: how many, how long, the last one's UTC times
        self.gap_label = QtWidgets.QLabel("")
        self.gap_label.setContentsMargins(6, 0, 6, 0)
        self.gap_label.setStyleSheet("color: #e74c3c; font-weight: bold")
        self.gap_label.hide()
        sb.insertPermanentWidget(1, self.gap_label)

    # ---------- controls ----------
    def set_paused(self, paused: bool) -> None:
        """Freeze (True) or resume (False) the display; analysis is not affected."""
        self.paused = bool(paused)
        if self.pause_button.isChecked() != self.paused:
            self.pause_button.setChecked(self.paused)
        self.pause_button.setText("Resume" if self.paused else "Pause")
        self.paused_label.setText("<b>PAUSED</b>" if self.paused else "")

    def set_silence_dbfs(self, value_dbfs: float) -> None:
        """Change the silence threshold of the running analysis (and the meter's line)."""
        self.feed.set_silence_dbfs(float(value_dbfs))
        self.meter.set_silence_dbfs(value_dbfs)
        if abs(self.silence_spin.value() - value_dbfs) > 1e-6:
            self.silence_spin.setValue(value_dbfs)

    def set_silence_mode(self, mode: str) -> None:
        """Change how the running analysis decides silence (``absolute`` or ``floor``)."""
        self.feed.set_silence_mode(mode)
        self.margin_spin.setEnabled(mode == "floor")
        if self.mode_combo.currentText() != mode:
            self.mode_combo.setCurrentText(mode)

    def set_floor_margin_db(self, value_db: float) -> None:
        """Change the margin above the tracked floor that counts as silent (floor mode)."""
        self.feed.set_floor_margin_db(float(value_db))
        if abs(self.margin_spin.value() - value_db) > 1e-6:
            self.margin_spin.setValue(value_db)

    def _device_chosen(self, combo_index: int) -> None:
        device = self.device_combo.itemData(combo_index)
        try:
            self.feed.switch_device(device)
            self.statusBar().showMessage(f"input: {self.device_combo.itemText(combo_index)}", 4000)
        except Exception as e:  # a device that cannot be opened: say so, keep running
            self.statusBar().showMessage(f"cannot open device: {e}", 8000)

    def save_screenshot(self, path: str) -> bool:
        """Save a PNG of the whole window, with :meth:`picture_text` in its text chunks."""
        image = self.grab().toImage()
        for key, value in self.picture_text().items():
            image.setText(key, value)
        return image.save(path, "PNG")

    def picture_text(self) -> dict[str, str]:
        """What a saved screenshot says about itself: the program, the model and the source."""
        from .. import __version__

        return {"Software": f"stream-tagger {__version__}", "Model": self.feed.tagger.model.identity,
                "Source": self.feed.source_description}

    def save_labels(self, path: str, fmt: str | None = None) -> None:
        """Write the labels so far (final segments, plus provisional ones still open) in any tag format."""
        from ..labels import format_for_path, write_segments

        fmt = fmt or format_for_path(path) or "csv"
        write_segments(self.all_segments(), fmt, path)

    def all_segments(self) -> list[Segment]:
        return self._all_timeline.segments()

    def _ask_screenshot(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "stream-tagger.png", "PNG (*.png)")
        if path:
            ok = self.save_screenshot(path)
            self.statusBar().showMessage(f"saved {path}" if ok else f"could not save {path}", 4000)

    def _ask_save_labels(self) -> None:
        from ..labels import FORMATS, extension_for

        filters = [f"{fmt} (*{extension_for(fmt)})" for fmt in FORMATS]
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save labels", "labels" + extension_for(FORMATS[0]), ";;".join(filters))
        if not path:
            return
        fmt = FORMATS[filters.index(chosen)] if chosen in filters else None
        try:
            self.save_labels(path, fmt)
            self.statusBar().showMessage(f"saved {path}", 4000)
        except Exception as e:
            self.statusBar().showMessage(f"could not save labels: {e}", 8000)

    # ---------- the display loop ----------
    def tick(self) -> None:
        """Drain published events; redraw unless paused. Runs in the GUI thread at REDRAW_HZ."""
        for ev in self.feed.drain():
            if isinstance(ev, Hop):
                self.timeline.add_hop(ev)
                self._all_timeline.add_hop(ev)
                self.history.add(ev)
            elif isinstance(ev, Segment):
                self.timeline.add_segment(ev)
                self._all_timeline.add_segment(ev)
            elif isinstance(ev, Gap):
                self.timeline.add_gap(ev)
                self.history.add_break(0.5 * (ev.start_s + ev.end_s))
                self._gaps.append(ev)
                self._show_gaps()
        snap = self.feed.snapshot()
        self._update_status(snap)
        if self.paused:
            return
        self._update_spectrogram(snap)
        now_s = max(snap.stream_time_s, self.timeline.end_s)
        end_s = max(now_s, self.window_s)  # the first window_s seconds fill from the left, then scroll
        self._view_end_s = end_s
        t0 = end_s - self.window_s
        self.strip_plot.setXRange(t0, end_s, padding=0)
        self.strip.update(self.timeline, t0, end_s)
        t, p, _level = self.history.arrays(since_s=t0 - 1.0)
        for k, lab in enumerate(self.history.labels):
            if lab in self.curves:
                self.curves[lab].setData(t, p[k])
        level = snap.level_dbfs if snap.level_dbfs is not None else self.history.last_level_dbfs
        f = self.feed
        self.meter.update(level, f.silence_dbfs, snap.floor_dbfs, f.silence_mode, f.floor_margin_db, f.floor_max_dbfs)
        self._render_now(self.timeline.labels_now)
        self.redraws += 1
        if not snap.running and not self._finished_shown:
            self._finished_shown = True
            self._show_ended(self.feed.error())

    def _show_gaps(self) -> None:
        total_s = sum(g.seconds for g in self._gaps)
        last = self._gaps[-1]
        n = len(self._gaps)
        self.gap_label.setText(f"{n} gap{'s' * (n != 1)}, {total_s:.1f} s without audio")
        self.gap_label.setToolTip(f"last gap: {last.start_utc} .. {last.end_utc} ({last.seconds:.1f} s)")
        self.gap_label.show()

    def _show_ended(self, error) -> None:
        """Say in the status bar and the title that the stream has ended (and why, on an error)."""
        what = "stream" if self.feed.is_live or self.feed.is_network else "replay"
        self.ended_label.setText(f"{what} ended: {error}" if error else f"{what} ended")
        self.ended_label.setToolTip("the analysis has stopped; the window stays open until it is closed")
        self.ended_label.show()
        self.setWindowTitle(f"{self.windowTitle()} — {what} ended")

    def _update_spectrogram(self, snap) -> None:
        frames = snap.logmel  # (n_mels, n) ending at global frame snap.logmel_end_frame
        if frames is None or frames.shape[1] == 0:
            return
        end = snap.logmel_end_frame
        cap = self._spec.shape[0]
        new = end - self._spec_end_frame
        if new <= 0 and self._spec_end_frame:
            return
        new = min(new, frames.shape[1], cap)
        shift = min(end - self._spec_end_frame, cap)
        if shift > 0:
            self._spec = np.roll(self._spec, -shift, axis=0)
            self._spec[-shift:] = LOGMEL_LEVELS[0]
        self._spec[-new:] = frames[:, -new:].T
        self._spec_end_frame = end
        hop_s = self.feed.frame_hop_s
        first_center_s = (end - cap) * hop_s
        self.spec_image.setImage(self._spec, autoLevels=False)
        self.spec_image.setRect(QtCore.QRectF(first_center_s - hop_s / 2, 0, cap * hop_s, self._spec.shape[1]))

    def _update_status(self, snap) -> None:
        f = self.status_fields
        f["source"].setText(f"source: {snap.source_description}")
        f["rate"].setText(f"{snap.sample_rate_hz / 1000:g} kHz")
        f["time"].setText(f"time {_clock(snap.stream_time_s)}")
        f["load"].setText(f"load {100 * snap.load:.0f}%" if snap.load is not None else "load –")
        dropped_s = snap.dropped_samples / max(1, snap.sample_rate_hz)
        f["dropped"].setText(f"dropped {dropped_s:.2f} s" if snap.dropped_samples else "dropped 0")
        alerts = self.feed.alert_status()
        if alerts != f["alerts"].text():
            f["alerts"].setText(alerts)
            f["alerts"].setStyleSheet("color: #e74c3c; font-weight: bold" if alerts.startswith("ALERT") else "")

    def _render_now(self, labels_now) -> None:
        if not labels_now:
            html = '<span style="color:#7f8c8d">—</span>'
        else:
            html = "&nbsp;&nbsp;".join(
                f'<span style="color:{label_hex(lab)}">{lab.upper()}</span>' for lab in LABELS if lab in labels_now)
        if html != getattr(self, "_now_html", None):
            self._now_html = html
            self.now_label.setText(html)

    # ---------- geometry for tests ----------
    def strip_pixel(self, time_s: float, label: str) -> tuple[int, int]:
        """``(x, y)`` in :meth:`grab` image coordinates of ``label``'s row centre at ``time_s``."""
        return self._window_point(self.strip.scene_point(time_s, label))

    def prob_pixel(self, time_s: float, probability: float) -> tuple[int, int]:
        """``(x, y)`` in :meth:`grab` image coordinates of ``probability`` at ``time_s`` in the probability plot."""
        return self._window_point(self.prob_plot.vb.mapViewToScene(QtCore.QPointF(time_s, probability)))

    def item_rect(self, item) -> QtCore.QRect:
        """The rectangle a graphics item (e.g. the meter's level number) covers in :meth:`grab` image coordinates."""
        scene = item.sceneBoundingRect()
        x0, y0 = self._window_point(scene.topLeft())
        x1, y1 = self._window_point(scene.bottomRight())
        return QtCore.QRect(QtCore.QPoint(x0, y0), QtCore.QPoint(x1, y1))

    def _window_point(self, scene_pt) -> tuple[int, int]:
        view_pt = self.graphics.mapFromScene(scene_pt)
        win_pt = self.graphics.viewport().mapTo(self, view_pt)
        return win_pt.x(), win_pt.y()

    def view_range_s(self) -> tuple[float, float]:
        """The strip's visible time range (stream seconds)."""
        (x0, x1), _ = self.strip_plot.vb.viewRange()
        return x0, x1

    # ---------- shutdown ----------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the timer and the stream (joins the engine's threads). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.feed.stop()


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    m, s = divmod(seconds, 60.0)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:04.1f}" if h else f"{m:d}:{s:04.1f}"


def run_window(tagger, source, args, monitor=None) -> int:
    """Open the window on a running analysis of ``source`` by ``tagger``; returns the exit code.
    No display, a source that cannot start or an error that ended the stream raise :class:`TaggerError`.

    Called by the CLI for ``live`` / ``replay`` without ``--headless``. Options read from ``args``
    (with defaults): ``window_s`` (30), ``play`` (False), ``duration`` (None: the whole source).
    ``monitor``: a :class:`~stream_tagger.monitor.options.OneStream` fed the events (alerts, metrics,
    as-run log), its alert state shown in the status bar.
    """
    from ..errors import TaggerError

    window_s = getattr(args, "window_s", None)
    window_s = 30.0 if window_s is None else float(window_s)  # 1..3600, checked by the CLI's parser
    if not QtWidgets.QApplication.instance() and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise TaggerError("no display for the live window (DISPLAY is not set); use --headless")
    quiet_qt_messages()
    # Ctrl-C / SIGTERM close the window as its close button does (exit 0); Python runs the
    # handler at the next redraw tick, within a few tens of ms. Installed before any Qt object is
    # made: a signal while the window is being built (Qt calling into Python) is noted, never
    # raised there (an exception inside a Qt callback is printed and dropped, and the window stayed)
    asked: list = []
    shown: list = []

    def on_signal(signum, frame) -> None:
        asked.append(signum)
        for w in shown:
            w.close()

    handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
        feed = Feed.start(tagger, source, play=bool(getattr(args, "play", False)),
                          duration_s=getattr(args, "duration", None), observer=monitor)
        win = LiveWindow(feed, window_s=window_s)
        win.show()
        shown.append(win)
        if asked:
            win.close()
        else:
            app.exec_()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    win.shutdown()
    # the window's Qt objects deleted now, by Qt (children before parents), not left to the
    # interpreter's exit, whose order of destruction once aborted a run ("pure virtual method called")
    win.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    err = feed.error()
    if err is not None:
        raise err if isinstance(err, TaggerError) else TaggerError(str(err))
    return 0

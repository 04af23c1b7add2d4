"""The window's level meter: the latest 10 ms level as a bar, the silence level as a draggable
line, and the input's tracked noise floor as a dashed line (in ``floor`` mode with the band up to
floor + margin that counts as silent shaded)."""

from __future__ import annotations

import pyqtgraph as pg

from .colors import LABEL_RGB, THRESHOLD_DASH

LEVEL_FLOOR_DBFS = -100.0
"""The meter's bottom, dBFS."""
METER_TEXT_RGB = (240, 241, 242)
METER_TEXT_FILL_RGBA = (24, 26, 30, 235)
"""The meter's numbers: light text on its own dark box, readable over the green, yellow or red
bar and over the empty meter alike."""


def _clamp(level_dbfs: float) -> float:
    return max(LEVEL_FLOOR_DBFS, min(0.0, float(level_dbfs)))


class LevelMeter:
    """The meter's items in ``plot`` (a pyqtgraph PlotItem): ``bar``, ``silence_line`` (movable;
    its ``sigPositionChangeFinished`` tells a drag), ``floor_line`` and ``floor_band`` (hidden
    until the floor is known)."""

    def __init__(self, plot, silence_dbfs: float):
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setXRange(0, 1, padding=0)
        plot.setYRange(LEVEL_FLOOR_DBFS, 0, padding=0.01)
        plot.hideAxis("bottom")
        plot.setLabel("left", "level (dBFS)")
        plot.setFixedWidth(110)
        self.floor_band = pg.LinearRegionItem(values=(LEVEL_FLOOR_DBFS, LEVEL_FLOOR_DBFS), orientation="horizontal",
                                              movable=False, brush=pg.mkBrush(*LABEL_RGB["silence"], 60),
                                              pen=pg.mkPen(None))
        self.floor_band.setZValue(-10)
        self.floor_band.hide()
        plot.addItem(self.floor_band)
        self.bar = pg.BarGraphItem(x0=[0.15], x1=[0.85], y0=[LEVEL_FLOOR_DBFS], height=[0.0],
                                   brush=pg.mkBrush(46, 204, 113), pen=pg.mkPen(None))
        plot.addItem(self.bar)
        self.silence_line = pg.InfiniteLine(
            pos=silence_dbfs, angle=0, movable=True,
            pen=pg.mkPen(LABEL_RGB["silence"], width=3), hoverPen=pg.mkPen("w", width=3),
            label="{value:.0f}", labelOpts={"position": 0.5, "color": METER_TEXT_RGB,
                                             "fill": pg.mkBrush(*METER_TEXT_FILL_RGBA),
                                             "anchors": [(0.5, 1), (0.5, 1)]},
        )
        self.silence_line.setBounds((LEVEL_FLOOR_DBFS, 0))
        plot.addItem(self.silence_line)
        floor_pen = pg.mkPen(LABEL_RGB["silence"], width=2)
        floor_pen.setDashPattern(list(THRESHOLD_DASH))
        self.floor_line = pg.InfiniteLine(
            pos=LEVEL_FLOOR_DBFS, angle=0, movable=False, pen=floor_pen,
            label="floor {value:.0f}", labelOpts={"position": 0.5, "color": METER_TEXT_RGB,
                                                  "fill": pg.mkBrush(*METER_TEXT_FILL_RGBA),
                                                  "anchors": [(0.5, 0), (0.5, 0)]},
        )
        self.floor_line.hide()
        plot.addItem(self.floor_line)

    def set_silence_dbfs(self, value_dbfs: float) -> None:
        if abs(self.silence_line.value() - value_dbfs) > 1e-6:
            self.silence_line.setValue(value_dbfs)

    def update(self, level_dbfs: float, silence_dbfs: float, floor_dbfs: float | None, silence_mode: str,
               floor_margin_db: float, floor_max_dbfs: float = 0.0) -> None:
        """Draw ``level_dbfs``: red near full scale, yellow above -12 dBFS, green below, in the
        silence colour where it counts as silent by level (below ``silence_dbfs``, or in floor
        mode within ``floor_margin_db`` of a ``floor_dbfs`` at or below ``floor_max_dbfs``); the
        floor line, and the band above it while silence is decided against it."""
        level = _clamp(level_dbfs)
        floor_mode = silence_mode == "floor" and floor_dbfs is not None and floor_dbfs <= floor_max_dbfs
        color = (231, 76, 60) if level > -3 else (241, 196, 15) if level > -12 else (46, 204, 113)
        if level < silence_dbfs or (floor_mode and level <= floor_dbfs + floor_margin_db):
            color = LABEL_RGB["silence"]
        self.bar.setOpts(y0=[LEVEL_FLOOR_DBFS], height=[level - LEVEL_FLOOR_DBFS], brush=pg.mkBrush(*color))
        if floor_dbfs is None:
            self.floor_line.hide()
            self.floor_band.hide()
            return
        f = _clamp(floor_dbfs)
        if not self.floor_line.isVisible():
            self.floor_line.show()
            self.floor_line.label.valueChanged()  # its number is redrawn only while shown
        # its number on the side away from the silence level's (which stands above that line)
        side = [(0.5, 1), (0.5, 1)] if f >= silence_dbfs + 1.0 else [(0.5, 0), (0.5, 0)]
        if self.floor_line.label.anchors != side:
            self.floor_line.label.anchors = side
            self.floor_line.label.updatePosition()
        if abs(self.floor_line.value() - f) > 1e-6:
            self.floor_line.setValue(f)
        if floor_mode:
            self.floor_band.setRegion((f, _clamp(f + floor_margin_db)))
            self.floor_band.show()
        else:
            self.floor_band.hide()

"""The four-row label strip (speech, music, noise, silence) as a pyqtgraph plot.

Each row is filled in its label's colour where the label is on. Final segments (refined
boundaries) are drawn opaque; provisional hops newer than a label's last final segment are
drawn the same colour, fainter, until the segment that covers them arrives. A gap (a
network stream's missing audio) is a blank band across all rows, hatched in :data:`GAP_RGB`.
The x axis is stream time in seconds; the caller sets the visible range (the last
``window_s`` seconds).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

from ..events import LABELS
from .colors import GAP_RGB, LABEL_RGB, WINDOW_BACKGROUND_RGB, label_hex
from .timeline import LabelTimeline

ROW_FILL = 0.8
"""Height of a label's bar within its row (rows are 1 unit apart)."""
PROVISIONAL_ALPHA = 110
"""Opacity (0..255) of provisional (not yet final) cells."""
GAP_HATCH_PX = 2.0
"""Scale of Qt's diagonal hatch pattern in a gap band (lines 2 px wide, 16 px apart)."""


def row_center(label: str) -> float:
    """Centre of a label's row on the strip's y axis (speech on top, silence at the bottom)."""
    return len(LABELS) - 1 - LABELS.index(label) + 0.5


def legend_html() -> str:
    """The strip's title: a coloured square and the name of each label."""
    parts = [f'<span style="color:{label_hex(lab)}">&#9632;</span>&nbsp;{lab}' for lab in LABELS]
    return "&nbsp;&nbsp;&nbsp;".join(parts)


class _Bars:
    """One label's filled cells in one style (a single BarGraphItem, updated in place)."""

    def __init__(self, plot: pg.PlotItem, label: str, alpha: int):
        r, g, b = LABEL_RGB[label]
        self.y0 = row_center(label) - ROW_FILL / 2
        self.item = pg.BarGraphItem(
            x0=np.zeros(1), x1=np.zeros(1), y0=np.full(1, self.y0), height=ROW_FILL,
            brush=pg.mkBrush(r, g, b, alpha), pen=pg.mkPen(None),
        )
        self.item.setVisible(False)
        plot.addItem(self.item)
        self._last: tuple | None = None

    def set_spans(self, spans: list[tuple[float, float]]) -> None:
        key = tuple(spans)
        if key == self._last:
            return
        self._last = key
        if not spans:
            self.item.setVisible(False)
            return
        a = np.array(spans, dtype=np.float64)
        self.item.setOpts(x0=a[:, 0], x1=a[:, 1], y0=np.full(len(a), self.y0), height=ROW_FILL)
        self.item.setVisible(True)


class _GapBands:
    """Gaps as bands over all rows: a blank (background) fill under diagonal hatching. The hatch
    brush is scaled to screen pixels at each update (a pattern brush follows the view's scale)."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self._items: list[tuple] = []  # (fill, hatch) QGraphicsRectItems, reused
        self._hatch = QtGui.QBrush(QtGui.QColor(*GAP_RGB), QtCore.Qt.BDiagPattern)

    def _pair(self, i: int):
        while len(self._items) <= i:
            pair = []
            for z, brush in ((5, pg.mkBrush(*WINDOW_BACKGROUND_RGB)), (6, self._hatch)):
                item = pg.QtWidgets.QGraphicsRectItem()
                item.setPen(pg.mkPen(None))
                item.setBrush(brush)
                item.setZValue(z)
                self.plot.addItem(item, ignoreBounds=True)
                pair.append(item)
            self._items.append(tuple(pair))
        return self._items[i]

    def set_spans(self, spans: list[tuple[float, float]]) -> None:
        sx, sy = self.plot.vb.viewPixelSize()
        self._hatch.setTransform(QtGui.QTransform.fromScale(sx * GAP_HATCH_PX, sy * GAP_HATCH_PX))
        for i, (a, b) in enumerate(spans):
            fill, hatch = self._pair(i)
            rect = QtCore.QRectF(a, 0.0, b - a, float(len(LABELS)))
            fill.setRect(rect)
            hatch.setRect(rect)
            hatch.setBrush(self._hatch)
            fill.setVisible(True)
            hatch.setVisible(True)
        for fill, hatch in self._items[len(spans):]:
            fill.setVisible(False)
            hatch.setVisible(False)


class LabelStrip:
    """Draws a :class:`LabelTimeline` into a pyqtgraph ``PlotItem`` (four rows, one per label)."""

    def __init__(self, plot: pg.PlotItem, title: bool = True):
        self.plot = plot
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setYRange(0, len(LABELS), padding=0)
        axis = plot.getAxis("left")
        axis.setTicks([[(row_center(lab), lab) for lab in LABELS], []])
        axis.setWidth(70)
        axis.setStyle(tickLength=0)  # row names need no tick marks (they would cover the rows' first pixels)
        if title:
            plot.setTitle(legend_html(), size="10pt")
        # faint row backgrounds so that "off" is visibly a row, not missing data
        self._rows = []
        for lab in LABELS:
            rect = pg.QtWidgets.QGraphicsRectItem(QtCore.QRectF(-1e6, row_center(lab) - ROW_FILL / 2, 2e6, ROW_FILL))
            rect.setPen(pg.mkPen(None))
            rect.setBrush(pg.mkBrush(255, 255, 255, 14))
            rect.setZValue(-10)
            plot.addItem(rect, ignoreBounds=True)
            self._rows.append(rect)
        self._final = {lab: _Bars(plot, lab, 255) for lab in LABELS}
        self._provisional = {lab: _Bars(plot, lab, PROVISIONAL_ALPHA) for lab in LABELS}
        self._gaps = _GapBands(plot)

    def update(self, timeline: LabelTimeline, t0_s: float, t1_s: float) -> None:
        """Redraw the intervals visible in ``[t0_s, t1_s]`` (stream seconds)."""
        for lab in LABELS:
            spans = timeline.intervals(lab, t0_s, t1_s)
            self._final[lab].set_spans([(a, b) for a, b, fin in spans if fin])
            self._provisional[lab].set_spans([(a, b) for a, b, fin in spans if not fin])
        self._gaps.set_spans(timeline.gaps(t0_s, t1_s))

    def scene_point(self, time_s: float, label: str) -> QtCore.QPointF:
        """Scene coordinates of the centre of ``label``'s row at ``time_s`` (for tests)."""
        return self.plot.vb.mapViewToScene(QtCore.QPointF(time_s, row_center(label)))

"""The visibility timeline: stacked visible prefixes by upstream (or per-prefix peers, or visible /24s),
outages shaded, instability marked, announcements and withdrawals in a lower strip, one draggable time
cursor, and a rubber band (Shift + drag) that sets the window.

Times on the x axis are Unix seconds shown in UTC. Curves are steps: the value at instant t holds until
the next instant. Long windows stay smooth with pyqtgraph's peak downsampling and clip-to-view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.viewmodel.view import ViewData
from explorer.ui.style import FOREGROUND, INSTABILITY, OUTAGE, SERIES, as_label, duration, utc

MAX_LINES = 10
HEADROOM = 1.45          # above the data: the legend and the outages' labels


class _BandViewBox(pg.ViewBox):
    """Pan and zoom as usual; Shift + drag draws a band whose span becomes the window."""

    def __init__(self, on_band):
        super().__init__()
        self.on_band = on_band
        self.band = pg.LinearRegionItem(movable=False, brush=(80, 120, 200, 60))
        self.band.setZValue(50)
        self.band.hide()
        self.addItem(self.band, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.band.setRegion(sorted((a, b)))
            self.band.show()
            if ev.isFinish():
                self.band.hide()
                lo, hi = sorted((a, b))
                if hi - lo > 1:
                    self.on_band(int(lo), int(hi))
            return
        super().mouseDragEvent(ev, axis)


class TimelinePane(QWidget):
    cursorMoved = Signal(int)
    windowSelected = Signal(int, int)
    rangeViewed = Signal(int, int)          # the visible time range after a zoom or pan (rate-limited)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.readout = QLabel("")
        self.readout.setObjectName("timelineReadout")
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.vb = _BandViewBox(self.windowSelected.emit)
        self.main = self.canvas.addPlot(row=0, col=0, viewBox=self.vb,
                                        axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.strip = self.canvas.addPlot(row=1, col=0,
                                         axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.canvas.ci.layout.setRowStretchFactor(0, 4)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self.strip.setXLink(self.main)
        self.main.setLabel("left", "visible prefixes")
        self.strip.setLabel("left", "updates")
        for p in (self.main, self.strip):
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setMenuEnabled(False)
        self.legend = self.main.addLegend(offset=(60, 4), labelTextColor=FOREGROUND, colCount=4,
                                          brush=pg.mkBrush(255, 255, 255, 220))
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#222", width=2),
                                      hoverPen=pg.mkPen("#e66101", width=3))
        self.cursor.setZValue(100)
        self.strip_cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#222", width=1))
        self.main.addItem(self.cursor, ignoreBounds=True)
        self.strip.addItem(self.strip_cursor, ignoreBounds=True)
        self.cursor.sigPositionChanged.connect(self._dragged)
        # Zoom and pan report the visible range at most 4 times a second; the window may then load
        # that range at a finer step (only the visible range is queried)
        self._range_proxy = pg.SignalProxy(self.vb.sigXRangeChanged, rateLimit=4, slot=self._range_changed)
        self.main.scene().sigMouseClicked.connect(self._clicked)
        self.empty = pg.TextItem("", color=FOREGROUND, anchor=(0.5, 0.5))
        self.footer = QLabel("")
        self.footer.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.readout)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.footer)
        self.data: ViewData | None = None
        self.mode = "upstream"
        self._quiet = False

    # -- data ----------------------------------------------------------------------------------------

    def set_view(self, data: ViewData | None, mode: str = "upstream", keep_range: bool = False) -> None:
        """Draw ``data``; ``keep_range`` (a finer view of the zoomed range) leaves the axes where they are."""
        self.data, self.mode = data, mode
        for p in (self.main, self.strip):
            for item in list(p.listDataItems()) + [i for i in p.items if isinstance(i, (pg.LinearRegionItem, pg.TextItem, pg.BarGraphItem))]:
                if item is not self.vb.band:
                    p.removeItem(item)
        self.legend.clear()
        if data is None:
            return
        x = np.append(data.instants, data.instants[-1] + data.state.step).astype(float)
        if mode == "upstream":
            self._stacked(x, data)
        elif mode == "peers":
            self._peers(x, data)
        else:
            self._one(x, data.visible_slash24, "visible /24s", SERIES[1])
        self._events(data)
        self._updates(data)
        if not keep_range:
            self.main.setXRange(x[0], x[-1], padding=0.01)
        ymax = {"upstream": len(data.prefixes), "peers": int(data.peers.max(initial=1)),
                "slash24": max(1, int(data.visible_slash24.max()))}[mode]
        if not keep_range:
            self.main.setYRange(0, max(1, ymax) * HEADROOM, padding=0)
        self.main.setLabel("left", {"upstream": "visible prefixes", "peers": "peer sessions routing",
                                    "slash24": "visible /24s"}[mode])
        if not len(data.routes.start):
            self.empty.setText(f"No routes for {data.label} in this window: import MRT files covering "
                               f"{utc(data.state.start)[:10]} to {utc(data.state.end)[:10]}, or choose another window")
            self.empty.setPos((x[0] + x[-1]) / 2, max(1, ymax) * 0.6)
            self.main.addItem(self.empty)
        self.footer.setText(f"Definitions: {data.definitions}. Outages shaded red, instability orange; "
                            "drag the black line to move the cursor, Shift+drag to set the window.")

    def _curve(self, x, y, **kw) -> pg.PlotDataItem:
        # Steps drawn as a plain line through (t0, y0) (t1, y0) (t1, y1) ...: pyqtgraph's stepMode does
        # not survive clip-to-view (x and y come out of different lengths).
        x, y = np.asarray(x, float), np.asarray(y, float)
        keep = np.ones(len(y), bool)                # only where the value changes: fewer points, no seams
        keep[1:] = y[1:] != y[:-1]
        x = np.append(x[:-1][keep], x[-1])
        y = y[keep]
        xs = np.repeat(x, 2)[1:-1]
        ys = np.repeat(y, 2)
        c = pg.PlotDataItem(xs, ys, **kw)
        self.main.addItem(c)
        c.setDownsampling(auto=True, method="peak")
        c.setClipToView(True)
        return c

    def _stacked(self, x, d: ViewData) -> None:
        ups = sorted(d.by_upstream, key=lambda u: -int(d.by_upstream[u].sum()))
        top, rest = ups[:MAX_LINES - 1], ups[MAX_LINES - 1:]
        layers = [(as_label(u, d.names), d.by_upstream[u]) for u in top]
        if rest:
            layers.append((f"{len(rest)} other upstreams", sum(d.by_upstream[u] for u in rest)))
        total = np.zeros(len(d.instants))
        stacks = []
        for name, series in layers:
            total = total + series
            stacks.append((name, total.copy()))
        for i, (name, cum) in reversed(list(enumerate(stacks))):     # tallest first, the rest drawn over it (opaque)
            colour = SERIES[i % len(SERIES)]
            self._curve(x, cum, pen=pg.mkPen(colour, width=1.5), fillLevel=0, brush=pg.mkBrush(colour + "e0"),
                        name=f"via {name}")
        total = self._curve(x, d.visible_prefixes, pen=pg.mkPen("#111111", width=2.5), name="visible prefixes (total)")
        total.setZValue(20)

    def _peers(self, x, d: ViewData) -> None:
        order = np.argsort(-d.peers.sum(axis=1))[:MAX_LINES]
        for j, i in enumerate(order.tolist()):
            self._curve(x, d.peers[i], pen=pg.mkPen(SERIES[j % len(SERIES)], width=2), name=d.prefixes[i])

    def _one(self, x, y, name, colour) -> None:
        self._curve(x, y, pen=pg.mkPen(colour, width=2), fillLevel=0, brush=pg.mkBrush(colour + "66"), name=name)

    def _events(self, d: ViewData) -> None:
        top = {"upstream": len(d.prefixes), "peers": int(d.peers.max(initial=1)),
               "slash24": int(d.visible_slash24.max())}[self.mode]
        row = 0
        for e in d.events:
            outage = e.kind == "outage"
            region = pg.LinearRegionItem((e.start, max(e.end, e.start + d.state.step)), movable=False,
                                         brush=OUTAGE if outage else INSTABILITY, pen=pg.mkPen(None))
            region.setZValue(-10)
            self.main.addItem(region, ignoreBounds=True)
            if outage:
                label = pg.TextItem(f"outage {utc(e.start)[11:16]} to {utc(e.end)[11:16]} UTC\n{duration(e.duration_s)}, "
                                    f"{e.prefixes} prefixes", color="#a50f15", anchor=(0, 0))
                x = e.start
                if e.start > d.instants[0] + 0.75 * (d.instants[-1] - d.instants[0]):
                    label.setAnchor((1, 0))             # near the right edge: the text ends at the outage's end
                    x = max(e.end, e.start + d.state.step)
                label.setPos(x, max(1, top) * (1.28 - 0.11 * (row % 2)))
                row += 1
                self.main.addItem(label, ignoreBounds=True)

    def _updates(self, d: ViewData) -> None:
        x = d.instants.astype(float) - d.state.step / 2
        w = d.state.step * 0.9
        self.strip.addItem(pg.BarGraphItem(x=x, height=d.announcements, width=w, brush="#1b9e77", pen=None,
                                           name="announcements"))
        self.strip.addItem(pg.BarGraphItem(x=x, y0=0, height=-d.withdrawals, width=w, brush="#d7191c", pen=None,
                                           name="withdrawals"))
        hi = max(1, int(max(d.announcements.max(initial=0), d.withdrawals.max(initial=0))))
        self.strip.setYRange(-hi, hi, padding=0.1)
        self.strip.setLabel("left", "A (up) / W (down)")
        self.strip.setLabel("bottom", "time (UTC)")

    def _range_changed(self, args) -> None:
        lo, hi = self.vb.viewRange()[0]
        self.rangeViewed.emit(int(lo), int(hi))

    def show_message(self, text: str) -> None:
        """An empty state: what is missing and what to do."""
        self.set_view(None)
        self.empty.setText(text)
        self.main.setXRange(0, 1, padding=0)
        self.main.setYRange(0, 1, padding=0)
        self.empty.setPos(0.5, 0.5)
        self.main.addItem(self.empty)
        self.readout.setText("")
        self.footer.setText("")

    # -- the cursor ----------------------------------------------------------------------------------

    def set_cursor(self, t: int) -> None:
        self._quiet = True
        self.cursor.setValue(t)
        self.strip_cursor.setValue(t)
        self._quiet = False
        self.readout.setText(self._readout(t))

    def _readout(self, t: int) -> str:
        d = self.data
        if d is None:
            return f"Cursor {utc(t)}"
        k = d.index_at(t)
        ups = ", ".join(f"{as_label(u, d.names)}: {int(s[k])}" for u, s in
                        sorted(d.by_upstream.items(), key=lambda kv: -int(kv[1][k]))[:3] if s[k])
        return (f"<b>{utc(int(d.instants[k]), d.state.step < 60)}</b>: {int(d.visible_prefixes[k])} of {len(d.prefixes)} prefixes "
                f"visible, {int(d.visible_slash24[k])} /24s" + (f" ({ups})" if ups else "") +
                f"; {int(d.announcements[k])} announcements, {int(d.withdrawals[k])} withdrawals in the bin")

    def _dragged(self) -> None:
        if not self._quiet:
            t = int(self.cursor.value())
            self.strip_cursor.setValue(t)
            self.readout.setText(self._readout(t))
            self.cursorMoved.emit(t)

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        if self.main.sceneBoundingRect().contains(ev.scenePos()):
            t = int(self.vb.mapSceneToView(ev.scenePos()).x())
            if self.data is not None:
                t = min(max(t, int(self.data.instants[0])), int(self.data.instants[-1]))
            self.set_cursor(t)
            self.cursorMoved.emit(t)

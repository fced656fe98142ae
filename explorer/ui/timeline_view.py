"""The visibility timeline: visible prefixes stacked by upstream (or each upstream's share of the routes,
per-prefix peers, visible /24s), outages shaded and labelled, instability marked, the spans the store
cannot speak for shaded grey, announcements and withdrawals in a lower strip, one draggable time cursor,
and a rubber band (Shift + drag) that sets the window.

Layout, top to bottom: the legend (a text line, outside the data), a band of labels (outages and
unknown spans, placed by ``labels.place`` so that none covers another, the cursor never reaching
them), the main plot, the updates strip with the dated axis. x is seconds since ``origin`` (the
window's start), so that exported coordinates keep their precision (an SVG writes 6 significant
digits); the axes add the origin back and say UTC. Curves are steps: the value at instant t holds
until the next instant. Long windows stay smooth with peak downsampling and clip-to-view.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.timeutil import clock, day, duration_text, span_text
from explorer.ui.labels import place
from explorer.ui.style import FOREGROUND, INSTABILITY, OUTAGE, SERIES, UNKNOWN, as_label, utc
from explorer.viewmodel.view import ViewData

MAX_LINES = 10
US = 1_000_000
AXIS_WIDTH = 52          # every plot's left axis: the same width, so their x positions agree
LABEL_ROWS = 2
OUTAGE_INK = "#a50f15"
UNKNOWN_INK = "#555555"
MODES = {"upstream": "visible prefixes", "share": "share of routes (%)", "peers": "peer sessions routing",
         "slash24": "visible /24s"}


class CountAxis(pg.AxisItem):
    """Whole numbers only, 0 always among them (a count has no half prefix); percentages in share mode."""

    percent = False
    signed = False          # the updates strip: announcements up, withdrawals down

    def tickValues(self, minVal, maxVal, size):
        lo, hi = (minVal if self.signed else max(0.0, minVal)), max(minVal, maxVal)
        if hi <= lo:
            return [(1, [0.0])]
        want = max(2, int(size // 28))
        raw = (hi - lo) / want
        mag = 10 ** math.floor(math.log10(max(raw, 1e-9)))
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
        step = max(step, 25 if self.percent and hi - lo > 60 else 1)
        step = max(1.0, round(step)) if not self.percent else step
        if self.signed:                     # 0 and one tick each way, at a round count inside the range
            top = max(abs(lo), abs(hi)) / 1.15
            mag = 10 ** math.floor(math.log10(max(top, 1)))
            step = max(1.0, max(m * mag for m in (1, 2, 2.5, 5) if m * mag <= max(top, 1)))
            step = float(round(step))
            return [(step, [-step, 0.0, step])]
        first = math.ceil(lo / step) * step
        values = [0.0] if minVal <= 0 <= maxVal else []
        values += [v for v in np.arange(first, hi + step * 0.01, step).tolist() if v != 0]
        return [(step, values)]

    def tickStrings(self, values, scale, spacing):
        return [f"{abs(v):g}" if self.signed else f"{v:g}" for v in values]


class TimeAxis(pg.AxisItem):
    """Seconds since ``origin`` shown as UTC: 'Mon 22 Dec' at midnight or when ticks are days apart,
    '06:00' between (with seconds when they are closer than a minute)."""

    SPACINGS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 365 * 86400]

    def __init__(self, orientation="bottom", **kw):
        super().__init__(orientation, **kw)
        self.origin = 0
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal, maxVal, size):
        if maxVal <= minVal or size <= 0:
            return []
        px_per_s = size / (maxVal - minVal)
        room = QFontMetricsF(self.style.get("tickFont") or QFont()).horizontalAdvance("Mon 22 Dec") + 18
        spacing = next((s for s in self.SPACINGS if s * px_per_s >= room), self.SPACINGS[-1])
        a, b = minVal + self.origin, maxVal + self.origin
        first = math.ceil(a / spacing) * spacing
        values = [v - self.origin for v in np.arange(first, b + 1e-9, spacing).tolist()]
        return [(spacing, values)]

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            t = int(round(v + self.origin))
            if spacing >= 28 * 86400:
                out.append(datetime.fromtimestamp(t, tz=timezone.utc).strftime("%b %Y"))
            elif spacing >= 86400 or t % 86400 == 0:
                out.append(day(t * US))
            else:
                out.append(datetime.fromtimestamp(t, tz=timezone.utc).strftime("%H:%M:%S" if spacing < 60 else "%H:%M"))
        return out


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
                    self.on_band(lo, hi)
            return
        super().mouseDragEvent(ev, axis)


class TimelinePane(QWidget):
    cursorMoved = Signal(int)
    windowSelected = Signal(int, int)
    rangeViewed = Signal(int, int)          # the visible time range after a zoom or pan (rate-limited)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scale = 1.0                    # text size, 1 in the window (presentation mode: larger)
        self.origin = 0                     # Unix seconds at x = 0: the window's start
        self.readout = QLabel("")
        self.readout.setObjectName("timelineReadout")
        self.readout.setWordWrap(True)          # never what sets the pane's width (presentation's halves)
        self.legend = QLabel("")
        self.legend.setObjectName("timelineLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.vb = _BandViewBox(lambda a, b: self.windowSelected.emit(int(a + self.origin), int(b + self.origin)))
        self.axes = {"band": CountAxis("left"), "main": CountAxis("left"), "strip": CountAxis("left")}
        self.axes["strip"].signed = True
        self.time_axis = TimeAxis("bottom")
        self.main_time = TimeAxis("bottom")
        self.band = self.canvas.addPlot(row=0, col=0, axisItems={"left": self.axes["band"]})
        self.main = self.canvas.addPlot(row=1, col=0, viewBox=self.vb,
                                        axisItems={"bottom": self.main_time, "left": self.axes["main"]})
        self.strip = self.canvas.addPlot(row=2, col=0, axisItems={"bottom": self.time_axis, "left": self.axes["strip"]})
        self.canvas.ci.layout.setRowStretchFactor(1, 4)
        self.canvas.ci.layout.setRowStretchFactor(2, 1)
        self.canvas.ci.layout.setSpacing(0)
        self.band.setXLink(self.main)
        self.strip.setXLink(self.main)
        self.band.hideAxis("bottom")
        self.axes["band"].setStyle(showValues=False, tickLength=0)
        self.axes["band"].setTicks([[]])         # kept for its width only: the band's x meets the plots'
        self.axes["band"].setPen(pg.mkPen(None))
        self.main_time.setStyle(showValues=False)
        self.band.setMouseEnabled(x=False, y=False)
        self.band.setMenuEnabled(False)
        self.band.hideButtons()
        self.band.setYRange(0, LABEL_ROWS, padding=0)
        for p in (self.main, self.strip):
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setMenuEnabled(False)
        self.main.setLabel("left", "visible prefixes")
        self.strip.setLabel("left", "updates")
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
        self.vb.sigXRangeChanged.connect(self._relayout)
        self.vb.sigResized.connect(self._relayout)
        self.main.scene().sigMouseClicked.connect(self._clicked)
        self.empty = pg.TextItem("", color=FOREGROUND, anchor=(0.5, 0.5))
        self.footer = QLabel("Drag the black line (or click) to move the cursor; wheel to zoom, drag to pan; "
                             "Shift + drag to set the window.")
        self.footer.setObjectName("timelineHints")
        self.footer.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.legend)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.footer)
        self.data: ViewData | None = None
        self.mode = "upstream"
        self._quiet = False
        self._drawn: list = []              # items of the current view, removed by the next
        self._spans: list = []              # (region item, start s, end s, min px) kept at least min px wide
        self._labels: list = []             # (TextItem, leader PlotDataItem, anchor x, texts)
        self._bars: list = []               # (PlotDataItem, step s): the updates strip, at least 1 px wide
        self.on_relayout: list = []         # called after the labels are placed (the notes place theirs)
        self.colours: dict[int, str] = {}
        self.set_text_scale(1.0)

    # -- text size -------------------------------------------------------------------------------------

    def font(self, px: float = 12, bold: bool = False) -> QFont:
        f = QFont()
        f.setPixelSize(max(8, round(px * self.scale)))
        f.setBold(bold)
        return f

    def set_text_scale(self, scale: float) -> None:
        """Every text of the pane at ``scale`` times its size: ticks, axis titles, labels, legend, readout."""
        self.scale = scale
        tick = self.font(11)
        for axis in (*self.axes.values(), self.time_axis, self.main_time):
            axis.setStyle(tickFont=tick)
            axis.label.setFont(self.font(12))
        for axis in self.axes.values():
            axis.setWidth(round(AXIS_WIDTH * max(1.0, scale)))
            axis.setStyle(hideOverlappingLabels=False)
        self.time_axis.setHeight(None)
        for w in (self.readout, self.legend, self.footer):
            w.setFont(self.font(12))
        probe = pg.TextItem("Mon 22 Dec")          # a label's own height, its margins included
        probe.setFont(self.font(12))
        self.row_px = probe.boundingRect().height() + 2
        rows = LABEL_ROWS * self.row_px + 2
        self.band.setMinimumHeight(rows)
        self.band.setMaximumHeight(rows)
        for item, *_ in self._labels:
            item.setFont(self.font(12))
        self._relayout()

    # -- data ----------------------------------------------------------------------------------------

    def set_view(self, data: ViewData | None, mode: str = "upstream", keep_range: bool = False) -> None:
        """Draw ``data``; ``keep_range`` (a finer view of the zoomed range) leaves the axes where they are."""
        self.data, self.mode = data, mode
        for plot, item in self._drawn:
            plot.removeItem(item)
        self._drawn, self._spans, self._labels, self._bars = [], [], [], []
        if self.empty.scene() is not None:
            self.main.removeItem(self.empty)
        self.legend.setText("")
        if data is None:
            return
        if not keep_range:
            self.origin = int(data.state.start)
        for axis in (self.time_axis, self.main_time):
            axis.origin = self.origin
        self.colours = self._colours(data)
        x = np.append(data.instants, data.instants[-1] + data.state.step).astype(float) - self.origin
        legend: list[tuple[str, str]] = []
        if mode == "upstream":
            legend = self._stacked(x, data, data.by_upstream, lambda s: s)
            legend.append(("visible prefixes (total)", "#111111"))
        elif mode == "share":
            total = sum(data.upstream_routes.values()) if data.upstream_routes else np.zeros(len(data.instants))
            legend = self._stacked(x, data, data.upstream_routes,
                                   lambda s: np.divide(100.0 * s, total, out=np.zeros(len(s)), where=total > 0))
        elif mode == "peers":
            legend = self._peers(x, data)
        else:
            legend = [("visible /24s", SERIES[1])]
            self._curve(x, data.visible_slash24, pen=pg.mkPen(SERIES[1], width=2), fillLevel=0,
                        brush=pg.mkBrush(SERIES[1] + "66"))
        self._events(data)
        self._coverage(data)                # labelled after the outages: those have the first choice of room
        self._updates(data)
        self.legend.setText(self._legend_html(legend))
        stacked = sum(data.by_upstream.values()) if data.by_upstream else np.zeros(1)
        ymax = {"upstream": max(int(data.visible_prefixes.max(initial=1)), int(np.max(stacked))), "share": 100,
                "peers": int(data.peers.max(initial=1)),
                "slash24": max(1, int(data.visible_slash24.max(initial=1)))}[mode]
        self.axes["main"].percent = mode == "share"
        if not keep_range:
            self.main.setXRange(x[0], x[-1], padding=0.01)
            self.main.setYRange(-0.06 * max(1, ymax), max(1, ymax) * 1.06, padding=0)
        self.main.setLabel("left", MODES[mode])
        if not len(data.routes.start):
            self.empty.setText(f"No routes for {data.label} in this window: import MRT files covering "
                               f"{utc(data.state.start)[:10]} to {utc(data.state.end)[:10]}, or choose another window")
            self.empty.setPos((x[0] + x[-1]) / 2, max(1, ymax) * 0.6)
            self.main.addItem(self.empty)
        self._relayout()

    def _add(self, plot, item, bounds: bool = True) -> None:
        plot.addItem(item, ignoreBounds=not bounds)
        self._drawn.append((plot, item))

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
        self._add(self.main, c)
        c.setDownsampling(auto=True, method="peak")
        c.setClipToView(True)
        return c

    def _colours(self, d: ViewData) -> dict[int, str]:
        """A colour for each of the upstreams that matter most in this mode: by the routes they carry
        (share mode), else those through which prefixes are visible first, then by routes."""
        weight = {u: int(s.sum()) for u, s in d.upstream_routes.items()}
        if self.mode != "share":
            for u, s in d.by_upstream.items():
                weight[u] = weight.get(u, 0) + int(s.sum()) * 10**12
        ranked = sorted(weight, key=lambda u: (-weight[u], u))
        return {u: SERIES[i] for i, u in enumerate(ranked[:MAX_LINES - 1])}

    def _stacked(self, x, d: ViewData, series: dict[int, np.ndarray], value) -> list[tuple[str, str]]:
        ups = sorted(series, key=lambda u: (u not in self.colours, -int(series[u].sum())))
        top = [u for u in ups if u in self.colours][:MAX_LINES - 1]
        rest = [u for u in ups if u not in top]
        layers = [(f"via {as_label(u, d.names)}", value(series[u]), self.colours[u]) for u in top]
        if rest:
            layers.append((f"via {len(rest)} other upstream{'s' if len(rest) > 1 else ''}",
                           value(sum(series[u] for u in rest)), SERIES[-1]))
        total = np.zeros(len(d.instants))
        stacks = []
        for name, s, colour in layers:
            total = total + s
            stacks.append((name, total.copy(), colour))
        for name, cum, colour in reversed(stacks):      # tallest first, the rest drawn over it (opaque)
            self._curve(x, cum, pen=pg.mkPen(colour, width=1.5), fillLevel=0, brush=pg.mkBrush(colour + "e0"))
        if self.mode == "upstream":
            total = self._curve(x, d.visible_prefixes, pen=pg.mkPen("#111111", width=2.5))
            total.setZValue(20)
        return [(name, colour) for name, _s, colour in layers]

    def _peers(self, x, d: ViewData) -> list[tuple[str, str]]:
        order = np.argsort(-d.peers.sum(axis=1))[:MAX_LINES]
        out = []
        for j, i in enumerate(order.tolist()):
            colour = SERIES[j % len(SERIES)]
            self._curve(x, d.peers[i], pen=pg.mkPen(colour, width=2))
            out.append((d.prefixes[i], colour))
        return out

    def _legend_html(self, entries: list[tuple[str, str]]) -> str:
        swatches = [f"<span style='color:{c}'>&#9632;</span>&nbsp;{_html(name)}" for name, c in entries]
        swatches.append(f"<span style='color:{OUTAGE_INK}'>&#9632;</span>&nbsp;outage")
        swatches.append(f"<span style='color:#e66101'>&#9632;</span>&nbsp;instability")
        if self.data is not None and self.data.gaps:
            swatches.append(f"<span style='color:#9a9a9a'>&#9632;</span>&nbsp;state unknown")
        return " &nbsp; ".join(swatches)

    def _region(self, plot, start: float, end: float, brush, z: float, min_px: float) -> pg.LinearRegionItem:
        region = pg.LinearRegionItem((start, end), movable=False, brush=brush, pen=pg.mkPen(None))
        region.setZValue(z)
        self._add(plot, region, bounds=False)
        self._spans.append((region, start, end, min_px))
        return region

    def _coverage(self, d: ViewData) -> None:
        for g in d.gaps:
            a, b = g.start / US - self.origin, g.end / US - self.origin
            for plot in (self.main, self.strip):
                self._region(plot, a, b, pg.mkBrush(*UNKNOWN), -12, 0)
            short = "state unknown" if g.kind == "before" else "no data after"
            until = f"state unknown until {day(g.end)} {clock(g.end)}" if g.kind == "before" else \
                f"no data after {day(g.start)} {clock(g.start)}"
            self._label(a, [g.text, until, short], UNKNOWN_INK)

    def _events(self, d: ViewData) -> None:
        for e in d.events:
            a, b = e.start_us / US - self.origin, e.end_us / US - self.origin
            outage = e.kind == "outage"
            # outages over both plots; instability (a matter of updates) over the updates strip
            for plot in (self.main, self.strip) if outage else (self.strip,):
                self._region(plot, a, b, OUTAGE if outage else INSTABILITY, -10, 3 if outage else 2)
            if outage:
                span = e.span()
                short = f"{clock(e.start_us)} - {clock(e.end_us)} ({duration_text(e.duration_s)})"
                self._label(a, [f"{span}: {e.what}", span, short, duration_text(e.duration_s)], OUTAGE_INK)

    def _label(self, x: float, texts: list[str], colour: str) -> None:
        item = pg.TextItem("", color=colour, anchor=(0, 0.5))
        item.setFont(self.font(12))
        leader = pg.PlotDataItem([x, x], [0, 0], pen=pg.mkPen(colour, width=1))
        self._add(self.band, item, bounds=False)
        self._add(self.band, leader, bounds=False)
        self._labels.append((item, leader, x, texts))

    def _updates(self, d: ViewData) -> None:
        """Announcements up, withdrawals down: each bin a vertical bar, drawn as a line whose pen is the
        bar's width in pixels, never under one pixel, so no burst vanishes when zoomed out."""
        x = d.instants.astype(float) - d.state.step / 2 - self.origin
        for counts, colour, sign in ((d.announcements, "#1b9e77", 1), (d.withdrawals, "#d7191c", -1)):
            nz = np.flatnonzero(counts)
            xs = np.repeat(x[nz], 2)
            ys = np.column_stack((np.zeros(len(nz)), sign * counts[nz])).ravel()
            bars = pg.PlotDataItem(xs, ys, connect="pairs", pen=pg.mkPen(colour, width=1))
            self._add(self.strip, bars)
            self._bars.append((bars, colour, d.state.step))
        hi = max(1, int(max(d.announcements.max(initial=0), d.withdrawals.max(initial=0))))
        self.strip.setYRange(-hi * 1.15, hi * 1.15, padding=0)

    # -- what depends on the pixels: labels, minimum widths, the axis' year --------------------------

    def _relayout(self, *_) -> None:
        if not hasattr(self, "_labels"):
            return
        vb = self.band.getViewBox()
        (lo, hi), width = self.vb.viewRange()[0], float(self.vb.width() or 0)
        if width <= 0 or hi <= lo:
            return
        s_per_px = (hi - lo) / width
        for region, a, b, min_px in self._spans:
            if min_px and (b - a) < min_px * s_per_px:
                mid = (a + b) / 2
                region.setRegion((mid - min_px * s_per_px / 2, mid + min_px * s_per_px / 2))
            else:
                region.setRegion((a, b))
        for bars, colour, step in self._bars:
            bars.setPen(pg.mkPen(colour, width=max(1.0, 0.85 * step / s_per_px)))
        metrics = QFontMetricsF(self.font(12))
        asks = []
        for item, _leader, x, texts in self._labels:
            asks.append(((x - lo) / s_per_px, [metrics.horizontalAdvance(t) + 6 for t in texts]))
        placed = place(asks, width, LABEL_ROWS)
        for (item, leader, x, texts), p in zip(self._labels, placed):
            if p is None or not (lo <= x <= hi):
                item.hide()
                leader.setData([x, x], [0, 0.35])
                continue
            row_y = LABEL_ROWS - p.row - 0.5
            item.setText(texts[p.variant])
            item.setPos(lo + p.left * s_per_px, row_y)
            item.show()
            leader.setData([x, x], [0, row_y - 0.3])
        vb.setYRange(0, LABEL_ROWS, padding=0)
        for hook in self.on_relayout:
            hook()
        first, last = datetime.fromtimestamp(lo + self.origin, tz=timezone.utc), \
            datetime.fromtimestamp(hi + self.origin, tz=timezone.utc)
        when = (f"{day((lo + self.origin) * US)} {first.year}" if first.date() == last.date() else
                str(first.year) if first.year == last.year else f"{first.year}-{last.year}")
        self.time_axis.setLabel(f"time (UTC, {when})")

    def label_rects(self) -> list:
        """Scene rectangles of the labels shown in the band (for tests and the layout checks)."""
        return [item.mapRectToScene(item.boundingRect()) for item, *_ in self._labels if item.isVisible()]

    def _range_changed(self, args) -> None:
        lo, hi = self.vb.viewRange()[0]
        self.rangeViewed.emit(int(lo + self.origin), int(math.ceil(hi + self.origin)))

    def set_range(self, start: float, end: float) -> None:
        """Show [start, end] (Unix seconds)."""
        self.main.setXRange(start - self.origin, end - self.origin, padding=0)

    def show_message(self, text: str) -> None:
        """An empty state: what is missing and what to do."""
        self.set_view(None)
        self.empty.setText(text)
        self.main.setXRange(0, 1, padding=0)
        self.main.setYRange(0, 1, padding=0)
        self.empty.setPos(0.5, 0.5)
        self.main.addItem(self.empty)
        self.readout.setText("")

    # -- the cursor ----------------------------------------------------------------------------------

    def set_cursor(self, t: int) -> None:
        self._quiet = True
        self.cursor.setValue(t - self.origin)
        self.strip_cursor.setValue(t - self.origin)
        self._quiet = False
        self.readout.setText(self._readout(t))

    def _readout(self, t: int) -> str:
        d = self.data
        if d is None:
            return f"Cursor {utc(t)}"
        k = d.index_at(t)
        when = f"<b>{utc(int(d.instants[k]), d.state.step < 60)}</b>"
        gap = d.unknown_at(t)
        if gap is not None:
            return f"{when}: {_html(gap.text)}"
        if self.mode == "share" and d.upstream_routes:
            total = sum(int(s[k]) for s in d.upstream_routes.values())
            ups = ", ".join(f"{as_label(u, d.names)}: {100 * int(s[k]) / total:.0f}%" for u, s in
                            sorted(d.upstream_routes.items(), key=lambda kv: -int(kv[1][k]))[:3] if s[k])
            return f"{when}: {total} routes held" + (f" ({ups})" if ups else "") + \
                f"; {int(d.visible_prefixes[k])} of {len(d.prefixes)} prefixes visible"
        ups = ", ".join(f"{as_label(u, d.names)}: {int(s[k])}" for u, s in
                        sorted(d.by_upstream.items(), key=lambda kv: -int(kv[1][k]))[:3] if s[k])
        return (f"{when}: {int(d.visible_prefixes[k])} of {len(d.prefixes)} prefixes "
                f"visible, {int(d.visible_slash24[k])} /24s" + (f" ({ups})" if ups else "") +
                f"; {int(d.announcements[k])} announcements, {int(d.withdrawals[k])} withdrawals in the bin")

    def _dragged(self) -> None:
        if not self._quiet:
            t = int(round(self.cursor.value() + self.origin))
            self.strip_cursor.setValue(t - self.origin)
            self.readout.setText(self._readout(t))
            self.cursorMoved.emit(t)

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        if self.main.sceneBoundingRect().contains(ev.scenePos()):
            t = int(round(self.vb.mapSceneToView(ev.scenePos()).x() + self.origin))
            if self.data is not None:
                t = min(max(t, int(self.data.instants[0])), int(self.data.instants[-1]))
            self.set_cursor(t)
            self.cursorMoved.emit(t)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["TimelinePane", "span_text"]

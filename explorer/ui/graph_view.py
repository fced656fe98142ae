"""The AS-path graph: one pyqtgraph GraphItem over positions fixed for the whole window.

Positions come from ``layered_layout`` once per window (origin on the right, collectors' peers on the
left), so moving the cursor only changes which edges are drawn, their widths and the node colours.
Adjacencies held at the window's start and lost at the cursor are dashed red; clicking an AS
highlights the paths through it (and the window filters the prefix table).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.viewmodel.view import ViewData
from explorer.viewmodel.graph import GraphAt
from explorer.ui.style import ABSENT, FOREGROUND, HIGHLIGHT, LOST, ROLE_COLOURS, as_label, utc

X_SPACING = 3.0          # columns wide enough for "AS4837 China Unicom" at the usual zoom
EDGE_GREY = (90, 90, 90, 220)
EDGE_PEN = pg.mkPen(EDGE_GREY, width=1)
MAX_LABELS = 250         # a larger graph labels its best connected ASes only (hover names any)


class GraphPane(QWidget):
    nodeClicked = Signal(object)        # the AS number, or None when the background is clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("graphPlot")
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.lost_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(LOST, width=2, style=Qt.PenStyle.DashLine))
        self.highlight_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(HIGHLIGHT, width=7))
        self.graph = pg.GraphItem()
        self.edge_layers = [pg.PlotDataItem(connect="pairs", pen=pg.mkPen(EDGE_GREY, width=w), antialias=False)
                            for w in range(2, 7)]
        for item in (self.highlight_item, *self.edge_layers, self.lost_item, self.graph):
            self.plot.addItem(item)
        self.graph.scatter.sigClicked.connect(self._clicked)
        self.plot.scene().sigMouseClicked.connect(self._background_clicked)
        self.empty = pg.TextItem("", color=FOREGROUND, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.footer = QLabel()
        self.footer.setWordWrap(True)
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.footer)
        self.data: ViewData | None = None
        self._extent = None                     # (left, right, bottom, top) of the laid-out graph
        self.plot.plotItem.vb.sigResized.connect(self._fit)
        self.labels: list[pg.TextItem] = []
        self.current: GraphAt | None = None
        self.selected: int | None = None
        self.drawn_edges: set[tuple[int, int]] = set()
        self._point_clicked = False
        self._brushes: dict = {}
        self.labelled: list[int] = []

    # -- a new window: positions and labels ------------------------------------------------------------

    def set_view(self, data: ViewData | None) -> None:
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        self.data = data
        self.current = None
        self.pos, self.where = np.zeros((0, 2)), {}
        for item in self.edge_layers:
            item.setData([], [])
        self._extent = None
        if data is None or not len(data.layout.asns):
            self.graph.setData(pos=self.pos, adj=None)
            return
        self.pos = data.layout.pos * np.array([X_SPACING, 1.0])
        self.where = data.layout.index()
        left, right = self.pos[:, 0].min(), self.pos[:, 0].max()
        self.labelled = self._worth_labelling(data)
        for i in self.labelled:
            asn = int(data.layout.asns[i])
            x = self.pos[i, 0]
            # peers' labels to the left of their node, the origin's to the right, the rest below
            anchor = (1.0, 0.5) if x == left and left < right else (0.0, 0.5) if x == right else (0.5, -0.3)
            label = pg.TextItem(as_label(asn, data.names), color=FOREGROUND, anchor=anchor)
            label.setPos(x + (-0.12 if anchor[0] == 1.0 else 0.12 if anchor[0] == 0.0 else 0), self.pos[i, 1])
            self.plot.addItem(label)
            self.labels.append(label)
        rows = self.pos[:, 1]
        self._extent = (left, right, rows.min() - 0.8, rows.max() + 0.8)
        self._fit()

    def _fit(self, *_) -> None:
        """Show the whole graph with room for the outer labels; again when the pane changes size
        (the labels' room is in pixels, so a window laid out later needs other margins)."""
        if self._extent is None or not len(self.pos):
            return
        left, right, bottom, top = self._extent
        margin = self._margin(left, right)
        self.plot.setRange(xRange=(left - margin, right + margin), yRange=(bottom, top), padding=0)

    # -- a cursor move: which edges, how wide, which colours -------------------------------------------

    def show_graph(self, g: GraphAt, selected: int | None = None) -> None:
        d = self.data
        if d is None:
            return
        self.current, self.selected = g, selected
        n = len(d.layout.asns)
        if n == 0:
            self.graph.setData(pos=self.pos, adj=None)
            self.empty.setText(f"No routes for {d.label} in this window:\nno AS path to draw")
            self.empty.setPos(0, 0)
            self.footer.setText(self._footer(g))
            return
        adj = np.array([(self.where[s], self.where[t]) for s, t in g.edges], dtype=np.int64).reshape(-1, 2)
        routes = np.array(list(g.edges.values()), float)
        # Widths in whole pixels, 1 to 6, one path per width: a pen per edge (GraphItem's record-array pens)
        # paints edge by edge and took 35 ms a frame for 1,300 edges.
        widths = np.rint(1.0 + 5.0 * np.sqrt(routes / routes.max())).astype(int) if len(routes) else routes
        for w, item in enumerate(self.edge_layers, start=2):
            sel = adj[widths == w]
            pts = self.pos[sel.ravel()] if len(sel) else np.zeros((0, 2))
            item.setData(pts[:, 0], pts[:, 1])
        thin = adj[widths == 1] if len(adj) else adj
        brushes, sizes = [], []
        for asn in d.layout.asns.tolist():
            here = asn in g.present or g.roles.get(asn) == "origin"     # the origin is drawn, alone if need be
            colour = ROLE_COLOURS.get(g.roles.get(asn, "transit")) if here else ABSENT
            brushes.append(self._brush(colour))
            sizes.append(18 if g.roles.get(asn) == "origin" else 13)
        self.graph.setData(pos=self.pos, adj=thin if len(thin) else None, pen=EDGE_PEN,
                           symbolBrush=brushes, symbolPen=pg.mkPen("w", width=1.5), size=sizes, symbol="o",
                           pxMode=True, data=np.arange(n), hoverable=True, tip=self._tip)
        self.drawn_edges = set(g.edges)
        for label, i in zip(self.labels, self.labelled):
            asn = int(d.layout.asns[i])
            label.setColor(FOREGROUND if asn in g.present or g.roles.get(asn) == "origin" else "#9a9a9a")
        self._pairs(self.lost_item, sorted(g.lost))
        self._pairs(self.highlight_item, self._highlighted(g, selected))
        self.empty.setText("")
        self.footer.setText(self._footer(g))

    def _margin(self, left: float, right: float) -> float:
        """View units beside the outer columns so that their labels (pixels wide) fit in the pane."""
        widest = max((label.textItem.boundingRect().width() for label in self.labels), default=0.0) + 16
        width = float(self.plot.plotItem.vb.width() or self.plot.width())
        span = max(right - left, X_SPACING)
        need = widest * span / (width - 2 * widest) if width > 2.5 * widest else span
        return min(max(1.0, need), 0.5 * span + 1.0)       # a long label may be cut rather than the graph squeezed

    def _worth_labelling(self, d: ViewData) -> list[int]:
        n = len(d.layout.asns)
        if n <= MAX_LABELS:
            return list(range(n))
        from explorer.analysis.graph import path_table

        edges = path_table(d.routes).edges
        where = d.layout.index()
        degree = np.bincount([where[int(a)] for a in edges.ravel()], minlength=n)
        degree[d.layout.layer == 0] = degree.max() + 1          # origins always
        return sorted(np.argsort(-degree, kind="stable")[:MAX_LABELS].tolist())

    def _brush(self, colour: str):
        if colour not in self._brushes:
            self._brushes[colour] = pg.mkBrush(colour)
        return self._brushes[colour]

    def show_message(self, text: str) -> None:
        self.set_view(None)
        for item in (self.lost_item, self.highlight_item):
            item.setData([], [])
        self.empty.setText(text)
        self.empty.setPos(0, 0)
        self.plot.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        self.footer.setText("")

    def _pairs(self, item: pg.PlotDataItem, edges) -> None:
        if not edges:
            item.setData([], [])
            return
        pts = np.array([self.pos[self.where[a]] for e in edges for a in e])
        item.setData(pts[:, 0], pts[:, 1])

    def _highlighted(self, g: GraphAt, asn: int | None) -> list[tuple[int, int]]:
        return [] if asn is None or self.data is None else sorted(g.edges_through(asn))

    def _tip(self, x, y, data) -> str:
        d, g = self.data, self.current
        asn = int(d.layout.asns[int(data)])
        routes = sum(n for (s, t), n in g.edges.items() if asn in (s, t)) if g else 0
        through = len(g.prefixes_through(asn)) if g else 0
        country = d.countries.get(asn) or "country unknown"
        role = g.roles.get(asn, "-") if g else "-"
        return (f"{as_label(asn, d.names)}\n{country}; {role}\n{routes} route-adjacencies at the cursor, "
                f"{through} prefix(es) through it")

    def _clicked(self, _item, points, _ev) -> None:
        if points is not None and len(points):
            self._point_clicked = True
            self.nodeClicked.emit(int(self.data.layout.asns[int(points[0].data())]))

    def _background_clicked(self, ev) -> None:
        if self._point_clicked:
            self._point_clicked = False
            return
        if self.selected is not None:
            self.nodeClicked.emit(None)

    def _footer(self, g: GraphAt) -> str:
        alone = (f"<b style='color:{LOST}'>No route held at {utc(g.at)}: the origin stands alone.</b> "
                 if not g.edges else "")
        swatch = " ".join(f"<span style='color:{c}'>&#9679;</span> {r}" for r, c in ROLE_COLOURS.items())
        fine = self.data is not None and self.data.state.step < 60
        return (alone + f"<b>AS paths at {utc(g.at, fine)}</b>: {g.routes_at} routes held; edge width grows with routes "
                f"(peer session x prefix) over the adjacency. {swatch} <span style='color:{ABSENT}'>&#9679;</span> "
                f"no route now. <span style='color:{LOST}'>- - -</span> held at the window's start, lost now "
                f"({len(g.lost)}). Layout: layers by hops from the origin, fixed for the window." + self._crowd())

    def _crowd(self) -> str:
        n = len(self.data.layout.asns) if self.data is not None else 0
        return (f" <b>{n:,} ASes</b>: labels on the {MAX_LABELS} best connected; zoom with the wheel, hover for any."
                if n > MAX_LABELS else "")

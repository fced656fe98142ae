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

from explorer.analysis.view import ViewData
from explorer.analysis.view_graph import GraphAt
from explorer.ui.style import ABSENT, FOREGROUND, HIGHLIGHT, LOST, ROLE_COLOURS, as_label, utc

X_SPACING = 3.0          # columns wide enough for "AS4837 China Unicom" at the usual zoom


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
        for item in (self.highlight_item, self.lost_item, self.graph):
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
        self.labels: list[pg.TextItem] = []
        self.current: GraphAt | None = None
        self.selected: int | None = None
        self.drawn_edges: set[tuple[int, int]] = set()
        self._point_clicked = False

    # -- a new window: positions and labels ------------------------------------------------------------

    def set_view(self, data: ViewData | None) -> None:
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        self.data = data
        self.current = None
        if data is None or not len(data.layout.asns):
            self.graph.setData(pos=np.zeros((0, 2)), adj=None)
            return
        self.pos = data.layout.pos * np.array([X_SPACING, 1.0])
        self.where = data.layout.index()
        for i, asn in enumerate(data.layout.asns.tolist()):
            label = pg.TextItem(as_label(asn, data.names), color=FOREGROUND, anchor=(0.5, -0.35))
            label.setPos(*self.pos[i])
            self.plot.addItem(label)
            self.labels.append(label)
        self.plot.autoRange(padding=0.12)

    # -- a cursor move: which edges, how wide, which colours -------------------------------------------

    def show_graph(self, g: GraphAt, selected: int | None = None) -> None:
        d = self.data
        if d is None:
            return
        self.current, self.selected = g, selected
        n = len(d.layout.asns)
        adj = np.array([(self.where[s], self.where[t]) for s, t in g.edges], dtype=np.int64).reshape(-1, 2)
        routes = np.array(list(g.edges.values()), float)
        widths = 1.0 + 5.0 * np.sqrt(routes / routes.max()) if len(routes) else routes
        pen = np.zeros(len(adj), dtype=[("red", np.ubyte), ("green", np.ubyte), ("blue", np.ubyte),
                                       ("alpha", np.ubyte), ("width", float)])
        pen["red"], pen["green"], pen["blue"], pen["alpha"], pen["width"] = 90, 90, 90, 220, widths
        brushes, sizes = [], []
        for asn in d.layout.asns.tolist():
            here = asn in g.present
            colour = ROLE_COLOURS.get(g.roles.get(asn, "transit")) if here else ABSENT
            brushes.append(pg.mkBrush(colour))
            sizes.append(18 if g.roles.get(asn) == "origin" else 13)
        self.graph.setData(pos=self.pos, adj=adj if len(adj) else None, pen=pen if len(adj) else None,
                           symbolBrush=brushes, symbolPen=pg.mkPen("w", width=1.5), size=sizes, symbol="o",
                           pxMode=True, data=np.arange(n), hoverable=True, tip=self._tip)
        self.drawn_edges = set(g.edges)
        for i, asn in enumerate(d.layout.asns.tolist()):
            self.labels[i].setColor(FOREGROUND if asn in g.present else "#9a9a9a")
        self._pairs(self.lost_item, sorted(g.lost))
        self._pairs(self.highlight_item, self._highlighted(g, selected))
        self.empty.setText("" if g.edges else f"No route held at {utc(g.at)}: the origin stands alone")
        if not g.edges:
            self.empty.setPos(float(self.pos[:, 0].mean()), float(self.pos[:, 1].max() + 1.2))
        self.footer.setText(self._footer(g))

    def _pairs(self, item: pg.PlotDataItem, edges) -> None:
        if not edges:
            item.setData([], [])
            return
        pts = np.array([self.pos[self.where[a]] for e in edges for a in e])
        item.setData(pts[:, 0], pts[:, 1])

    def _highlighted(self, g: GraphAt, asn: int | None) -> list[tuple[int, int]]:
        if asn is None or self.data is None:
            return []
        d = self.data
        from explorer.analysis.view_graph import held_at

        held = held_at(d, g.at)
        out = set()
        for pi in np.unique(d.routes.path[held]).tolist():
            p = d.paths[pi]
            if asn in p:
                out |= {(p[i], p[i + 1]) for i in range(len(p) - 1)}
        return sorted(out)

    def _tip(self, x, y, data) -> str:
        d, g = self.data, self.current
        asn = int(d.layout.asns[int(data)])
        routes = sum(n for (s, t), n in g.edges.items() if asn in (s, t)) if g else 0
        through = len(g.through.get(asn, ())) if g else 0
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
        swatch = " ".join(f"<span style='color:{c}'>&#9679;</span> {r}" for r, c in ROLE_COLOURS.items())
        return (f"<b>AS paths at {utc(g.at)}</b>: {g.routes_at} routes held; edge width grows with routes "
                f"(peer session x prefix) over the adjacency. {swatch} <span style='color:{ABSENT}'>&#9679;</span> "
                f"no route now. <span style='color:{LOST}'>- - -</span> held at the window's start, lost now "
                f"({len(g.lost)}). Layout: layers by hops from the origin, fixed for the window.")

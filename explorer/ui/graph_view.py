"""The AS-path graph at the cursor, drawn with QPainter in the pane's own pixels.

What is drawn comes from the view model: the window's folding (``analysis.aggregate``: a large scope's
heaviest ASes, the rest in groups), its layered layout (fixed for the window, so nothing jumps as the
cursor moves) and the placement of nodes, edges and labels for the pane's size
(``viewmodel.graph_scene``, computed again when the pane changes size, so that an export, which lays
the pane out at the picture's size, draws the same placement). A cursor move changes only how things
are drawn: a disc's size and an edge's width say how many routes (peer session x prefix) pass there
at the cursor; an AS or an adjacency held at the window's start and not now keeps its colour and its
size from the start, drawn as a ring or dashed. Clicking an AS highlights the paths through it (and
the window filters the prefix table); clicking a group opens it (its heaviest members, page by page),
and its context menu folds it back. Opening a group folds the graph again on the query worker.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QLabel, QMenu, QToolTip, QVBoxLayout, QWidget

from explorer.analysis.aggregate import FoldAt, Folding, fold
from explorer.registry.asname import short_name
from explorer.viewmodel.graph import GraphAt, edges_drawn, key_texts, node_texts
from explorer.viewmodel.graph_scene import R_MAX, Scene, scene_for
from explorer.viewmodel.view import ViewData
from explorer.ui.style import ABSENT, FOREGROUND, HIGHLIGHT, LOST, ROLE_COLOURS, utc

R_MIN = 4.0
EDGE_GREY = QColor(90, 90, 90, 200)
FADED = QColor(150, 150, 150, 110)          # held at some time of the window, neither at its start nor now
LABEL_PX = 11


def _run_here(channel, fn, *args, done, failed=None, **kwargs):
    """Without a query worker (a pane on its own): run at once."""
    try:
        done(fn(*args, cancelled=lambda: False, **kwargs))
    except Exception as exc:            # noqa: BLE001 -- reported like the worker reports it
        if failed is not None:
            failed(str(exc), "")


class GraphCanvas(QWidget):
    """The drawing surface: paints the pane's scene and turns mouse events into the pane's actions."""

    def __init__(self, pane: "GraphPane"):
        super().__init__(pane)
        self.pane = pane
        self.setObjectName("graphPlot")
        self.setMouseTracking(True)
        self.setMinimumSize(160, 120)

    def paintEvent(self, _ev) -> None:
        p = QPainter(self)
        try:
            self.pane._paint(p)
        finally:
            p.end()

    def resizeEvent(self, _ev) -> None:
        self.pane._relayout()

    def mouseMoveEvent(self, ev) -> None:
        i = self.pane._node_at(ev.position())
        if i is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(ev.globalPosition().toPoint(), self.pane._tip(0, 0, i), self)

    def mousePressEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self.pane._clicked(self.pane._node_at(ev.position()))

    def contextMenuEvent(self, ev) -> None:
        menu = self.pane._menu(self.pane._node_at(QPointF(ev.pos())))
        if menu is not None and not menu.isEmpty():
            menu.exec(ev.globalPos())


class GraphPane(QWidget):
    nodeClicked = Signal(object)        # the AS number, or None when the background is clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = GraphCanvas(self)
        self.footer = QLabel()
        self.footer.setObjectName("graphFooter")
        self.footer.setWordWrap(True)
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.footer)
        self.footer.installEventFilter(self)    # an export hides the footer: the graph takes its room at once
        self.submit = _run_here             # the window gives its query worker's submit
        self.data: ViewData | None = None
        self.folding: Folding | None = None
        self.current: GraphAt | None = None
        self.now: FoldAt | None = None
        self.selected: int | None = None
        self.scene: Scene | None = None
        self.texts: list[list[str]] = []
        self.drawn: list[int] = []
        self.highlighted: list[int] = []
        self.message_text = ""
        self.text_scale = 1.0
        self._scale = (1.0, 1.0)           # the largest routes through an AS and over an edge drawn
        self._paths: dict = {}             # drawn edge -> its QPainterPath, for the present scene
        self._footer_h: tuple = (None, 0)   # (view and width, the footer's height for them)
        self.where: dict[int, int] = {}     # AS number -> node index, for the ASes drawn as themselves
        self.pos = np.zeros((0, 2))         # node centres in the canvas' pixels

    # -- a new window --------------------------------------------------------------------------------

    def set_view(self, data: ViewData | None) -> None:
        self.data, self.current, self.now, self.message_text = data, None, None, ""
        self._use(data.folding if data is not None else None)

    def _use(self, f: Folding | None) -> None:
        if f is not self.folding:
            self.now, self.highlighted = None, []          # counted over the folding it was drawn with
        self.folding = f
        if f is None:
            self.texts, self.drawn, self.where = [], [], {}
        else:
            self.texts = node_texts(f, self.data.names)
            self.drawn = edges_drawn(f)
            self.where = {n.asn: i for i, n in enumerate(f.nodes) if not n.is_group}
        self._relayout()

    def set_text_scale(self, scale: float) -> None:
        """Labels at ``scale`` times their usual size (presentation mode)."""
        self.text_scale = scale
        self._relayout()

    def _font(self, bold: bool = False) -> QFont:
        font = QFont()
        font.setPixelSize(max(8, round(LABEL_PX * self.text_scale)))
        font.setBold(bold)
        return font

    def _measure(self, text: str) -> tuple[float, float]:
        m = QFontMetricsF(self._font())
        return m.horizontalAdvance(text) + 4.0, m.height() + 2.0

    def _boxes(self) -> np.ndarray:
        m = QFontMetricsF(self._font(bold=True))
        out = []
        for n in self.folding.nodes:
            if n.is_group:
                out.append((max(m.horizontalAdvance(f"{len(n.members):,}") + 10.0, m.height() + 4.0), m.height() + 4.0))
            else:
                out.append((2 * R_MAX, 2 * R_MAX))
        return np.array(out, float).reshape(-1, 2)

    def _relayout(self) -> None:
        """The scene for the canvas' present size (labels placed in its pixels)."""
        f = self.folding
        if f is None or not len(f.nodes):
            self.scene, self.pos = None, np.zeros((0, 2))
        else:
            self.scene = scene_for(f, self.drawn, self._boxes(), self.texts, self._measure,
                                   float(self.plot.width()), float(self.plot.height()), key_texts(f))
            self.pos = self.scene.centre
            self._paths = {e: self._path(c) for e, c in self.scene.curves.items()}
        self.plot.update()

    # -- a cursor move ---------------------------------------------------------------------------------

    def show_graph(self, g: GraphAt, selected: int | None = None) -> None:
        if self.data is None or self.folding is None:
            return
        self.current, self.selected = g, selected
        f = self.folding
        self.now = g.folded if g.folding is f and g.folded is not None else f.at(self.data.routes, g.held)
        self._scale = self._scales()
        node = f.node_of.get(selected) if selected is not None else None
        self.highlighted = (sorted(set(f.edges_through(node, self.data.routes, g.held).tolist()) & set(self.drawn))
                            if node is not None else [])
        self.footer.setText(self._footer(g))
        self._footer_room()
        self.plot.update()

    def _footer_room(self) -> None:
        """The footer keeps one height for the view (the tallest its text can be at this width), so that
        the graph above it does not move as the cursor does."""
        g = self.current
        if g is None or self.folding is None:
            self.footer.setMinimumHeight(0)
            self.footer.setMaximumHeight(16777215)
            return
        width = max(self.width(), 100)
        tallest = max(self._measured(self._footer(g, alone)) for alone in (True, False))
        tallest = max(tallest, self.footer.heightForWidth(width))
        key = (id(self.folding), width)
        if self._footer_h[0] == key:            # within one view and width it only grows
            tallest = max(tallest, self._footer_h[1])
        self._footer_h = (key, tallest)
        if self.footer.height() != tallest or self.footer.minimumHeight() != tallest:
            self.footer.setFixedHeight(tallest)
            self.layout().activate()            # at once: an export renders right after resizing

    def _measured(self, html: str) -> int:
        probe = QLabel()
        probe.setWordWrap(True)
        probe.setTextFormat(Qt.TextFormat.RichText)
        probe.setFont(self.footer.font())
        probe.setText(html)
        return probe.heightForWidth(max(self.width(), 100))

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self._footer_room()

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.footer and ev.type() in (QEvent.Type.Hide, QEvent.Type.Show):
            self.layout().activate()
        return False

    @property
    def drawn_edges(self) -> set[tuple[int, int]]:
        """Adjacencies between two ASes drawn as themselves, carrying routes at the cursor."""
        return self._drawn_pairs(lambda e: self.now.edges[e] > 0)

    @property
    def lost_edges(self) -> set[tuple[int, int]]:
        """Adjacencies drawn dashed: held at the window's start, not at the cursor."""
        start = self.folding.start
        return self._drawn_pairs(lambda e: self.now.edges[e] == 0 and start.edges[e] > 0)

    def _drawn_pairs(self, keep) -> set[tuple[int, int]]:
        if self.now is None:
            return set()
        nodes = self.folding.nodes
        out = set()
        for e in self.drawn:
            s, t = (int(v) for v in self.folding.edges[e])
            if not nodes[s].is_group and not nodes[t].is_group and keep(e):
                out.add((nodes[s].asn, nodes[t].asn))
        return out

    def show_message(self, text: str) -> None:
        self.set_view(None)
        self.message_text = text
        self.footer.setText("")
        self.plot.update()

    def message(self) -> str:
        return self.message_text

    # -- what tests and exports read: the placement in the canvas' pixels --------------------------------

    def label_rects(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """Every text drawn on the graph (the legend too) and its rectangle in the canvas' pixels."""
        if self.scene is None:
            return []
        key = [(self.scene.key.text, self.scene.key.rect)] if self.scene.key is not None else []
        return key + [(lab.text, lab.rect) for lab in self.scene.labels]

    def node_rects(self) -> list[tuple[float, float, float, float]]:
        return [] if self.scene is None else self.scene.node_rects()

    def edge_paths(self) -> dict[tuple[int, int], np.ndarray]:
        """Drawn edge (source key, target key) -> its polyline in pixels (keys: AS numbers, < 0 for groups)."""
        if self.scene is None:
            return {}
        keys = [n.key for n in self.folding.nodes]
        return {(keys[s], keys[t]): self.scene.edges[e]
                for e, (s, t) in ((e, self.folding.edges[e]) for e in self.drawn) if e in self.scene.edges}

    # -- painting --------------------------------------------------------------------------------------

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        w, h = self.plot.width(), self.plot.height()
        p.fillRect(QRectF(0, 0, w, h), QColor("white"))
        if self.message_text or self.scene is None or self.now is None:
            if self.message_text:
                p.setPen(QColor(FOREGROUND))
                p.setFont(self._font())
                p.drawText(QRectF(12, 12, w - 24, h - 24), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                           self.message_text)
            return
        self._paint_edges(p)
        self._paint_nodes(p)
        self._paint_labels(p)

    def _scales(self):
        f, now, start = self.folding, self.now, self.folding.start
        is_as = np.array([not n.is_group for n in f.nodes])
        both = np.maximum(now.nodes, start.nodes)
        node_max = float(both[is_as].max()) if is_as.any() and both[is_as].max() > 0 else 1.0
        drawn = np.array(self.drawn, np.int64)
        ew = np.maximum(now.edges[drawn], start.edges[drawn]) if len(drawn) else np.zeros(0)
        edge_max = float(ew.max()) if len(ew) and ew.max() > 0 else 1.0
        return node_max, edge_max

    def edge_style(self, e: int) -> tuple[str, float, QColor]:
        """How edge ``e`` is drawn at the cursor: ('solid', width, colour) while it carries routes, ('dashed',
        its width at the window's start, its colour) once lost, ('dotted', 1, faded) if held neither then
        nor now."""
        now, start = self.now.edges[e], self.folding.start.edges[e]
        _, edge_max = self._scale
        if now > 0:
            grey = QColor(EDGE_GREY)
            grey.setAlpha(int(70 + 150 * np.sqrt(now / edge_max)))      # the light ones recede
            return "solid", 1.0 + 7.0 * float(np.sqrt(now / edge_max)), grey
        if start > 0:
            lost = QColor(LOST)
            lost.setAlpha(170)
            return "dashed", 1.0 + 7.0 * float(np.sqrt(start / edge_max)), lost
        return "dotted", 1.0, QColor(FADED)

    def _paint_edges(self, p: QPainter) -> None:
        now, start = self.now, self.folding.start
        for e in self.highlighted:
            pen = QPen(QColor(HIGHLIGHT), self.edge_style(e)[1] + 6)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawPath(self._paths[e])
        styles = {"solid": Qt.PenStyle.SolidLine, "dashed": Qt.PenStyle.DashLine, "dotted": Qt.PenStyle.DotLine}
        for e in sorted(self.drawn, key=lambda e: max(now.edges[e], start.edges[e])):
            style, width, colour = self.edge_style(e)
            pen = QPen(colour, width)
            pen.setStyle(styles[style])
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(self._paths[e])

    @staticmethod
    def _path(curve) -> QPainterPath:
        start, segments = curve
        path = QPainterPath(QPointF(*start))
        for kind, *pts in segments:
            q = [QPointF(*pt) for pt in pts]
            if kind == "line":
                path.lineTo(q[0])
            elif kind == "quad":
                path.quadTo(q[0], q[1])
            else:
                path.cubicTo(q[0], q[1], q[2])
        return path

    def node_style(self, i: int) -> tuple[str, QColor, float]:
        """How node ``i`` is drawn at the cursor: ('disc', its role's colour, radius by its routes now), or
        ('ring', its role's colour, radius by its routes at the window's start) when none pass it now; a
        group: ('box' or 'empty box', its kind's colour, half its box's height)."""
        n, now, start = self.folding.nodes[i], self.now.nodes[i], self.folding.start.nodes[i]
        colour = QColor(ROLE_COLOURS.get(n.role, ROLE_COLOURS["transit"]))
        if n.is_group:
            return ("box" if now > 0 else "empty box"), colour if now > 0 or start > 0 else QColor(ABSENT), \
                float(self.scene.half[i][1])
        node_max, _ = self._scale
        v = now if now > 0 else start
        r = R_MIN + (R_MAX - R_MIN) * float(np.sqrt(v / node_max)) if v > 0 else R_MIN + 2
        if now > 0:
            return "disc", colour, r
        return "ring", colour if start > 0 or n.role == "origin" else QColor(ABSENT), r

    def _paint_nodes(self, p: QPainter) -> None:
        f, sc = self.folding, self.scene
        bold = self._font(bold=True)
        sel = f.node_of.get(self.selected) if self.selected is not None else None
        for i, n in enumerate(f.nodes):
            shape, colour, r = self.node_style(i)
            cx, cy = sc.centre[i]
            if n.is_group:
                hx, hy = sc.half[i]
                rect = QRectF(cx - hx, cy - hy, 2 * hx, 2 * hy)
                fill = QColor(colour)
                fill.setAlpha(60)
                pen = QPen(colour, 1.6)
                if shape == "empty box":
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.setBrush(fill if shape == "box" else QColor("white"))
                p.drawRoundedRect(rect, 4, 4)
                p.setFont(bold)
                p.setPen(QColor(FOREGROUND if shape == "box" else "#8a8a8a"))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{len(n.members):,}")
            elif shape == "disc":
                p.setPen(QPen(QColor("white"), 1.5))
                p.setBrush(colour)
                p.drawEllipse(QPointF(cx, cy), r, r)
            else:                  # no route through it now: a ring in its colour, at its size at the start
                p.setPen(QPen(colour, 2.5))
                p.setBrush(QColor("white"))
                p.drawEllipse(QPointF(cx, cy), r, r)
            if i == sel:
                p.setPen(QPen(QColor(HIGHLIGHT), 3))
                p.setBrush(Qt.BrushStyle.NoBrush)
                hx, hy = sc.half[i]
                p.drawEllipse(QPointF(cx, cy), hx + 2, hy + 2)

    def _paint_labels(self, p: QPainter) -> None:
        f, now = self.folding, self.now
        p.setFont(self._font())
        back = QColor(255, 255, 255, 215)
        if self.scene.key is not None:          # the legend: what sizes and strokes mean (exports carry it)
            x, y, w, h = self.scene.key.rect
            p.setPen(QPen(QColor("#c8c8c8"), 1))
            p.setBrush(QColor(255, 255, 255, 235))
            p.drawRoundedRect(QRectF(x, y, w, h), 3, 3)
            p.setPen(QColor(FOREGROUND))
            p.drawText(QRectF(x + 2, y, w - 2, h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       self.scene.key.text)
        for lab in self.scene.labels:
            x, y, w, h = lab.rect
            rect = QRectF(x, y, w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(back)
            p.drawRoundedRect(rect, 3, 3)
            n = f.nodes[lab.node]
            here = now.nodes[lab.node] > 0 or (n.role == "origin" and not n.is_group)     # the scope's own stay dark
            p.setPen(QColor(FOREGROUND if here else "#8a8a8a"))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, lab.text)

    # -- the mouse -------------------------------------------------------------------------------------

    def _node_at(self, point: QPointF) -> int | None:
        return None if self.scene is None else self.scene.node_at(point.x(), point.y())

    def _clicked(self, i: int | None) -> None:
        if i is None:
            if self.selected is not None:
                self.nodeClicked.emit(None)
            return
        n = self.folding.nodes[i]
        if n.is_group:
            self.open_group(n.group)
        else:
            self.nodeClicked.emit(n.asn)

    def _menu(self, i: int | None) -> QMenu | None:
        f = self.folding
        if f is None:
            return None
        menu = QMenu(self)
        if i is not None:
            n = f.nodes[i]
            if n.is_group:
                menu.addAction(f"Open {self.texts[i][0]}", lambda: self.open_group(n.group))
            key = n.group if n.group in f.open else None
            if key is not None:
                menu.addAction(f"Fold {self._group_text(key)} back", lambda: self.fold_group(key))
        if f.open:
            menu.addAction("Fold every group back", lambda: self._refold({}))
        return menu

    def _group_text(self, key) -> str:
        kind, anchor = key
        noun = {"origin": "the origin ASes", "transit": "the transit ASes", "peer": "the peers"}[kind]
        return noun + (f" via AS{anchor}" if anchor is not None else "")

    def open_group(self, key) -> None:
        """Show the next ``aggregate.PAGE`` members of the group ``key`` (kind, anchor)."""
        opened = dict(self.folding.open)
        opened[key] = opened.get(key, 0) + 1
        self._refold(opened, key)

    def fold_group(self, key) -> None:
        self._refold({k: v for k, v in self.folding.open.items() if k != key})

    def _refold(self, opened: dict, key=None) -> None:
        d, f, g = self.data, self.folding, self.current
        lay = f.layout
        y = {int(k): float(v) for k, v in zip(lay.asns.tolist(), lay.pos[:, 1].tolist())}
        if key is not None:                     # the group's members start where the group was
            i = next(i for i, n in enumerate(f.nodes) if n.group == key and n.is_group)
            for rank, a in enumerate(f.nodes[i].members):
                y.setdefault(a, y.get(f.nodes[i].key, 0.0) + rank * 1e-3)
        self.submit("fold", _refold_job, d, opened, y, g, done=self._refolded, failed=self._refold_failed)

    def _refolded(self, result) -> None:
        d, f, at = result
        if d is not self.data:
            return                              # the window moved to another view meanwhile
        d.folding = f                           # the next cursor moves count over it
        self._use(f)
        if self.current is not None:
            self.show_graph(self.current, self.selected)

    def _refold_failed(self, message: str, _details: str) -> None:
        self.footer.setText(f"<b style='color:{LOST}'>Could not open the group: {message}</b>")

    # -- words -----------------------------------------------------------------------------------------

    def _tip(self, x, y, data) -> str:
        d, g, f = self.data, self.current, self.folding
        i = int(data)
        n = f.nodes[i]
        now = int(self.now.nodes[i]) if self.now is not None else 0
        start = int(f.start.nodes[i])
        through = len(f.prefixes_through(i, d.routes, g.held)) if g is not None else 0
        if n.is_group:
            top = ", ".join(self._as_text(a) for a in n.members[:5]) + (", ..." if len(n.members) > 5 else "")
            return (f"{self.texts[i][0]}\n{now:,} routes through them at the cursor ({start:,} at the window's start), "
                    f"{through:,} prefix(es)\nheaviest: {top}\nclick to show the {min(12, len(n.members))} heaviest")
        role = g.roles.get(n.asn, n.role) if g is not None else n.role
        country = d.countries.get(n.asn) or "country unknown"
        return (f"{self._as_text(n.asn)}\n{country}; {role}\n{now:,} routes through it at the cursor, {start:,} at the "
                f"window's start (peer session x prefix); {through:,} prefix(es) through it")

    def _as_text(self, asn: int) -> str:
        name = short_name(self.data.names.get(asn))
        return f"AS{asn} {name}".strip()

    def _footer(self, g: GraphAt, alone: bool | None = None) -> str:
        f = self.folding
        lost = len([e for e in self.drawn if self.now.edges[e] == 0 and f.start.edges[e] > 0])
        alone = not g.edge_routes.any() if alone is None else alone
        alone = f"<b style='color:{LOST}'>No route held at {utc(g.at)}: the origin stands alone.</b> " if alone else ""
        fine = self.data is not None and self.data.state.step < 60
        swatch = " ".join(f"<span style='color:{c}'>&#9679;</span>&nbsp;{r}" for r, c in ROLE_COLOURS.items())
        groups = sum(n.is_group for n in f.nodes)
        crowd = (f" {f.total_ases:,} ASes: the {len(f.nodes) - groups} carrying most routes, the rest in {groups} "
                 f"groups &#9634; (click: open, right-click: fold)." if groups else "")
        cut = f" {len(self.drawn)} of {len(f.edges):,} adjacencies drawn, each node's heaviest." if len(
            self.drawn) < len(f.edges) else ""
        return (alone + f"<b>AS paths at {utc(g.at, fine)}</b>: {g.routes_at:,} routes (peer session x prefix)."
                + crowd + cut + f"<br>{swatch}; size and width: routes now (widest edge: {self._scale[1]:,.0f}); "
                f"<span style='color:{LOST}'>- - -</span>&nbsp;and rings: held at the window's start, none now "
                f"({lost} lost). Columns: hops to the origin.")


def _refold_job(d: ViewData, opened: dict, hint: dict, g: GraphAt | None, cancelled=None):
    f = fold(d.routes, d.state.start, d.state.end, open=opened, hint=hint)
    return d, f, (f.at(d.routes, g.held) if g is not None else None)

"""Below the views: the scope's prefixes with their visibility at the cursor, and the detected events."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from explorer.analysis.view import ViewData
from explorer.analysis.view_graph import GraphAt
from explorer.ui.style import as_label, duration, utc


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setSortingEnabled(True)
    return t


def _item(value, sort=None) -> QTableWidgetItem:
    it = QTableWidgetItem(str(value))
    if sort is not None:
        it.setData(Qt.ItemDataRole.UserRole, sort)
        it.setData(Qt.ItemDataRole.DisplayRole, value if isinstance(value, (int, float)) else str(value))
    return it


class PrefixTable:
    """Prefix, peers at the cursor, visible, upstreams; filtered to one AS when a node is clicked."""

    def __init__(self):
        self.widget = _table(["prefix", "peer sessions", "visible", "via upstream"])
        self.widget.setObjectName("prefixTable")

    def show(self, d: ViewData, g: GraphAt, only_asn: int | None = None) -> None:
        k = d.index_at(g.at)
        rows = range(len(d.prefixes))
        if only_asn is not None:
            rows = sorted(g.through.get(only_asn, ()))
        self.widget.setSortingEnabled(False)
        self.widget.setRowCount(len(rows))
        for r, i in enumerate(rows):
            via = _upstreams_of(d, g, i)
            self.widget.setItem(r, 0, _item(d.prefixes[i]))
            self.widget.setItem(r, 1, _item(int(d.peers[i, k]), 0))
            self.widget.setItem(r, 2, _item("yes" if d.visible[i, k] else "no"))
            self.widget.setItem(r, 3, _item(", ".join(as_label(u, d.names) for u in via) or "-"))
        self.widget.setSortingEnabled(True)

    def rows(self) -> list[str]:
        return [self.widget.item(r, 0).text() for r in range(self.widget.rowCount())]


def _upstreams_of(d: ViewData, g: GraphAt, i: int) -> list[int]:
    return sorted(u for (u, o), _n in g.edges.items() if i in g.through.get(o, set()) and i in g.through.get(u, set())
                  and g.roles.get(o) == "origin")


class EventsTable:
    """Outages and instability; activating a row moves the cursor to its start."""

    def __init__(self, on_activate):
        self.widget = _table(["event", "start (UTC)", "end (UTC)", "duration", "prefixes", "/24s", "depth"])
        self.widget.setObjectName("eventsTable")
        self.widget.cellDoubleClicked.connect(lambda r, _c: on_activate(self.starts[r]))
        self.starts: list[int] = []

    def show(self, d: ViewData) -> None:
        self.widget.setSortingEnabled(False)
        self.widget.setRowCount(len(d.events))
        self.starts = [e.start for e in d.events]
        for r, e in enumerate(d.events):
            values = [e.kind, utc(e.start)[:16], utc(e.end)[:16], duration(e.duration_s), e.prefixes, e.slash24,
                      f"{e.depth:.0%}" if e.kind == "outage" else f"x{e.depth:.0f} updates"]
            for c, v in enumerate(values):
                self.widget.setItem(r, c, _item(v))

"""Below the views: the scope's prefixes with their visibility at the cursor, and the detected events.

The prefix table is a model over arrays (a country can have tens of thousands of prefixes): the view
asks for the rows it shows, and sorting is one numpy argsort.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTableWidget, QTableWidgetItem

from explorer.viewmodel.view import ViewData
from explorer.viewmodel.graph import GraphAt
from explorer.ui.style import as_label, duration, utc

HEADERS = ["prefix", "peer sessions", "visible", "via upstream"]


class PrefixModel(QAbstractTableModel):
    def __init__(self):
        super().__init__()
        self.rows = np.zeros(0, np.int64)
        self.prefixes: list[str] = []
        self.peers = np.zeros(0, np.int64)
        self.visible = np.zeros(0, bool)
        self.graph: GraphAt | None = None
        self.names: dict[int, str] = {}

    def set_rows(self, d: ViewData, g: GraphAt, rows: np.ndarray) -> None:
        k = d.index_at(g.at)
        self.beginResetModel()
        self.rows, self.prefixes, self.names = rows, d.prefixes, d.names
        self.peers, self.visible = d.peers[:, k], d.visible[:, k]
        self.graph = g
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        i = int(self.rows[index.row()])
        c = index.column()
        if c == 0:
            return self.prefixes[i]
        if c == 1:
            return int(self.peers[i])
        if c == 2:
            return "yes" if self.visible[i] else "no"
        return ", ".join(as_label(u, self.names) for u in self.graph.upstreams_of(i)) or "-"

    def _prefix_rank(self) -> np.ndarray:
        """Rank of each prefix in text order, computed once per list of prefixes."""
        if getattr(self, "_ranked", None) is not self.prefixes:
            order = np.argsort(np.array(self.prefixes, dtype=object), kind="stable")
            self._rank = np.empty(len(order), np.int64)
            self._rank[order] = np.arange(len(order))
            self._ranked = self.prefixes
        return self._rank

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        keys = [lambda r: self._prefix_rank()[r], lambda r: self.peers[r],
                lambda r: self.visible[r], lambda r: np.array([len(self.graph.upstreams_of(int(i))) for i in r])]
        self.layoutAboutToBeChanged.emit()
        idx = np.argsort(keys[column](self.rows), kind="stable")
        self.rows = self.rows[idx[::-1] if order == Qt.SortOrder.DescendingOrder else idx]
        self.layoutChanged.emit()


class PrefixTable:
    """Prefix, peers at the cursor, visible, upstreams; filtered to one AS when a node is clicked."""

    def __init__(self):
        self.model = PrefixModel()
        self.widget = QTableView()
        self.widget.setObjectName("prefixTable")
        self.widget.setModel(self.model)
        self.widget.verticalHeader().setVisible(False)
        self.widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.widget.horizontalHeader().setStretchLastSection(True)
        for c, w in enumerate((170, 110, 70)):
            self.widget.setColumnWidth(c, w)
        self.widget.setSortingEnabled(True)

    def show(self, d: ViewData, g: GraphAt, only_asn: int | None = None) -> None:
        rows = np.arange(len(d.prefixes)) if only_asn is None else g.prefixes_through(only_asn)
        self.model.set_rows(d, g, rows)
        header = self.widget.horizontalHeader()
        if header.sortIndicatorSection() < len(HEADERS):
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def rows(self) -> list[str]:
        return [self.model.prefixes[int(i)] for i in self.model.rows]


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class EventsTable:
    """Outages and instability; activating a row moves the cursor to its start."""

    def __init__(self, on_activate):
        self.widget = _table(["event", "start (UTC)", "end (UTC)", "duration", "prefixes", "/24s", "depth"])
        self.widget.setObjectName("eventsTable")
        self.widget.cellDoubleClicked.connect(lambda r, _c: on_activate(self.starts[r]))
        self.starts: list[int] = []

    def show(self, d: ViewData) -> None:
        self.widget.setRowCount(len(d.events))
        self.starts = [e.start for e in d.events]
        for r, e in enumerate(d.events):
            values = [e.kind, utc(e.start), utc(e.end), duration(e.duration_s), e.prefixes, e.slash24,
                      f"{e.depth:.0%}" if e.kind == "outage" else f"x{e.depth:.0f} updates"]
            for c, v in enumerate(values):
                self.widget.setItem(r, c, QTableWidgetItem(str(v)))

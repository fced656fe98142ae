"""Below the views: the scope's prefixes with their visibility at the cursor, and the detected events.

The prefix table is a model over arrays (a country can have tens of thousands of prefixes): the view
asks for the rows it shows, and sorting is one numpy argsort.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTreeWidget, QTreeWidgetItem

from explorer.viewmodel.view import ViewData
from explorer.viewmodel.graph import GraphAt
from explorer.timeutil import clock, day
from explorer.ui.style import as_label, duration

HEADERS = ["prefix", "peer sessions", "visible", "via upstream"]


class PrefixModel(QAbstractTableModel):
    """The cells shown are read from the view's step grids one by one; a whole column at the cursor
    only when the table is sorted by it (the United States' 230,000 prefixes: 70 ms a column)."""

    def __init__(self):
        super().__init__()
        self.rows = np.zeros(0, np.int64)
        self.prefixes: list[str] = []
        self.view: ViewData | None = None
        self.k = 0
        self.graph: GraphAt | None = None
        self.names: dict[int, str] = {}

    def set_rows(self, d: ViewData, g: GraphAt, rows: np.ndarray) -> None:
        self.beginResetModel()
        self.rows, self.prefixes, self.names = rows, d.prefixes, d.names
        self.view, self.k = d, d.index_at(g.at)
        self.__dict__.pop("peers", None)
        self.__dict__.pop("visible", None)
        self.graph = g
        self.endResetModel()

    @cached_property
    def peers(self) -> np.ndarray:
        """Every prefix's peer sessions at the cursor (for sorting)."""
        return self.view.peers.column(self.k) if self.view is not None else np.zeros(0, np.int64)

    @cached_property
    def visible(self) -> np.ndarray:
        return self.view.visible.column(self.k) > 0 if self.view is not None else np.zeros(0, bool)

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
            return self.view.peers.cell(i, self.k)
        if c == 2:
            return "yes" if self.view.visible.cell(i, self.k) > 0 else "no"
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


class EventsTable:
    """Outages and instability, at their exact times; under each outage its prefixes, each with its own
    withdrawal and return. Activating a row moves the cursor to its start."""

    HEADERS = ["event", "start (UTC)", "end (UTC)", "duration", "what", "prefixes", "/24s", "depth"]
    OPEN_UP_TO = 8          # an outage of this many prefixes or fewer shows them at once

    def __init__(self, on_activate):
        self.widget = QTreeWidget()
        self.widget.setColumnCount(len(self.HEADERS))
        self.widget.setHeaderLabels(self.HEADERS)
        self.widget.setObjectName("eventsTable")
        self.widget.setRootIsDecorated(True)
        self.widget.setUniformRowHeights(True)
        self.widget.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.widget.header().setStretchLastSection(True)
        self.widget.itemDoubleClicked.connect(lambda item, _c: on_activate(item.data(0, Qt.ItemDataRole.UserRole)))
        self.starts: list[int] = []

    def show(self, d: ViewData) -> None:
        self.widget.clear()
        self.starts = [e.start for e in d.events]
        for e in d.events:
            row = QTreeWidgetItem(event_row(e))
            row.setData(0, Qt.ItemDataRole.UserRole, e.start)
            for p in e.by_prefix:
                child = QTreeWidgetItem(prefix_row(p))
                child.setData(0, Qt.ItemDataRole.UserRole, -(-p.start_us // 1_000_000))
                row.addChild(child)
            self.widget.addTopLevelItem(row)
            row.setExpanded(len(e.by_prefix) <= self.OPEN_UP_TO)

    def rows(self) -> list[list[str]]:
        """The text of every row, prefixes under their outage (for tests and the PDF's page of events)."""
        out = []
        for i in range(self.widget.topLevelItemCount()):
            item = self.widget.topLevelItem(i)
            out.append([item.text(c) for c in range(len(self.HEADERS))])
            out += [[item.child(j).text(c) for c in range(len(self.HEADERS))] for j in range(item.childCount())]
        return out


def event_row(e) -> list[str]:
    depth = f"{e.depth:.0%}" if e.kind == "outage" else f"x{e.depth:.0f} updates"
    return [e.kind, when_text(e.start_us), when_text(e.end_us) + ("" if e.restored else " (not back)"),
            duration(e.duration_s), e.what, f"{e.prefixes:,}", f"{e.slash24:,}", depth]


def prefix_row(p) -> list[str]:
    how = "withdrawn" if p.all_withdrawn else "below the visibility threshold"
    return ["  prefix", "  " + when_text(p.start_us), when_text(p.end_us) + ("" if p.restored else " (not back)"),
            duration((p.end_us - p.start_us) / 1e6), f"{p.prefix} {how}", "", "", ""]


def event_rows(events, prefixes_each: int = 50) -> list[list[str]]:
    """The events as the table shows them, headers first, each outage's prefixes under it (at most
    ``prefixes_each``, then how many more)."""
    rows = [list(EventsTable.HEADERS)]
    for e in events:
        rows.append(event_row(e))
        rows += [prefix_row(p) for p in e.by_prefix[:prefixes_each]]
        if len(e.by_prefix) > prefixes_each:
            rows.append(["", "", "", "", f"... and {len(e.by_prefix) - prefixes_each:,} more prefixes (the JSON "
                                         "of `bgp-explorer events` lists them all)", "", "", ""])
    return rows


def when_text(us: int) -> str:
    """'Mon 22 Dec 16:15' (seconds when not on a minute)."""
    return f"{day(us)} {clock(us)}"

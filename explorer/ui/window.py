"""The explorer's main window: top bar; AS graph beside the timeline; prefixes and events below.

Every widget binds to one ViewState. The window turns a state change into a request on the query
worker ('view' when the scope or window changed, 'graph' when only the cursor moved), each with the
method that paints its answer; a newer request supersedes an older one on the same channel, and a
view is painted only if it answers the state the window is in. The window makes its parts: the
top bar, the panes, the tables, the replay, and the briefing tools (``BriefingActions``).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from explorer.analysis.definitions import Definitions
from explorer.viewmodel.view import ViewData
from explorer.viewmodel.graph import GraphAt, cursor_graph
from explorer.state import StateError, ViewState
from explorer.ui import queries
from explorer.ui.briefing_actions import BriefingActions
from explorer.ui.graph_view import GraphPane
from explorer.ui.import_dialog import ImportDialog, show_summary
from explorer.ui.presentation import TEXT_SCALE
from explorer.ui.replay import Replay
from explorer.ui.style import utc
from explorer.ui.tables import EventsTable, PrefixTable
from explorer.ui.timeline_view import TimelinePane
from explorer.ui.topbar import TopBar
from explorer.ui.worker import QueryWorker


class ExplorerWindow(QMainWindow):
    def __init__(self, store, state: ViewState, *, remember: bool = True, note: str = ""):
        super().__init__()
        self.store, self.state, self.remember, self.note = store, state, remember, note
        self.data: ViewData | None = None
        self.detail: ViewData | None = None     # the zoomed part of the window at a finer step
        self.graph: GraphAt | None = None
        self.error: str = ""
        self.error_details: str = ""            # a traceback when the error is ours, empty when it is the input's
        # One worker answers what the views show (the view, the graph at the cursor); another reads
        # the lists that may take seconds on a large store (countries, status), so that a cursor
        # move never waits behind them.
        self.worker = QueryWorker(self)
        self.lists = QueryWorker(self)
        self.worker.busy.connect(lambda b: self.busy.setText("working..." if b else ""))
        self._build()
        self.topbar.set_state(state)
        if remember:
            self._restore()
        self.apply(self.state)
        self._countries_asked = False           # when the picker is first used (TopBar.scope.wanted)

    # -- layout ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle(f"BGP History Explorer: {self.store.path.name}" + (f" ({self.note})" if self.note else ""))
        self.topbar = TopBar()
        self.topbar.applied.connect(self._applied)
        self.topbar.scope.wanted.connect(self._ask_countries)
        self.topbar.presetChosen.connect(lambda p: self.lists.submit("preset", queries.preset, self.store, p,
                                                                     done=self._preset, failed=self.show_error))
        self.graph_pane = GraphPane()
        self.graph_pane.submit = self.worker.submit          # opening a group folds again off the GUI thread
        self.graph_pane.nodeClicked.connect(self._node_clicked)
        self.timeline = TimelinePane()
        # the splitter may narrow the timeline below its readout's one-line width, so that the graph keeps
        # its share of the window at 1280 pixels (the readout is then cut at the right)
        self.timeline.setMinimumWidth(420)
        self.timeline.cursorMoved.connect(self.move_cursor)
        self.timeline.rangeViewed.connect(self._range_viewed)
        self.timeline.windowSelected.connect(lambda a, b: self.apply(self.state.with_(start=a, end=b, at=min(max(self.state.at, a), b))))
        self.prefixes = PrefixTable()
        self.events = EventsTable(self.move_cursor)
        self.replay = Replay(self)
        self.replay.moveTo.connect(self.move_cursor)

        self.views = QSplitter(Qt.Orientation.Horizontal)
        self.views.setObjectName("viewsSplitter")
        self.views.addWidget(self.graph_pane)
        self.views.addWidget(self.timeline)
        self.views.setSizes([900, 1000])
        below = QTabWidget()
        below.addTab(self.prefixes.widget, "Prefixes at the cursor")
        below.addTab(self.events.widget, "Events")
        self.outer = QSplitter(Qt.Orientation.Vertical)
        self.outer.setObjectName("outerSplitter")
        self.outer.addWidget(self.views)
        self.outer.addWidget(below)
        self.outer.setSizes([700, 220])
        central = QWidget()
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.topbar)
        col.addWidget(self.replay.widget)
        col.addWidget(self.outer, 1)
        self.setCentralWidget(central)
        self.status_store, self.status_defs, self.busy = QLabel(), QLabel(), QLabel()
        self.status_defs.setWordWrap(False)
        for w, stretch in ((self.status_store, 0), (self.status_defs, 1), (self.busy, 0)):
            self.statusBar().addWidget(w, stretch)
        self._ask_status()
        self._menus()
        self.briefing = BriefingActions(self)       # notes, briefing files, exports, presentation mode
        self.briefing.presentation.toggled.connect(     # the graph's labels grow with every other text
            lambda on: self.graph_pane.set_text_scale(TEXT_SCALE if on else 1.0))

    def _menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        imports = [file.addAction("Import MRT &files...", self.import_files),
                   file.addAction("Import a &folder...", self.import_folder)]
        if getattr(self.store, "is_dataset", False):     # read-only here: bgp-explorer ingest --dataset adds files
            for action in imports:
                action.setEnabled(False)
                action.setToolTip("A dataset is read-only in the window: add files with bgp-explorer ingest --dataset")
        file.addAction("Save a &screenshot...", self._save_screenshot)
        file.addSeparator()
        file.addAction("&Quit", self.close)
        view = self.menuBar().addMenu("&View")
        group = QActionGroup(self)
        for mode, text in (("upstream", "Visible prefixes by &upstream"),
                           ("share", "Each upstream's &share of the routes"), ("peers", "&Peers per prefix"),
                           ("slash24", "Visible &/24s")):
            act = QAction(text, self, checkable=True)
            act.setData(mode)
            act.setChecked(mode == self.state.timeline_mode)
            act.triggered.connect(lambda _c=False, m=mode: self.set_mode(m))
            group.addAction(act)
            view.addAction(act)

    # -- state changes ---------------------------------------------------------------------------------

    def _applied(self, s) -> None:
        if isinstance(s, StateError):
            self.show_error(str(s))
        else:
            self.apply(s)

    def apply(self, s: ViewState) -> None:
        """A new scope or window: reload the timeline and the layout, off the GUI thread."""
        reload = self.data is None or s.query_key() != self.state.query_key()
        self.state = s
        self.topbar.set_state(s)
        if reload:
            self.error, self.error_details = "", ""
            self.worker.submit("view", queries.view, self.store, s, done=self._view_loaded, failed=self._view_failed)
        else:
            self.move_cursor(s.at)

    def set_mode(self, mode: str) -> None:
        self.state = self.state.with_(timeline_mode=mode)
        if self.data is not None:
            self.timeline.set_view(self.data, mode)
            self.timeline.set_cursor(self.state.cursor)

    def move_cursor(self, t: int) -> None:
        """The one time cursor: every view follows it."""
        self.state = self.state.with_(at=int(t))
        self.timeline.set_cursor(self.state.cursor)
        self.replay.set_cursor(self.state.cursor)
        if self.data is not None:
            self.worker.submit("graph", _graph_at, self.data, self.state.cursor, self.state.selected_asn,
                               done=self._paint_graph, failed=self.show_error)

    def _range_viewed(self, lo: int, hi: int) -> None:
        """Zoomed into a part of a long window: load that part at a finer step; zoomed out: the whole."""
        d = self.data
        if d is None:
            return
        lo, hi = max(lo, self.state.start), min(hi, self.state.end)
        finer = detail_step(hi - lo)
        if hi - lo < 0.4 * (self.state.end - self.state.start) and finer < self.state.step:
            shown = getattr(self, "detail", None)
            if shown is None or not (shown.state.start <= lo and hi <= shown.state.end and shown.state.step <= finer):
                self.worker.submit("detail", queries.view, self.store,
                                   self.state.with_(start=lo, end=hi, step=finer, at=min(max(self.state.at, lo), hi)),
                                   within=d.state, done=self._detail_loaded, failed=self._detail_failed)
        elif getattr(self, "detail", None) is not None:
            self.detail = None
            self.timeline.set_view(d, self.state.timeline_mode, keep_range=True)
            self.timeline.set_cursor(self.state.cursor)

    def _node_clicked(self, asn) -> None:
        self.state = self.state.with_(selected_asn=asn)
        if self.graph is not None:
            self._paint_graph(self.graph)

    # -- results ---------------------------------------------------------------------------------------

    def _view_loaded(self, result: ViewData) -> None:
        if result.state.query_key() != self.state.query_key():
            return                              # the answer to a view the window has left
        self.data, self.detail = result, None
        self.graph_pane.set_view(result)
        self.timeline.set_view(result, self.state.timeline_mode)
        self.briefing.view_shown()
        self.events.show(result)
        self.replay.set_view(result)
        d = Definitions(**self.state.definitions)
        self.status_defs.setText(f"Definitions: full feed {d.full_feed}, visible at >= {d.threshold:g} of "
                                 f"full-feed sessions ({result.full_feed_sessions}), unit {d.unit}")
        self.status_defs.setToolTip(result.definitions)
        self.move_cursor(self.state.cursor)

    def _detail_loaded(self, result: ViewData) -> None:
        if self.data is not None and result.state.query_key()[:2] == self.state.query_key()[:2]:
            result.events = self.data.events        # events belong to the whole window
            self.detail = result
            self.timeline.set_view(result, self.state.timeline_mode, keep_range=True)
            self.timeline.set_cursor(self.state.cursor)
            if self.graph is not None:
                self._paint_graph(self.graph)

    def _preset(self, span: tuple[int, int] | None) -> None:
        if span is not None:
            start, end = span
            self.apply(self.state.with_(start=start, end=end, at=min(max(self.state.at, start), end)))

    def _ask_status(self) -> None:
        def shown(texts: tuple[str, str]) -> None:
            self.status_store.setText(texts[0])
            self.status_store.setToolTip(texts[1])

        self.lists.submit("status", queries.status, self.store, done=shown, failed=self._list_failed("status"))

    def _paint_graph(self, g: GraphAt) -> None:
        self.graph = g
        self.graph_pane.show_graph(g, self.state.selected_asn)
        self.prefixes.show(self._finest_at(g.at), g, self.state.selected_asn)

    def _finest_at(self, t: int) -> ViewData:
        """The zoomed range's finer data when it holds t (and the same prefixes), else the window's."""
        d = self.detail
        if d is not None and d.state.start <= t <= d.state.end and d.prefixes == self.data.prefixes:
            return d
        return self.data

    def _ask_countries(self) -> None:
        if not self._countries_asked:
            self._countries_asked = True
            self.lists.submit("countries", queries.countries, self.store, self.state.start,
                              done=self.topbar.set_countries, failed=self._list_failed("countries"))

    def _list_failed(self, what: str):
        return lambda message, _details: self.statusBar().showMessage(f"{what}: {message}", 10000)

    def _detail_failed(self, message: str, _details: str) -> None:
        """The whole window stays drawn at its own step."""
        self.statusBar().showMessage(f"finer view of the zoomed range: {message}", 10000)

    def _view_failed(self, message: str, details: str) -> None:
        self._ask_countries()                   # the picker helps choose another scope
        s = self.state
        self.data = None
        text = (f"No routes for {s.scope} in this window: import MRT files covering {utc(s.start)[:10]} to "
                f"{utc(s.end)[:10]}, or choose another window.\n({message})")
        self.timeline.show_message(text)
        self.graph_pane.show_message(text)
        self.error, self.error_details = message, details
        if details:
            self.show_error(message, details)
        else:
            self.statusBar().showMessage(message, 15000)

    def show_error(self, message: str, details: str = "") -> None:
        self.error, self.error_details = message, details
        box = QMessageBox(QMessageBox.Icon.Warning, "BGP History Explorer", message, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.setModal(False)
        box.show()
        self._error_box = box

    # -- import ----------------------------------------------------------------------------------------

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import MRT files")
        if paths:
            self.start_import(paths)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of MRT files")
        if folder:
            self.start_import([folder])

    def start_import(self, paths: list[str], jobs: int = 1) -> ImportDialog:
        dialog = ImportDialog(self, self.store, paths, jobs)
        dialog.finishedImport.connect(lambda outcomes, error: self._imported(dialog, outcomes, error))
        self.import_dialog = dialog
        dialog.start()
        return dialog

    def _imported(self, dialog: ImportDialog, outcomes: list, error: str) -> None:
        self.import_summary = show_summary(self, outcomes, error, dialog.job.cancel.is_set())
        self.data = None                    # refresh everything from the store
        self._ask_status()
        self._countries_asked = False           # the store changed: read the list again when wanted
        self.apply(self.state)

    # -- screenshots and settings ----------------------------------------------------------------------

    def _save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", "explorer.png", "PNG (*.png)")
        if path:
            self.grab().save(path)

    def _restore(self) -> None:
        s = QSettings("bgp-explorer", "window")
        for key, restore in (("geometry", self.restoreGeometry), ("views", self.views.restoreState),
                             ("outer", self.outer.restoreState)):
            value = s.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def closeEvent(self, ev) -> None:
        if self.remember:
            s = QSettings("bgp-explorer", "window")
            s.setValue("geometry", self.saveGeometry())
            s.setValue("views", self.views.saveState())
            s.setValue("outer", self.outer.saveState())
            s.setValue("last_view", json.dumps({"store": str(self.store.path), "state": self.state.to_dict()}))
        self.worker.shutdown()
        self.lists.shutdown()
        super().closeEvent(ev)


STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)


def detail_step(span: int, points: int = 800) -> int:
    """The largest of the usual steps that still draws about ``points`` instants over ``span`` seconds."""
    fitting = [s for s in STEPS if s <= max(1, span) / points]
    return fitting[-1] if fitting else 1


def _graph_at(data: ViewData, t: int, selected: int | None = None, cancelled=None) -> GraphAt:
    g = cursor_graph(data, t)
    if selected is not None:
        g.held.indices()        # (the table lists the selected AS's prefixes: the pass here, not on the GUI thread)
    return g


def last_view(store_path: Path) -> ViewState | None:
    """The view the window showed last on this store, if any."""
    raw = QSettings("bgp-explorer", "window").value("last_view")
    try:
        saved = json.loads(raw) if raw else None
        if saved and saved.get("store") == str(store_path):
            return ViewState.from_dict(saved["state"])
    except (ValueError, StateError, TypeError):
        return None
    return None

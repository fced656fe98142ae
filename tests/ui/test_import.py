"""File > Import through the dialog: the real files, the normal ingest on its own thread, and the window
answering all the while (the longest gap between event-loop ticks is measured and bounded)."""

from __future__ import annotations

import time

from explorer.state import ViewState, parse_iso
from tests.conftest import data_file
from tests.ui.conftest import KP_FILES

MAX_GAP_S = 0.25


def _window_on_an_empty_store(qtbot, path):
    """A window on a new, empty store, looking at North Korea's /22 at rrc23 (2022-04-21 02:00-02:05)."""
    from explorer.store import Store
    from explorer.ui.offscreen import app_instance, wait_until_shown
    from explorer.ui.window import ExplorerWindow

    app_instance()
    state = ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=parse_iso("2022-04-21T02:00:00Z"),
                      end=parse_iso("2022-04-21T02:05:00Z"), step=10, at=parse_iso("2022-04-21T02:04:00Z"))
    store = Store(path)
    w = ExplorerWindow(store, state, remember=False)
    qtbot.addWidget(w)
    w.show()
    wait_until_shown(w, 10)
    return w, store


def test_import_through_the_dialog_keeps_the_window_responsive(qtbot, tmp_path, capsys):
    from PySide6.QtCore import QTimer

    w, store = _window_on_an_empty_store(qtbot, tmp_path / "empty.duckdb")
    assert "no prefix of 175.45.176.0/22 in the store" in w.error      # the empty store says what to do

    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(5)
    dialog = w.start_import([str(data_file(f)) for f in KP_FILES])
    with qtbot.waitSignal(dialog.finishedImport, timeout=180_000) as done:
        pass
    timer.stop()
    outcomes, error = done.args
    assert error == "" and [o.status for o in outcomes] == ["ok", "ok"]
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    with capsys.disabled():
        print(f"\nimport of {len(outcomes)} files: {len(ticks)} event-loop ticks, longest gap "
              f"{max(gaps) * 1000:.0f} ms, median {sorted(gaps)[len(gaps) // 2] * 1000:.1f} ms")
    assert max(gaps) < MAX_GAP_S
    assert "2 file(s): 2 imported" in w.import_summary.text()
    qtbot.waitUntil(lambda: w.data is not None and len(w.data.routes.start) > 0, timeout=30_000)
    qtbot.waitUntil(lambda: w.graph is not None and (4837, 134544) in w.graph.edges, timeout=10_000)
    w.close()
    store.close()


def test_cancelling_an_import_stops_after_the_file_being_stored(qtbot, tmp_path):
    from PySide6.QtWidgets import QPushButton

    w, store = _window_on_an_empty_store(qtbot, tmp_path / "cancel.duckdb")
    dialog = w.start_import([str(data_file(f)) for f in KP_FILES])
    with qtbot.waitSignal(dialog.finishedImport, timeout=180_000) as done:
        dialog.findChild(QPushButton).click()   # the dialog's Cancel button
    outcomes, error = done.args
    assert error == "" and len(outcomes) < 2
    assert "cancelled before the rest" in w.import_summary.text()
    imported = store.cursor().execute("SELECT count(*) FROM files WHERE status = 'ok'").fetchone()[0]
    assert imported == len(outcomes)            # what was reported is in, nothing half-stored
    w.close()
    store.close()

"""The window on real MRT files: the graph at the cursor equals the routes held then, counted another
way (straight SQL over the store's intervals); cursor, click, rubber band, worker and screenshots."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from explorer.analysis.paths import hops
from explorer.state import ViewState, parse_iso

T0, T1 = parse_iso("2022-04-21T02:00:00Z"), parse_iso("2022-04-21T02:05:00Z")


def rrc23_state(at: str, **kw) -> ViewState:
    return ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=T0, end=T1, step=10,
                     at=parse_iso(at), **kw)


def edges_held_at(store, t: int) -> Counter:
    """Adjacencies of the routes held at t (start <= t < end), counted per (session, prefix) route."""
    con = store.cursor()
    rows = con.execute("""
        SELECT i.path FROM intervals i JOIN prefixes x USING (prefix_id)
        WHERE x.prefix LIKE '175.45.17_.0/24' AND i.start_ts <= to_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > to_timestamp(?))""",
                       [t, t]).fetchall()
    con.close()
    edges = Counter()
    for (text,) in rows:
        for e in hops(text).edges():
            edges[e] += 1
    return edges


def test_graph_at_the_cursor_equals_the_routes_held_then(open_window, kp_store_path):
    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:04:00Z"))
    expected = edges_held_at(w.store, parse_iso("2022-04-21T02:04:00Z"))
    assert w.graph.edges == dict(expected)
    assert w.graph.edges[(4837, 134544)] == 6 and w.graph.edges[(2914, 1239)] == 4
    assert w.graph_pane.drawn_edges == set(expected)
    assert sorted(w.prefixes.rows()) == ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"]
    assert "2022-04-21 02:04:00 UTC" in w.timeline.readout.text()


def test_moving_the_cursor_moves_the_graph_and_marks_lost_adjacencies(open_window, kp_store_path, qtbot):
    start = parse_iso("2022-04-21T02:03:10Z")
    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:03:10Z").with_(start=start))
    before = edges_held_at(w.store, start)
    t = parse_iso("2022-04-21T02:04:30Z")
    w.timeline.cursor.setValue(t - w.timeline.origin)   # as a drag of the cursor line does (x: seconds since the start)
    qtbot.waitUntil(lambda: w.graph.at == t, timeout=5000)
    now = edges_held_at(w.store, t)
    assert w.graph.edges == dict(now)
    assert w.graph.lost == set(before) - set(now) and w.graph.lost
    assert w.graph_pane.lost_edges == w.graph.lost      # each lost adjacency drawn (dashed)


def test_clicking_an_as_highlights_its_paths_and_filters_the_prefixes(open_window, kp_store_path, qtbot):
    from PySide6.QtCore import QPointF, Qt

    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:04:00Z"))
    pane = w.graph_pane
    x, y = pane.pos[pane.where[134544]]
    qtbot.mouseClick(pane.plot, Qt.MouseButton.LeftButton, pos=QPointF(x, y).toPoint())
    qtbot.waitUntil(lambda: w.state.selected_asn == 134544, timeout=3000)
    assert w.prefixes.rows() == ["175.45.177.0/24"]
    edges = pane.folding.edges
    keys = [n.key for n in pane.folding.nodes]
    assert {(keys[edges[e][0]], keys[edges[e][1]]) for e in pane.highlighted} == set(w.graph.edges_through(134544))


def test_a_rubber_band_on_the_timeline_sets_the_window(open_window, kp_store_path, qtbot):
    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:04:00Z"))
    a, b = parse_iso("2022-04-21T02:03:00Z"), parse_iso("2022-04-21T02:04:30Z")
    w.timeline.windowSelected.emit(a, b)
    qtbot.waitUntil(lambda: w.data is not None and w.data.state.start == a and w.data.state.end == b, timeout=10000)
    assert w.topbar.start.dateTime().toSecsSinceEpoch() == a


def test_an_empty_window_says_what_to_do(open_window, kp_store_path):
    w = open_window(kp_store_path, rrc23_state("2015-01-01T01:00:00Z").with_(      # before either file
        start=parse_iso("2015-01-01T00:00:00Z"), end=parse_iso("2015-01-01T02:00:00Z"), step=300))
    assert "No routes for 175.45.176.0/22 in this window: import MRT files covering 2015-01-01" in w.timeline.empty.toPlainText()
    assert "No routes for 175.45.176.0/22 in this window" in w.graph_pane.message()


def test_the_worker_reports_only_the_newest_request(qtbot):
    import threading

    from explorer.ui.worker import QueryWorker

    worker = QueryWorker()
    got = []
    gate = threading.Event()

    def slow(cancelled):
        gate.wait(5)
        return "stale"

    worker.submit("view", slow, done=got.append)
    worker.submit("view", lambda cancelled: "newest", done=got.append)
    gate.set()
    qtbot.waitUntil(lambda: worker.idle, timeout=5000)
    qtbot.wait(50)
    assert got == ["newest"]
    worker.shutdown()


def non_white(image) -> float:
    """Share of pixels that are not (near) white."""
    from PySide6.QtGui import QImage

    img = image.toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4]
    rgb = arr.reshape(img.height(), img.width(), 4)[:, :, :3]
    return float((rgb.min(axis=2) < 200).mean())


def test_screenshot_has_content_in_both_panes(open_window, kp_store_path):
    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:04:00Z"))
    assert non_white(w.graph_pane.plot.grab()) > 0.01
    assert non_white(w.timeline.canvas.grab()) > 0.05


def test_the_screenshot_command_writes_a_png(kp_store_path, tmp_path, qtbot):
    from PySide6.QtGui import QImage

    from explorer.cli import main

    out = tmp_path / "kp.png"
    rc = main(["screenshot", "--store", str(kp_store_path), "--prefix", "175.45.176.0/22",
               "--start", "2022-04-21T02:00:00Z", "--end", "2022-04-21T02:05:00Z", "--at", "2022-04-21T02:04:00Z",
               "--step", "10", "--out", str(out), "--size", "1280x720"])
    assert rc == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 720)


def test_the_screenshot_command_refuses_an_unreadable_window(kp_store_path, tmp_path, capsys):
    from explorer.cli import main

    rc = main(["screenshot", "--store", str(kp_store_path), "--origin", "131279", "--start", "2022-04-21T02:05:00Z",
               "--end", "2022-04-21T02:00:00Z", "--out", str(tmp_path / "x.png")])
    assert rc == 2 and "before it starts" in capsys.readouterr().err


def test_the_screenshot_command_renders_a_saved_view(kp_store_path, tmp_path, qtbot):
    from PySide6.QtGui import QImage

    from explorer.briefing.briefing import Briefing
    from explorer.cli import main

    briefing = Briefing(view=rrc23_state("2022-04-21T02:03:40Z", timeline_mode="peers")).save(tmp_path / "view.json")
    out = tmp_path / "saved.png"
    assert main(["screenshot", "--store", str(kp_store_path), "--briefing", str(briefing), "--out", str(out),
                 "--size", "1400x800"]) == 0
    assert QImage(str(out)).width() == 1400


def test_the_screenshot_command_says_when_the_size_is_too_small(kp_store_path, tmp_path, capsys):
    from explorer.cli import main

    rc = main(["screenshot", "--store", str(kp_store_path), "--prefix", "175.45.176.0/22", "--start",
               "2022-04-21T02:00:00Z", "--end", "2022-04-21T02:05:00Z", "--out", str(tmp_path / "x.png"),
               "--size", "300x200"])
    assert rc == 1 and "the window cannot be drawn at 300x200: it needs at least" in capsys.readouterr().err


def test_a_view_answered_after_a_newer_request_is_not_painted(open_window, kp_store_path):
    """A view whose answer was already on its way when a newer view was asked for is dropped: only
    the newer one is painted (the answer is checked on the GUI thread, by its request and its key)."""
    import time

    from explorer.ui.offscreen import wait_until_shown

    w = open_window(kp_store_path, rrc23_state("2022-04-21T02:04:00Z"))
    painted = []
    show = w.events.show                    # a spy on the real table: what views reach the widgets
    w.events.show = lambda d: (painted.append(d.state.query_key()), show(d))
    stale, newer = w.state.with_(step=20), w.state.with_(step=30)
    w.apply(stale)
    deadline = time.monotonic() + 30
    while not w.worker.idle and time.monotonic() < deadline:     # answered, but no event processed yet
        time.sleep(0.01)
    w.apply(newer)
    assert wait_until_shown(w)
    assert painted == [newer.query_key()] and w.data.state.step == 30

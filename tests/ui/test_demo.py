"""The window on the demo store (North Korea, December 2014): what the issue says must be seen, checked
against issue 3's functions on the same store, which read it another way (a store query per instant)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.state import ViewState, parse_iso
from tests.ui.test_window import non_white

KP = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-22T11:45:00Z"),
               end=parse_iso("2014-12-23T07:30:00Z"), step=300, at=parse_iso("2014-12-22T20:00:00Z"))


def test_inside_the_outage_nothing_is_visible_and_the_origin_stands_alone(open_window, demo_store_path):
    w = open_window(demo_store_path, KP)
    k = w.data.index_at(parse_iso("2014-12-22T20:00:00Z"))
    assert w.data.visible_prefixes[k] == 0
    assert "0 of 4 prefixes visible" in w.timeline.readout.text()
    assert not [e for e in w.graph.edges if 131279 in e]
    assert not [e for e in w.graph_pane.drawn_edges if 131279 in e]
    assert (4837, 131279) in w.graph.lost                   # drawn dashed red
    assert "the origin stands alone" in w.graph_pane.footer.text()
    assert len(w.prefixes.rows()) == 4 and all(w.prefixes.model.index(r, 2).data() == "no" for r in range(4))


def test_inside_the_outage_no_slash24_is_visible(open_window, demo_store_path):
    w = open_window(demo_store_path, KP)
    k = w.data.index_at(parse_iso("2014-12-22T20:00:00Z"))
    assert w.data.visible_slash24[k] == 0 and "0 /24s" in w.timeline.readout.text()
    assert w.data.visible_slash24[w.data.index_at(parse_iso("2014-12-22T12:00:00Z"))] == 4
    assert (w.data.visible.sum(axis=0) == w.data.visible_prefixes).all()


def test_the_windows_slash24_count_equals_issue_3s(open_window, demo_store_path):
    """Two ways to the same count: from the window's visible grid (cut the address space at every
    prefix boundary, below), and issue 3's from its transitions (what the window shows)."""
    from explorer.analysis.definitions import Definitions, Window
    from explorer.analysis.scope import resolve_scope
    from explorer.analysis.visibility import visibility

    w = open_window(demo_store_path, KP)
    con = w.store.cursor()
    window = Window(KP.start, KP.end, KP.step)
    v = visibility(con, resolve_scope(con, window, country="KP"), window, Definitions())
    con.close()
    assert (v.visible_slash24 == w.data.visible_slash24).all()
    assert (visible_slash24(v.scope, v.scope.prefix_ids, w.data.visible.dense() > 0) == v.visible_slash24).all()
    assert (v.visible_prefixes == w.data.visible_prefixes).all()


def test_before_the_outage_china_unicom_carries_north_korea(open_window, demo_store_path):
    w = open_window(demo_store_path, KP.with_(at=parse_iso("2014-12-22T12:00:00Z")))
    assert (4837, 131279) in w.graph_pane.drawn_edges and w.graph.edges[(4837, 131279)] > 0
    assert w.graph.roles[4837] == "upstream" and w.graph.roles[131279] == "origin"
    assert w.data.visible_prefixes[w.data.index_at(w.state.cursor)] == 4
    assert sorted(w.prefixes.rows()) == [f"175.45.{n}.0/24" for n in (176, 177, 178, 179)]
    tip = w.graph_pane._tip(0, 0, w.graph_pane.where[4837])        # what hovering AS4837 shows
    assert tip.startswith("AS4837") and "upstream" in tip and "4 prefix(es) through it" in tip


@pytest.mark.parametrize("at", ["2014-12-22T12:00:00Z", "2014-12-22T16:14:50Z", "2014-12-22T20:00:00Z",
                                "2014-12-23T02:00:00Z", "2014-12-23T06:50:00Z"])
def test_the_graph_in_memory_equals_issue_3s_graph_read_from_the_store(open_window, demo_store_path, at):
    from explorer.analysis.definitions import Window
    from explorer.analysis.graph import graph_at, route_times
    from explorer.analysis.scope import resolve_scope
    from explorer.viewmodel.graph import cursor_graph

    w = open_window(demo_store_path, KP)
    t = parse_iso(at)
    con = w.store.cursor()
    scope = resolve_scope(con, Window(KP.start, KP.end, KP.step), country="KP")
    expected = graph_at(route_times(con, scope.index, scope.prefix_ids, t, t), t)     # read from the store for t alone
    con.close()
    g = cursor_graph(w.data, t)
    assert g.edges == expected.edges
    assert {a: r for a, r in g.roles.items() if a in g.present} == expected.roles
    assert g.routes_at == expected.routes


def test_with_no_store_configured_the_window_opens_on_the_demo_inside_the_outage(open_window, demo_store_path,
                                                                                  monkeypatch):
    from explorer.ui.app import DEMO_STATE, choose_store

    monkeypatch.setenv("BGP_EXPLORER_DEMO", str(demo_store_path))
    path, demo = choose_store(None, False)
    assert demo and path == demo_store_path
    w = open_window(path, DEMO_STATE)
    assert w.state.scope == "KP" and DEMO_STATE.start == parse_iso("2014-12-19T00:00:00Z")
    outages = [e for e in w.data.events if e.kind == "outage"]
    assert any(e.start <= DEMO_STATE.at < e.end for e in outages)
    assert "Demo: synthetic reconstruction of public reports" in w.status_store.text()


def test_replay_steps_from_change_to_change_and_event_to_event(open_window, demo_store_path, qtbot):
    from explorer.ui.replay import change_instants

    w = open_window(demo_store_path, KP.with_(at=parse_iso("2014-12-22T16:00:00Z")))
    changes = change_instants(w.data)
    seconds = [int(t) // 1_000_000 for t in [*w.data.routes.start, *w.data.routes.end]]   # by hand, as a set
    assert changes.tolist() == sorted({t for t in seconds if w.state.start <= t <= w.state.end})
    w.replay.step_forward()
    qtbot.waitUntil(lambda: w.graph.at == w.state.cursor, timeout=5000)
    assert w.state.cursor == min(c for c in changes if c > parse_iso("2014-12-22T16:00:00Z"))
    w.replay.next_event()
    outage = next(e for e in w.data.events if e.kind == "outage")
    assert w.state.cursor == outage.start
    w.replay.play_b.click()
    qtbot.waitUntil(lambda: w.state.cursor > outage.start, timeout=5000)
    w.replay.play_b.click()
    assert not w.replay.timer.isActive()


def test_the_country_picker_finds_north_korea_by_name(open_window, demo_store_path, qtbot):
    w = open_window(demo_store_path, KP)
    assert not w.topbar.countries                           # read only when the picker is used
    w.topbar.scope.showPopup()
    w.topbar.scope.hidePopup()
    qtbot.waitUntil(lambda: bool(w.topbar.countries), timeout=10000)
    assert ("KP", "North Korea", 4) in w.topbar.countries
    assert any("KP  North Korea (4 prefixes)" == w.topbar.scope.itemText(i) for i in range(w.topbar.scope.count()))
    w.topbar.scope.setEditText("north korea")
    assert w.topbar.scope_text() == "KP"


def test_the_window_remembers_its_last_view(open_window, demo_store_path):
    from explorer.ui.window import last_view

    w = open_window(demo_store_path, KP.with_(at=parse_iso("2014-12-23T06:50:00Z")), remember=True)
    w.close()
    assert last_view(demo_store_path) == KP.with_(at=parse_iso("2014-12-23T06:50:00Z"))


def test_a_demo_screenshot_has_content_in_both_panes(open_window, demo_store_path):
    w = open_window(demo_store_path, KP.with_(at=parse_iso("2014-12-22T12:00:00Z")))
    assert non_white(w.graph_pane.plot.grab()) > 0.005
    assert non_white(w.timeline.canvas.grab()) > 0.10


def test_an_unknown_country_says_what_to_do(open_window, demo_store_path):
    w = open_window(demo_store_path, KP.with_(scope="Atlantis"))
    assert "unknown country 'Atlantis'" in w.error
    assert "No routes for Atlantis in this window" in w.timeline.empty.toPlainText()


def test_zooming_into_a_long_window_loads_the_visible_range_at_a_finer_step(open_window, demo_store_path, qtbot):
    w = open_window(demo_store_path, KP.with_(step=900))
    a, b = parse_iso("2014-12-22T16:00:00Z"), parse_iso("2014-12-22T16:30:00Z")
    w.timeline.set_range(a, b)          # issue 12: the plot's x is seconds since the window's start (exact SVGs)
    qtbot.waitUntil(lambda: w.detail is not None, timeout=10_000)
    assert w.detail.state.step < 900 and w.detail.state.start >= KP.start and w.detail.state.end <= KP.end
    assert w.timeline.data is w.detail and w.data.state.step == 900         # the window itself is unchanged
    # the zoomed part counts what the whole window does: its full-feed sessions are the window's
    assert w.detail.full_feed_sessions == w.data.full_feed_sessions and "chosen over" in w.detail.definitions
    common, i, j = np.intersect1d(w.detail.instants, w.data.instants, return_indices=True)
    assert len(common) >= 2
    assert w.detail.visible_prefixes[i].tolist() == w.data.visible_prefixes[j].tolist()
    w.move_cursor(parse_iso("2014-12-22T16:14:50Z"))                        # between two 15-min instants
    qtbot.waitUntil(lambda: w.graph.at == parse_iso("2014-12-22T16:14:50Z"), timeout=5000)
    k = w.detail.index_at(w.state.cursor)
    assert [w.prefixes.model.index(r, 1).data() for r in range(4)] == [int(w.detail.peers[i, k])
                                                                       for i in w.prefixes.model.rows]
    w.timeline.set_range(KP.start, KP.end)
    qtbot.waitUntil(lambda: w.detail is None, timeout=10_000)
    assert w.timeline.data is w.data


def visible_slash24(scope, ids: np.ndarray, visible: np.ndarray, block: int = 64) -> np.ndarray:
    """Visible IPv4 /24s per instant, each counted once however many visible prefixes cover it.

    Counted from the visible grid, so that it agrees with the visible prefixes by construction;
    ``Visibility.visible_slash24`` counts the same from its transitions. The address space is cut at every prefix boundary; a piece is visible when a
    visible prefix covers it; instants go in blocks.
    """
    ix = scope.index
    v4 = ix.af[ids] == 4
    out = np.zeros(visible.shape[1], np.int64)
    if not v4.any():
        return out
    lo = (ix.lo[ids[v4]] >> np.uint64(8)).astype(np.int64)
    hi = (ix.hi[ids[v4]] >> np.uint64(8)).astype(np.int64) + 1
    bounds = np.unique(np.concatenate([lo, hi]))
    s, e = np.searchsorted(bounds, lo), np.searchsorted(bounds, hi)
    width = np.diff(bounds)
    vis = visible[v4]
    for k0 in range(0, vis.shape[1], block):
        v = vis[:, k0:k0 + block].astype(np.int32)
        diff = np.zeros((len(bounds), v.shape[1]), np.int32)
        np.add.at(diff, s, v)
        np.add.at(diff, e, -v)
        covered = np.cumsum(diff, axis=0)[:-1] > 0
        out[k0:k0 + block] = width @ covered
    return out



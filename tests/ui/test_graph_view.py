"""The AS graph at any size, on the demo and on real views imported from ../shared/data/mrt: Singapore
(rrc23, April 2022, 54 ASes) and the United States (the 2015 full table, 18,409 ASes at one instant).

What is checked is what was painted: every paint of the graph records the label and node rectangles it
drew (in the canvas' pixels), in the window at 1280x720, 1600x900 and 1920x1080 and in PNG, SVG and PDF
exports at those sizes; no two labels may intersect, none may touch a node or cross the pane's edge.
"""

from __future__ import annotations

import numpy as np
import pytest

from explorer.state import ViewState, parse_iso
from tests.conftest import data_file

SIZES = [(1280, 720), (1600, 900), (1920, 1080)]
KEY = ["size, width: routes now\nring, dashes: at the start, not now\nbox: a group of that many ASes",
       "size, width: routes now\nring, dashes: at the start, not now", "size, width: routes now"]    # the legend
DEMO = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-22T11:45:00Z"),
                 end=parse_iso("2014-12-23T07:30:00Z"), step=300, at=parse_iso("2014-12-22T20:00:00Z"))
SG = ViewState(scope_kind="country", scope="SG", start=parse_iso("2022-04-21T02:00:00Z"),
               end=parse_iso("2022-04-21T02:15:00Z"), step=10, at=parse_iso("2022-04-21T02:10:00Z"))
US = ViewState(scope_kind="country", scope="US", start=parse_iso("2015-10-23T02:01:00Z"),
               end=parse_iso("2015-10-23T02:02:00Z"), step=5, at=parse_iso("2015-10-23T02:01:55Z"))
KP22 = ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=parse_iso("2022-04-21T02:00:00Z"),
                 end=parse_iso("2022-04-21T02:05:00Z"), step=10, at=parse_iso("2022-04-21T02:04:00Z"))


def _store(tmp_path_factory, name, files):
    """A store of real MRT files (read in place) with the real AS-names file, so labels have names."""
    from explorer.ingest.pipeline import ingest
    from explorer.registry.files import import_registry_files
    from explorer.store import Store

    path = tmp_path_factory.mktemp(name) / "history.duckdb"
    with Store(path) as store:
        outcomes = [e for e in ingest(store, [str(data_file(f)) for f in files]) if hasattr(e, "status")]
        assert {o.status for o in outcomes} == {"ok"}
        import_registry_files(store, [data_file("registry/pyasn__asnames.json.gz")])
    return path


@pytest.fixture(scope="module")
def sg_store(tmp_path_factory):
    return _store(tmp_path_factory, "sg", ["mrt/dnas__rrc23.updates.20220421.0200.gz",
                                           "mrt/dnas__rrc23.updates.20220501.2305.gz"])


@pytest.fixture(scope="module")
def us_store(tmp_path_factory):
    return _store(tmp_path_factory, "us", ["mrt/bgpdump__updates.et-header.2015.gz"])


class Painted:
    """Records, at every paint of the graph, what it drew: (canvas size, labels, node rectangles)."""

    def __init__(self, pane):
        self.pane, self.frames = pane, []
        paint = pane._paint

        def recording(p):
            paint(p)
            self.frames.append(((pane.plot.width(), pane.plot.height()), pane.label_rects(), pane.node_rects()))

        pane._paint = recording


def intersect(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def check_frame(frame, texts) -> None:
    (w, h), labels, nodes = frame
    assert labels, "no label drawn"
    rects = [r for _, r in labels]
    for i, a in enumerate(rects):
        assert 0 <= a[0] and 0 <= a[1] and a[0] + a[2] <= w and a[1] + a[3] <= h, (labels[i], w, h)
        for j in range(i + 1, len(rects)):
            assert not intersect(a, rects[j]), (labels[i], labels[j])
        for k, n in enumerate(nodes):
            assert not intersect(a, n), (labels[i], k, n)
    every = {t for ts in texts for t in ts} | set(KEY)
    assert all(text in every for text, _ in labels)          # a name or its cut at a word boundary, never less


def check_window_at_every_size(w, qtbot):
    from PySide6.QtWidgets import QApplication

    pane = w.graph_pane
    rec = Painted(pane)
    for size in SIZES:
        w.resize(*size)
        QApplication.processEvents()
        w.grab()                                        # paint now
        frame = rec.frames[-1]
        check_frame(frame, pane.texts)
        labelled = len(frame[1]) / len(pane.folding.nodes)
        assert labelled >= 0.75, f"{labelled:.0%} of the nodes labelled at {size}"
        assert len(pane.folding.nodes) <= 30
    return rec


def check_exports(w, tmp_path):
    from PySide6.QtCore import QSize

    from explorer.ui.export import export_widget
    from explorer.ui.slides import slide_for

    pane = w.graph_pane
    rec = Painted(pane)
    for size in SIZES:
        for view, fmt in ((pane, "png"), (w.views, "svg"), (pane, "pdf")):
            before = len(rec.frames)
            export_widget(view, slide_for(w, w.store), tmp_path / f"g{size[0]}.{fmt}", QSize(*size))
            assert len(rec.frames) > before, "the export did not paint the graph"
            check_frame(rec.frames[-1], pane.texts)


def test_labels_never_overlap_on_the_demo(open_window, demo_store_path, qtbot, tmp_path):
    w = open_window(demo_store_path, DEMO)
    assert not w.graph_pane.folding.folded                  # 4 prefixes, 16 ASes: drawn whole, as before
    check_window_at_every_size(w, qtbot)
    check_exports(w, tmp_path)


def test_labels_never_overlap_on_singapore(open_window, sg_store, qtbot, tmp_path):
    w = open_window(sg_store, SG)
    f = w.graph_pane.folding
    assert f.folded and f.total_ases == 54
    check_window_at_every_size(w, qtbot)
    check_exports(w, tmp_path)


def test_labels_never_overlap_on_the_united_states(open_window, us_store, qtbot, tmp_path):
    w = open_window(us_store, US)
    f = w.graph_pane.folding
    assert f.total_ases == 18409 and len(f.nodes) <= 30
    labels = [t for t, _ in w.graph_pane.label_rects()]
    assert any(t.startswith("AS2914 NTT") for t in labels) and any("origin" in t and "via AS" in t for t in labels)
    check_window_at_every_size(w, qtbot)
    check_exports(w, tmp_path)


def test_a_direct_edge_does_not_hide_behind_a_path_through_another_as(open_window, kp_store_path, qtbot):
    """rrc23 2022 holds 4837 -> 134544 -> 131279 and the 2015 table (still held) 4837 -> 131279: the direct
    edge passes beside AS134544, not through it, and does not run along the two-hop path."""
    from PySide6.QtWidgets import QApplication

    from explorer.viewmodel.graph_scene import R_MAX

    w = open_window(kp_store_path, KP22)
    pane = w.graph_pane
    for size in SIZES:
        w.resize(*size)
        QApplication.processEvents()
        paths = pane.edge_paths()
        direct = paths[(4837, 131279)]
        centre = pane.pos[pane.where[134544]]
        assert np.hypot(*(direct - centre).T).min() > R_MAX + 3, size
        other = np.vstack([_dense(paths[(4837, 134544)]), _dense(paths[(134544, 131279)])])
        inner = _dense(direct)[5:-5]
        apart = np.array([np.hypot(*(other - p).T).min() for p in inner])
        assert np.median(apart) > 8, size
        # and no drawn edge passes over an AS that is not one of its ends
        boxes = pane.node_rects()
        keys = [n.key for n in pane.folding.nodes]
        for (s, t), poly in paths.items():
            for k, (x, y, bw, bh) in enumerate(boxes):
                if keys[k] in (s, t):
                    continue
                pts = _dense(poly)
                inside = (pts[:, 0] > x) & (pts[:, 0] < x + bw) & (pts[:, 1] > y) & (pts[:, 1] < y + bh)
                assert not inside.any(), (s, t, keys[k], size)


def _dense(poly, step=2.0):
    out = [poly[:1]]
    for a, b in zip(poly[:-1], poly[1:]):
        k = max(1, int(np.hypot(*(b - a)) / step))
        out.append(a + (b - a) * np.linspace(0, 1, k + 1)[1:, None])
    return np.vstack(out)


def test_what_was_lost_keeps_its_colour_and_its_size(open_window, demo_store_path, qtbot):
    """At 20:00 in the demo no route is held: AS4837 stays an upstream (orange) and larger than AS6939 (a
    peer, green); the lost adjacencies keep their widths from the window's start, dashed."""
    from explorer.ui.style import ROLE_COLOURS

    w = open_window(demo_store_path, DEMO)
    pane = w.graph_pane
    f = pane.folding
    shape, colour, r4837 = pane.node_style(pane.where[4837])
    assert (shape, colour.name()) == ("ring", ROLE_COLOURS["upstream"])
    shape, colour, r6939 = pane.node_style(pane.where[6939])
    assert (shape, colour.name()) == ("ring", ROLE_COLOURS["peer"]) and r4837 > r6939
    edge = {(f.nodes[s].key, f.nodes[t].key): e for e, (s, t) in enumerate(f.edges.tolist())}
    lightest = min(w.graph.lost, key=lambda e: f.start.edges[edge[e]])         # a peer's one session, say
    main, side = pane.edge_style(edge[(4837, 131279)]), pane.edge_style(edge[lightest])
    assert main[0] == side[0] == "dashed" and main[1] > side[1]
    assert {pane.edge_style(edge[e])[0] for e in w.graph.lost} == {"dashed"}
    assert pane.lost_edges == w.graph.lost
    t = DEMO.start                                      # at the window's start: the same width, solid
    w.move_cursor(t)
    qtbot.waitUntil(lambda: w.graph.at == t and pane.current is w.graph, timeout=5000)
    before = pane.edge_style(edge[(4837, 131279)])
    assert before[0] == "solid" and before[1] == pytest.approx(main[1])
    assert pane.node_style(pane.where[4837])[0] == "disc"


def test_clicking_a_group_opens_it_and_its_menu_folds_it_back(open_window, us_store, qtbot):
    from PySide6.QtCore import QPointF, Qt

    from explorer.analysis.aggregate import PAGE

    w = open_window(us_store, US)
    pane = w.graph_pane
    f = pane.folding
    i = max((k for k, n in enumerate(f.nodes) if n.is_group and n.anchor is not None),
            key=lambda k: len(f.nodes[k].members))
    group = f.nodes[i]
    x, y = pane.pos[i]
    qtbot.mouseClick(pane.plot, Qt.MouseButton.LeftButton, pos=QPointF(x, y).toPoint())
    qtbot.waitUntil(lambda: pane.folding is not f and pane.now is not None, timeout=20_000)
    assert pane.folding.open == {group.group: 1} and w.data.folding is pane.folding
    shown = {n.asn for n in pane.folding.nodes if not n.is_group}
    assert set(group.members[:PAGE]) <= shown
    check_frame(((pane.plot.width(), pane.plot.height()), pane.label_rects(), pane.node_rects()), pane.texts)
    member = pane.where[group.members[0]]
    menu = pane._menu(member)
    fold_back = next(a for a in menu.actions() if a.text().startswith("Fold the origin ASes via"))
    opened = pane.folding
    fold_back.trigger()
    qtbot.waitUntil(lambda: pane.folding is not opened and pane.now is not None, timeout=20_000)
    assert pane.folding.open == {} and pane.folding.node_of == f.node_of


def test_the_table_sorted_by_peers_or_filtered_to_an_as_reads_the_cursor(open_window, us_store, qtbot):
    """The prefix table reads its cells from the step grids one by one, and a whole column only to
    sort by it; filtered to a clicked AS, it lists the prefixes routed through it at the cursor."""
    from PySide6.QtCore import Qt

    from explorer.analysis.graph import held_at

    w = open_window(us_store, US)
    m = w.prefixes.model
    w.prefixes.widget.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    k = w.data.index_at(w.state.cursor)
    dense = w.data.peers.dense()[:, k]                  # the grid as cells, another way
    assert m.rowCount() == len(w.data.prefixes) > 100_000
    assert m.peers[m.rows].tolist() == sorted(dense.tolist(), reverse=True)
    assert [m.index(r, 1).data() for r in range(50)] == dense[m.rows[:50]].tolist()
    r = w.data.routes
    asn = 3356
    t = w.state.cursor
    w._node_clicked(asn)
    w.move_cursor(t - 1)
    qtbot.waitUntil(lambda: w.graph.at == t - 1, timeout=20_000)
    through = {int(r.prefix[i]) for i in held_at(r, t - 1).tolist() if asn in r.paths[r.path[i]].asns}
    assert len(through) > 1000 and sorted(m.rows.tolist()) == sorted(through)

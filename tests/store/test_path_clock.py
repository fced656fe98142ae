"""Issue 13: the routes held at a cursor, per path, read from the view's clock (two bisections per path,
``analysis.graph.PathClock``) are the routes a pass over every route finds, at every second where a
route starts or ends and either side of it; and the graph drawn from them counts what a walk of each
route held counts. On a real RIS updates file, and on a real ADD-PATH RIB (a session holding several
paths to one prefix at once)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from explorer.analysis.aggregate import fold
from explorer.analysis.graph import Held, graph_at, held_at, path_clock, route_times, routes_at
from explorer.analysis.paths import Hops
from explorer.analysis.routes import OPEN, US
from explorer.ingest.pipeline import ingest
from explorer.state import parse_iso
from explorer.store import Store
from explorer.store.prefix_index import prefix_index
from tests.conftest import data_file

RIS = "mrt/dnas__rrc23.updates.20220421.0200.gz"
ADD_PATH = "mrt/bgpdump__bview.ipv4_unicast_add_path.gz"


def routes_of(path, files, lo=None, hi=None):
    with Store(path) as s:
        list(ingest(s, [data_file(f) for f in files]))
        con = s.cursor()
        if lo is None:
            first, last = con.execute("""SELECT min(start_key) // 4, max(start_key) // 4 FROM (
                SELECT start_key FROM routes UNION ALL SELECT start_key FROM routes_open)""").fetchone()
            lo, hi = int(first) // US - 60, int(last) // US + 60
        index = prefix_index(con)                            # every prefix of the store
        return route_times(con, index, np.arange(len(index)), lo, hi), lo, hi


def boundaries(r, lo, hi, most=400) -> list[int]:
    """Seconds where some route starts or stops being held, and the seconds either side."""
    s = -(-r.start // US)
    e = -(-r.end[r.end < OPEN] // US)
    at = np.unique(np.concatenate((s, e)))
    at = at[(at >= lo) & (at <= hi)]
    at = at[np.linspace(0, len(at) - 1, min(most, len(at))).astype(int)] if len(at) else at
    return sorted({int(min(max(t + d, lo), hi)) for t in at.tolist() for d in (-1, 0, 1)} | {lo, hi})


def same(a: Held, b: Held) -> bool:
    return (np.array_equal(a.per_path, b.per_path) and np.array_equal(a.multi, b.multi) and a.singles == b.singles
            and np.array_equal(a.indices(), b.indices()))


def walked_edges(r, t) -> dict:
    """Routes per adjacency at t by walking each route held: a (session, prefix) counts once per edge."""
    on = defaultdict(set)
    for i in held_at(r, t).tolist():
        h = r.paths[r.path[i]].asns
        for e in zip(h, h[1:]):
            on[e].add((int(r.session[i]), int(r.prefix[i])))
    return {e: len(k) for e, k in on.items()}


@pytest.fixture(scope="module")
def ris(tmp_path_factory):
    lo, hi = parse_iso("2022-04-21T02:00:00Z"), parse_iso("2022-04-21T02:15:00Z")
    return routes_of(tmp_path_factory.mktemp("ris") / "s.duckdb", [RIS], lo, hi)


def test_the_clock_holds_what_a_pass_over_the_routes_holds(ris):
    r, lo, hi = ris
    assert len(r.start) > 40_000
    clock = path_clock(r, lo, hi)
    assert len(clock.start) + len(clock.end) > 1000          # (routes start and end inside the window)
    seconds = boundaries(r, lo, hi)
    assert len(seconds) >= 300                               # every second of the file's five minutes
    for t in seconds:
        assert same(routes_at(r, t), Held.of(r, held_at(r, t), t)), t


def test_the_marks_narrow_the_search_and_change_nothing(ris, monkeypatch):
    from explorer.analysis import graph

    r, lo, hi = ris
    monkeypatch.setattr(graph, "MARK_PER", 1)           # (a real week: 500 times a path, and 64 marks)
    r.cache.pop("clock", None)
    clock = path_clock(r, lo, hi)
    r.cache.pop("clock", None)
    assert clock.start_marks.shape == (len(r.paths), 7) and clock.end_marks.shape[1] >= 2
    for t in boundaries(r, lo, hi):
        assert same(clock.held(r, t), Held.of(r, held_at(r, t), t)), t


def test_the_graph_from_the_clock_counts_each_route_held_once_per_edge(ris):
    r, lo, hi = ris
    path_clock(r, lo, hi)
    for t in boundaries(r, lo, hi, most=4):
        g = graph_at(r, t)
        assert g.edges == walked_edges(r, t)
        assert g.routes == len({(int(r.session[i]), int(r.prefix[i])) for i in held_at(r, t).tolist()})


def test_add_path_routes_are_paired_one_by_one(tmp_path):
    r, lo, hi = routes_of(tmp_path / "s.duckdb", [ADD_PATH])
    clock = path_clock(r, lo, hi)
    assert len(clock.paired) > 0                             # sessions holding several paths to a prefix
    assert Hops((), True) in r.paths                         # a route with no AS path: once read as path -1,
    fold(r, lo, hi)                                          # the last path, which numpy's bincount refused
    checked = 0
    for t in boundaries(r, lo, hi):
        a = routes_at(r, t)
        assert same(a, Held.of(r, held_at(r, t), t)), t
        if len(a.multi):
            assert graph_at(r, t).edges == walked_edges(r, t)
            checked += 1
    assert checked > 0

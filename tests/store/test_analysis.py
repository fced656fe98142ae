"""Visibility and the AS-path graph against a plain replay of the raw elements read by bgpdump."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from explorer.analysis import Definitions, Window
from explorer.analysis.graph import graph_at, graph_json, route_times
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import by_prefix, visibility
from explorer.ingest.pipeline import ingest
from tests.conftest import data_file
from tests.reference import bgpdump_lines

RIS_2007 = "mrt/bgpdump__updates.20070211.0141.gz"


def replay(lines, instants, prefixes=None):
    """{instant: {(peer, prefix): path}} after every element with timestamp <= instant (file order
    within a second): an announcement replaces, a withdrawal removes, leaving Established drops all."""
    held: dict[tuple, str] = {}
    out, pos = {}, 0
    lines = sorted((f for f in lines if f[2] in ("A", "W", "STATE")), key=lambda f: int(f[1]))
    for at in sorted(instants):
        while pos < len(lines) and int(lines[pos][1]) <= at:
            f = lines[pos]
            pos += 1
            peer = (f[3], int(f[4]))
            if f[2] == "STATE":
                if int(f[5]) == 6 and int(f[6]) != 6:
                    for key in [k for k in held if k[0] == peer]:
                        del held[key]
            elif prefixes is None or f[5] in prefixes:
                if f[2] == "A":
                    held[(peer, f[5])] = f[6]
                else:
                    held.pop((peer, f[5]), None)
        out[at] = dict(held)
    return out


@pytest.fixture(scope="module")
def ris2007(tmp_path_factory):
    from explorer.store import Store

    path = data_file(RIS_2007)
    lines = bgpdump_lines(path)
    with Store(tmp_path_factory.mktemp("ris") / "h.duckdb") as store:
        list(ingest(store, [path]))
        yield store, lines


def test_peers_per_prefix_at_instants_equal_the_replay(ris2007):
    store, lines = ris2007
    counts = Counter(f[5] for f in lines if f[2] in ("A", "W") and ":" not in f[5])
    busy = [p for p, _ in counts.most_common(25)]
    times = [int(f[1]) for f in lines]
    window = Window(min(times) - 1, max(times) + 30, 23)
    scope = resolve_scope(store.con, window, prefixes=busy)
    v = visibility(store.con, scope, window, Definitions(full_feed="all"))
    ids, peers, ff_peers = by_prefix(v)
    assert (peers == ff_peers).all()                    # every session is a full feed under 'all'
    expected = replay(lines, window.instants().tolist(), set(busy))
    text = scope.index.prefix
    checked = 0
    for k, at in enumerate(window.instants().tolist()):
        want = Counter(p for (_, p) in expected[at])
        got = {text[i]: int(peers[r, k]) for r, i in enumerate(ids)}
        assert {p: n for p, n in got.items() if p in busy} == {p: want.get(p, 0) for p in busy}, at
        checked += sum(want.values())
    assert checked > 1000                               # the instants see routes, not only empty tables
    # the total series agrees with the per-prefix table under the same threshold
    n = v.full_feed.counts[4]
    need = max(1, int(np.ceil(0.5 * n - 1e-9)))
    in_busy = np.isin(text[ids], busy)
    assert v.full_feed.counts[4] > 20
    assert (v.visible_prefixes >= (ff_peers[in_busy] >= need).sum(axis=0)).all()


def test_graph_edges_and_routes_equal_the_replay(ris2007):
    store, lines = ris2007
    at = int(lines[len(lines) // 2][1])
    scope = resolve_scope(store.con, Window(at, at), prefixes=["0.0.0.0/0"])
    g = graph_at(route_times(store.con, scope.index, scope.prefix_ids, at, at), at)
    held = replay(lines, [at])[at]
    expected: Counter = Counter()
    routes = 0
    for (_, prefix), path in held.items():
        if ":" in prefix:
            continue
        routes += 1
        hops: list[str] = []
        for tok in path.split():
            if not tok.isdigit():
                break
            if not hops or hops[-1] != tok:
                hops.append(tok)
        for e in {(int(a), int(b)) for a, b in zip(hops, hops[1:])}:
            expected[e] += 1
    assert g.routes == routes > 1000
    assert g.edges == dict(expected)


def test_kp_graph_at_the_end_of_the_2015_file(et2015_store):
    from explorer.store import Store

    store = Store(et2015_store, read_only=True)
    end = int(store.con.execute("SELECT epoch(max(last_ts)) FROM files").fetchone()[0]) + 1
    scope = resolve_scope(store.con, Window(end, end), country="KP")
    doc = graph_json(store.con, scope, end)
    assert {(e["source"], e["target"]): e["routes"] for e in doc["edges"]} == {
        (2914, 1239): 4, (1239, 4837): 4, (4837, 131279): 4}
    assert {n["asn"]: n["role"] for n in doc["nodes"]} == {
        2914: "peer", 1239: "transit", 4837: "upstream", 131279: "origin"}
    store.close()


def test_announcements_and_withdrawals_per_bin_equal_bgpdump_counts(ris2007):
    store, lines = ris2007
    times = [int(f[1]) for f in lines]
    window = Window(min(times), max(times) + 60, 60)
    scope = resolve_scope(store.con, window, prefixes=["0.0.0.0/0"])
    v = visibility(store.con, scope, window, Definitions())
    instants = window.instants()
    for kind, series in (("A", v.announcements), ("W", v.withdrawals)):
        ts = np.array([int(f[1]) for f in lines if f[2] == kind and ":" not in f[5]])
        expected = [int(((ts > t - 60) & (ts <= t)).sum()) for t in instants]
        assert series.tolist() == expected and sum(expected) > 1000


def test_instability_prefixes_and_slash24_equal_a_plain_count(ris2007):
    from explorer.analysis.events import instability
    from explorer.timeutil import parse_time_us

    store, lines = ris2007
    times = [int(f[1]) for f in lines]
    window = Window(min(times) - 300, max(times) + 60, 30)
    scope = resolve_scope(store.con, window, prefixes=["0.0.0.0/0"])
    # issue 12: instability bins are a definition of their own (not the step), and a period runs from its
    # first update to its last, both included, to the microsecond
    v = visibility(store.con, scope, window, Definitions(instability_factor=2, instability_min=5, instability_bin=30))
    events = instability(store.con, v)
    assert events
    for e in events:
        lo, hi = parse_time_us(e["start"]), parse_time_us(e["end"])
        touched = [p for (p,) in store.con.execute("""
            SELECT DISTINCT p.prefix FROM intervals i JOIN prefixes p USING (prefix_id)
            WHERE p.af = 4 AND ((epoch_us(i.start_ts) >= ? AND epoch_us(i.start_ts) <= ?)
                                OR (epoch_us(i.end_ts) >= ? AND epoch_us(i.end_ts) <= ?))""",
                                                   [lo, hi, lo, hi]).fetchall()]
        blocks = set()
        for p in touched:
            net, length = p.split("/")
            a, b, c, _ = (int(x) for x in net.split("."))
            first = (a << 16) | (b << 8) | c
            blocks.update(range(first, first + max(1, 1 << max(0, 24 - int(length)))))
        assert (e["prefixes"], e["slash24"]) == (len(touched), len(blocks)), e

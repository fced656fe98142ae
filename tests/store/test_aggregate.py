"""The folded AS graph on real stores: the United States in the 2015 full table (18,409 ASes at one
instant), North Korea's four /24s in it (drawn whole). Counts are checked against a plain walk of every
route held, path by path, in Python."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from explorer.analysis import Window
from explorer.analysis.aggregate import KEEP, MIN_SHARE, PAGE, SMALL, fold
from explorer.analysis.graph import ROLES, held_at, route_times
from explorer.analysis.routes import US
from explorer.analysis.scope import resolve_scope
from explorer.state import parse_iso
from explorer.store import Store

T0, T1 = parse_iso("2015-10-23T02:01:00Z"), parse_iso("2015-10-23T02:02:00Z")
AT = parse_iso("2015-10-23T02:01:55Z")


def routes_of(path, **scope):
    with Store(path, read_only=True) as s:
        con = s.cursor()
        sc = resolve_scope(con, Window(T0, T1, 5), **scope)
        return route_times(con, sc.index, sc.prefix_ids, T0, T1)


@pytest.fixture(scope="module")
def us(et2015_store):
    r = routes_of(et2015_store, country="US")
    return r, fold(r, T0, T1)


def walked(r, f, t):
    """Routes per node and per edge at t, by walking each held route's path through the folding."""
    nodes, edges = defaultdict(set), defaultdict(set)
    for i in held_at(r, t).tolist():
        reps = [f.node_of[a] for a in r.paths[r.path[i]].asns]
        reps = [v for k, v in enumerate(reps) if k == 0 or v != reps[k - 1]]
        key = (int(r.session[i]), int(r.prefix[i]))
        for v in reps:
            nodes[v].add(key)
        for e in zip(reps, reps[1:]):
            edges[e].add(key)
    return {v: len(k) for v, k in nodes.items()}, {e: len(k) for e, k in edges.items()}


def test_a_full_table_folds_into_a_few_dozen_nodes(us):
    r, f = us
    asns = {a for h in r.paths for a in h.asns}
    assert f.total_ases == len(asns) == 18409
    assert len(f.nodes) <= sum(KEEP.values()) + 12 and f.folded
    shown = [n.asn for n in f.nodes if not n.is_group]
    members = [a for n in f.nodes if n.is_group for a in n.members]
    assert sorted(shown + members) == sorted(asns)              # every AS in exactly one node
    assert all(f.node_of[a] == i for i, n in enumerate(f.nodes) for a in ([n.asn] if n.asn else n.members))
    texts = [n.text() for n in f.nodes if n.is_group]
    assert any(t.endswith("origin ASes via AS2914") for t in texts) and any(t.endswith("more peers") for t in texts)


def test_the_ases_kept_are_the_heaviest_of_their_role(us):
    """Weights by a plain walk: every route counts for the seconds it is held in the window (+1), on
    every AS of its path; each AS's main role is the position it holds on most of that weight."""
    r, f = us
    weight, by_role = defaultdict(float), defaultdict(lambda: np.zeros(4))
    for i in range(len(r.session)):
        held = max(0, min(int(r.end[i]), T1 * US) - max(int(r.start[i]), T0 * US)) / US + 1
        h = r.paths[r.path[i]]
        for k, a in enumerate(h.asns):
            weight[a] += held
            n = len(h.asns)
            role = 0 if h.complete and k == n - 1 else 1 if h.complete and k == n - 2 else 2 if k > 0 else 3
            by_role[a][role] += held
    total = sum(held for held in (max(0, min(int(e), T1 * US) - max(int(s), T0 * US)) / US + 1
                                  for s, e in zip(r.start, r.end)))
    main = {a: ROLES[int(np.argmax(v))] for a, v in by_role.items()}
    for role, quota in KEEP.items():
        ranked = sorted((a for a in weight if main[a] == role), key=lambda a: (-weight[a], a))[:quota]
        expected = {a for k, a in enumerate(ranked) if k == 0 or weight[a] >= MIN_SHARE * total}
        kept = {n.asn for n in f.nodes if not n.is_group and n.role == role and n.group is None}
        assert expected <= kept, role
    assert {n.asn for n in f.nodes if not n.is_group}.issuperset({2914, 7018, 3356, 174})


def test_routes_over_nodes_and_edges_equal_a_walk_of_every_route_held(us):
    r, f = us
    at = f.at(r, held_at(r, AT))
    nodes, edges = walked(r, f, AT)
    assert at.nodes.tolist() == [nodes.get(i, 0) for i in range(len(f.nodes))]
    assert at.edges.tolist() == [edges.get(tuple(e), 0) for e in f.edges.tolist()]
    assert at.routes == len(held_at(r, AT)) == 168320       # one session, one path per prefix
    assert f.start.routes == 0                  # the file's first update is at 02:01:35


def test_opening_a_group_shows_its_heaviest_members(us):
    r, f = us
    group = max((n for n in f.nodes if n.is_group and n.anchor is not None), key=lambda n: len(n.members))
    opened = fold(r, T0, T1, open={group.group: 1})
    shown = {n.asn for n in opened.nodes if not n.is_group}
    assert set(group.members[:PAGE]) <= shown
    assert all(opened.nodes[opened.node_of[a]].group == group.group for a in group.members[:PAGE])
    rest = next(n for n in opened.nodes if n.is_group and n.group == group.group)
    assert rest.opened and rest.text() == f"{len(rest.members):,} more origin ASes via AS{group.anchor}"
    # what is left: the group less the ones shown, less those now reached through one of them
    assert set(rest.members) <= set(group.members[PAGE:]) and len(rest.members) > len(group.members) / 2
    nodes, edges = walked(r, opened, AT)
    at = opened.at(r, held_at(r, AT))
    assert at.edges.tolist() == [edges.get(tuple(e), 0) for e in opened.edges.tolist()]
    assert fold(r, T0, T1, open={}).node_of == f.node_of          # folding back gives the first folding


def test_a_small_scope_is_drawn_whole(kp2015_store):
    r = routes_of(kp2015_store, prefixes=["175.45.176.0/22"])
    f = fold(r, T0, T1)
    assert not f.folded and sorted(n.asn for n in f.nodes) == [1239, 2914, 4837, 131279]
    assert len(f.nodes) <= SMALL
    at = f.at(r, held_at(r, AT))
    assert {(f.nodes[s].asn, f.nodes[t].asn): int(n) for (s, t), n in zip(f.edges.tolist(), at.edges)} == {
        (2914, 1239): 4, (1239, 4837): 4, (4837, 131279): 4}

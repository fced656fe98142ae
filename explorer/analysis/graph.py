"""The AS-path graph of a scope at an instant, from the routes held then.

An edge runs from the AS nearer the collector's peer (``source``) to the next AS toward the origin
(``target``), from the AS path as received (prepending removed; a path with an AS_SET gives edges
only up to the set). ``routes`` is the number of (peer session, prefix) routes held at the instant
whose path holds that adjacency; every session counts, full feed or not, and a session holding
several paths to one prefix at once (ADD-PATH) counts once per edge. Roles, the first that applies:
origin (last AS of a path), upstream (the AS before it), transit, peer (first AS only).

One computation serves every caller: ``route_times`` reads a scope's route intervals over a span
once, and ``graph_at`` answers any instant of that span from them with a few numpy operations.
The command line reads the instants it asks about; the window reads its whole window once, so a
cursor move costs no store query (``explorer.viewmodel.graph``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.paths import Hops, path_hops
from explorer.analysis.routes import OPEN, US
from explorer.analysis.scope import Scope
from explorer.store.prefix_index import PrefixIndex
from explorer.store.queries import routes_during
from explorer.registry.asname import label_variants
from explorer.registry.mapping import as_countries, as_names, mapping_for
from explorer.timeutil import iso

ROLES = ("origin", "upstream", "transit", "peer")


@dataclass
class RouteTimes:
    """A scope's route intervals with their exact times (microseconds), sorted by prefix, then
    session, then start."""

    session: np.ndarray
    prefix: np.ndarray          # the prefix's position in the scope's sorted prefix ids
    path: np.ndarray            # index into ``paths``
    start: np.ndarray
    end: np.ndarray             # OPEN while still held at the end of the data
    paths: Sequence[Hops]       # prepending removed, cut at an AS_SET
    cache: dict = field(default_factory=dict, repr=False)      # derived once: the path table, ...


def route_times(con, index: PrefixIndex, prefix_ids: np.ndarray, lo: int, hi: int) -> RouteTimes:
    """The routes to ``prefix_ids`` (positions in ``index``, sorted) held at some instant of [lo, hi]
    (Unix seconds)."""
    rows = routes_during(con, index.ids[prefix_ids], lo * US, hi * US)
    session, prefix = rows.session, rows.rank
    order = by_pair_then_start(prefix, session, rows.start)     # ADD-PATH pairs are neighbours
    return RouteTimes(session[order], prefix[order], rows.path[order], rows.start[order], rows.end[order],
                      path_hops(con, rows.paths))


def by_pair_then_start(prefix: np.ndarray, session: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The stable order by prefix, session, then start: two value sorts (``sparse.order_by``). The
    United States' week, 50 M routes: ``route_times_of`` 12 s, 20 s with numpy's stable argsort on
    start, then on the pair."""
    return sparse.order_by(prefix, session, start)


def route_times_of(routes) -> RouteTimes:
    """The same, from routes already read for the window (``analysis.routes.Routes``): no second read."""
    order = by_pair_then_start(routes.rank, routes.session, routes.start)
    return RouteTimes(routes.session[order], routes.rank[order], routes.path[order], routes.start[order],
                      routes.end[order], routes.hops)


@dataclass(frozen=True)
class PathTable:
    """Every path as flat arrays (CSR): its ASes with their role codes, and its edges."""

    node_ptr: np.ndarray
    node_asn: np.ndarray
    node_role: np.ndarray       # index into ROLES
    edge_ptr: np.ndarray
    edge_id: np.ndarray
    edges: np.ndarray           # (E, 2) source, target
    upstream: np.ndarray        # per path: the AS before the origin, -1 when none


def path_table(r: RouteTimes) -> PathTable:
    if "paths" not in r.cache:
        nodes, roles, eids, nptr, eptr, ups = [], [], [], [0], [0], []
        where: dict[tuple[int, int], int] = {}
        for h in r.paths:
            n = len(h.asns)
            for pos, a in enumerate(h.asns):
                nodes.append(a)
                roles.append(0 if h.complete and pos == n - 1 else 1 if h.complete and pos == n - 2
                             else 2 if pos > 0 else 3)
            for e in zip(h.asns, h.asns[1:]):
                eids.append(where.setdefault(e, len(where)))
            nptr.append(len(nodes))
            eptr.append(len(eids))
            ups.append(h.upstream if h.upstream is not None else -1)
        r.cache["paths"] = PathTable(np.array(nptr), np.array(nodes, np.int64), np.array(roles, np.int8),
                                     np.array(eptr), np.array(eids, np.int64),
                                     np.array(list(where), np.int64).reshape(-1, 2), np.array(ups, np.int64))
    return r.cache["paths"]


def expand(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values of each row's CSR slice, concatenated; the position in ``rows`` each came from)."""
    lens = ptr[rows + 1] - ptr[rows]
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(rows)), lens)
    idx = np.repeat(ptr[rows], lens) + (np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens))
    return values[idx], owner


def held_at(r: RouteTimes, t: int) -> np.ndarray:
    """Indices of the routes held at t (start <= t < end)."""
    us = int(t) * US
    return np.flatnonzero((r.start <= us) & (r.end > us))


def _add_path(r: RouteTimes) -> bool:
    """Whether some session holds two routes to one prefix at once (ADD-PATH), anywhere in the span."""
    if "add_path" not in r.cache:
        # (the routes are sorted by prefix, session, then start: a pair's routes are neighbours in time order)
        same = (r.session[1:] == r.session[:-1]) & (r.prefix[1:] == r.prefix[:-1])
        r.cache["add_path"] = bool((same & (r.start[1:] < r.end[:-1])).any())
    return r.cache["add_path"]


@dataclass
class Held:
    """The routes held at one instant, as every count over them needs them: per path, the routes
    whose (session, prefix) holds that one path then (``per_path``), and the indices of the few others,
    whose (session, prefix) holds several paths at once (ADD-PATH: ``multi``, paired one by one).
    ``indices()``, every route held, is read only when asked for (a selected AS's prefixes)."""

    r: RouteTimes
    t: int | None
    per_path: np.ndarray
    multi: np.ndarray
    singles: int
    _indices: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of(cls, r: RouteTimes, held: np.ndarray, t: int | None = None) -> "Held":
        """From the indices of the routes held (sorted)."""
        single, multi = _split(r, held)
        return cls(r, t, np.bincount(r.path[single], minlength=len(r.paths)), multi, len(single), held)

    def indices(self) -> np.ndarray:
        if self._indices is None:
            self._indices = held_at(self.r, self.t)
        return self._indices

    def on(self) -> np.ndarray:
        """Per path: whether a route held has it."""
        on = self.per_path > 0
        on[self.r.path[self.multi]] = True
        return on

    def paths(self) -> np.ndarray:
        """The paths of the routes held, sorted."""
        return np.flatnonzero(self.on())


def _split(r: RouteTimes, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the routes of ``held`` whose (session, prefix) holds one of them, the others)."""
    if not len(held) or not _add_path(r):
        return held, held[:0]
    key = r.prefix[held] * (int(r.session.max()) + 1) + r.session[held]      # ascending: routes are sorted
    same = key[1:] == key[:-1]
    dup = np.zeros(len(held), bool)
    dup[1:] |= same
    dup[:-1] |= same
    return held[~dup], held[dup]


@dataclass(frozen=True)
class PathClock:
    """When each path's routes start and stop being held, as whole seconds of [lo, hi] sorted within
    each path, so that the routes held per path at any second of it are two bisections per path
    (``sparse.count_at_most``), not a pass over every route: the United States' week has 50 M routes
    over 96,882 paths. A route covers second t when start <= t * US < end, that is from ceil(start / US)
    to ceil(end / US). The routes of a (session, prefix) that holds two at once at some second (ADD-PATH)
    are left out, to be paired one by one (``paired``). Each path's times are also marked at a few
    evenly spaced seconds (``*_marks``: how many come before each), so a bisection starts between two
    marks: a few probes near each other, not across the path's whole week."""

    lo: int
    hi: int
    base: np.ndarray            # per path: routes held from lo on (their starts are not listed)
    start_ptr: np.ndarray       # per path, where its starts begin in ``start`` (CSR)
    start: np.ndarray           # seconds after lo, int32, ascending within each path
    end_ptr: np.ndarray
    end: np.ndarray
    paired: np.ndarray          # indices of the routes left out
    start_marks: np.ndarray     # (paths, marks + 1) int32: per path, its starts before each mark (none: 0 columns)
    end_marks: np.ndarray

    ARRAYS = ("base", "start_ptr", "start", "end_ptr", "end", "paired", "start_marks", "end_marks")

    def held(self, r: RouteTimes, t: int) -> Held:
        x = int(t) - self.lo
        per_path = (self.base + self._count(self.start_ptr, self.start, self.start_marks, x)
                    - self._count(self.end_ptr, self.end, self.end_marks, x))
        us = int(t) * US
        c = self.paired
        single, multi = _split(r, c[(r.start[c] <= us) & (r.end[c] > us)])
        if len(single):
            per_path += np.bincount(r.path[single], minlength=len(per_path))
        return Held(r, int(t), per_path, multi, int(per_path.sum()))

    def _count(self, ptr, values, marks, x: int) -> np.ndarray:
        if marks.shape[1] < 2:
            return sparse.count_at_most(ptr, values, x)
        h = min(x // _mark_every(self.hi - self.lo + 1, marks.shape[1] - 1), marks.shape[1] - 2)
        first = ptr[:-1]
        return sparse.count_at_most(ptr, values, x, (first + marks[:, h], first + marks[:, h + 1]))


MARK_PER = 8               # a path's times per mark, on average (the marks take an eighth of the times' room)


def _mark_every(width: int, marks: int) -> int:
    """Seconds between marks: ``marks`` of them cover [0, width)."""
    return -(-int(width) // marks)


def path_clock(r: RouteTimes, lo: int, hi: int) -> PathClock:
    """The clock of ``r`` over [lo, hi] (seconds), kept in ``r.cache``: two sorts of the routes' times
    (the United States' week: about 1.5 s, once per view; a kept view carries it)."""
    c = r.cache.get("clock")
    if c is not None and (c.lo, c.hi) == (lo, hi):
        return c
    from concurrent.futures import ThreadPoolExecutor

    width = np.int64(hi - lo + 1)               # times clipped to [0, width]: before lo, after hi
    s = np.clip(-(-r.start // US) - lo, 0, width)
    e = np.clip(-(-r.end // US) - lo, 0, width)
    paired = _paired(r, s, e)
    n = len(r.paths)
    keep = ~paired
    p, s, e = r.path[keep], s[keep], e[keep]
    base = np.bincount(p[s == 0], minlength=n) - np.bincount(p[e == 0], minlength=n)

    def listed(x):
        inside = (x > 0) & (x < width)
        key = np.sort(p[inside] * (width + 1) + x[inside])
        ptr = np.concatenate(([0], np.cumsum(np.bincount(p[inside], minlength=n))))
        # marks: one per MARK_PER times a path (at most 256, none for short lists), as many before each
        marks = min(256, len(key) // (MARK_PER * max(n, 1)))
        at = np.zeros((n, 0), np.int32)
        if marks >= 2:
            seconds = np.minimum(np.arange(marks + 1) * _mark_every(width, marks), width)
            q = (np.arange(n)[:, None] * (width + 1) + seconds[None, :]).ravel()
            at = (np.searchsorted(key, q, "left").reshape(n, marks + 1) - ptr[:-1, None]).astype(np.int32)
        return ptr, (key % (width + 1)).astype(np.int32), at

    with ThreadPoolExecutor(2) as pool:         # (numpy sorts without the GIL: both at once)
        (sp, sv, sm), (ep, ev, em) = pool.map(listed, (s, e))
    c = PathClock(int(lo), int(hi), base, sp, sv, ep, ev, np.flatnonzero(paired), sm, em)
    r.cache["clock"] = c
    return c


def _paired(r: RouteTimes, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Per route: whether its (session, prefix) holds two routes at some second (ranges [s, e), the
    routes sorted by prefix, session, then start): a route starting before the latest end of the
    pair's earlier routes overlaps one of them."""
    n = len(s)
    if n < 2 or not _add_path(r):
        return np.zeros(n, bool)
    new = np.ones(n, bool)
    new[1:] = (r.session[1:] != r.session[:-1]) | (r.prefix[1:] != r.prefix[:-1])
    pair = np.cumsum(new) - 1
    span = int(e.max()) + 1
    reach = np.maximum.accumulate(pair * span + e) - pair * span       # the latest end so far, in the pair
    over = np.zeros(n, bool)
    over[1:] = ~new[1:] & (s[1:] < reach[:-1]) & (s[1:] < e[1:])
    has = np.zeros(int(pair[-1]) + 1, bool)
    has[pair[over]] = True
    return has[pair]


def routes_at(r: RouteTimes, t: int) -> Held:
    """The routes held at t: from the clock of ``r`` when it has one over t, else by a pass over them."""
    c = r.cache.get("clock")
    if c is not None and c.lo <= t <= c.hi:
        return c.held(r, t)
    return Held.of(r, held_at(r, t), int(t))


def count_routes(r: RouteTimes, held: Held | np.ndarray, ptr: np.ndarray, ids: np.ndarray, n: int,
                 owner: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """(routes per id, (session, prefix) routes) among the routes ``held`` (a ``Held``, or indices),
    where each path ``p`` holds the ids ``ids[ptr[p]:ptr[p + 1]]`` (its edges, its ASes, or the nodes of
    a folded graph): a (session, prefix) counts once per id, also when it holds several paths at once
    (ADD-PATH). Routes whose (session, prefix) holds one path are counted per path and spread over its
    ids; only the few others are paired one by one. ``owner``: the path of each entry of ``ids``, when
    the caller has it."""
    if owner is None:
        owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    h = held if isinstance(held, Held) else Held.of(r, held)
    counts = np.rint(np.bincount(ids, weights=h.per_path[owner], minlength=n)).astype(np.int64)
    routes = h.singles
    multi = h.multi
    if len(multi):
        key = r.session[multi] * (int(r.prefix.max()) + 1) + r.prefix[multi]
        routes += len(np.unique(key))
        eid, which = expand(ptr, ids, r.path[multi])
        width = int(key.max()) + 1
        pairs = np.unique(eid * width + key[which])
        counts += np.bincount(pairs // width, minlength=n)
    return counts, routes


def edge_routes(r: RouteTimes, held: Held | np.ndarray) -> tuple[np.ndarray, int]:
    """(routes per adjacency of ``path_table(r).edges``, (session, prefix) routes) among the routes
    ``held`` (``count_routes``)."""
    pt = path_table(r)
    if "edge_owner" not in r.cache:
        r.cache["edge_owner"] = np.repeat(np.arange(len(pt.edge_ptr) - 1), np.diff(pt.edge_ptr))
    return count_routes(r, held, pt.edge_ptr, pt.edge_id, len(pt.edges), r.cache["edge_owner"])


def edges_at(r: RouteTimes, held: Held | np.ndarray) -> tuple[dict[tuple[int, int], int], int]:
    """(routes per adjacency, (session, prefix) routes) among the routes ``held``."""
    counts, routes = edge_routes(r, held)
    return edge_dict(r, counts), routes


def edge_dict(r: RouteTimes, counts: np.ndarray) -> dict[tuple[int, int], int]:
    """(source, target) -> routes, of the adjacencies with routes (the United States' 100,000: 60 ms)."""
    nz = np.flatnonzero(counts)
    return dict(zip(map(tuple, path_table(r).edges[nz].tolist()), counts[nz].tolist()))


def roles_at(r: RouteTimes, held: Held) -> dict[int, str]:
    """Every AS on a route held, with its first role in ROLES' order among those routes: the paths'
    ASes are ordered by AS, then role, once per route set, and each instant keeps those on its paths."""
    if "role_order" not in r.cache:
        pt = path_table(r)
        owner = np.repeat(np.arange(len(pt.node_ptr) - 1), np.diff(pt.node_ptr))
        order = np.lexsort((pt.node_role, pt.node_asn))
        r.cache["role_order"] = owner[order], pt.node_asn[order], pt.node_role[order]
    owner, asn, role = r.cache["role_order"]
    sel = held.on()[owner]
    asn, role = asn[sel], role[sel]
    first = np.ones(len(asn), bool)
    first[1:] = asn[1:] != asn[:-1]
    return dict(zip(asn[first].tolist(), [ROLES[x] for x in role[first].tolist()]))


@dataclass
class Graph:
    at: int
    edges: dict[tuple[int, int], int]       # (source, target) -> routes
    roles: dict[int, str]                   # every AS on a route held at the instant
    routes: int                             # (session, prefix) routes held at the instant
    held: Held                              # those routes


def graph_at(r: RouteTimes, t: int) -> Graph:
    held = routes_at(r, t)
    edges, routes = edges_at(r, held)
    return Graph(int(t), edges, roles_at(r, held), routes, held)


def graph_json(con, scope: Scope, at: int, since: int | None = None) -> dict:
    r = route_times(con, scope.index, scope.prefix_ids, min(at, at if since is None else since),
                    max(at, at if since is None else since))
    g = graph_at(r, at)
    mapping = mapping_for(con, at)
    before = graph_at(r, since) if since is not None else None
    asns = set(g.roles) | (set(before.roles) if before else set())
    names, countries = as_names(con, asns), as_countries(con, asns, mapping)
    out = {
        "at": iso(at),
        "scope": scope.describe(),
        "definitions": {"edges": "from the AS nearer the collector's peer to the next AS toward the origin; "
                                 "prepending removed; paths cut at an AS_SET",
                        "routes": "(peer session, prefix) routes held at the instant, every session",
                        "country": mapping.source},
        "routes": g.routes,
        "nodes": [{"asn": a, "name": names.get(a), "country": countries.get(a), "role": g.roles[a]}
                  for a in sorted(g.roles)],
        "edges": _edges(g.edges),
    }
    if before is not None:
        out["since"] = iso(since)
        out["lost"] = _edges({e: n for e, n in before.edges.items() if e not in g.edges})
        out["gained"] = _edges({e: n for e, n in g.edges.items() if e not in before.edges})
    return out


def _edges(edges: dict) -> list[dict]:
    return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(edges.items(), key=lambda x: (-x[1], x[0]))]


def graph_dot(doc: dict) -> str:
    lines = [f"// definitions: {json.dumps(doc['definitions'])}",
             f'digraph "{doc["scope"]}" {{', f'  label="{doc["at"]}";', "  rankdir=LR;"]
    for n in doc["nodes"]:
        text = label_variants(n["asn"], n["name"])[0]                # cut at a word boundary, if at all
        label = text.replace("\\", "\\\\").replace("\"", "\\\"").replace(" ", "\\n", 1)
        lines.append(f'  {n["asn"]} [label="{label}", role="{n["role"]}"];')
    for e in doc["edges"]:
        lines.append(f'  {e["source"]} -> {e["target"]} [label="{e["routes"]}", weight={e["routes"]}];')
    for e in doc.get("lost", []):
        lines.append(f'  {e["source"]} -> {e["target"]} [style=dashed, color=red, label="lost {e["routes"]}"];')
    lines.append("}")
    return "\n".join(lines)

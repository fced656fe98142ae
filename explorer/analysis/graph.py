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
import weakref
from dataclasses import dataclass, field

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.paths import Hops, path_hops
from explorer.analysis.routes import OPEN, US, sessions_of
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
    paths: list[Hops]           # prepending removed, cut at an AS_SET
    cache: dict = field(default_factory=dict, repr=False)      # derived once: the path table, ...


def route_times(con, index: PrefixIndex, prefix_ids: np.ndarray, lo: int, hi: int) -> RouteTimes:
    """The routes to ``prefix_ids`` (positions in ``index``, sorted) held at some instant of [lo, hi]
    (Unix seconds)."""
    rows = routes_during(con, index.ids[prefix_ids], lo * US, hi * US)
    session = sessions_of(con, rows.session_id)
    prefix = np.searchsorted(np.asarray(prefix_ids, np.int64), index.positions(rows.prefix_id))
    order = by_pair_then_start(prefix, session, rows.start)     # ADD-PATH pairs are neighbours
    return RouteTimes(session[order], prefix[order], rows.path[order], rows.start[order], rows.end[order],
                      path_hops(con, rows.paths))


def by_pair_then_start(prefix: np.ndarray, session: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The order by prefix, session, then start: a stable sort on start, then one on (prefix, session)."""
    by_start = np.argsort(start, kind="stable")
    return by_start[sparse.order_by(prefix[by_start], session[by_start])]


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


def count_routes(r: RouteTimes, held: np.ndarray, ptr: np.ndarray, ids: np.ndarray, n: int,
                 owner: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """(routes per id, (session, prefix) routes) among the routes ``held``, where each path ``p`` holds
    the ids ``ids[ptr[p]:ptr[p + 1]]`` (its edges, its ASes, or the nodes of a folded graph): a
    (session, prefix) counts once per id, also when it holds several paths at once (ADD-PATH). Routes
    whose (session, prefix) holds one path are counted per path and spread over its ids; only the few
    others are paired one by one. ``owner``: the path of each entry of ``ids``, when the caller has it."""
    if owner is None:
        owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    single, multi, per_path = _per_path(r, held, len(ptr) - 1)
    counts = np.rint(np.bincount(ids, weights=per_path[owner], minlength=n)).astype(np.int64)
    routes = len(single)
    if len(multi):
        key = r.session[multi] * (int(r.prefix.max()) + 1) + r.prefix[multi]
        routes += len(np.unique(key))
        eid, which = expand(ptr, ids, r.path[multi])
        width = int(key.max()) + 1
        pairs = np.unique(eid * width + key[which])
        counts += np.bincount(pairs // width, minlength=n)
    return counts, routes


def _per_path(r: RouteTimes, held: np.ndarray, paths: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the held routes whose (session, prefix) holds one path, the others, the first per path):
    the same for every count at one instant (its edges, its ASes, the folded graph's nodes and edges),
    so kept for the last ``held`` asked about. The United States' week, 50 M routes: 0.25 s a count."""
    last = r.cache.get("per_path")
    if last is not None and last[0]() is held and last[1] == paths:
        return last[2]
    single, multi = held, held[:0]
    if _add_path(r) and len(held):
        key = r.prefix[held] * (int(r.session.max()) + 1) + r.session[held]      # ascending: routes are sorted
        same = key[1:] == key[:-1]
        dup = np.zeros(len(held), bool)
        dup[1:] |= same
        dup[:-1] |= same
        single, multi = held[~dup], held[dup]
    out = single, multi, np.bincount(r.path[single], minlength=paths)
    r.cache["per_path"] = (weakref.ref(held), paths, out)
    return out


def edges_at(r: RouteTimes, held: np.ndarray) -> tuple[dict[tuple[int, int], int], int]:
    """(routes per adjacency, (session, prefix) routes) among the routes ``held`` (``count_routes``)."""
    pt = path_table(r)
    if "edge_owner" not in r.cache:
        r.cache["edge_owner"] = np.repeat(np.arange(len(pt.edge_ptr) - 1), np.diff(pt.edge_ptr))
    counts, routes = count_routes(r, held, pt.edge_ptr, pt.edge_id, len(pt.edges), r.cache["edge_owner"])
    nz = np.flatnonzero(counts)
    return dict(zip(map(tuple, pt.edges[nz].tolist()), counts[nz].tolist())), routes


@dataclass
class Graph:
    at: int
    edges: dict[tuple[int, int], int]       # (source, target) -> routes
    roles: dict[int, str]                   # every AS on a route held at the instant
    routes: int                             # (session, prefix) routes held at the instant
    held: np.ndarray                        # indices of those routes in the RouteTimes


def graph_at(r: RouteTimes, t: int) -> Graph:
    held = held_at(r, t)
    edges, routes = edges_at(r, held)
    pt = path_table(r)
    paths = np.flatnonzero(np.bincount(r.path[held], minlength=len(pt.node_ptr) - 1))
    asn, _ = expand(pt.node_ptr, pt.node_asn, paths)
    role, _ = expand(pt.node_ptr, pt.node_role, paths)
    order = np.lexsort((role, asn))         # per AS, its first role in ROLES' order
    first = np.ones(len(order), bool)
    first[1:] = asn[order][1:] != asn[order][:-1]
    roles = {a: ROLES[x] for a, x in zip(asn[order][first].tolist(), role[order][first].tolist())}
    return Graph(int(t), edges, roles, routes, held)


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

"""The AS graph at one instant, from the routes ``load_view`` already read: no store query, so a cursor
move costs a few numpy operations over the routes held then. Same rules as
``explorer.analysis.graph`` (which queries the store, for the command line); a test checks both agree.

An edge runs from the AS nearer the collector's peer (source) to the next AS toward the origin
(target); ``routes`` counts the (session, prefix) routes held at t whose path has that adjacency.
``lost`` are adjacencies held at the window's start and not at t; ``gained`` the reverse. Roles, the
first that applies: origin (last AS of a path), upstream (the AS before it), transit, peer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis.view import ViewData

ROLES = ("origin", "upstream", "transit", "peer")


@dataclass(frozen=True)
class PathTable:
    """Every path of the window as flat arrays (CSR): its ASes with their role codes, and its edges."""

    node_ptr: np.ndarray
    node_asn: np.ndarray
    node_role: np.ndarray
    edge_ptr: np.ndarray
    edge_id: np.ndarray
    edges: np.ndarray           # (E, 2) source, target
    upstream: np.ndarray        # per path: the AS before the origin, -1 when none


def path_table(d: ViewData) -> PathTable:
    if "paths" not in d.cache:
        nodes, roles, eids, nptr, eptr, ups = [], [], [], [0], [0], []
        where: dict[tuple[int, int], int] = {}
        for h in d.paths:
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
        d.cache["paths"] = PathTable(np.array(nptr), np.array(nodes, np.int64), np.array(roles, np.int8),
                                     np.array(eptr), np.array(eids, np.int64),
                                     np.array(list(where), np.int64).reshape(-1, 2), np.array(ups, np.int64))
    return d.cache["paths"]


def _expand(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values of each row's CSR slice, concatenated; the position in ``rows`` each came from)."""
    lens = ptr[rows + 1] - ptr[rows]
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(rows)), lens)
    idx = np.repeat(ptr[rows], lens) + (np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens))
    return values[idx], owner


@dataclass
class GraphAt:
    at: int
    edges: dict[tuple[int, int], int]          # (source, target) -> routes held at t
    lost: set[tuple[int, int]]
    gained: set[tuple[int, int]]
    roles: dict[int, str]                      # ASes on a route held at t, and the origins
    present: set[int]                          # ASes on a route held at t
    routes_at: int                             # (session, prefix) routes held at t
    view: ViewData
    held: np.ndarray                           # indices of the routes held at t

    def edge_list(self) -> list[dict]:
        return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(self.edges.items())]

    def prefixes_through(self, asn: int) -> np.ndarray:
        """Rows of the prefixes routed through ``asn`` at t."""
        pt = path_table(self.view)
        on = np.zeros(len(pt.node_ptr) - 1, bool)
        owner = np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1
        on[owner] = True
        r = self.view.routes
        return np.unique(r.prefix[self.held][on[r.path[self.held]]])

    def edges_through(self, asn: int) -> list[tuple[int, int]]:
        """Adjacencies of the paths held at t that pass through ``asn`` (to highlight them)."""
        pt, r = path_table(self.view), self.view.routes
        paths = np.unique(r.path[self.held])
        has = np.zeros(len(pt.node_ptr) - 1, bool)
        has[np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1] = True
        eid, _ = _expand(pt.edge_ptr, pt.edge_id, paths[has[paths]])
        return [tuple(e) for e in pt.edges[np.unique(eid)].tolist()]

    def upstreams_of(self, row: int) -> list[int]:
        """The upstreams of the routes held to one prefix (a row of ViewData.prefixes) at t."""
        if "by_prefix" not in self.__dict__:
            r = self.view.routes
            order = np.argsort(r.prefix[self.held], kind="stable")
            self.__dict__["by_prefix"] = (r.prefix[self.held][order], self.held[order])
        rows, held = self.__dict__["by_prefix"]
        lo, hi = np.searchsorted(rows, row, "left"), np.searchsorted(rows, row, "right")
        up = path_table(self.view).upstream[self.view.routes.path[held[lo:hi]]]
        return sorted(set(up[up >= 0].tolist()))


def held_at(d: ViewData, t: int) -> np.ndarray:
    """Indices of the routes held at t (start <= t < end)."""
    us = int(t) * 1_000_000
    return np.flatnonzero((d.routes.start <= us) & (d.routes.end > us))


def _edges_at(d: ViewData, held: np.ndarray) -> tuple[dict[tuple[int, int], int], int]:
    pt, r = path_table(d), d.routes
    key = r.session[held] * max(1, len(d.prefixes)) + r.prefix[held]
    routes = len(np.unique(key))
    eid, owner = _expand(pt.edge_ptr, pt.edge_id, r.path[held])
    if routes == len(held):                     # one path per (session, prefix): count routes per edge
        counts = np.bincount(eid, minlength=len(pt.edges))
    else:                                       # ADD-PATH: a (session, prefix) counts once per edge
        pairs = np.unique(eid * (int(key.max()) + 1) + key[owner])
        counts = np.bincount(pairs // (int(key.max()) + 1), minlength=len(pt.edges))
    nz = np.flatnonzero(counts)
    return dict(zip(map(tuple, pt.edges[nz].tolist()), counts[nz].tolist())), routes


def graph_at(d: ViewData, t: int) -> GraphAt:
    held = held_at(d, t)
    edges, routes = _edges_at(d, held)
    if "start_edges" not in d.cache:
        d.cache["start_edges"] = set(_edges_at(d, held_at(d, d.state.start))[0])
    start = d.cache["start_edges"]
    pt = path_table(d)
    asn, _ = _expand(pt.node_ptr, pt.node_asn, np.unique(d.routes.path[held]))
    role, _ = _expand(pt.node_ptr, pt.node_role, np.unique(d.routes.path[held]))
    order = np.lexsort((role, asn))
    first = np.ones(len(order), bool)
    first[1:] = asn[order][1:] != asn[order][:-1]
    roles = {a: ROLES[x] for a, x in zip(asn[order][first].tolist(), role[order][first].tolist())}
    if "origins" not in d.cache:
        d.cache["origins"] = {h.origin for h in d.paths if h.origin is not None}
    roles.update(dict.fromkeys(d.cache["origins"], "origin"))
    present = set(asn.tolist())
    return GraphAt(int(t), edges, start - set(edges), set(edges) - start, roles, present, routes, d, held)

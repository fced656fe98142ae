"""The AS graph at the window's cursor, from the routes ``load_view`` already read: no store query, so
a cursor move costs a few numpy operations over the paths, not the routes: the routes held per path
at t come from the view's clock (``analysis.graph.PathClock``), and are counted as the command
line's ``graph_at`` counts them (``edge_routes``, ``roles_at``). On top of it, what the window
draws: ``lost`` are adjacencies held at the window's start and not at t, ``gained`` the reverse; the
origins of the window keep their role even while no route reaches them; ``folded``, the routes at t
over the nodes and edges of the window's folding (``analysis.aggregate``: what a large scope is drawn
as), and the texts its nodes' labels may take.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from explorer.analysis.aggregate import FoldAt, Folding
from explorer.analysis.graph import (Held, edge_dict, edge_routes, expand, path_clock, path_table, roles_at,
                                    routes_at)
from explorer.analysis.routes import US
from explorer.registry.asname import label_variants
from explorer.viewmodel.view import ViewData

EDGES_DRAWN = 2             # a folded graph draws its heaviest adjacencies, this many per node


@dataclass
class GraphAt:
    at: int
    roles: dict[int, str]                      # ASes on a route held at t, and the origins
    present: set[int]                          # ASes on a route held at t
    routes_at: int                             # (session, prefix) routes held at t
    view: ViewData
    held: Held                                 # the routes held at t
    edge_routes: np.ndarray                    # per adjacency of the routes' path table: routes held at t
    folding: Folding | None = None             # the folding ``folded`` counts over
    folded: FoldAt | None = None

    # as (source, target) pairs, made when first asked for (the slides, the tests): the United States'
    # week has 100,000 adjacencies, 60 ms as a dict, and the pane draws ``folded``'s nodes and edges

    @cached_property
    def edges(self) -> dict[tuple[int, int], int]:
        """(source, target) -> routes held at t."""
        return edge_dict(self.view.routes, self.edge_routes)

    @cached_property
    def lost(self) -> set[tuple[int, int]]:
        """Adjacencies held at the window's start and not at t."""
        return self._pairs((_start_routes(self.view) > 0) & (self.edge_routes == 0))

    @cached_property
    def gained(self) -> set[tuple[int, int]]:
        return self._pairs((self.edge_routes > 0) & (_start_routes(self.view) == 0))

    def _pairs(self, mask: np.ndarray) -> set[tuple[int, int]]:
        return set(map(tuple, path_table(self.view.routes).edges[mask].tolist()))

    def edge_list(self) -> list[dict]:
        return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(self.edges.items())]

    def prefixes_through(self, asn: int) -> np.ndarray:
        """Rows of the prefixes routed through ``asn`` at t."""
        pt = path_table(self.view.routes)
        on = np.zeros(len(pt.node_ptr) - 1, bool)
        owner = np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1
        on[owner] = True
        r, held = self.view.routes, self.held.indices()
        return np.unique(r.prefix[held][on[r.path[held]]])

    def edges_through(self, asn: int) -> list[tuple[int, int]]:
        """Adjacencies of the paths held at t that pass through ``asn`` (to highlight them)."""
        r = self.view.routes
        pt = path_table(r)
        paths = self.held.paths()
        has = np.zeros(len(pt.node_ptr) - 1, bool)
        has[np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1] = True
        eid, _ = expand(pt.edge_ptr, pt.edge_id, paths[has[paths]])
        return [tuple(e) for e in pt.edges[np.unique(eid)].tolist()]

    def upstreams_of(self, row: int) -> list[int]:
        """The upstreams of the routes held to one prefix (a row of ViewData.prefixes) at t: its routes
        are neighbours (sorted by prefix), found by bisection, not among every route held."""
        r = self.view.routes
        lo, hi = np.searchsorted(r.prefix, [row, row + 1])
        us = self.at * US
        mine = np.arange(lo, hi)[(r.start[lo:hi] <= us) & (r.end[lo:hi] > us)]
        up = path_table(r).upstream[r.path[mine]]
        return sorted(set(up[up >= 0].tolist()))


def cursor_graph(d: ViewData, t: int) -> GraphAt:
    """The graph at ``t`` with what changed since the window's start."""
    r = d.routes
    path_clock(r, d.state.start, d.state.end)   # (once per view: then no pass over every route per move)
    held = routes_at(r, t)
    counts, routes = edge_routes(r, held)
    present = roles_at(r, held)
    if "origins" not in r.cache:
        pt = path_table(r)                      # (the last AS of a complete path)
        r.cache["origins"] = set(pt.node_asn[pt.node_role == 0].tolist())
    roles = dict(present)
    roles.update(dict.fromkeys(r.cache["origins"], "origin"))
    f = d.folding                               # read once: the window may open a group meanwhile
    _start_routes(d)
    d.peers.row_ptr(), d.visible.row_ptr()      # (for the table's cells, once per view)
    return GraphAt(int(t), roles, set(present), routes, d, held, counts, f, f.at(r, held) if f is not None else None)


def _start_routes(d: ViewData) -> np.ndarray:
    """Routes per adjacency at the window's start, once per view."""
    r = d.routes
    if "start_edge_routes" not in r.cache:
        r.cache["start_edge_routes"] = edge_routes(r, routes_at(r, d.state.start))[0]
    return r.cache["start_edge_routes"]


def node_texts(f: Folding, names: dict[int, str]) -> list[list[str]]:
    """Per node of ``f``, the texts its label may take, longest first, each cut at a word boundary."""
    out = []
    for n in f.nodes:
        if not n.is_group:
            out.append(label_variants(n.asn, names.get(n.asn)))
            continue
        k = len(n.members)
        plural = {"origin": "origins", "transit": "transits", "peer": "peers"}[n.role] if k != 1 else n.role
        via = f" via AS{n.anchor}" if n.anchor is not None else ""
        more = "more " if n.opened or n.anchor is None else ""
        out.append(list(dict.fromkeys([n.text(), f"{k:,} {more}{plural}{via}", f"{k:,} {more}{plural}",
                                       f"{k:,} {plural}"])))
    return out


def key_texts(f: Folding) -> list[str]:
    """The graph's legend, as it may be drawn in a corner: longest first, lines joined by newlines."""
    sizes = "size, width: routes now"
    lost = "ring, dashes: at the start, not now"
    group = "box: a group of that many ASes"
    lines = [sizes, lost] + ([group] if f.folded else [])
    return ["\n".join(lines), "\n".join(lines[:2]), sizes]


def edges_drawn(f: Folding) -> list[int]:
    """The edges a view draws: all of a whole graph; of a folded one, each node's ``EDGES_DRAWN``
    heaviest edges toward the origin and toward the peer (over the window), so that every node shows
    where most of its routes come from and go, and the light cross-links between groups do not make
    a wall."""
    if not f.folded:
        return list(range(len(f.edges)))
    keep: set[int] = set()
    order = np.argsort(-f.edge_weight, kind="stable")
    for side in (0, 1):
        count = np.zeros(len(f.nodes), np.int64)
        for e in order.tolist():
            n = int(f.edges[e, side])
            if count[n] < EDGES_DRAWN:
                keep.add(e)
                count[n] += 1
    return sorted(keep)

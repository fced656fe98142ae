"""The AS graph at the window's cursor, from the routes ``load_view`` already read: no store query, so
a cursor move costs a few numpy operations over the routes held then (``analysis.graph.graph_at``,
the command line's own computation). On top of it, what the window draws: ``lost`` are adjacencies
held at the window's start and not at t, ``gained`` the reverse; the origins of the window keep
their role even while no route reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis.graph import edges_at, expand, graph_at, held_at, path_table
from explorer.viewmodel.view import ViewData


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
        pt = path_table(self.view.routes)
        on = np.zeros(len(pt.node_ptr) - 1, bool)
        owner = np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1
        on[owner] = True
        r = self.view.routes
        return np.unique(r.prefix[self.held][on[r.path[self.held]]])

    def edges_through(self, asn: int) -> list[tuple[int, int]]:
        """Adjacencies of the paths held at t that pass through ``asn`` (to highlight them)."""
        r = self.view.routes
        pt = path_table(r)
        paths = np.unique(r.path[self.held])
        has = np.zeros(len(pt.node_ptr) - 1, bool)
        has[np.searchsorted(pt.node_ptr, np.flatnonzero(pt.node_asn == asn), "right") - 1] = True
        eid, _ = expand(pt.edge_ptr, pt.edge_id, paths[has[paths]])
        return [tuple(e) for e in pt.edges[np.unique(eid)].tolist()]

    def upstreams_of(self, row: int) -> list[int]:
        """The upstreams of the routes held to one prefix (a row of ViewData.prefixes) at t."""
        if "rows" not in self.__dict__:         # prefix row of each held route, ascending (routes are sorted)
            self.__dict__["rows"] = self.view.routes.prefix[self.held]
        rows, held = self.__dict__["rows"], self.held
        lo, hi = np.searchsorted(rows, row, "left"), np.searchsorted(rows, row, "right")
        up = path_table(self.view.routes).upstream[self.view.routes.path[held[lo:hi]]]
        return sorted(set(up[up >= 0].tolist()))


def cursor_graph(d: ViewData, t: int) -> GraphAt:
    """The graph at ``t`` with what changed since the window's start."""
    r = d.routes
    g = graph_at(r, t)
    if "start_edges" not in r.cache:
        r.cache["start_edges"] = set(edges_at(r, held_at(r, d.state.start))[0])
    start = r.cache["start_edges"]
    if "origins" not in r.cache:
        r.cache["origins"] = {h.origin for h in r.paths if h.origin is not None}
    roles = dict(g.roles)
    roles.update(dict.fromkeys(r.cache["origins"], "origin"))
    return GraphAt(g.at, g.edges, start - set(g.edges), set(g.edges) - start, roles, set(g.roles), g.routes, d,
                   g.held)

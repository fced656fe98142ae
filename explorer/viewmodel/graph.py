"""The AS graph at the window's cursor, from the routes ``load_view`` already read: no store query, so
a cursor move costs a few numpy operations over the routes held then (``analysis.graph.graph_at``,
the command line's own computation). On top of it, what the window draws: ``lost`` are adjacencies
held at the window's start and not at t, ``gained`` the reverse; the origins of the window keep
their role even while no route reaches them; ``folded``, the routes at t over the nodes and edges of
the window's folding (``analysis.aggregate``: what a large scope is drawn as), and the texts its
nodes' labels may take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis.aggregate import FoldAt, Folding
from explorer.analysis.graph import edges_at, expand, graph_at, held_at, path_table
from explorer.registry.asname import label_variants
from explorer.viewmodel.view import ViewData

EDGES_DRAWN = 2             # a folded graph draws its heaviest adjacencies, this many per node


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
    folding: Folding | None = None             # the folding ``folded`` counts over
    folded: FoldAt | None = None

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
    f = d.folding                               # read once: the window may open a group meanwhile
    return GraphAt(g.at, g.edges, start - set(g.edges), set(g.edges) - start, roles, set(g.roles), g.routes, d,
                   g.held, f, f.at(r, g.held) if f is not None else None)


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

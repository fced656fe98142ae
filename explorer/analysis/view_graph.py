"""The AS graph at one instant, from the routes ``load_view`` already read: no store query, so a cursor
move costs a few numpy operations. Same rules as ``explorer.analysis.graph`` (which queries the store,
for the command line); a test checks that both agree.

An edge runs from the AS nearer the collector's peer (source) to the next AS toward the origin
(target); ``routes`` counts the (session, prefix) routes held at t whose path has that adjacency.
``lost`` are adjacencies held at the window's start and not at t; ``gained`` the reverse. Roles, the
first that applies: origin (last AS of a path), upstream (the AS before it), transit, peer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from explorer.analysis.view import ViewData

ROLES = ("origin", "upstream", "transit", "peer")


@dataclass
class GraphAt:
    at: int
    edges: dict[tuple[int, int], int]          # (source, target) -> routes held at t
    lost: set[tuple[int, int]]
    gained: set[tuple[int, int]]
    roles: dict[int, str]                      # every AS present at t, or at the window's start
    present: set[int]                          # ASes on a route held at t
    through: dict[int, set[int]]               # AS -> rows of the prefixes routed through it at t
    routes_at: int                             # (session, prefix) routes held at t

    def edge_list(self) -> list[dict]:
        return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(self.edges.items())]


def held_at(d: ViewData, t: int) -> np.ndarray:
    """Indices of the routes held at t (start <= t < end)."""
    us = int(t) * 1_000_000
    return np.flatnonzero((d.routes.start <= us) & (d.routes.end > us))


def _role(pos: int, h) -> int:
    if h.complete and pos == len(h.asns) - 1:
        return 0
    if h.complete and pos == len(h.asns) - 2:
        return 1
    return 2 if pos > 0 else 3


def _adjacencies(d: ViewData, held: np.ndarray):
    seen: dict[tuple[int, int], set] = defaultdict(set)
    through: dict[int, set[int]] = defaultdict(set)
    rank: dict[int, int] = {}
    r = d.routes
    triples = np.unique(np.stack([r.path[held], r.session[held], r.prefix[held]]), axis=1) if len(held) \
        else np.zeros((3, 0), np.int64)
    for pi, s, pr in triples.T.tolist():
        h = d.paths[pi]
        for e in h.edges():
            seen[e].add((s, pr))
        for pos, a in enumerate(h.asns):
            through[a].add(pr)
            rank[a] = min(rank.get(a, 3), _role(pos, h))
    routes = len({(s, pr) for _pi, s, pr in triples.T.tolist()})
    return {e: len(v) for e, v in seen.items()}, dict(through), {a: ROLES[x] for a, x in rank.items()}, routes


def graph_at(d: ViewData, t: int) -> GraphAt:
    edges, through, roles, routes = _adjacencies(d, held_at(d, t))
    start_edges, _, start_roles, _ = _adjacencies(d, held_at(d, d.state.start))
    for a, r in start_roles.items():
        roles.setdefault(a, r)
    for h in d.paths:
        if h.origin is not None:
            roles[h.origin] = "origin"
    present = set(through) | {a for e in edges for a in e}
    return GraphAt(int(t), edges, set(start_edges) - set(edges), set(edges) - set(start_edges), roles, present,
                   through, routes)

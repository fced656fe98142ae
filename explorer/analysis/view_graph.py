"""The AS graph at one instant, from the routes ``load_view`` already read: no store query, so a cursor
move costs a few numpy operations.

An edge runs from the AS nearer the collector's peer (source) to the next AS toward the origin
(target), prepending removed; ``routes`` counts the (session, prefix) routes held at t whose path has
that adjacency. ``lost`` are adjacencies held at the window's start and not at t; ``gained`` the reverse.
Roles: origin (last AS of a path), upstream (the AS before it), peer (the first AS, the collector's
peer), transit (the rest); an AS with several roles takes the first of that list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from explorer.analysis.view import ViewData

ROLES = ("origin", "upstream", "peer", "transit")


@dataclass
class GraphAt:
    at: int
    edges: dict[tuple[int, int], int]          # (source, target) -> routes held at t
    lost: set[tuple[int, int]]
    gained: set[tuple[int, int]]
    roles: dict[int, str]                      # every AS present at t, or at the window's start
    present: set[int]                          # ASes on a route held at t
    through: dict[int, set[int]]               # AS -> indices of the prefixes routed through it at t
    routes_at: int                             # routes held at t

    def edge_list(self) -> list[dict]:
        return [{"source": s, "target": t, "routes": n} for (s, t), n in sorted(self.edges.items())]


def held_at(d: ViewData, t: int) -> np.ndarray:
    """Indices of the routes held at t (start <= t < end)."""
    us = int(t) * 1_000_000
    return np.flatnonzero((d.routes.start <= us) & (d.routes.end > us))


def _adjacencies(d: ViewData, held: np.ndarray) -> tuple[Counter, dict[int, set[int]], dict[int, str]]:
    edges: Counter = Counter()
    through: dict[int, set[int]] = {}
    roles: dict[int, str] = {}
    paths, counts = np.unique(np.stack([d.routes.path[held], d.routes.prefix[held]]), axis=1, return_counts=True) \
        if len(held) else (np.zeros((2, 0), np.int64), np.zeros(0, np.int64))
    for (pi, pr), n in zip(paths.T.tolist(), counts.tolist()):
        p = d.paths[pi]
        for i in range(len(p) - 1):
            edges[(p[i], p[i + 1])] += n
        for a in p:
            through.setdefault(a, set()).add(pr)
        for i, a in enumerate(p):
            role = "origin" if i == len(p) - 1 else "upstream" if i == len(p) - 2 else "peer" if i == 0 else "transit"
            if a not in roles or ROLES.index(role) < ROLES.index(roles[a]):
                roles[a] = role
    return edges, through, roles


def graph_at(d: ViewData, t: int) -> GraphAt:
    held = held_at(d, t)
    edges, through, roles = _adjacencies(d, held)
    start_edges, _, start_roles = _adjacencies(d, held_at(d, d.state.start))
    for a, r in start_roles.items():
        roles.setdefault(a, r)
    origins = {p[-1] for p in d.paths if p}
    for o in origins:
        roles[o] = "origin"
    present = set(through) | {a for e in edges for a in e}
    return GraphAt(int(t), dict(edges), set(start_edges) - set(edges), set(edges) - set(start_edges),
                   roles, present, through, len(held))

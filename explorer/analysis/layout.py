"""A layered layout of an AS graph, computed once per window so that nothing jumps as the cursor moves.

Layers are hop distances from the origin: the origin ASes in layer 0 (drawn on the right), their
upstreams in layer 1, and so on to the collectors' peers (on the left), so a path reads left to
right as it was received: ``2914 1239 4837 131279``. An AS reached at several distances takes the
longest, so that no adjacency joins two ASes of one column (where it would run over the nodes
between them). ASes that reach no origin (a path ending in an AS_SET) go one layer beyond.

Within a layer, ASes are ordered to reduce edge crossings by barycenter passes (Sugiyama's
heuristic): each AS moves to the mean rank of its neighbours in the layers next to it, sweeping
toward the peers and back a few times. Plain numpy; no Qt.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    asns: np.ndarray            # int64, one per node
    pos: np.ndarray             # float (n, 2): x = columns toward the origin, y = rank within the layer
    layer: np.ndarray           # int, hop distance from the origin

    def index(self) -> dict[int, int]:
        return {int(a): i for i, a in enumerate(self.asns)}


def layered_layout(edges, origins, sweeps: int = 8) -> Layout:
    """``edges``: (source, target) AS pairs, source nearer the peer; ``origins``: the origin ASes."""
    edges = {(int(s), int(t)) for s, t in edges if int(s) != int(t)}
    nodes = sorted({a for e in edges for a in e} | {int(o) for o in origins})
    if not nodes:
        return Layout(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64))
    toward_peer: dict[int, set[int]] = {a: set() for a in nodes}
    neighbours: dict[int, set[int]] = {a: set() for a in nodes}
    for s, t in edges:
        toward_peer[t].add(s)
        neighbours[s].add(t)
        neighbours[t].add(s)

    layer = _hops(nodes, toward_peer, [int(o) for o in origins])
    layers: dict[int, list[int]] = {}
    for a in nodes:
        layers.setdefault(layer[a], []).append(a)
    order = _barycenter(layers, neighbours, sweeps)

    top = max(layers)
    asns, pos, lay = [], [], []
    tallest = max(len(v) for v in order.values())
    for k, members in order.items():
        offset = (tallest - len(members)) / 2          # centre each layer on the tallest
        for rank, a in enumerate(members):
            asns.append(a)
            pos.append((float(top - k), float(offset + rank)))
            lay.append(k)
    return Layout(np.array(asns, np.int64), np.array(pos, float), np.array(lay, np.int64))


def _hops(nodes, toward_peer, origins, cap: int = 32) -> dict[int, int]:
    """Longest hop distance to an origin (Sugiyama's longest-path layering), so that every edge runs
    from a layer to a lower one and none lies along a column; relaxed until stable, at most ``cap``
    rounds (a routing loop across paths stops growing there). Origins stay in layer 0."""
    origins = {o for o in origins if o in toward_peer}
    layer = {o: 0 for o in origins}
    edges = [(s, t) for t, sources in toward_peer.items() for s in sources if s not in origins]
    for _ in range(cap):
        changed = False
        for s, t in edges:
            if t in layer and layer.get(s, -1) < layer[t] + 1 <= cap:
                layer[s] = layer[t] + 1
                changed = True
        if not changed:
            break
    beyond = max(layer.values(), default=-1) + 1
    return {a: layer.get(a, beyond) for a in nodes}


def _barycenter(layers: dict[int, list[int]], neighbours, sweeps: int) -> dict[int, list[int]]:
    order = {k: sorted(v) for k, v in sorted(layers.items())}
    rank = {a: float(i) for members in order.values() for i, a in enumerate(members)}
    keys = sorted(order)
    for sweep in range(sweeps):
        for k in (keys[1:] if sweep % 2 == 0 else keys[::-1][1:]):
            near = k - 1 if sweep % 2 == 0 else k + 1
            ref = set(order.get(near, ()))

            def centre(a, ref=ref):
                ns = [rank[b] for b in neighbours[a] if b in ref] or [rank[b] for b in neighbours[a]]
                return (sum(ns) / len(ns), a) if ns else (rank[a], a)

            order[k] = sorted(order[k], key=centre)
            rank.update({a: float(i) for i, a in enumerate(order[k])})
    return order


def crossings(layout: Layout, edges) -> int:
    """Edge crossings between adjacent layers (for tests and benchmarks of the ordering)."""
    where = layout.index()
    segs = []
    for s, t in edges:
        i, j = where[int(s)], where[int(t)]
        (x1, y1), (x2, y2) = layout.pos[i], layout.pos[j]
        if x1 > x2:
            (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
        segs.append((x1, y1, x2, y2))
    n = 0
    for a in range(len(segs)):
        for b in range(a + 1, len(segs)):
            p, q = segs[a], segs[b]
            if p[0] == q[0] and p[2] == q[2] and (p[1] - q[1]) * (p[3] - q[3]) < 0:
                n += 1
    return n

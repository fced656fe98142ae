"""A layered layout of an AS graph, computed once per window so that nothing jumps as the cursor moves.

Layers are hop distances toward the origin: an origin AS in layer 0 (drawn on the right), its
upstreams in layer 1, and so on to the collectors' peers (on the left), so a path reads left to right
as it was received: ``2914 1239 4837 131279``. An AS reached at several distances takes the longest,
so that no adjacency joins two ASes of one column (where it would run over the nodes between them); an
origin that also carries other origins' routes (a transit that originates prefixes of its own) moves
up with them. ASes that reach no origin (a path ending in an AS_SET) go one layer beyond.

As in Sugiyama's method, an adjacency spanning several layers gets a dummy point in each layer it
crosses, ordered with the nodes, so that it keeps a lane of its own instead of running straight through
the ASes between its ends (``bends``: where it passes). Within a layer, nodes and dummies are ordered
to reduce crossings by barycenter passes, sweeping toward the peers and back; then each layer's
positions are pulled toward their neighbours' (with room kept between them), so that chains run
straight. Plain numpy; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DUMMY_ROOM = 0.45           # a lane beside an AS takes less room than an AS


@dataclass(frozen=True)
class Layout:
    asns: np.ndarray            # int64, one per node: its AS number (or a folded graph's node id)
    pos: np.ndarray             # float (n, 2): x = columns toward the origin, y = position within the layer
    layer: np.ndarray           # int, hop distance from the origin
    bends: dict = field(default_factory=dict)   # (source, target) -> (k, 2) points it passes between them

    def index(self) -> dict[int, int]:
        return {int(a): i for i, a in enumerate(self.asns)}


def layered_layout(edges, origins, sweeps: int = 8, hint: dict | None = None, weights: dict | None = None,
                   layers: dict | None = None) -> Layout:
    """``edges``: (source, target) pairs, source nearer the peer; ``origins``: the origin nodes;
    ``hint``: node -> a position to start the ordering from (an earlier layout), else by number;
    ``weights``: edge -> how much it carries, so that a routing loop is cut at its lightest edges;
    ``layers``: node -> its layer, given (a folded graph's), instead of the longest hop distance."""
    edges = sorted({(int(s), int(t)) for s, t in edges if int(s) != int(t)})
    nodes = sorted({a for e in edges for a in e} | {int(o) for o in origins} | {int(a) for a in (layers or {})})
    if not nodes:
        return Layout(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64))
    if layers is not None:
        layer = {a: int(layers.get(a, 0)) for a in nodes}
    else:
        layer = _hops(nodes, _acyclic(nodes, edges, weights or {}), [int(o) for o in origins])

    # the layered graph: real nodes 0..n-1, then one dummy per layer an edge crosses
    where = {a: i for i, a in enumerate(nodes)}
    lay = [layer[a] for a in nodes]
    adj: list[set[int]] = [set() for _ in nodes]
    chains: dict[tuple[int, int], list[int]] = {}
    for s, t in edges:
        i, j = where[s], where[t]
        step = -1 if lay[i] > lay[j] else 1
        chain = [i]
        for k in range(lay[i] + step, lay[j], step):
            lay.append(k)
            adj.append(set())
            chain.append(len(lay) - 1)
        chain.append(j)
        for a, b in zip(chain, chain[1:]):
            adj[a].add(b)
            adj[b].add(a)
        chains[(s, t)] = chain[1:-1]
    real = len(nodes)
    start = {where[a]: float(v) for a, v in (hint or {}).items() if a in where}
    layers: dict[int, list[int]] = {}
    for v, k in enumerate(lay):
        layers.setdefault(k, []).append(v)
    order = _barycenter(layers, adj, sweeps, lambda v: (start.get(v, float(nodes[v]) if v < real else 0.0), v))
    y = _straighten(order, adj, real)

    top = max(layers)
    pos = np.array([(float(top - lay[v]), y[v]) for v in range(real)], float)
    bends = {e: np.array([(float(top - lay[d]), y[d]) for d in chain], float).reshape(-1, 2)
             for e, chain in chains.items() if chain}
    return Layout(np.array(nodes, np.int64), pos, np.array(lay[:real], np.int64), bends)


def _acyclic(nodes, edges, weights) -> tuple[dict[int, list[int]], list[int]]:
    """(each node's successors toward the origin once the routing loops are cut, an order of the
    nodes in which every one of those edges runs forward): the
    lightest edges against an order found by Eades, Lin and Smyth's greedy heuristic (sinks to the
    end, sources to the front, else the node whose edges out outweigh its edges in)."""
    out: dict[int, dict[int, float]] = {a: {} for a in nodes}
    inn: dict[int, dict[int, float]] = {a: {} for a in nodes}
    for s, t in edges:
        w = float(weights.get((s, t), 1.0)) + 1e-9
        out[s][t] = w
        inn[t][s] = w
    left, head, tail = set(nodes), [], []
    while left:
        moved = True
        while moved:
            moved = False
            for a in sorted(left):
                if not any(b in left for b in out[a]):
                    tail.append(a)
                    left.discard(a)
                    moved = True
                elif not any(b in left for b in inn[a]):
                    head.append(a)
                    left.discard(a)
                    moved = True
        if left:
            a = max(sorted(left), key=lambda v: sum(w for b, w in out[v].items() if b in left)
                    - sum(w for b, w in inn[v].items() if b in left))
            head.append(a)
            left.discard(a)
    order = head + tail[::-1]
    rank = {a: i for i, a in enumerate(order)}
    succ: dict[int, list[int]] = {a: [] for a in nodes}
    for s, t in edges:
        if rank[s] < rank[t]:
            succ[s].append(t)
    return succ, order


def _hops(nodes, acyclic, origins) -> dict[int, int]:
    """Longest hop distance to an origin over the loop-free edges (Sugiyama's longest-path layering),
    so that every edge runs from a layer to a lower one and none lies along a column. An origin stays
    in layer 0 unless it is also on the way to another; a node that reaches no origin goes beyond."""
    succ, order = acyclic
    origins = {o for o in origins if o in succ}
    layer: dict[int, int] = {}
    for a in reversed(order):                   # every successor comes later in the order
        best = max((layer[b] for b in succ[a] if layer[b] >= 0), default=-1)
        layer[a] = best + 1 if best >= 0 else (0 if a in origins else -1)
    beyond = max(layer.values(), default=-1) + 1
    return {a: layer[a] if layer[a] >= 0 else beyond for a in nodes}


def _barycenter(layers: dict[int, list[int]], adj, sweeps: int, first) -> dict[int, list[int]]:
    order = {k: sorted(v, key=first) for k, v in sorted(layers.items())}
    rank = {a: float(i) for members in order.values() for i, a in enumerate(members)}
    keys = sorted(order)
    for sweep in range(sweeps):
        for k in (keys[1:] if sweep % 2 == 0 else keys[::-1][1:]):
            near = k - 1 if sweep % 2 == 0 else k + 1
            ref = set(order.get(near, ()))

            def centre(a, ref=ref):
                ns = [rank[b] for b in adj[a] if b in ref] or [rank[b] for b in adj[a]]
                return (sum(ns) / len(ns), rank[a]) if ns else (rank[a], rank[a])

            order[k] = sorted(order[k], key=centre)
            rank.update({a: float(i) for i, a in enumerate(order[k])})
    return order


def _straighten(order: dict[int, list[int]], adj, real: int, rounds: int = 6) -> dict[int, float]:
    """Positions within each layer: in order, at least a node's room apart (half for a dummy), each as
    near as it can be to the mean of its neighbours' (least squares under the spacing: an isotonic
    regression, by pooling adjacent violators); then shifted so the tallest layer starts at 0."""
    room = {v: 1.0 if v < real else DUMMY_ROOM for members in order.values() for v in members}
    y: dict[int, float] = {}
    for members in order.values():
        acc = 0.0
        for i, v in enumerate(members):
            acc += 0.0 if i == 0 else (room[members[i - 1]] + room[v]) / 2
            y[v] = acc
    tallest = max(order.values(), key=lambda m: y[m[-1]] - y[m[0]] if m else 0)
    mid = (y[tallest[0]] + y[tallest[-1]]) / 2
    for members in order.values():
        shift = mid - (y[members[0]] + y[members[-1]]) / 2
        for v in members:
            y[v] += shift
    keys = sorted(order)
    for r in range(rounds):
        for k in (keys if r % 2 == 0 else keys[::-1]):
            members = order[k]
            want = [np.mean([y[b] for b in adj[v]]) if adj[v] else y[v] for v in members]
            gaps = [0.0] + [(room[a] + room[b]) / 2 for a, b in zip(members, members[1:])]
            for v, value in zip(members, spaced(want, gaps)):
                y[v] = value
    low = min(y.values())
    return {v: value - low for v, value in y.items()}


def spaced(want, gaps) -> list[float]:
    """The positions nearest ``want`` (least squares) with y[i] - y[i-1] >= gaps[i]."""
    offset = np.cumsum(gaps)
    z = np.asarray(want, float) - offset
    blocks: list[list[float]] = []          # [sum, count] per pooled block
    for value in z:
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    out = np.concatenate([np.full(int(c), s / c) for s, c in blocks])
    return (out + offset).tolist()


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

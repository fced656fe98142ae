"""The AS graph folded to what can be read at a glance: the ASes that carry most of a scope's routes,
and the rest in labelled groups ("312 origin ASes via AS4134", "41 more peers") that a click opens.

How the field does it: the Internet Health Report's country views rank ASes by AS hegemony (the share
of the paths toward the country's networks that cross an AS, from many viewpoints) and show the top
few, sized by it; BGPlay draws every path of one prefix and prunes edges carried by few paths. Here an
AS's weight is its share of the scope's routes over the window: every (peer session, prefix) route held
counts for the time it is held, on every AS of its path (``routes`` are the window's route intervals,
so the choice is made once per window and nothing jumps as the cursor moves).

* A window with at most ``SMALL`` ASes is drawn whole (the demo, one prefix).
* Otherwise each AS takes its main role, the one it holds on most of its routes (a transit that also
  originates a few prefixes is a transit), and the ``KEEP`` heaviest ASes of each role are kept, if
  they carry at least ``MIN_SHARE`` of the routes (the heaviest of a role always).
* Every other AS joins one group: the peers in "N more peers"; an origin or a transit in the group of
  its kind hanging from the nearest kept AS toward the peer on the paths that carry most of its
  routes ("N origin ASes via AS4134"), or "N more origin/transit ASes" when no kept AS comes before
  it. Past the ``GROUPS`` heaviest groups, the others join the "more" group of their kind. A group of
  one is its AS (a "more" group's one AS, while fewer than ``ALONE`` are kept).
* Opening a group keeps its ``PAGE`` heaviest members (each further page the next ones); what is
  left stays a group ("N more origin ASes via AS4134").

Paths are then read through the folding (each AS replaced by its node, repeats merged), so the edges
between nodes carry exactly the routes of the adjacencies they stand for, counted as the unfolded
graph counts them (``graph.count_routes``). Plain numpy; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.analysis.graph import ROLES, Held, RouteTimes, count_routes, path_table, routes_at
from explorer.analysis.layout import Layout, layered_layout
from explorer.analysis.sparse import distinct
from explorer.analysis.routes import US

SMALL = 30
KEEP = {"peer": 4, "transit": 4, "upstream": 4, "origin": 4}
MIN_SHARE = 0.005
PAGE = 12
GROUPS = 6              # groups hanging from a kept AS, the heaviest; the others join "N more ..."
ALONE = 20              # a group of one is its AS while fewer than this many ASes are kept
KINDS = ("origin", "transit", "peer")         # what a group holds; upstreams fold with the transits


@dataclass(frozen=True)
class Node:
    key: int                    # stable across foldings of one window: the ASN, or < 0 for a group
    asn: int | None             # None for a group
    role: str                   # an AS's main role; a group's kind
    weight: float               # routes held through it, averaged over the window
    members: tuple[int, ...] = ()       # a group's ASes, heaviest first
    anchor: int | None = None   # a group's kept AS toward the peer (None: "more ...")
    group: tuple | None = None  # a group's key, (kind, anchor); an opened AS: the group it came from
    opened: bool = False        # a group some of whose members are shown

    @property
    def is_group(self) -> bool:
        return self.asn is None

    def text(self) -> str:
        """A group's label: ``312 origin ASes via AS4134``; '' for an AS (its name is the view's)."""
        if not self.is_group:
            return ""
        n, kind = len(self.members), self.role
        more = "more " if self.opened or self.anchor is None else ""
        if kind == "peer":
            return f"{n:,} more peer{'s' if n != 1 else ''}"
        noun = f"{kind} AS{'es' if n != 1 else ''}"
        return f"{n:,} {more}{noun}" + (f" via AS{self.anchor}" if self.anchor is not None else "")


@dataclass
class FoldAt:
    """Routes at one instant over a folding's nodes and edges (a (session, prefix) counts once each)."""

    nodes: np.ndarray
    edges: np.ndarray
    routes: int


@dataclass
class Folding:
    nodes: list[Node]
    node_of: dict[int, int]         # every AS of the window -> the index of the node that shows it
    node_ptr: np.ndarray            # per path of the route table: the nodes it passes (CSR, each once)
    node_id: np.ndarray
    edge_ptr: np.ndarray            # per path: its edges between nodes (CSR, each once)
    edge_id: np.ndarray
    edges: np.ndarray               # (E, 2) node indices, source nearer the peer
    layout: Layout                  # keyed by Node.key
    edge_weight: np.ndarray         # per edge: routes over it, averaged over the window
    open: dict = field(default_factory=dict)   # (kind, anchor) -> pages opened
    total_ases: int = 0
    total_weight: float = 0.0
    start: FoldAt | None = None     # at the window's start
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def folded(self) -> bool:
        return any(n.is_group for n in self.nodes)

    def at(self, r: RouteTimes, held: Held | np.ndarray) -> FoldAt:
        n, e = len(self.nodes), len(self.edges)
        node_owner, edge_owner = self._owners()
        held = held if isinstance(held, Held) else Held.of(r, held)
        nodes, routes = count_routes(r, held, self.node_ptr, self.node_id, n, node_owner)
        edges, _ = count_routes(r, held, self.edge_ptr, self.edge_id, e, edge_owner)
        return FoldAt(nodes, edges, routes)

    def _owners(self) -> tuple[np.ndarray, np.ndarray]:
        if "owners" not in self.cache:
            self.cache["owners"] = (np.repeat(np.arange(len(self.node_ptr) - 1), np.diff(self.node_ptr)),
                                    np.repeat(np.arange(len(self.edge_ptr) - 1), np.diff(self.edge_ptr)))
        return self.cache["owners"]

    def paths_through(self, node: int) -> np.ndarray:
        """Bool per path of the route table: whether it passes ``node``."""
        on = np.zeros(len(self.node_ptr) - 1, bool)
        on[self._owners()[0][self.node_id == node]] = True
        return on

    def edges_through(self, node: int, r: RouteTimes, held: Held | np.ndarray) -> np.ndarray:
        """Indices of the edges of the paths held that pass ``node`` (to highlight them)."""
        on = self.paths_through(node)
        paths = held.paths() if isinstance(held, Held) else np.unique(r.path[held])
        paths = paths[on[paths]]
        lens = self.edge_ptr[paths + 1] - self.edge_ptr[paths]
        idx = np.repeat(self.edge_ptr[paths], lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
        return np.unique(self.edge_id[idx])

    def prefixes_through(self, node: int, r: RouteTimes, held: Held | np.ndarray) -> np.ndarray:
        on = self.paths_through(node)
        held = held.indices() if isinstance(held, Held) else held
        return np.unique(r.prefix[held][on[r.path[held]]])

    def index_of_key(self) -> dict[int, int]:
        return {n.key: i for i, n in enumerate(self.nodes)}


def group_key_int(key: tuple) -> int:
    """A group's stable node key: negative, from its kind and anchor."""
    kind, anchor = key[0], key[1]
    return -(KINDS.index(kind) * 10**10 + (anchor + 1 if anchor is not None else 0) + 1)


def path_weights(r: RouteTimes, lo: int, hi: int) -> np.ndarray:
    """Per path: its routes' time held within [lo, hi] in seconds (a route seen at one instant: 1 s).
    Kept in ``r.cache`` (a kept view carries it: ``viewmodel.view.kept_form``)."""
    key = ("path_weights", int(lo), int(hi))
    if key not in r.cache:
        pt = path_table(r)
        s = np.maximum(r.start, lo * US)
        e = np.minimum(r.end, hi * US)
        held = np.maximum(e - s, 0) / US + 1.0
        r.cache[key] = np.bincount(r.path, weights=held, minlength=len(pt.node_ptr) - 1)
    return r.cache[key]


def fold(r: RouteTimes, lo: int, hi: int, open: dict | None = None, hint: dict | None = None) -> Folding:
    """The folding of the routes ``r`` over the window [lo, hi], with the groups ``open`` opened
    ((kind, anchor) -> pages); ``hint``: Node.key -> y of an earlier layout, to open in place."""
    open = dict(open or {})
    pt = path_table(r)
    n_paths = len(pt.node_ptr) - 1
    w_path = path_weights(r, lo, hi)
    owner = np.repeat(np.arange(n_paths), np.diff(pt.node_ptr))
    asns, a_idx = np.unique(pt.node_asn, return_inverse=True)
    n_as = len(asns)
    w_flat = w_path[owner]
    weight = np.bincount(a_idx, weights=w_flat, minlength=n_as)
    by_role = np.bincount(a_idx * 4 + pt.node_role, weights=w_flat, minlength=4 * n_as).reshape(n_as, 4)
    main = by_role.argmax(axis=1) if n_as else np.zeros(0, np.int64)       # ties: the first of ROLES
    total = float(w_path.sum()) or 1.0

    kept = np.ones(n_as, bool) if n_as <= SMALL else _heaviest(weight, main, total)
    opened: dict[int, tuple] = {}          # an AS opened from a group -> that group's key
    taken: dict[tuple, int] = {}
    groups: dict[tuple, list[int]] = {}
    for _ in range(8):                      # until opening and singletons change nothing
        groups = _capped(_groups(pt, owner, a_idx, kept, main, w_flat, asns), weight, open)
        changed = False
        for key, members in groups.items():
            members.sort(key=lambda a: (-weight[a], asns[a]))
            alone = len(members) == 1 and (kept.sum() < ALONE or key[1] is not None)
            take = 1 if alone else max(0, PAGE * open.get(key, 0) - taken.get(key, 0))
            for a in members[:take]:
                kept[a] = True
                opened.setdefault(int(asns[a]), key)
            taken[key] = taken.get(key, 0) + min(take, len(members))
            changed |= take > 0
        if not changed:
            break

    nodes: list[Node] = []
    node_of_idx = np.full(n_as, -1, np.int64)
    for a in np.flatnonzero(kept)[np.argsort(-weight[kept], kind="stable")]:
        node_of_idx[a] = len(nodes)
        nodes.append(Node(int(asns[a]), int(asns[a]), ROLES[int(main[a])], float(weight[a]) / (hi - lo or 1),
                          group=opened.get(int(asns[a]))))
    for key, members in sorted(groups.items(), key=lambda kv: -sum(weight[a] for a in kv[1])):
        for a in members:
            node_of_idx[a] = len(nodes)
        nodes.append(Node(group_key_int(key), None, key[0], float(weight[members].sum()) / (hi - lo or 1),
                          tuple(int(asns[a]) for a in members), key[1], key, open.get(key, 0) > 0))

    rep = node_of_idx[a_idx]
    node_ptr, node_id, edge_ptr, edge_id, edges, hops = _contract(rep, owner, pt.node_ptr, n_paths, len(nodes),
                                                                  w_path)
    origins = [nodes[i].key for i in range(len(nodes))
               if (nodes[i].is_group and nodes[i].role == "origin")
               or (not nodes[i].is_group and by_role[np.searchsorted(asns, nodes[i].asn), 0] > 0)]
    edge_w = np.bincount(edge_id, weights=w_path[np.repeat(np.arange(n_paths), np.diff(edge_ptr))],
                         minlength=len(edges))
    layout = layered_layout([(nodes[s].key, nodes[t].key) for s, t in edges.tolist()], origins, hint=hint,
                            weights={(nodes[s].key, nodes[t].key): w for (s, t), w in zip(edges.tolist(), edge_w)},
                            layers={n.key: int(h) for n, h in zip(nodes, hops)} if any(n.is_group for n in nodes)
                            else None)
    f = Folding(nodes, {int(asns[a]): int(node_of_idx[a]) for a in range(n_as)}, node_ptr, node_id, edge_ptr,
                edge_id, edges, layout, edge_w / (hi - lo or 1), open, n_as, total / (hi - lo or 1))
    f.start = f.at(r, routes_at(r, lo))
    return f


def _heaviest(weight, main, total) -> np.ndarray:
    """The ``KEEP`` heaviest ASes of each main role that carry at least ``MIN_SHARE`` (the first always)."""
    kept = np.zeros(len(weight), bool)
    for role, quota in KEEP.items():
        mine = np.flatnonzero(main == ROLES.index(role))
        mine = mine[np.argsort(-weight[mine], kind="stable")][:quota]
        kept[mine[(weight[mine] >= MIN_SHARE * total) | (np.arange(len(mine)) == 0)]] = True
    return kept


def _groups(pt, owner, a_idx, kept, main, w_flat, asns) -> dict[tuple, list[int]]:
    """Each AS not kept -> its group's key (kind, anchor ASN or None), as lists of AS indices."""
    n = len(owner)
    kept_flat = kept[a_idx]
    last = np.maximum.accumulate(np.where(kept_flat, np.arange(n), -1)) if n else np.zeros(0, np.int64)
    starts = pt.node_ptr[owner]
    anchor = np.where(last >= starts, a_idx[np.maximum(last, 0)], -1)       # nearest kept AS toward the peer
    loose = np.flatnonzero(~kept_flat)
    width = len(kept) + 1
    pair = a_idx[loose] * width + (anchor[loose] + 1)
    pairs, inv = np.unique(pair, return_inverse=True)
    w = np.bincount(inv, weights=w_flat[loose])
    who, at = pairs // width, pairs % width - 1
    best = np.lexsort((-w, who))                    # per AS, its heaviest anchor first
    first = np.ones(len(best), bool)
    first[1:] = who[best][1:] != who[best][:-1]
    groups: dict[tuple, list[int]] = {}
    for a, anc in zip(who[best][first].tolist(), at[best][first].tolist()):
        role = ROLES[int(main[a])]
        kind = "peer" if role == "peer" else "origin" if role == "origin" else "transit"
        key = (kind, None) if kind == "peer" or anc < 0 else (kind, int(asns[anc]))
        groups.setdefault(key, []).append(a)
    return groups


def _capped(groups: dict[tuple, list[int]], weight, open) -> dict[tuple, list[int]]:
    """The ``GROUPS`` heaviest groups with an anchor as they are (an opened one whatever its weight); the
    others' members in "more" groups."""
    anchored = sorted((k for k in groups if k[1] is not None), key=lambda k: (k not in open, -weight[groups[k]].sum()))
    out = {k: v for k, v in groups.items() if k[1] is None}
    for k in anchored[GROUPS:]:
        out.setdefault((k[0], None), []).extend(groups[k])
    out.update({k: groups[k] for k in anchored[:GROUPS]})
    return out


def _contract(rep, owner, ptr, n_paths, n_nodes, w_path):
    """Per path: the nodes it passes and the edges between them, repeats merged, each once per path;
    and per node, its hops to the end of the paths it is on (the weighted median over its routes)."""
    keep = np.ones(len(rep), bool)
    keep[1:] = (rep[1:] != rep[:-1]) | (owner[1:] != owner[:-1])
    c_rep, c_owner = rep[keep], owner[keep]
    hops = _median_hops(c_rep, c_owner, w_path, n_nodes)
    # (distinct int64 keys by a plain sort: np.unique's hashing, and its rows with axis=0, took 1.1 s
    # of the United States' 1.5 s fold, over 345,000 path entries)
    pair = distinct(c_owner * n_nodes + c_rep)
    node_ptr = np.concatenate([[0], np.cumsum(np.bincount(pair // n_nodes, minlength=n_paths))])
    node_id = pair % n_nodes
    step = np.flatnonzero(c_owner[1:] == c_owner[:-1])
    keys, eid = np.unique(c_rep[step] * n_nodes + c_rep[step + 1], return_inverse=True)   # (source, target)
    edges = np.stack([keys // n_nodes, keys % n_nodes], axis=1)
    eid = np.asarray(eid, np.int64).ravel()
    n_edges = max(len(edges), 1)
    pe = distinct(c_owner[step] * n_edges + eid)
    edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(pe // n_edges, minlength=n_paths))])
    return node_ptr, node_id, edge_ptr, pe % n_edges, edges.reshape(-1, 2), hops


def _median_hops(c_rep, c_owner, w_path, n_nodes) -> np.ndarray:
    """Per node: the weighted median, over the routes through it, of its hops to its path's end."""
    n = len(c_rep)
    if not n:
        return np.zeros(n_nodes, np.int64)
    last = np.ones(n, bool)
    last[:-1] = c_owner[1:] != c_owner[:-1]
    end = np.flatnonzero(last)
    end_of = end[np.searchsorted(end, np.arange(n))]          # the index of each entry's path end
    hops = end_of - np.arange(n)
    top = int(hops.max()) + 1
    pair, inv = np.unique(c_rep * top + hops, return_inverse=True)
    w = np.bincount(inv, weights=w_path[c_owner])
    node, h = pair // top, pair % top
    total = np.bincount(node, weights=w, minlength=n_nodes)
    before = np.cumsum(w) - w                                  # pairs are sorted by node, then hops
    first = np.searchsorted(node, node)                        # each node's first pair
    before -= (np.cumsum(w) - w)[first]
    median = (before < total[node] / 2) & (before + w >= total[node] / 2)
    out = np.zeros(n_nodes, np.int64)
    out[node[median]] = h[median]
    return out

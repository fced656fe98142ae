"""Visibility of a scope at the instants of a window: by total, by prefix, by upstream.

The value at instant t is the routing state after every element with timestamp <= t: a route
counts at t when its interval has start <= t < end. ``peers`` of a prefix is the number of distinct
sessions holding a route to exactly that prefix; the prefix is visible when enough full-feed
sessions do (``Definitions``). Announcements and withdrawals are counted in the bin (t - step, t].
/24s are counted once however many visible prefixes cover them (IPv4 only). ``visible_origins``
counts the distinct origin ASes of the visible prefixes, a prefix's origin being the one most of its
full-feed routes in the window carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.definitions import Definitions, Window
from explorer.analysis.errors import AnalysisError
from explorer.analysis.paths import path_hops
from explorer.analysis.routes import US, FullFeed, Routes, fetch_routes, full_feed
from explorer.analysis.scope import Scope
from explorer.store.queries import kept_span
from explorer.timeutil import iso


@dataclass
class Visibility:
    scope: Scope
    window: Window
    definitions: Definitions
    full_feed: FullFeed
    routes: Routes
    a: np.ndarray                       # per route: first instant index it covers
    b: np.ndarray                       # per route: first index it no longer covers
    ff: np.ndarray                      # per route: held by a full-feed session
    threshold: np.ndarray               # per prefix id: full-feed sessions needed to be visible
    transitions: tuple                  # (prefix, instant index, +1 visible / -1 not)
    visible_prefixes: np.ndarray
    visible_slash24: np.ndarray
    visible_origins: np.ndarray
    announcements: np.ndarray
    withdrawals: np.ndarray
    add_path: bool = True               # a session holds two routes of a prefix at once (sparse.overlapping)
    ff_steps: tuple = ()                # (prefix rank, instant index, full-feed sessions from then on)

    def header(self) -> dict:
        return {"scope": self.scope.describe(), "start": iso(self.window.start), "end": iso(self.window.end),
                "step_s": self.window.step, "full_feed_sessions": {f"ipv{k}": v for k, v in self.full_feed.counts.items()},
                **self.definitions.as_dict(), "text": self.definitions.describe()}


def check_window(con, window: Window) -> None:
    first, last = kept_span(con)
    if first is None:
        raise AnalysisError("the store holds no routing data yet: import archives first (bgp-explorer ingest PATH)")
    if window.end < first or window.start > np.ceil(last):    # the instant just after the last element still counts
        raise AnalysisError(f"no data in the window {iso(window.start)} to {iso(window.end)}: the store holds "
                            f"{iso(first)} to {iso(last)}")


def visibility(con, scope: Scope, window: Window, defs: Definitions, *, sizes_window: Window | None = None) -> Visibility:
    """``sizes_window``: the window whose table sizes choose the full-feed sessions (default: this
    one); the explorer's zoom into a part of its window keeps the whole window's, so that the
    zoomed timeline counts what the whole one does."""
    check_window(con, window)
    k = window.count
    routes = fetch_routes(con, scope.index, scope.prefix_ids, window)      # and the updates, in one read
    af = scope.index.af
    ff = full_feed(con, sizes_window or window, defs, routes, af)
    thr_af = np.full(7, np.iinfo(np.int64).max, np.int64)
    for fam, n in ff.counts.items():
        if n:
            thr_af[fam] = max(1, int(np.ceil(defs.threshold * n - 1e-9)))
    threshold = thr_af[af]
    ffm = ff.mask(routes.session, af[routes.prefix]) & (routes.a < routes.b)
    rank = routes.rank[ffm]
    # asked once for every route: a subset of routes with none has none (by_prefix, upstream_routes)
    add_path = sparse.overlapping(routes.rank, routes.session, routes.a, k, routes.b)
    steps = prefix_steps(rank, routes.session[ffm], routes.a[ffm], routes.b[ffm], k, add_path)
    r, i, d = sparse.crossings(*steps, threshold[scope.prefix_ids][steps[0]])
    p = scope.prefix_ids[r]
    visible = sparse.series(i, d, k)
    slash24 = slash24_series(scope, p, i, d, k)
    origin = _origin_of(rank, routes.origin[ffm], len(scope.prefix_ids))[r]
    has = origin >= 0
    origins = _any_series(origin[has], i[has], d[has], k)
    ann, wd = routes.updates.per_step(window)
    return Visibility(scope, window, defs, ff, routes, routes.a, routes.b, ffm, threshold, (p, i, d), visible,
                      slash24, origins, ann, wd, add_path, steps)


def prefix_steps(rank, session, a, b, k, add_path: bool):
    """(prefix rank, instant index, sessions holding it from then on), each session counted once.
    ``add_path``: whether these ranges may overlap (``sparse.overlapping``)."""
    if add_path:                                           # ADD-PATH: count each session once
        group, _ = sparse.rank(session, rank)
        rows, a, b = sparse.merge(group, a, b, k)
        return sparse.steps(rank[rows], a, b, k)
    return sparse.sorted_steps(rank, a, b, k)


def _origin_of(rank, origin, n):
    """Per prefix rank: the origin AS most of its full-feed routes in the window carry (-1: none)."""
    out = np.full(n, -1, np.int64)
    sel = origin >= 0
    if not sel.any():
        return out
    key = np.sort((rank[sel] << 32) | origin[sel])
    change = np.ones(len(key), bool)
    change[1:] = key[1:] != key[:-1]
    starts = np.nonzero(change)[0]
    counts = np.diff(np.append(starts, len(key)))
    pairs = key[starts]
    order = np.lexsort((counts, pairs >> 32))               # per prefix, the most common origin last
    out[pairs[order] >> 32] = pairs[order] & 0xFFFFFFFF
    return out


def _visible_pairs(session, prefix, a, b, key, threshold, k, key_out=False):
    """Transitions of (prefix[, key]) between visible and not: seen by >= threshold[prefix] sessions."""
    cols = (session, prefix) if key is None else (session, prefix, key)
    group, _ = sparse.rank(*cols)
    rows, a2, b2 = sparse.merge(group, a, b, k)
    pair_cols = (prefix[rows],) if key is None else (prefix[rows], key[rows])
    pair, first = sparse.rank(*pair_cols)
    g, i, c = sparse.steps(pair, a2, b2, k)
    pair_prefix = prefix[rows][first]
    tg, ti, td = sparse.crossings(g, i, c, threshold[pair_prefix[g]])
    if key_out:
        return key[rows][first][tg], ti, td
    return pair_prefix[tg], ti, td


def _any_series(key, idx, delta, k):
    """How many distinct keys have at least one visible pair at each instant."""
    if not len(key):
        return np.zeros(k, np.int64)
    kr, _ = sparse.rank(key)
    g, i, c = sparse.steps_from_deltas(kr, idx, delta, k)
    _, ti, td = sparse.crossings(g, i, c, np.ones(len(g), np.int64))
    return sparse.series(ti, td, k)


def slash24_series(scope: Scope, prefix, idx, delta, k):
    """Visible /24s: the IPv4 space of visible prefixes cut into pieces no prefix boundary crosses."""
    ix = scope.index
    v4 = ix.af[prefix] == 4
    prefix, idx, delta = prefix[v4], idx[v4], delta[v4]
    ids = scope.prefix_ids[ix.af[scope.prefix_ids] == 4]
    if not len(prefix):
        return np.zeros(k, np.int64)
    lo24 = (ix.lo >> np.uint64(8)).astype(np.int64)
    hi24 = (ix.hi >> np.uint64(8)).astype(np.int64) + 1
    bounds = np.unique(np.concatenate((lo24[ids], hi24[ids])))
    s = np.searchsorted(bounds, lo24[prefix])
    n = np.searchsorted(bounds, hi24[prefix]) - s
    total = int(n.sum())
    seg = np.repeat(s, n) + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
    g, i, c = sparse.steps_from_deltas(seg, np.repeat(idx, n), np.repeat(delta, n), k)
    tg, ti, td = sparse.crossings(g, i, c, np.ones(len(g), np.int64))
    width = np.diff(bounds)
    return sparse.series(ti, td * width[tg], k)


def by_prefix(v: Visibility):
    """Per prefix of the scope and instant: (prefix id, peers, full-feed peers), each a prefixes x
    instants ``sparse.StepGrid`` (its ``dense()`` the whole grid). The full-feed steps are those
    the visibility was computed from (``Visibility.ff_steps``)."""
    k, r = v.window.count, v.routes
    ids = v.scope.prefix_ids
    every = prefix_steps(r.rank, r.session, v.a, v.b, k, v.add_path)
    return ids, sparse.StepGrid(*every, len(ids), k), sparse.StepGrid(*v.ff_steps, len(ids), k)


def by_upstream(con, v: Visibility):
    """(upstream ASNs, upstreams x instants visible prefixes): a prefix counts for an upstream when
    enough full-feed sessions route it through that upstream (the AS just before the origin)."""
    r, k = v.routes, v.window.count
    ups = np.array([h.upstream if h.upstream is not None else -1 for h in r.hops], np.int64)
    up = ups[r.path] if len(r.path) else np.zeros(0, np.int64)
    sel = v.ff & (up >= 0)
    key, i, d = _visible_pairs(r.session[sel], r.prefix[sel], v.a[sel], v.b[sel], up[sel], v.threshold, k,
                               key_out=True)
    asns = np.unique(up[sel])
    if not len(asns):
        return asns, np.zeros((0, k), np.int64)
    row = np.searchsorted(asns, key)
    g, gi, c = sparse.steps_from_deltas(row, i, d, k)
    return asns, sparse.grid(g, gi, c, g, len(asns), k)


def upstream_routes(v: Visibility):
    """(upstream ASNs, upstreams x instants routes through each): every session's (session, prefix)
    routes, no visibility threshold, each counted once per upstream however many paths it holds
    (ADD-PATH); a route's upstream is the AS before the origin. Each row over the column's sum is that
    upstream's share of the routes: who carries the scope, seen from every session."""
    r, k = v.routes, v.window.count
    ups = np.array([h.upstream if h.upstream is not None else -1 for h in r.hops], np.int64)
    up = ups[r.path] if len(r.path) else np.zeros(0, np.int64)
    sel = (up >= 0) & (r.a < r.b)
    asns = np.unique(up[sel])
    if not len(asns):
        return asns, np.zeros((0, k), np.int64)
    key = np.searchsorted(asns, up[sel])
    if v.add_path:                                          # ADD-PATH: once an upstream
        group, _ = sparse.rank(r.session[sel], r.prefix[sel], key)
        rows, a2, b2 = sparse.merge(group, r.a[sel], r.b[sel], k)
        g, i, c = sparse.steps(key[rows], a2, b2, k)
    else:
        g, i, c = sparse.sorted_steps(key, r.a[sel], r.b[sel], k)
    return asns, sparse.grid(g, i, c, g, len(asns), k).astype(np.int64)

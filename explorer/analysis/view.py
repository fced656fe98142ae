"""What the explorer window shows, computed from the store for one view state: the timeline over the
window and the AS graph at any instant of it.

``load_view`` reads the scope's route intervals once (one query) and derives every series from them
with numpy; ``graph_at`` then answers a cursor move from those arrays without touching the store, so
moving the cursor stays fast however large the store is.

Definitions used here (printed in every chart's footer by ``ViewData.definitions``):

* the sessions counted are those that held a route to a prefix of the scope during the window;
* a prefix is visible at instant t when at least ``threshold`` of them hold a route to exactly that
  prefix at t (routing state after every element with timestamp <= t);
* a visible prefix is stacked under its upstream (the AS before the origin) held by most sessions;
* announcements and withdrawals are counted in the bin (t - step, t].
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np

from explorer.analysis.layout import Layout, layered_layout
from explorer.briefing.state import StateError, ViewState

US = 1_000_000
OPEN = np.int64(2**62)
MAX_INSTANTS = 20_000


@dataclass
class Event:
    kind: str                   # 'outage' | 'instability'
    start: int
    end: int
    prefixes: int
    slash24: int
    depth: float

    @property
    def duration_s(self) -> int:
        return self.end - self.start


@dataclass
class Routes:
    """The scope's route intervals overlapping the window (times in microseconds)."""

    session: np.ndarray
    prefix: np.ndarray          # index into ViewData.prefixes
    path: np.ndarray            # index into ViewData.paths
    start: np.ndarray
    end: np.ndarray


@dataclass
class ViewData:
    state: ViewState
    label: str
    instants: np.ndarray                    # Unix seconds
    prefixes: list[str]
    paths: list[tuple[int, ...]]            # AS paths, prepending removed, cut at an AS_SET
    routes: Routes
    sessions: int                           # sessions counted (the denominator of visibility)
    threshold: float
    peers: np.ndarray                       # (prefixes, instants): sessions holding a route
    visible: np.ndarray                     # (prefixes, instants) bool
    visible_slash24: np.ndarray
    by_upstream: dict[int, np.ndarray]      # upstream AS -> visible prefixes stacked under it
    announcements: np.ndarray
    withdrawals: np.ndarray
    events: list[Event]
    layout: Layout
    names: dict[int, str] = field(default_factory=dict)
    countries: dict[int, str] = field(default_factory=dict)
    source: str = ""                        # where the scope came from (country mapping)

    @property
    def visible_prefixes(self) -> np.ndarray:
        return self.visible.sum(axis=0)

    @property
    def definitions(self) -> str:
        return (f"visible: routed by >= {self.threshold:g} of the {self.sessions} sessions that routed "
                f"{self.label} in the window; stacked by the upstream most sessions use; bins of "
                f"{self.state.step} s, state after every element <= t")

    def index_at(self, t: int) -> int:
        """The last instant <= t."""
        return int(np.clip(np.searchsorted(self.instants, t, "right") - 1, 0, len(self.instants) - 1))


def parse_path(text: str) -> tuple[int, ...]:
    """'2914 1239 1239 4837 131279' -> (2914, 1239, 4837, 131279); stops at an AS_SET '{..}'."""
    out: list[int] = []
    for tok in text.split():
        if not tok.isdigit():
            break
        a = int(tok)
        if not out or out[-1] != a:
            out.append(a)
    return tuple(out)


def scope_prefix_ids(con, state: ViewState) -> tuple[np.ndarray, list[str], str]:
    """(prefix ids, prefix texts, label) of the scope; prefixes include their more-specifics."""
    if state.scope_kind == "origin":
        asn = _asn(state.scope)
        rows = con.execute("""
            SELECT DISTINCT i.prefix_id, x.prefix FROM intervals i JOIN paths p USING (path_id)
            JOIN prefixes x USING (prefix_id)
            WHERE p.origin_asn = ? AND i.start_ts <= make_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?))
            ORDER BY 1""", [asn, state.end * US, state.start * US]).fetchall()
        label = f"AS{asn}"
    elif state.scope_kind == "prefixes":
        rows = []
        for net in {_net(p) for p in state.prefixes}:
            rows += _more_specifics(con, net)
        rows = sorted(set(rows))
        label = state.scope
    else:
        raise StateError("a country scope needs the country registry (explorer.registry); choose prefixes or an origin AS")
    if not rows:
        raise StateError(f"no prefix of {label} in the store: import MRT files that hold it, or check the scope")
    return np.array([r[0] for r in rows], np.int64), [r[1] for r in rows], label


def load_view(con, state: ViewState, *, threshold: float = 0.5, cancelled=lambda: False) -> ViewData:
    """Everything the timeline shows for ``state``, and what the graph needs at any instant."""
    count = (state.end - state.start) // state.step + 1
    if count > MAX_INSTANTS:
        raise StateError(f"{count:,} instants: more than the window can draw ({MAX_INSTANTS:,}); use a larger step")
    ids, prefixes, label = scope_prefix_ids(con, state)
    instants = state.start + state.step * np.arange(count, dtype=np.int64)
    r = con.execute("""
        SELECT i.session_id, i.prefix_id, p.path, epoch_us(i.start_ts) AS s, coalesce(epoch_us(i.end_ts), ?) AS e
        FROM intervals i JOIN paths p USING (path_id)
        WHERE i.prefix_id IN (SELECT unnest(?::INTEGER[]))
          AND i.start_ts <= make_timestamp(?) AND (i.end_ts IS NULL OR i.end_ts > make_timestamp(?))""",
                    [int(OPEN), ids.tolist(), state.end * US, state.start * US]).fetchnumpy()
    if cancelled():
        raise Cancelled()
    where = {int(p): i for i, p in enumerate(ids)}
    path_index: dict[str, int] = {}
    path_col = np.array([path_index.setdefault(p, len(path_index)) for p in r["path"]] if len(r["path"]) else [], np.int64)
    paths = [parse_path(p) for p in path_index]
    routes = Routes(np.asarray(r["session_id"], np.int64),
                    np.array([where[int(p)] for p in r["prefix_id"]], np.int64),
                    path_col, np.asarray(r["s"], np.int64), np.asarray(r["e"], np.int64))
    sessions = len(np.unique(routes.session))

    inst_us = instants * US
    k0 = np.searchsorted(inst_us, routes.start, "left")         # first instant with t >= start
    k1 = np.searchsorted(inst_us, routes.end, "left")           # first instant with t >= end (not held)
    P, K = len(prefixes), len(instants)
    peers = _counts(routes.prefix, k0, k1, P, K)
    need = max(1, int(np.ceil(threshold * sessions))) if sessions else 1
    visible = peers >= need

    ups = np.array([p[-2] if len(p) >= 2 else (p[-1] if p else -1) for p in paths] or [0], np.int64)
    route_up = ups[routes.path] if len(routes.path) else np.zeros(0, np.int64)
    upstreams, up_idx = np.unique(route_up, return_inverse=True)
    per_up = _counts(routes.prefix * max(1, len(upstreams)) + up_idx, k0, k1, P * max(1, len(upstreams)), K)
    per_up = per_up.reshape(P, max(1, len(upstreams)), K)
    main_up = per_up.argmax(axis=1)                            # (P, K): the upstream most sessions use
    by_upstream = {}
    for j, u in enumerate(upstreams.tolist()):
        series = (visible & (main_up == j)).sum(axis=0)
        if series.any():
            by_upstream[int(u)] = series

    slash24 = _slash24(prefixes, visible)
    ann, wd = _updates(con, ids, instants, state.step)
    edges = {(p[i], p[i + 1]) for p in paths for i in range(len(p) - 1)}
    origins = {p[-1] for p in paths if p}
    layout = layered_layout(edges, origins)
    data = ViewData(state, label, instants, prefixes, paths, routes, sessions, threshold, peers, visible,
                    slash24, by_upstream, ann, wd, [], layout)
    data.events = detect_events(data)
    return data


class Cancelled(Exception):
    """A newer request superseded this one."""


def _counts(group: np.ndarray, k0: np.ndarray, k1: np.ndarray, groups: int, K: int) -> np.ndarray:
    """How many intervals of each group cover each instant (difference array, then cumulative sum)."""
    diff = np.zeros(groups * (K + 1), np.int32)
    keep = k0 < k1
    np.add.at(diff, group[keep] * (K + 1) + k0[keep], 1)
    np.add.at(diff, group[keep] * (K + 1) + k1[keep], -1)
    return np.cumsum(diff.reshape(groups, K + 1), axis=1)[:, :K]


def _slash24(prefixes: list[str], visible: np.ndarray) -> np.ndarray:
    """Visible IPv4 /24s, each counted once however many visible prefixes cover it."""
    ranges = []
    for i, text in enumerate(prefixes):
        n = _net(text)
        if n.version == 4 and n.prefixlen <= 24:
            lo = int(n.network_address) >> 8
            ranges.append((i, lo, lo + (1 << (24 - n.prefixlen))))
    out = np.zeros(visible.shape[1], np.int64)
    if not ranges:
        return out
    idx = np.array([r[0] for r in ranges])
    lo = np.array([r[1] for r in ranges])
    hi = np.array([r[2] for r in ranges])
    order = np.argsort(lo)
    idx, lo, hi = idx[order], lo[order], hi[order]
    nested = np.any(lo[1:] < np.maximum.accumulate(hi)[:-1]) if len(lo) > 1 else False
    if not nested:
        return ((hi - lo)[:, None] * visible[idx]).sum(axis=0)
    for k in range(visible.shape[1]):
        v = visible[idx, k]
        end, total = -1, 0
        for a, b in zip(lo[v], hi[v]):
            if b > end:
                total += b - max(a, end)
                end = b
        out[k] = total
    return out


def _updates(con, ids: np.ndarray, instants: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    r = con.execute("""
        SELECT epoch_us(ts) AS t, kind FROM elements
        WHERE kind IN (1, 2) AND prefix_id IN (SELECT unnest(?::INTEGER[]))
          AND ts > make_timestamp(?) AND ts <= make_timestamp(?)""",
                    [ids.tolist(), (int(instants[0]) - step) * US, int(instants[-1]) * US]).fetchnumpy()
    k = np.searchsorted(instants * US, np.asarray(r["t"], np.int64), "left")
    kind = np.asarray(r["kind"])
    K = len(instants)
    return np.bincount(k[kind == 1], minlength=K)[:K], np.bincount(k[kind == 2], minlength=K)[:K]


def detect_events(d: ViewData, outage_share: float = 0.1, factor: float = 5.0, minimum: int = 10) -> list[Event]:
    """Outages: runs of instants where visible prefixes fall below (1 - outage_share) of the window's
    most; instability: bins with updates above ``factor`` times the median and at least ``minimum``."""
    events = []
    vis = d.visible_prefixes
    base = vis.max() if len(vis) else 0
    if base:
        low = vis < (1 - outage_share) * base
        for a, b in _runs(low):
            if a == 0:
                continue                # no visible state before it in the window: not an outage we can date
            end = int(d.instants[b]) if b < len(vis) else int(d.instants[-1])
            lost = d.visible[:, a - 1] & ~d.visible[:, a:b].all(axis=1) if a else ~d.visible[:, a:b].all(axis=1)
            events.append(Event("outage", int(d.instants[a]), end, int(lost.sum()),
                                int(d.visible_slash24.max() - d.visible_slash24[a:b].min()),
                                float(1 - vis[a:b].min() / base)))
    upd = d.announcements + d.withdrawals
    med = float(np.median(upd)) if len(upd) else 0.0
    for a, b in _runs((upd > factor * med) & (upd >= minimum)):
        events.append(Event("instability", int(d.instants[a]) - d.state.step, int(d.instants[b - 1]),
                            int(upd[a:b].sum()), 0, float(upd[a:b].max() / max(med, 1.0))))
    return sorted(events, key=lambda e: e.start)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(m))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _more_specifics(con, net) -> list[tuple[int, str]]:
    """Stored prefixes inside ``net`` (itself included): IPv4 in SQL, IPv6 (rarer) in Python."""
    if net.version == 4:
        return con.execute("""
            WITH p AS (SELECT prefix_id, prefix, string_split(split_part(prefix, '/', 1), '.') AS o,
                              CAST(split_part(prefix, '/', 2) AS INTEGER) AS len FROM prefixes WHERE af = 4)
            SELECT prefix_id, prefix FROM p
            WHERE len >= ? AND ((o[1]::BIGINT << 24) + (o[2]::BIGINT << 16) + (o[3]::BIGINT << 8) + o[4]::BIGINT)
                               >> (32 - ?) = ?""",
                           [net.prefixlen, net.prefixlen, int(net.network_address) >> (32 - net.prefixlen)]).fetchall()
    return [(pid, text) for pid, text in con.execute("SELECT prefix_id, prefix FROM prefixes WHERE af = 6").fetchall()
            if _net(text).subnet_of(net)]


def _asn(text) -> int:
    try:
        return int(str(text).upper().removeprefix("AS"))
    except ValueError:
        raise StateError(f"origin {text!r}: give an AS number such as 131279 or AS131279") from None


def _net(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise StateError(f"prefix {text!r}: give a prefix such as 175.45.176.0/22") from None

"""Outages and instability periods, found in the visibility series of a scope.

Outage: the instants at which the visible prefixes number fewer than (1 - ``outage_share``) of the
baseline, the most seen at any earlier instant of the window (so one instant before the drop is
enough, however short the window before it). A run of such instants is one outage: ``start`` is its
first instant, ``end`` the first instant at which it is over (restoration), or the window's end when
it is not (``restored`` false). ``prefixes``/``slash24``: lost at the deepest point, against the
baselines; ``depth``: the share of the baseline prefixes lost there (1.0: all). Times are at the
step's resolution: the drop happened in (start - step, start].

Instability: bins (t - step, t] holding at least ``instability_min`` announcements and withdrawals
and more than ``instability_factor`` times the median bin of the window (a robust baseline while
fewer than half the bins are unstable). A run of such bins is one period from its first bin's start
to its last instant; ``prefixes``/``slash24``: those whose routes started or ended in it (any
session: announcements, withdrawals, sessions dropping; in the window's first bin a route that
started there is not told from one held before the window, so that bin adds none); ``flapping``:
prefixes that became visible or invisible at least twice in it; ``depth``: the busiest bin over the
median.
"""

from __future__ import annotations

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.visibility import Visibility
from explorer.timeutil import iso


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[first, after-last) index ranges of the True runs."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def find_events(con, v: Visibility) -> list[dict]:
    return sorted(outages(v) + instability(con, v), key=lambda e: (e["start"], e["kind"]))


def outages(v: Visibility) -> list[dict]:
    w, d = v.window, v.definitions
    t = w.instants()
    vis, s24 = v.visible_prefixes, v.visible_slash24
    base = np.maximum.accumulate(vis)
    base24 = np.maximum.accumulate(s24)
    down = (base > 0) & (vis < (1 - d.outage_share) * base)
    events = []
    for a, b in _runs(down):
        lost = base[a:b] - vis[a:b]
        deepest = a + int(np.argmax(lost))
        restored = b < len(t)
        end = int(t[b]) if restored else w.end
        events.append({"kind": "outage", "start": iso(int(t[a])), "end": iso(end), "duration_s": end - int(t[a]),
                       "restored": restored, "prefixes": int(lost.max()),
                       "slash24": int((base24[a:b] - s24[a:b]).max()),
                       "depth": round(float(lost.max() / base[deepest]), 4),
                       "baseline_prefixes": int(base[a]), "resolution_s": w.step})
    return events


def instability(con, v: Visibility) -> list[dict]:
    w, d = v.window, v.definitions
    t = w.instants()
    updates = v.announcements + v.withdrawals
    median = max(float(np.median(updates)), 1.0) if len(updates) else 1.0
    busy = (updates >= d.instability_min) & (updates > d.instability_factor * median)
    runs = _runs(busy)
    if not runs:
        return []
    prefixes, slash24 = _touched(v, runs)
    flapping = _flapping(v, runs)
    events = []
    for n, (a, b) in enumerate(runs):
        start, end = int(t[a]) - w.step, int(t[b - 1])
        events.append({"kind": "instability", "start": iso(start), "end": iso(end), "duration_s": end - start,
                       "prefixes": int(prefixes[n]), "slash24": int(slash24[n]),
                       "depth": round(float(updates[a:b].max() / median), 2),
                       "updates": int(updates[a:b].sum()), "baseline_updates_per_bin": median,
                       "flapping": int(flapping[n]), "resolution_s": w.step})
    return events


def _run_of(runs, k) -> np.ndarray:
    out = np.full(k + 1, -1, np.int64)
    for n, (a, b) in enumerate(runs):
        out[a:b] = n
    return out


def _touched(v: Visibility, runs):
    """Per run: prefixes whose routes started or ended in its bins (any session), and their /24s."""
    r, k, ix, ids = v.routes, v.window.count, v.scope.index, v.scope.prefix_ids
    lo24 = (ix.lo[ids] >> np.uint64(8)).astype(np.int64)
    hi24 = (ix.hi[ids] >> np.uint64(8)).astype(np.int64) + 1
    order = np.argsort(lo24, kind="stable")                   # scope prefixes by first address
    pos_of = np.empty(len(ids), np.int64)
    pos_of[order] = np.arange(len(ids))
    run_of = _run_of(runs, k)
    starts, ends = r.a > 0, r.b < k
    run = np.concatenate((run_of[r.a[starts]], run_of[r.b[ends]]))
    pos = pos_of[np.concatenate((r.rank[starts], r.rank[ends]))]
    keep = run >= 0
    pairs = sparse.distinct((run[keep] << 32) | pos[keep])    # sorted by run, then first address
    run, pos = pairs >> 32, pairs & 0xFFFFFFFF
    prefixes = np.bincount(run, minlength=len(runs))
    v4 = (ix.af[ids] == 4)[order][pos]
    run, lo, hi = run[v4], lo24[order][pos[v4]], hi24[order][pos[v4]]
    span = np.int64(1 << 26)                                   # beyond any /24 count: keeps runs apart
    reach = np.maximum.accumulate(run * span + hi) - run * span
    prev = np.concatenate(([0], reach[:-1]))
    first = np.ones(len(run), bool)
    first[1:] = run[1:] != run[:-1]
    prev[first] = lo[first]
    slash24 = np.bincount(run, weights=np.maximum(hi - np.maximum(lo, prev), 0), minlength=len(runs))
    return prefixes, slash24.astype(np.int64)


def _flapping(v: Visibility, runs) -> np.ndarray:
    """Per run: prefixes that became visible or invisible at least twice in it."""
    p, i, _ = v.transitions
    run = _run_of(runs, v.window.count)[i]
    keep = run >= 0
    pairs, counts = sparse.distinct((run[keep] << 32) | p[keep], counts=True)
    return np.bincount(pairs[counts >= 2] >> 32, minlength=len(runs))


def slash24_union(index, ids: np.ndarray) -> int:
    """/24s covered by the union of the IPv4 prefixes ``ids``."""
    ids = ids[index.af[ids] == 4]
    if not len(ids):
        return 0
    lo = (index.lo[ids] >> np.uint64(8)).astype(np.int64)
    hi = (index.hi[ids] >> np.uint64(8)).astype(np.int64) + 1
    order = np.argsort(lo)
    lo, hi = lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    prev = np.concatenate(([lo[0]], reach[:-1]))
    return int(np.maximum(hi - np.maximum(lo, prev), 0).sum())

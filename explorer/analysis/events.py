"""Outages and instability periods of a scope, found at its routing changes: the same events, to the
microsecond of the store's times, whatever the step the window is drawn at.

The routing changes. Every instant at which a full-feed route of the scope starts or ends splits the
window [start, end] into spans over which nothing changes (``Changes``); visibility is counted once per
span, so nothing between two instants of a grid is missed.

Outage. A prefix that was visible is *lost* from the instant its last full-feed route was withdrawn to
the instant the first came back (the public record's "withdrawn" and "back"); when some session held a
route all along, from the instant it fell below the visibility threshold to the instant it rose above
it again. The prefixes counted *up* are the others; an outage is a run of spans where they number
fewer than (1 - ``outage_share``) of the baseline, the most counted up at any earlier instant of the
window (so one instant before the drop is enough). ``start`` is the instant the count fell, ``end``
the instant it came back (or where the window or the data end, ``restored`` false).
``prefixes``/``slash24``: lost at the deepest point, against the baselines; ``depth``: the share of
the baseline lost there (1.0: all). ``by_prefix``: each lost prefix's own span, with
``all_withdrawn`` telling which rule gave it. Spans the store knows nothing about (``coverage``) are
never part of an outage nor of its baseline.

Instability. Bins of ``instability_bin`` seconds (aligned to UTC, whatever the step; the window cuts
the first and last) holding at least ``instability_min`` announcements and withdrawals and more than
``instability_factor`` times the median bin of the window (a robust baseline while fewer than half
the bins are unstable). A run of such bins is one period, from its first update to its last;
``prefixes``/``slash24``: those whose routes started or ended in it (any session: announcements,
withdrawals, sessions dropping); ``flapping``: prefixes that became visible or invisible at least
twice in it; ``depth``: the busiest bin over the median.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.analysis import sparse
from explorer.analysis.coverage import Gap, gaps, known_mask
from explorer.analysis.visibility import Visibility, prefix_steps, slash24_series
from explorer.store.queries import US
from explorer.timeutil import iso_us


@dataclass
class Changes:
    """The scope's visibility over the spans between its routing changes, the whole window."""

    times: np.ndarray           # microseconds: the window's start, then every change in (start, end]
    end: int                    # the window's end, microseconds
    visible: np.ndarray         # visible prefixes from each time to the next
    up: np.ndarray              # prefixes not lost (see the module's text)
    up_slash24: np.ndarray
    known: np.ndarray           # per time: outside every gap of the coverage
    transitions: tuple          # visible: (prefix rank, time index, +1 / -1)
    lost: tuple                 # (prefix rank, first time index, after-last index (len: still lost), all withdrawn)
    gaps: list[Gap] = field(default_factory=list)

    def value_at(self, series: np.ndarray, t_us: int):
        return series[max(0, int(np.searchsorted(self.times, t_us, "right")) - 1)]

    def time(self, i: int) -> int:
        return int(self.times[i]) if i < len(self.times) else self.end

    def until(self, i: int) -> int:
        """Where a span that lasts to index ``i`` ends: that change, or where the window or the
        data end (the last element's instant, when ``i`` is past it)."""
        if i < len(self.times) and self.known[i]:
            return int(self.times[i])
        return next((g.start for g in self.gaps if g.kind == "after"), self.end)

    def restored(self, i: int) -> bool:
        return bool(i < len(self.times) and self.known[i])


def changes(con, v: Visibility) -> Changes:
    w, r, scope = v.window, v.routes, v.scope
    t0, t1 = w.start * US, w.end * US
    ff = v.full_feed.mask(r.session, scope.index.af[r.prefix]) & (r.start <= t1) & (r.end > t0) & (r.end > r.start)
    s, e, rank, session = r.start[ff], r.end[ff], r.rank[ff], r.session[ff]
    gap_list = gaps(con, scope.index.ids[scope.prefix_ids], w, r.start)
    edges = [g.start + (g.kind == "after") for g in gap_list] + [g.end for g in gap_list]
    inner = np.concatenate((s[s > t0], e[e <= t1], np.array(edges, np.int64)))
    times = np.unique(np.concatenate(([t0], inner[(inner > t0) & (inner <= t1)])))
    k = len(times)
    a = np.searchsorted(times, s, "left")           # the first time the route covers (start <= t < end)
    b = np.searchsorted(times, e, "left")           # the first it no longer covers
    del s, e, inner, ff                             # (Brazil's week: 0.4 GB before the steps are counted)
    thr = v.threshold[scope.prefix_ids]
    add_path = sparse.overlapping(rank, session, a, k, b)
    steps = prefix_steps(rank, session, a, b, k, add_path)      # once, for both thresholds
    g, i, d = sparse.crossings(*steps, thr[steps[0]])
    hg, hi, hd = sparse.crossings(*steps, np.ones(len(steps[0]), np.int64))
    lost = _lost_spans(g, i, d, hg, hi, hd, k)
    # counted up: visible, save that a lost span starts and ends where its rule says
    first_rise = (d == 1) & np.concatenate(([True], g[1:] != g[:-1]))
    lg, la, lb, _ = lost
    back = lb < k
    ug = np.concatenate((g[first_rise], lg, lg[back]))
    ui = np.concatenate((i[first_rise], la, lb[back]))
    ud = np.concatenate((np.ones(first_rise.sum(), np.int64), -np.ones(len(lg), np.int64), np.ones(back.sum(), np.int64)))
    up = sparse.series(ui, ud, k)
    up24 = slash24_series(scope, scope.prefix_ids[ug], ui, ud, k)
    return Changes(times, t1, sparse.series(i, d, k), up, up24, known_mask(times, gap_list), (g, i, d), lost,
                   gap_list)


def _lost_spans(g, i, d, hg, hi, hd, k):
    """Per fall below the threshold (prefix g at index i, back at the next rise or never): the span it
    is lost, from the first instant no route is held to the last such span's end when it went dark
    in between, else the whole span below the threshold."""
    nxt_same = np.concatenate((g[1:] == g[:-1], [False]))
    nxt = np.concatenate((i[1:], [k]))
    fall = d == -1
    fg, fi, fj = g[fall], i[fall], np.where(nxt_same, nxt, k)[fall]
    h_same = np.concatenate((hg[1:] == hg[:-1], [False]))
    h_next = np.where(h_same, np.concatenate((hi[1:], [k])), k)
    dark = hd == -1
    dg, di, dj = hg[dark], hi[dark], h_next[dark]      # spans with no route held: inside spans below the threshold
    span = np.int64(k + 1)
    key = dg * span + di
    d0 = np.searchsorted(key, fg * span + fi, "left")
    d1 = np.searchsorted(key, fg * span + fj, "left") - 1
    has = d1 >= d0
    la = np.where(has, di[np.minimum(d0, len(di) - 1)] if len(di) else fi, fi)
    lb = np.where(has, dj[np.maximum(d1, 0)] if len(dj) else fj, fj)
    return fg, la, lb, has


def find_events(con, v: Visibility, ch: Changes | None = None) -> list[dict]:
    ch = ch if ch is not None else changes(con, v)
    return sorted(outages(v, ch) + instability(con, v, ch), key=lambda e: (e["start"], e["kind"]))


def outages(v: Visibility, ch: Changes) -> list[dict]:
    d = v.definitions
    up = np.where(ch.known, ch.up, 0)
    base = np.maximum.accumulate(up)
    base24 = np.maximum.accumulate(np.where(ch.known, ch.up_slash24, 0))
    down = ch.known & (base > 0) & (ch.up < (1 - d.outage_share) * base)
    lg, la, lb, dark = ch.lost
    texts = v.scope.index.texts(v.scope.prefix_ids)
    events = []
    for a, b in _runs(down):
        lost = base[a:b] - ch.up[a:b]
        deepest = a + int(np.argmax(lost))
        start, end = ch.time(a), ch.until(b)
        mine = np.flatnonzero((la < b) & (lb > a))
        mine = mine[np.lexsort((la[mine], lg[mine]))]
        by_prefix = [{"prefix": texts[lg[j]], "start": iso_us(ch.time(la[j])), "end": iso_us(ch.until(lb[j])),
                      "duration_s": _seconds(ch.until(lb[j]) - ch.time(la[j])), "restored": ch.restored(lb[j]),
                      "all_withdrawn": bool(dark[j])}
                     for j in mine.tolist()]
        events.append({"kind": "outage", "start": iso_us(start), "end": iso_us(end),
                       "duration_s": _seconds(end - start), "restored": ch.restored(b), "prefixes": int(lost.max()),
                       "slash24": int((base24[a:b] - ch.up_slash24[a:b]).max()),
                       "depth": round(float(lost.max() / base[deepest]), 4), "baseline_prefixes": int(base[a]),
                       "all_withdrawn": bool(by_prefix) and all(p["all_withdrawn"] for p in by_prefix),
                       "by_prefix": by_prefix})
    return events


def instability(con, v: Visibility, ch: Changes | None = None) -> list[dict]:
    w, d = v.window, v.definitions
    t0, t1, width = w.start * US, w.end * US, d.instability_bin * US
    rows = v.routes.updates.bins(t0, t1, width)
    b0 = t0 // width
    nb = t1 // width - b0 + 1
    at = rows["bin"] - b0
    updates = np.bincount(at, weights=rows["n"], minlength=nb).astype(np.int64)
    first = np.full(nb, np.iinfo(np.int64).max, np.int64)
    last = np.full(nb, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(first, at, rows["first"])
    np.maximum.at(last, at, rows["last"])
    median = max(float(np.median(updates)), 1.0)
    busy = (updates >= d.instability_min) & (updates > d.instability_factor * median)
    runs = _runs(busy)
    if not runs:
        return []
    starts = np.array([first[a] for a, _ in runs], np.int64)
    ends = np.array([last[b - 1] for _, b in runs], np.int64)
    prefixes, slash24 = _touched(v, starts, ends)
    flapping = _flapping(ch if ch is not None else changes(con, v), starts, ends)
    events = []
    for n, (a, b) in enumerate(runs):
        events.append({"kind": "instability", "start": iso_us(starts[n]), "end": iso_us(ends[n]),
                       "duration_s": _seconds(ends[n] - starts[n]), "prefixes": int(prefixes[n]),
                       "slash24": int(slash24[n]), "depth": round(float(updates[a:b].max() / median), 2),
                       "updates": int(updates[a:b].sum()), "baseline_updates_per_bin": median,
                       "bin_s": d.instability_bin, "flapping": int(flapping[n])})
    return events


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[first, after-last) index ranges of the True runs."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def _seconds(us) -> int | float:
    us = int(us)
    return us // US if us % US == 0 else us / US


def _run_of(t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per time: the period [starts[n], ends[n]] holding it, or -1 (periods sorted and disjoint)."""
    n = np.searchsorted(starts, t, "right") - 1
    ok = (n >= 0) & (t <= ends[np.maximum(n, 0)])
    return np.where(ok, n, -1)


def _touched(v: Visibility, starts: np.ndarray, ends: np.ndarray):
    """Per period: prefixes whose routes started or ended in it (any session), and their /24s."""
    r, ix, ids = v.routes, v.scope.index, v.scope.prefix_ids
    lo24 = (ix.lo[ids] >> np.uint64(8)).astype(np.int64)
    hi24 = (ix.hi[ids] >> np.uint64(8)).astype(np.int64) + 1
    order = np.argsort(lo24, kind="stable")                   # scope prefixes by first address
    pos_of = np.empty(len(ids), np.int64)
    pos_of[order] = np.arange(len(ids))
    run = np.concatenate((_run_of(r.start, starts, ends), _run_of(r.end, starts, ends)))
    pos = pos_of[np.concatenate((r.rank, r.rank))]
    keep = run >= 0
    pairs = sparse.distinct((run[keep] << 32) | pos[keep])    # sorted by run, then first address
    run, pos = pairs >> 32, pairs & 0xFFFFFFFF
    prefixes = np.bincount(run, minlength=len(starts))
    v4 = (ix.af[ids] == 4)[order][pos]
    run, lo, hi = run[v4], lo24[order][pos[v4]], hi24[order][pos[v4]]
    span = np.int64(1 << 26)                                   # beyond any /24 count: keeps runs apart
    reach = np.maximum.accumulate(run * span + hi) - run * span
    prev = np.concatenate(([0], reach[:-1]))
    first = np.ones(len(run), bool)
    first[1:] = run[1:] != run[:-1]
    prev[first] = lo[first]
    slash24 = np.bincount(run, weights=np.maximum(hi - np.maximum(lo, prev), 0), minlength=len(starts))
    return prefixes, slash24.astype(np.int64)


def _flapping(ch: Changes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per period: prefixes that became visible or invisible at least twice in it."""
    p, i, _ = ch.transitions
    run = _run_of(ch.times[i] if len(i) else np.zeros(0, np.int64), starts, ends)
    keep = run >= 0
    pairs, counts = sparse.distinct((run[keep] << 32) | p[keep], counts=True)
    return np.bincount(pairs[counts >= 2] >> 32, minlength=len(starts))


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


# -- in words ----------------------------------------------------------------------------------------

def what(e: dict) -> str:
    """'all 4 prefixes withdrawn', '3 of 120 prefixes lost', '32 updates over 4 prefixes'."""
    if e["kind"] == "outage":
        verb = "withdrawn" if e.get("all_withdrawn") else "lost"
        n, of = e["prefixes"], e["baseline_prefixes"]
        if n == of:
            return f"its only prefix {verb}" if n == 1 else f"all {n} prefixes {verb}"
        return f"{n:,} of {of:,} prefixes {verb}"
    flap = f", {e['flapping']:,} flapping" if e.get("flapping") else ""
    return f"{e['updates']:,} updates over {e['prefixes']:,} prefix{'es' if e['prefixes'] != 1 else ''}{flap}"

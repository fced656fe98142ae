"""Counting over instants without a prefixes x instants grid.

A route held over [start, end) covers the instants with index in [a, b): ``a`` the first instant at
or after its start, ``b`` the first at or after its end. Everything here works on such ranges and on
"steps" (group, index, count): a count per group that holds from its index up to the group's next
step. Cost grows with the number of ranges (sorting), not with groups x instants.
"""

from __future__ import annotations

import numpy as np


def instant_range(start_us: np.ndarray, end_us: np.ndarray, t0_us: int, step_us: int, k: int):
    """[a, b) instant indices covered by [start, end): t0 + i * step with start <= t < end."""
    a = -((t0_us - start_us) // step_us)
    b = -((t0_us - end_us) // step_us)
    return np.clip(a, 0, k), np.clip(b, 0, k)


def rank(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense rank of the tuples (keys...) and the first row of each distinct tuple."""
    if len(keys[0]) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = order_by(*keys)
    new = np.ones(len(order), bool)
    new[1:] = np.any([np.diff(k[order]) != 0 for k in keys], axis=0)
    ranks = np.empty(len(order), np.int64)
    ranks[order] = np.cumsum(new) - 1
    return ranks, order[new]


def order_by(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows by integer ``keys``, the first the most significant (``np.lexsort`` of
    the keys reversed), by sorting values: numpy sorts values with SIMD but positions without (50 M
    random int64: 1.2 s against 16 s for ``argsort``).

    The keys, each less its minimum, are read as one number of as many bits as their ranges need;
    each digit of it that fits beside a row's position in an int64 is sorted as one value (the
    position in the low bits, so equal digits keep their order), the lowest digit first. A key of
    prefix ranks and sessions is one digit; (prefix, session, start in microseconds), two.
    """
    n = len(keys[0])
    if n < 2:
        return np.arange(n, dtype=np.int64)
    keys = [np.asarray(k) for k in keys]
    parts = []                                  # (key less its minimum, its bits), the least significant first
    for k in reversed(keys):
        if k.dtype.kind not in "iu":
            return np.lexsort(keys[::-1])
        lo, hi = int(k.min()), int(k.max())
        if hi - lo >= 2**62:
            return np.lexsort(keys[::-1])
        parts.append((k, lo, (hi - lo).bit_length()))
    bits = (n - 1).bit_length()
    room = 63 - bits                            # bits a digit may have
    total = sum(w for _, _, w in parts)
    order = None
    for shift in range(0, max(total, 1), room):
        digit = _digit(parts, shift, room)
        if order is None:
            order = _packed_order(digit, bits)
        else:
            order = order[_packed_order(digit[order], bits)]
    return order


def _digit(parts, shift: int, room: int) -> np.ndarray:
    """Bits [shift, shift + room) of the number the keys make (``order_by``), as a new array."""
    digit = None
    at = 0                                      # where the key's lowest bit sits in the number
    for k, lo, w in parts:
        if w and at < shift + room and at + w > shift:
            v = np.subtract(k, lo, dtype=np.int64)
            if at >= shift:                     # the key's low bits land in this digit
                if at + w > shift + room:
                    v &= (1 << (shift + room - at)) - 1
                if at > shift:
                    v <<= at - shift
            else:                               # its bits from shift - at up
                v >>= shift - at
                if at + w - shift > room:
                    v &= (1 << room) - 1
            if digit is None:
                digit = v
            else:
                digit |= v
        at += w
    return digit if digit is not None else np.zeros(len(parts[0][0]), np.int64)


def _packed_order(key: np.ndarray, bits: int) -> np.ndarray:
    """The stable order of non-negative ``key`` (fitting in 63 - bits bits), positions in ``bits``;
    ``key`` (the caller's own) becomes it."""
    packed = key
    packed <<= bits
    packed |= np.arange(len(key), dtype=np.int64)
    packed.sort()
    packed &= (1 << bits) - 1
    return packed


def distinct(x: np.ndarray, counts: bool = False):
    """Sorted distinct values (and how often each occurs) by a plain sort: numpy's hash-based
    ``unique`` is several times slower on millions of int64."""
    x = np.sort(x)
    new = np.ones(len(x), bool)
    new[1:] = x[1:] != x[:-1]
    if not counts:
        return x[new]
    starts = np.nonzero(new)[0]
    return x[starts], np.diff(np.append(starts, len(x)))


def count_at_most(ptr: np.ndarray, values: np.ndarray, x, within: tuple | None = None) -> np.ndarray:
    """Per segment ``values[ptr[i]:ptr[i + 1]]`` (each sorted ascending): how many are <= ``x`` (a
    number, or one per segment). Every segment is bisected at once, in as many passes as the longest
    segment has bits, each over the segments still open: not a pass over the values (the United
    States' week: 24 M steps in 230,000 rows, or 50 M route times in 96,882 paths). ``within``: (lo,
    hi) positions known to bound each segment's answer, a narrower bisection."""
    first = np.asarray(ptr[:-1], np.int64)
    if within is None:
        lo, hi = first.copy(), np.asarray(ptr[1:], np.int64).copy()
    else:
        lo, hi = (np.asarray(w, np.int64).copy() for w in within)
    x = x if np.ndim(x) == 0 else np.asarray(x)
    live = np.flatnonzero(lo < hi)
    while len(live):
        mid = (lo[live] + hi[live]) >> 1
        right = values[mid] <= (x if np.ndim(x) == 0 else x[live])
        lo[live[right]] = mid[right] + 1
        hi[live[~right]] = mid[~right]
        live = live[lo[live] < hi[live]]
    return lo - first


def merge(group: np.ndarray, a: np.ndarray, b: np.ndarray, k: int):
    """Disjoint ranges covering the union of each group's ranges: (rows kept, a, b).

    Several routes of one (session, prefix), as ADD-PATH gives, count as one session.
    """
    live = b > a
    rows = np.nonzero(live)[0]
    g, a, b = group[live], a[live], b[live]
    span = np.int64(k + 1)
    order = order_by(g, a)
    lo = g[order] * span + a[order]
    hi = g[order] * span + b[order]
    before = np.maximum.accumulate(hi)
    prev = np.concatenate(([np.iinfo(np.int64).min], before[:-1]))
    lo2 = np.maximum(lo, prev)
    keep = hi > lo2
    return rows[order[keep]], (lo2 - g[order] * span)[keep], b[order][keep]


def steps(group: np.ndarray, a: np.ndarray, b: np.ndarray, k: int, weight=None):
    """Counts per group from ranges: (group, index, count), sorted by group then index.

    The count of a group holds from its index to its next step; every group ends at 0.
    """
    w = np.ones(len(a), np.int64) if weight is None else weight
    return steps_from_deltas(np.concatenate((group, group)), np.concatenate((a, b)),
                             np.concatenate((w, -w)), k)


def steps_from_deltas(group: np.ndarray, idx: np.ndarray, delta: np.ndarray, k: int):
    """Counts per group from +/- deltas, each group summed on its own: a group whose deltas do not
    return to 0 (something still visible at the window's end) must not carry into the next group."""
    span = np.int64(k + 1)
    keys, inverse = np.unique(group.astype(np.int64) * span + idx, return_inverse=True)
    total = np.cumsum(np.bincount(inverse, weights=delta, minlength=len(keys)))
    g = keys // span
    first = np.ones(len(g), bool)
    first[1:] = g[1:] != g[:-1]
    before = np.concatenate(([0.0], total[:-1]))[first]    # running total at the end of the previous group
    counts = (total - before[np.cumsum(first) - 1]).round().astype(np.int64)
    return g, keys % span, counts


def crossings(group: np.ndarray, idx: np.ndarray, count: np.ndarray, threshold: np.ndarray):
    """Where each group's count reaches (+1) or falls below (-1) its threshold: (group, index, delta)."""
    on = (count >= threshold).astype(np.int64)
    prev = np.concatenate(([0], on[:-1]))
    first = np.ones(len(group), bool)
    first[1:] = group[1:] != group[:-1]
    prev[first] = 0
    change = on - prev
    nz = change != 0
    return group[nz], idx[nz], change[nz]


def series(idx: np.ndarray, delta: np.ndarray, k: int) -> np.ndarray:
    """Sum of the deltas in force at each of the k instants."""
    return np.cumsum(np.bincount(idx, weights=delta, minlength=k + 1))[:k].round().astype(np.int64)


def grid(row: np.ndarray, idx: np.ndarray, count: np.ndarray, group: np.ndarray, rows: int, k: int) -> np.ndarray:
    """Dense rows x instants from steps (for outputs that are that big anyway, e.g. --by prefix).

    Each group is one row, and steps are distinct (group, index) pairs, so the changes are set, not
    accumulated (``np.add.at`` took seconds at 27,000 prefixes x 2,000 instants); int32 halves the
    memory the running sum walks through.
    """
    prev = np.concatenate(([0], count[:-1]))
    first = np.ones(len(group), bool)
    first[1:] = group[1:] != group[:-1]
    prev[first] = 0
    diff = np.zeros((rows, k + 1), np.int32)
    diff[row, idx] = count - prev
    return np.cumsum(diff, axis=1, dtype=np.int32)[:, :k]


def sorted_steps(group: np.ndarray, a: np.ndarray, b: np.ndarray, k: int):
    """``steps`` for ranges that do not overlap within a (group, session): one value sort, no argsort.

    Each endpoint becomes one int64, (group, index) in its high bits and 1 for a start, 0 for an end
    in its lowest, so a plain sort (SIMD in numpy) orders them; ends at k are left out, so a group's
    count need not return to 0. The endpoints are written in place into one array, and the index
    takes whole bits (a shift, not a division): the United States' week has 100 M endpoints, 800 MB.
    """
    bits = int(k).bit_length()                  # an index in [0, k]
    n = len(group)
    ends = b < k
    e = np.empty(n + int(np.count_nonzero(ends)), np.int64)
    start, end = e[:n], e[n:]
    start[:] = group
    start <<= bits
    start |= a
    start <<= 1
    start |= 1
    np.compress(ends, group, out=end)
    end <<= bits
    end |= b[ends]
    end <<= 1
    del start, end, ends
    e.sort()                                    # in place, as the counts and keys below
    c = e & 1
    c *= 2
    c -= 1
    np.cumsum(c, out=c)
    e >>= 1
    last = np.ones(len(e), bool)
    last[:-1] = e[1:] != e[:-1]
    at = np.flatnonzero(last)
    del last
    key, c = e[at], c[at]
    del e, at
    g = key >> bits
    first = np.ones(len(g), bool)
    first[1:] = g[1:] != g[:-1]
    starts = np.flatnonzero(first)
    before = np.zeros(len(starts), np.int64)                # running total at the end of the previous group
    before[1:] = c[starts[1:] - 1]
    c -= np.repeat(before, np.diff(starts, append=len(g)))
    key &= (1 << bits) - 1
    return g, key, c


def overlapping(group: np.ndarray, session: np.ndarray, a: np.ndarray, k: int, b: np.ndarray | None = None) -> bool:
    """Whether some session holds two routes of one group at one instant (ADD-PATH): equal (group,
    session, first instant) among ranges that cover at least one instant (given ``b``: a route
    replaced within one step covers none, and its successor starts at the same index)."""
    if b is not None:
        live = b > a
        group, session, a = group[live], session[live], a[live]
    if len(a) < 2:
        return False
    present = np.bincount(session) > 0
    index = np.cumsum(present) - 1                        # session id -> dense rank
    key = (group * int(present.sum()) + index[session]) * np.int64(k + 1) + a
    key = np.sort(key)
    return bool((key[1:] == key[:-1]).any())


class StepGrid:
    """A rows x instants grid of counts kept as its steps (sorted by row, then instant: the count a
    row takes from that instant on), so that a window of 29,000 prefixes x 2,000 instants costs its
    changes, not 58 million cells. A column (one instant, every row), a row (one row, every instant)
    and per-row totals are read from the steps when asked for."""

    def __init__(self, row: np.ndarray, idx: np.ndarray, count: np.ndarray, rows: int, k: int):
        self.row, self.idx, self.count = (np.asarray(x, np.int64) for x in (row, idx, count))
        self.rows, self.k = rows, k
        self.shape = (rows, k)

    def column(self, at: int) -> np.ndarray:
        """Every row's count at instant ``at`` (a pass over the steps: 80 ms for the United States' 24 M;
        a bisection of the rows measured the same, memory-bound either way)."""
        out = np.zeros(self.rows, np.int64)
        sel = np.flatnonzero(self.idx <= at)
        if len(sel):
            g = self.row[sel]
            last = np.ones(len(sel), bool)
            last[:-1] = g[1:] != g[:-1]
            out[g[last]] = self.count[sel[last]]
        return out

    def cell(self, row: int, at: int) -> int:
        """One row's count at instant ``at``."""
        ptr = self.row_ptr()
        lo, hi = int(ptr[row]), int(ptr[row + 1])
        n = int(np.searchsorted(self.idx[lo:hi], at, "right"))
        return int(self.count[lo + n - 1]) if n else 0

    def row_ptr(self) -> np.ndarray:
        """Where each row's steps begin (rows + 1 positions; the steps are sorted by row)."""
        if getattr(self, "_ptr", None) is None:
            self._ptr = np.searchsorted(self.row, np.arange(self.rows + 1))
        return self._ptr

    @classmethod
    def from_deltas(cls, row: np.ndarray, idx: np.ndarray, delta: np.ndarray, rows: int, k: int) -> "StepGrid":
        """From (row, instant, +/- change) deltas, e.g. a prefix becoming visible (+1) or not (-1)."""
        g, i, c = steps_from_deltas(np.asarray(row, np.int64), np.asarray(idx, np.int64), np.asarray(delta), k)
        keep = i < k
        return cls(g[keep], i[keep], c[keep], rows, k)

    def __getitem__(self, key) -> np.ndarray:
        """``grid[r]``: row r over every instant; ``grid[:, k]``: every row at instant k; ``grid[r, k]``."""
        if isinstance(key, tuple):
            rows, at = key
            if isinstance(rows, (int, np.integer)):
                return self[int(rows)][at]
            if rows != slice(None):
                raise IndexError("a StepGrid gives a column (grid[:, k]), a row (grid[r]) or a cell (grid[r, k])")
            return self.column(int(at))
        r = int(key)
        lo, hi = np.searchsorted(self.row, [r, r + 1])
        idx, count = self.idx[lo:hi], self.count[lo:hi]
        if not len(idx):
            return np.zeros(self.k, np.int64)
        widths = np.diff(np.append(idx, self.k))         # each step holds until the next
        return np.concatenate((np.zeros(idx[0], np.int64), np.repeat(count, widths)))

    def totals(self) -> np.ndarray:
        """Per row, the sum of its counts over the instants."""
        nxt = np.append(self.idx[1:], self.k)
        same = np.append(self.row[1:] == self.row[:-1], False)
        width = np.where(same, nxt, self.k) - self.idx
        return np.bincount(self.row, weights=self.count * width, minlength=self.rows).astype(np.int64)

    def max(self, initial: int = 0) -> int:
        return int(self.count.max(initial=initial))

    def sum(self, axis: int) -> np.ndarray:
        """Per instant the sum over rows (axis 0), or per row the sum over instants (axis 1)."""
        if axis == 1:
            return self.totals()
        prev = np.concatenate(([0], self.count[:-1]))
        first = np.ones(len(self.row), bool)
        first[1:] = self.row[1:] != self.row[:-1]
        prev[first] = 0
        return series(self.idx, self.count - prev, self.k)

    def dense(self) -> np.ndarray:
        """The whole grid (for outputs that are that big anyway, e.g. ``--by prefix``)."""
        return grid(self.row, self.idx, self.count, self.row, self.rows, self.k)

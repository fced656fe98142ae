"""The sparse counting against the plain prefixes x instants grid it replaces, on random ranges."""

from __future__ import annotations

import numpy as np

from explorer.analysis import sparse


def test_instant_range_is_start_inclusive_end_exclusive():
    a, b = sparse.instant_range(np.array([0, 1, 10, 11]), np.array([10, 10, 20, 31]), 0, 10, 3)
    # instants 0, 10, 20: [0,10) covers 0; [1,10) none; [10,20) covers 10; [11,31) covers 20
    assert a.tolist() == [0, 1, 1, 2] and b.tolist() == [1, 1, 2, 3]


def test_visible_counts_and_crossings_equal_a_dense_grid():
    rng = np.random.default_rng(7)
    k, n = 60, 3000
    session = rng.integers(0, 12, n)
    prefix = rng.integers(0, 40, n)
    a = rng.integers(0, k, n)
    b = np.minimum(a + rng.integers(0, 30, n), k)
    held = np.zeros((12, 40, k), bool)                  # several ranges of one (session, prefix) count once
    for s, p, x, y in zip(session, prefix, a, b):
        held[s, p, x:y] = True
    peers = held.sum(axis=0)                            # prefix x instant

    group, _ = sparse.rank(session, prefix)
    rows, a2, b2 = sparse.merge(group, a, b, k)
    g, i, c = sparse.steps(prefix[rows], a2, b2, k)
    assert (sparse.grid(g, i, c, g, 40, k) == peers).all()

    threshold = rng.integers(1, 6, 40)
    tg, ti, td = sparse.crossings(g, i, c, threshold[g])
    assert (sparse.series(ti, td, k) == (peers >= threshold[:, None]).sum(axis=0)).all()


def test_sorted_steps_equal_the_grid_for_ranges_that_do_not_overlap_within_a_session():
    rng = np.random.default_rng(11)
    k, sessions, groups = 80, 10, 30
    s, g, a, b = [], [], [], []
    for sess in range(sessions):
        for grp in range(groups):
            cuts = np.sort(rng.choice(np.arange(k + 1), size=6, replace=False))
            for x, y in zip(cuts[::2], cuts[1::2]):          # disjoint ranges, some ending at k
                s.append(sess), g.append(grp), a.append(x), b.append(y)
    s, g, a, b = map(np.array, (s, g, a, b))
    held = np.zeros((groups, k), np.int64)
    for grp, x, y in zip(g, a, b):
        held[grp, x:y] += 1
    assert not sparse.overlapping(g, s, a, k)
    gg, i, c = sparse.sorted_steps(g, a, b, k)
    threshold = rng.integers(1, 8, groups)
    tg, ti, td = sparse.crossings(gg, i, c, threshold[gg])
    assert (sparse.series(ti, td, k) == (held >= threshold[:, None]).sum(axis=0)).all()
    assert sparse.overlapping(np.array([1, 1]), np.array([3, 3]), np.array([5, 5]), k)


def test_steps_from_deltas_keeps_groups_apart():
    """A group still on at the window's end (a +1 with no -1) must not lift the next group:
    the demo's /24s read 3 visible through the outage while 0 prefixes were."""
    from explorer.analysis import sparse

    # group 0: on at 0, off at 2, on again at 4 (still on at the end); group 1: on at 1, off at 3
    g, i, c = sparse.steps_from_deltas(np.array([0, 0, 0, 1, 1]), np.array([0, 2, 4, 1, 3]),
                                       np.array([1, -1, 1, 1, -1]), 6)
    assert list(zip(g.tolist(), i.tolist(), c.tolist())) == [(0, 0, 1), (0, 2, 0), (0, 4, 1), (1, 1, 1), (1, 3, 0)]


def test_a_step_grid_reads_as_the_dense_grid_it_stands_for():
    from explorer.analysis.sparse import StepGrid

    rng = np.random.default_rng(7)
    rows, k = 45, 300                                   # (rows 40 to 44 have no steps)
    row = rng.integers(0, 40, 2000)
    idx = rng.integers(0, k, 2000)
    delta = rng.choice([-1, 1], 2000)
    g = StepGrid.from_deltas(row, idx, delta, rows, k)
    dense = np.zeros((rows, k), np.int64)              # the same deltas summed cell by cell
    for r, i, d in zip(row, idx, delta):
        dense[r, i:] += d
    assert np.array_equal(g.dense(), dense)
    assert all(np.array_equal(g[r], dense[r]) for r in range(rows))
    assert all(np.array_equal(g[:, i], dense[:, i]) for i in range(k))
    assert g[3, 200] == dense[3, 200]
    assert all(g.cell(r, i) == dense[r, i] for r in range(rows) for i in range(0, k, 7))
    assert np.array_equal(g.totals(), dense.sum(axis=1)) and np.array_equal(g.sum(axis=0), dense.sum(axis=0))
    assert g.max() == dense.max()


def test_count_at_most_equals_a_search_of_each_segment():
    from explorer.analysis.sparse import count_at_most

    rng = np.random.default_rng(3)
    lengths = np.concatenate(([0, 1, 2, 1000], rng.integers(0, 40, 200)))
    ptr = np.concatenate(([0], np.cumsum(lengths)))
    values = np.concatenate([np.sort(rng.integers(0, 50, n)) for n in lengths]).astype(np.int32)
    for x in (-1, 0, 7, 25, 49, 50):
        want = [int(np.searchsorted(values[a:b], x, "right")) for a, b in zip(ptr[:-1], ptr[1:])]
        assert count_at_most(ptr, values, x).tolist() == want
    xs = rng.integers(-1, 51, len(lengths))             # one x per segment
    want = [int(np.searchsorted(values[a:b], x, "right")) for a, b, x in zip(ptr[:-1], ptr[1:], xs)]
    assert count_at_most(ptr, values, xs).tolist() == want


def test_order_by_is_numpy_stable_order_for_any_integer_keys():
    # ``order_by`` sorts values, one digit of the keys at a time; numpy's lexsort (stable) is the
    # reference. Keys with many ties (the stable order shows), negative ones, a constant key, a
    # 40-bit range beside 19 bits of positions (prefix, session, microseconds: two digits), and two
    # 62-bit keys (three digits).
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 1000, 300_000):
        ranges = [(0, 4), (-50, 50), (5, 6), (0, 2**40), (-2**61, 2**61)]
        for lo, hi in ranges:
            k = rng.integers(lo, hi, n)
            k[::5] = k[:1] if n else k[::5]
            assert (sparse.order_by(k) == np.argsort(k, kind="stable")).all(), (n, lo, hi)
            prefix, session = rng.integers(0, 300, n), rng.integers(0, 40, n).astype(np.uint16)
            assert (sparse.order_by(prefix, session, k) == np.lexsort((k, session, prefix))).all(), (n, lo, hi)
            assert (sparse.order_by(k, prefix) == np.lexsort((prefix, k))).all(), (n, lo, hi)
            assert (sparse.order_by(k, k[::-1]) == np.lexsort((k[::-1], k))).all(), (n, lo, hi)
    assert sparse.order_by(np.zeros(0, np.int64)).dtype == np.int64

"""Issue 12: an outage injected into a real full table is found at its exact instants, at any step.

The store holds the real 2015 BGP4MP_ET file (one session, AS3856, sending a 577,706-prefix IPv4
table) and an update file this test writes with the project's MRT writer: the same session withdraws
Mongolia's prefixes in two waves and announces them again, over their own paths, in two waves. The
expected start and end are counted from the writer's own log (the first instant fewer than 90% of the
prefixes are announced, the first instant 90% are again), and each prefix's own span is its line of
the log.
"""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest

from explorer.analysis import Definitions, Window
from explorer.analysis.events import changes, find_events
from explorer.analysis.scope import resolve_scope
from explorer.analysis.visibility import visibility
from explorer.demo.mrt_writer import MrtWriter, Peer, Route
from explorer.ingest.pipeline import ingest
from explorer.store import Store
from explorer.timeutil import iso, parse_time

SESSION = Peer(ip="206.220.231.55", asn=3856, bgp_id="206.220.231.55", local_ip="192.0.2.1", local_asn=6447)
T1, T2 = parse_time("2015-10-23T02:10:00Z"), parse_time("2015-10-23T02:31:07Z")
START, END = parse_time("2015-10-23T02:00:00Z"), parse_time("2015-10-23T03:00:00Z")


@pytest.fixture(scope="module")
def injected(et2015_store, tmp_path_factory):
    """(store path, the writer's log [(second, 'W' | 'A', prefix)], the scope's prefixes held before)."""
    folder = tmp_path_factory.mktemp("injected")
    path = folder / "history.duckdb"
    shutil.copy(et2015_store, path)
    with Store(path) as store:
        w = Window(START, END, 60)
        scope = resolve_scope(store.con, w, country="MN")
        texts = scope.index.texts(scope.prefix_ids)
        held = dict(store.con.execute("""
            SELECT p.prefix, i.path FROM intervals i JOIN prefixes p USING (prefix_id)
            WHERE i.end_ts IS NULL AND list_contains(?, p.prefix)""", [texts]).fetchall())
        prefixes = sorted(p for p, text in held.items() if text and all(t.isdigit() for t in text.split()))
        assert len(prefixes) > 150, len(prefixes)
        log = []
        small, big = prefixes[:10], prefixes[10:120]         # 10 of ~200: no outage yet; then 110 more
        for ts, batch in ((T1, small), (T1 + 13, big)):
            log += [(ts, "W", p) for p in batch]
        for ts, batch in ((T2, (small + big)[:60]), (T2 + 9, (small + big)[60:])):
            log += [(ts, "A", p) for p in batch]
        out = folder / "inject.updates.gz"
        with MrtWriter(out) as mrt:
            for ts, kind, prefix in log:
                if kind == "W":
                    mrt.update(ts, SESSION, withdraw=[prefix])
            by_path = defaultdict(list)
            for ts, kind, prefix in log:
                if kind == "A":
                    by_path[(ts, held[prefix])].append(prefix)
            for (ts, text), batch in sorted(by_path.items()):
                mrt.update(ts, SESSION, announce=batch, route=Route(tuple(int(a) for a in text.split()), SESSION.ip))
        outcomes = [e for e in ingest(store, [str(out)]) if hasattr(e, "status")]
        assert [o.status for o in outcomes] == ["ok"]
    return path, log, len(prefixes), len(texts)


def expected_span(log, announced: int, total: int, share: float = 0.1) -> tuple[int, int]:
    """From the writer's log alone: the first second the count of announced prefixes drops under
    (1 - share) of its baseline, and the first it is back at or over it."""
    up, start = announced, None
    for ts in sorted({t for t, _, _ in log}):
        up += sum(1 if k == "A" else -1 for t, k, _ in log if t == ts)
        if start is None and up < (1 - share) * announced:
            start = ts
        elif start is not None and up >= (1 - share) * announced:
            return start, ts
    raise AssertionError("the log holds no outage")


@pytest.mark.parametrize("step", [1, 5 * 60, 7 * 60, 15 * 60, 3600])
def test_the_injected_outage_is_exact_at_any_step(injected, step):
    path, log, announced, total = injected
    start, end = expected_span(log, announced, total)
    assert (start, end) == (T1 + 13, T2 + 9)
    with Store(path, read_only=True) as store, store.reader() as con:
        w = Window(START, END, step)
        v = visibility(con, resolve_scope(con, w, country="MN"), w, Definitions())
        outages = [e for e in find_events(con, v, changes(con, v)) if e["kind"] == "outage"]
    assert len(outages) == 1, outages
    e = outages[0]
    assert (e["start"], e["end"], e["duration_s"], e["restored"]) == (iso(start), iso(end), end - start, True)
    assert e["prefixes"] == len(withdrawn := {p for _, k, p in log if k == "W"}) == 120 and e["all_withdrawn"]
    withdrawn = {p: t for t, k, p in log if k == "W"}
    back = {p: t for t, k, p in log if k == "A"}
    assert sorted((p["prefix"], p["start"], p["end"]) for p in e["by_prefix"]) == \
        sorted((p, iso(withdrawn[p]), iso(back[p])) for p in withdrawn)


def test_before_the_tables_first_element_the_state_is_unknown_and_no_outage(injected):
    """A store of update files alone: before the session's first element for the scope nothing is known."""
    path, *_ = injected
    with Store(path, read_only=True) as store, store.reader() as con:
        w = Window(START, END, 60)
        v = visibility(con, resolve_scope(con, w, country="MN"), w, Definitions())
        ch = changes(con, v)
        first = con.execute("SELECT epoch_us(min(first_ts)) FROM files").fetchone()[0]
        last = con.execute("SELECT epoch_us(max(last_ts)) FROM files").fetchone()[0]
        scope_first = int(v.routes.start.min())
    before, after = ch.gaps
    assert before.kind == "before" and before.start == START * 1_000_000 and before.end == scope_first
    assert first <= scope_first < T1 * 1_000_000
    assert after.kind == "after" and after.start == last == (T2 + 9) * 1_000_000 and after.end == END * 1_000_000
    assert not ch.known[0] and ch.visible[0] == 0                    # "0 visible" there means "not known yet"

"""Per-file counts of the store equal an independent parser's (bgpdump) on the same real files."""

from __future__ import annotations

import pytest

from explorer.ingest.pipeline import ingest
from tests.conftest import data_file
from tests.reference import bgpdump_counts, bgpdump_lines

FILES = [
    "mrt/bgpdump__updates.et-header.2015.gz",          # BGP4MP_ET, microseconds, a full table from one session
    "mrt/bgpdump__updates.20070211.0141.gz",           # 31 peers, IPv4 + IPv6
    "mrt/bgpdump__updates.20020722.2238.gz",           # 2-byte AS, many state changes
    "mrt/bgpdump__updates.20100722.2015.gz",           # mixed AS2/AS4, STATE_CHANGE_AS4
    "mrt/bgpdump__bview.ipv4_unicast_add_path.gz",     # TABLE_DUMP_V2 ADD-PATH
    "mrt/bgpdump__bview.ipv6_unicast_add_path.gz",
    "mrt/bgpdump__bview.20020722.2337.gz",             # TABLE_DUMP v1 full RIB
    "mrt/dnas__rrc23.updates.20220421.0200.gz",        # RIS rrc23
    "mrt/libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2",
    "mrt/bgpdump__bview.64k_stream_overflow.gz",       # one record over 64 KiB
]


def outcomes(store, *paths, **kw):
    return [e for e in ingest(store, [str(p) for p in paths], **kw) if hasattr(e, "status")]


@pytest.mark.parametrize("name", FILES, ids=lambda n: n.split("__")[-1])
def test_counts_equal_bgpdump(store, name):
    path = data_file(name)
    expected = bgpdump_counts(path)
    [outcome] = outcomes(store, path)
    r = outcome.record
    assert outcome.status == "ok", outcome.reason
    assert (r.announcements, r.withdrawals, r.rib_entries, r.state_changes) == \
        (expected["A"], expected["W"], expected["B"], expected["STATE"])
    stored = store.con.execute("""
        SELECT count(*) FILTER (WHERE kind = 1), count(*) FILTER (WHERE kind = 2), count(*) FILTER (WHERE kind = 0)
        FROM elements""").fetchone()
    assert stored == (expected["A"], expected["W"], expected["B"])
    assert store.con.execute("SELECT count(*) FROM state_changes").fetchone()[0] == expected["STATE"]


def test_truncated_rib_keeps_complete_records(store):
    path = data_file("mrt/pyasn__rib.20140523.0600_firstMB.bz2")
    expected = bgpdump_counts(path)["B"]           # 270,005 entries before the bz2 stream ends
    [outcome] = outcomes(store, path)
    assert outcome.status == "truncated"
    assert outcome.record.rib_entries == expected
    assert "ends early" in outcome.reason and f"{expected:,}" in outcome.reason
    peers = store.con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert peers == len({(f[3], f[4]) for f in bgpdump_lines(path)})


def test_rib_without_peer_index_says_so(store):
    [outcome] = outcomes(store, data_file("mrt/pyasn__bview.20140112.1600_3samples.bz2"))
    assert outcome.status == "failed"
    assert "PEER_INDEX_TABLE" in outcome.reason
    assert store.con.execute("SELECT count(*) FROM elements").fetchone()[0] == 0


def test_microseconds_are_kept(store):
    path = data_file("mrt/bgpdump__updates.et-header.2015.gz")
    outcomes(store, path, filter_text="prefix more 175.45.176.0/22")
    # kp_elems_extracted.csv (extracted independently) gives 1445565708.372152 for 175.45.176.0/24
    ts = store.con.execute("""
        SELECT epoch_us(e.ts) FROM elements e JOIN prefixes p USING (prefix_id)
        WHERE p.prefix = '175.45.176.0/24'""").fetchall()
    assert ts == [(1445565708372152,)]


def test_both_backends_store_the_same_routes(tmp_path):
    """The bgpdump backend and pybgpkit-parser, two independent decoders, give the same store."""
    from explorer.store import Store

    path = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    bgpdump_counts(path)                                   # skips when bgpdump is not installed
    stores = []
    for backend in ("bgpkit", "bgpdump"):
        with Store(tmp_path / f"{backend}.duckdb") as store:
            [outcome] = outcomes(store, path, backend=backend)
            assert outcome.record.backend == backend
            stores.append(set(store.con.execute("""
                SELECT s.peer_ip, p.prefix, pa.path, c.communities, i.start_ts, i.end_ts
                FROM intervals i JOIN sessions s USING (session_id) JOIN prefixes p USING (prefix_id)
                JOIN paths pa USING (path_id)
                JOIN (SELECT DISTINCT session_id, prefix_id, path_id, community_id, ts FROM elements) e
                  ON e.session_id = i.session_id AND e.prefix_id = i.prefix_id AND e.path_id = i.path_id
                 AND e.ts = i.start_ts
                LEFT JOIN communities c USING (community_id)""").fetchall()))
    # bgpdump -m prints standard communities only; pybgpkit-parser adds large and extended ones
    standard = lambda c: " ".join(t for t in (c or "").split() if t.count(":") == 1) or None  # noqa: E731
    kit, dump = ({(*row[:3], standard(row[3]), *row[4:]) for row in rows} for rows in stores)
    assert len(kit) > 40_000
    assert kit == dump

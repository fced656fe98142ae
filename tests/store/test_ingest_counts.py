"""Per-file counts of the store equal an independent parser's (bgpdump) on the same real files."""

from __future__ import annotations

import pytest

from explorer.ingest.pipeline import ingest
from tests.conftest import bgpreader_or_skip, data_file
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


# The RouteViews and RIS files libbgpstream reads whole (issue 10: the ADD-PATH RIBs it does not).
ARCHIVES = [name for name in FILES if "add_path" not in name]


def stored_counts(store) -> tuple[int, int, int]:
    return store.con.execute("""
        SELECT count(*) FILTER (WHERE kind = 1), count(*) FILTER (WHERE kind = 2), count(*) FILTER (WHERE kind = 0)
        FROM elements""").fetchone()


@pytest.mark.parametrize("name", FILES, ids=lambda n: n.split("__")[-1])
def test_counts_equal_bgpdump(store, name):
    path = data_file(name)
    expected = bgpdump_counts(path)
    [outcome] = outcomes(store, path)
    r = outcome.record
    assert outcome.status == "ok", outcome.reason
    assert (r.announcements, r.withdrawals, r.rib_entries, r.state_changes) == \
        (expected["A"], expected["W"], expected["B"], expected["STATE"])
    assert stored_counts(store) == (expected["A"], expected["W"], expected["B"])
    assert store.con.execute("SELECT count(*) FROM state_changes").fetchone()[0] == expected["STATE"]


@pytest.mark.parametrize("name", ARCHIVES, ids=lambda n: n.split("__")[-1])
def test_libbgpstream_counts_equal_bgpdump(store, name):
    bgpreader_or_skip()
    path = data_file(name)
    expected = bgpdump_counts(path)
    [outcome] = outcomes(store, path, backend="bgpstream")
    r = outcome.record
    assert outcome.status == "ok", outcome.reason
    assert r.backend == "bgpstream"
    assert (r.announcements, r.withdrawals, r.rib_entries, r.state_changes) == \
        (expected["A"], expected["W"], expected["B"], expected["STATE"])
    assert stored_counts(store) == (expected["A"], expected["W"], expected["B"])


@pytest.mark.parametrize("name, expected_backend", [
    ("mrt/bgpdump__bview.ipv4_unicast_add_path.gz", "bgpkit"),      # libbgpstream reads 0 of its 62 entries
    ("mrt/mrtparse__bird-mrtdump_rib", "bgpkit"),                   # libbgpstream reads 4 of 18
    ("mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz", "mrtparse"), # legacy type 5 (bgpdump: 65,315 lines)
    ("mrt-bad/bgpdump__updates.long_withdrawal.gz", "bgpstream"),   # pybgpkit-parser gives 0 of 4,096
])
def test_auto_falls_back_to_the_backend_that_reads_the_file(store, name, expected_backend):
    bgpreader_or_skip()
    path = data_file(name)
    expected = bgpdump_counts(path)
    [outcome] = outcomes(store, path)
    r = outcome.record
    assert r.backend == expected_backend, outcome.reason
    assert (r.announcements, r.withdrawals, r.rib_entries) == (expected["A"], expected["W"], expected["B"])
    if expected_backend == "bgpkit":        # the summary says what each backend read
        assert f"read by bgpkit" in outcome.reason.lower() and "bgpstream read" in outcome.reason


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
        SELECT epoch_us(e.ts) FROM elements e WHERE v4_text(e.prefix_id) = '175.45.176.0/24'""").fetchall()
    assert ts == [(1445565708372152,)]


def test_every_backend_stores_the_same_routes(tmp_path):
    """bgpdump, pybgpkit-parser and libbgpstream, three independent decoders, give the same store."""
    from explorer.store import Store

    path = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    bgpdump_counts(path)                                   # skips when bgpdump is not installed
    backends = ["bgpkit", "bgpdump"]
    try:
        bgpreader_or_skip()
        backends.append("bgpstream")
    except pytest.skip.Exception:
        pass
    stores = []
    for backend in backends:
        with Store(tmp_path / f"{backend}.duckdb") as store:
            [outcome] = outcomes(store, path, backend=backend)
            assert outcome.record.backend == backend
            stores.append(set(store.con.execute("""
                SELECT s.peer_ip, coalesce(n.prefix, v4_text(i.prefix_id)), i.path, i.start_key, i.end_key
                FROM intervals i JOIN sessions s USING (session_id) LEFT JOIN prefix_names n USING (prefix_id)
                """).fetchall()))
    assert len(stores[0]) > 40_000
    assert all(other == stores[0] for other in stores[1:])

"""What our MRT writer writes, two independent parsers read back element for element, and our
ingest stores the same counts.

The writer logs each element it encodes (``write_archive(..., log=True)``); bgpdump (C, libbgpdump)
and pybgpkit-parser (Rust) must list exactly those, in file order: types, times, peers, prefixes,
AS paths and communities. Two short windows of the scenario cover RIB dumps (IPv4 and IPv6),
announcements (IPv4 NLRI and IPv6 in MP_REACH_NLRI), withdrawals and state changes.
"""

from __future__ import annotations

from collections import Counter

import pybgpkit_parser
import pytest

from explorer.demo.archive import write_archive
from explorer.demo.mrt_writer import MrtWriter, Peer, Route, update_message
from explorer.demo.scenario import Params, build_story, utc
from explorer.ingest.pipeline import Outcome, ingest
from tests.reference import bgpdump_lines

WINDOWS = {
    "reset": Params(sessions=4, background=17, start=utc("2014-12-20T03:00:00"), days=1 / 48),     # a session resets
    "outage": Params(sessions=4, background=17, start=utc("2014-12-22T16:00:00"), days=1 / 48),    # KP withdrawn
}


@pytest.fixture(scope="module", params=sorted(WINDOWS))
def archive(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"mrt-{request.param}")
    return write_archive(build_story(WINDOWS[request.param]), root, log=True)


def _bgpkit(path) -> list[tuple]:
    out = []
    for e in pybgpkit_parser.Parser(url=str(path)):
        comms = " ".join(e.communities or [])
        out.append((e.elem_type, int(e.timestamp), e.peer_ip, e.peer_asn, e.prefix, e.as_path or "", comms))
    return out


def _bgpdump(path) -> list[tuple]:
    out = []
    for f in bgpdump_lines(path):
        if f[2] == "STATE":
            out.append(("STATE", int(f[1]), f[3], int(f[4]), int(f[5]), int(f[6])))
        elif f[2] == "W":
            out.append(("W", int(f[1]), f[3], int(f[4]), f[5], "", ""))
        else:
            out.append((f[2], int(f[1]), f[3], int(f[4]), f[5], f[6], f[11]))
    return out


def test_archive_holds_every_kind(archive):
    kinds = Counter(e[0] for elems in archive.log.values() for e in elems)
    assert kinds["B"] and kinds["A"]
    assert kinds["STATE"] or kinds["W"]
    assert any(":" in e[4] for elems in archive.log.values() for e in elems if e[0] == "B")   # IPv6 in RIBs
    assert any(":" in e[4] for elems in archive.log.values() for e in elems if e[0] == "A")   # and in updates


def test_bgpdump_reads_back_what_was_written(archive):
    for rel, expected in archive.log.items():
        assert _bgpdump(archive.root / rel) == expected, rel


def test_pybgpkit_reads_back_what_was_written(archive):
    for rel, expected in archive.log.items():
        # pybgpkit-parser calls RIB entries 'A' and does not yield state changes
        want = [("A", *e[1:]) if e[0] == "B" else e for e in expected if e[0] != "STATE"]
        assert _bgpkit(archive.root / rel) == want, rel


def test_ingest_stores_what_was_written(archive, store):
    for collector, files in archive.files.items():
        outcomes = [e for e in ingest(store, [archive.root / f for f in files], collector=collector)
                    if isinstance(e, Outcome)]
        assert [o.status for o in outcomes] == ["ok"] * len(files)
    stored = store.con.execute("""
        SELECT count(*) FILTER (WHERE kind = 1), count(*) FILTER (WHERE kind = 2), count(*) FILTER (WHERE kind = 0)
        FROM elements""").fetchone()
    assert stored == (archive.announcements, archive.withdrawals, archive.rib_entries)
    assert store.con.execute("SELECT count(*) FROM state_changes").fetchone()[0] == archive.state_changes
    assert {c for (c,) in store.con.execute("SELECT DISTINCT collector FROM sessions").fetchall()} == set(archive.files)
    states = [e for elems in archive.log.values() for e in elems if e[0] == "STATE"]
    if states:          # the session that resets holds nothing while down, and its whole table after
        (_, down, ip, *_), up = states[0], states[-1][1]
        held = lambda at: store.con.execute("""
            SELECT count(*) FROM intervals JOIN sessions USING (session_id)
            WHERE peer_ip = ? AND start_ts <= make_timestamp(?::BIGINT * 1000000)
              AND (end_ts IS NULL OR end_ts > make_timestamp(?::BIGINT * 1000000))""", [ip, at, at]).fetchone()[0]  # noqa: E731
        assert held(down - 1) == held(up + 1) == 17 + 4
        assert held(down) == held(up) == 0


def test_update_encoding_follows_rfc_4271():
    route = Route((2914, 1239, 4837, 131279), "192.0.2.1", ((2914, 420),))
    msg = update_message(["175.45.176.0/24"], route)
    assert msg[:16] == b"\xff" * 16 and msg[18] == 2                    # marker, type UPDATE
    assert int.from_bytes(msg[16:18], "big") == len(msg)
    assert msg[19:21] == b"\x00\x00"                                   # no withdrawn routes
    assert msg.endswith(bytes([24, 175, 45, 176]))                     # NLRI: length, then 3 octets
    withdraw = update_message(withdraw=["175.45.176.0/22"])
    assert withdraw[19:21] == b"\x00\x04" and withdraw[21:25] == bytes([22, 175, 45, 176])
    with pytest.raises(ValueError):
        update_message([f"10.{i // 256}.{i % 256}.0/24" for i in range(1100)], route)   # over 4096 bytes


def test_same_records_same_bytes(tmp_path):
    """Reproducible files: gzip carries no time stamp, so a rebuild gives the same sha256."""
    peer = Peer("192.0.2.1", 2914, "192.0.2.1", "192.0.2.254", 6447)
    for build in ("a", "b"):
        for name in ("updates.20141222.1615.gz", "updates.20141222.1615.bz2"):
            with MrtWriter(tmp_path / build / name) as out:
                out.update(1419264900, peer, ["175.45.176.0/24"], Route((2914, 4837, 131279), "192.0.2.1"))
    for name in ("updates.20141222.1615.gz", "updates.20141222.1615.bz2"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()

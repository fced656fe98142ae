"""The MRT header walk, checked on real archives and against bgpdump.

The expected numbers come from bgpdump 1.6.2 (`bgpdump -m`), an independent C reader of the same
files; the tests that run bgpdump themselves skip when it is not installed.
"""

from __future__ import annotations

import bz2
import gzip
import ipaddress
import shutil
from pathlib import Path

import pytest

from explorer.ingest.mrt_scan import ScanResult, scan_mrt
from tests.conftest import data_file
from tests.reference import bgpdump_lines

HAVE_BGPDUMP = shutil.which("bgpdump") is not None


def bgpdump_time_us(field: str) -> int:
    """bgpdump -m prints seconds, or seconds.microseconds for BGP4MP_ET records."""
    seconds, _, micros = field.partition(".")
    return int(seconds) * 1_000_000 + int(micros.ljust(6, "0") or 0)


def assert_consistent(result: ScanResult) -> None:
    assert sum(result.record_types.values()) == result.records


# --- what kind of file -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "compression"), [
    ("mrt/bgpdump__bview.20020722.2337.gz", "rib", "gzip"),  # TABLE_DUMP (v1)
    ("mrt/pyasn__rib.20140523.0600_firstMB.bz2", "rib", "bzip2"),  # TABLE_DUMP_V2
    ("mrt/manrs__185.186.nlix.mrt", "rib", "none"),  # TABLE_DUMP_V2, uncompressed
    ("mrt/mrtparse__openbgpd_rib_table-mp", "rib", "none"),  # BGP4MP_ENTRY holds table entries
    ("mrt/bgpdump__updates.20070211.0141.gz", "updates", "gzip"),  # BGP4MP
    ("mrt/bgpdump__updates.et-header.2015.gz", "updates", "gzip"),  # BGP4MP_ET
    ("mrt/libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2", "updates", "bzip2"),
    ("mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz", "legacy", "gzip"),  # MRT type 5
])
def test_kind_and_compression(name: str, kind: str, compression: str) -> None:
    result = scan_mrt(data_file(name))
    assert (result.kind, result.compression) == (kind, compression)
    assert result.problem is None or name.endswith("_firstMB.bz2")
    assert_consistent(result)


def test_compression_is_read_from_magic_bytes_not_the_name(tmp_path: Path) -> None:
    disguised = tmp_path / "updates.mrt"  # a gzip file without .gz
    disguised.write_bytes(data_file("mrt/bgpdump__updates.20020722.2238.gz").read_bytes())
    assert scan_mrt(disguised).compression == "gzip"


def test_table_dump_v1_has_one_record_per_entry() -> None:
    # TABLE_DUMP (v1) keeps one route per record, so records equal bgpdump's 115,521 lines.
    result = scan_mrt(data_file("mrt/bgpdump__bview.20020722.2337.gz"))
    assert result.records == result.record_types[(12, 1)] == 115_521
    assert not result.has_peer_index and result.problem is None


def test_legacy_type5_file_is_counted() -> None:
    result = scan_mrt(data_file("mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz"))
    assert result.records == 24_242
    assert set(result.record_types) == {(5, 1), (5, 3), (5, 5), (5, 7)}
    assert not result.truncated and result.damaged_at is None


# --- state changes -------------------------------------------------------------------------------

# STATE lines of `bgpdump -m` (3rd field "STATE") per file, bgpdump 1.6.2.
BGPDUMP_STATE_LINES = {
    "mrt/bgpdump__updates.20020722.2238.gz": 93,
    "mrt/dnas__rrc23.updates.20220421.0200.gz": 58,
    "mrt/bgpdump__updates.et-header.2015.gz": 4,
    "mrt/dnas__rrc23.updates.20220501.2305.gz": 56,
    "mrt/bgpdump__updates.20100722.2015.gz": 40,
    "mrt/bgpdump__updates.20160811.1600.gz": 22,
    "mrt/bgpkit-rrc15__updates.20100227.1600.gz": 20,
    "mrt/bgpkit-rrc15__updates.20100227.1610.gz": 16,
    "mrt/libbgpstream__ris.rrc06.updates.1427846400.gz": 4,
    "mrt/mrtparse__bird_bgp": 12,
    "mrt/mrtparse__bird6-mrtdump_bgp": 12,
    "mrt/mrtparse__openbgpd_bgp": 16,
    "mrt/mrtparse__quagga_bgp": 20,
    "mrt/bgpdump__updates.20070211.0141.gz": 0,
    "mrt/bgpdump__bview.20020722.2337.gz": 0,
    "mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz": 4,  # type 5 BGP_STATE_CHANGE
    "mrt-bad/bgpkit-rrc00__updates.19991214.1621.gz": 27,
    "mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz": 16,
    "mrt-bad/bgpkit-rrc01__updates.20001104.0124.gz": 364,  # 42 of them in the 8-byte form
    "mrt-bad/bgpkit-rrc03__updates.20100227.1600.first-796-records.gz": 4,
}


@pytest.mark.parametrize(("name", "expected"), sorted(BGPDUMP_STATE_LINES.items()))
def test_state_change_count_equals_bgpdump(name: str, expected: int) -> None:
    assert len(scan_mrt(data_file(name)).state_changes) == expected


@pytest.mark.parametrize("name", [
    "mrt/bgpdump__updates.20020722.2238.gz",
    "mrt/dnas__rrc23.updates.20220421.0200.gz",
    # the et-header file agrees too (4), but reading bgpdump's 577,744 lines takes seconds
])
def test_state_change_count_equals_bgpdump_run_here(name: str) -> None:
    path = data_file(name)
    expected = sum(1 for fields in bgpdump_lines(path) if fields[2] == "STATE")
    assert len(scan_mrt(path).state_changes) == expected == BGPDUMP_STATE_LINES[name]


@pytest.mark.parametrize("name", [
    "mrt/bgpdump__updates.20100722.2015.gz",  # IPv4 and IPv6 peers, STATE_CHANGE_AS4
    "mrt/dnas__rrc23.updates.20220421.0200.gz",  # STATE_CHANGE and STATE_CHANGE_AS4 mixed
    "mrt-bad/bgpkit-rrc00__updates.19991214.1621.gz",  # legacy type 5
    "mrt-bad/bgpkit-rrc01__updates.20001104.0124.gz",  # Zebra's 8-byte state changes
    "mrt-bad/bgpkit-rrc03__updates.20100227.1600.first-796-records.gz",  # Quagga states 7, 8
])
def test_state_changes_equal_bgpdump_field_by_field(name: str) -> None:
    path = data_file(name)
    lines = bgpdump_lines(path)
    expected = [
        # bgpdump shortens a single zero group of IPv6 to "::", RFC 5952 (and ipaddress) do not;
        # it prints 0.0.0.0 where the record carries no address, the scan gives "".
        (bgpdump_time_us(f[1]), "" if f[3] == "0.0.0.0" else str(ipaddress.ip_address(f[3])),
         int(f[4]), int(f[5]), int(f[6]))
        for f in lines if f[2] == "STATE"
    ]
    got = [(c.ts_us, c.peer_ip, c.peer_asn, c.old_state, c.new_state)
           for c in scan_mrt(path).state_changes]
    assert got == expected


def test_et_header_keeps_microseconds() -> None:
    result = scan_mrt(data_file("mrt/bgpdump__updates.et-header.2015.gz"))
    # bgpdump -m: first line "BGP4MP_ET|1445565678.509481|STATE|206.220.231.55|3856|1|2",
    # last line "BGP4MP_ET|1445565715.574100|A|...".
    assert result.first_ts_us == 1_445_565_678_509_481
    assert result.last_ts_us == 1_445_565_715_574_100
    first = result.state_changes[0]
    assert (first.ts_us, first.peer_ip, first.peer_asn, first.old_state, first.new_state) == (
        1_445_565_678_509_481, "206.220.231.55", 3856, 1, 2)
    assert all(c.ts_us % 1_000_000 for c in result.state_changes)
    assert result.records == 89_686  # ~578k elements: one UPDATE record carries many prefixes


def test_first_and_last_timestamps_equal_bgpdump_first_and_last_lines() -> None:
    path = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    result = scan_mrt(path)
    # bgpdump -m: first line "BGP4MP|1650506400|A|...", last line "BGP4MP|1650506699|A|...".
    assert (result.first_ts_us, result.last_ts_us) == (1_650_506_400_000_000,
                                                        1_650_506_699_000_000)
    if HAVE_BGPDUMP:
        lines = bgpdump_lines(path)
        assert result.first_ts_us == bgpdump_time_us(lines[0][1])
        assert result.last_ts_us == bgpdump_time_us(lines[-1][1])


@pytest.mark.parametrize(("name", "state"), [
    ("mrt-bad/bgpkit-rrc03__updates.20100227.1600.first-796-records.gz", 7),  # 6 -> 7, 7 -> 1
    ("mrt/bgpkit-rrc15__updates.20100227.1600.gz", 8),  # 4 -> 8 (bgpdump prints the same)
])
def test_quagga_states_beyond_established_are_kept(name: str, state: int) -> None:
    result = scan_mrt(data_file(name))
    assert state in {c.old_state for c in result.state_changes} | {
        c.new_state for c in result.state_changes}
    assert not result.truncated and result.problem is None


# --- truncated, damaged and peerless files ----------------------------------------------------


def test_truncated_bz2_rib_keeps_complete_records() -> None:
    result = scan_mrt(data_file("mrt/pyasn__rib.20140523.0600_firstMB.bz2"))
    assert result.truncated and result.damaged_at is None
    assert result.has_peer_index
    # bgpdump reads 270,005 RIB entries from this file, one line per (prefix, peer). A
    # TABLE_DUMP_V2 record is one prefix with one entry per peer, so the records are far fewer:
    # 1 PEER_INDEX_TABLE + 9,072 RIB_IPV4_UNICAST records, one per prefix (9,072 prefixes).
    assert result.records == 9_073
    assert result.record_types == {(13, 1): 1, (13, 2): 9_072}
    assert result.problem is not None
    assert "bz2 stream ends early after record 9,073 (byte 15,273,283)" in result.problem


def test_rib_without_peer_index_says_so() -> None:
    result = scan_mrt(data_file("mrt/pyasn__bview.20140112.1600_3samples.bz2"))
    assert result.records == 3 and not result.has_peer_index
    assert not result.truncated and result.damaged_at is None
    assert "PEER_INDEX_TABLE" in result.problem and "record 1 at byte 0" in result.problem


def test_damaged_boundary_stops_the_walk_and_names_record_and_byte() -> None:
    result = scan_mrt(data_file("mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz"))
    # Record 5 claims a 14,556-byte body, more than a BGP message of the time could need; the
    # next true header starts 10 bytes after it. bgpdump walks on and prints 2,044 invented
    # withdrawals (e.g. 0.5.0.3/54) from those bytes before it gives up.
    assert (result.damaged_record, result.damaged_at, result.records) == (5, 188, 4)
    assert not result.truncated
    assert "Record 5 at byte 188" in result.problem


def test_zebra_short_state_changes_are_reported() -> None:
    result = scan_mrt(data_file("mrt-bad/bgpkit-rrc01__updates.20001104.0124.gz"))
    short = [c for c in result.state_changes if c.peer_ip == ""]
    assert len(short) == 42
    assert result.damaged_at is None and not result.truncated
    assert "record 35 at byte 1,893" in result.problem


@pytest.mark.parametrize("name", [
    "mrt-bad/bgpdump__updates.long_withdrawal.gz",
    "mrt-bad/bgpdump__updates.nlri_mask_trailing_bits.gz",
    "mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz",
])
def test_files_sound_at_record_level_have_no_problem(name: str) -> None:
    # Their trouble is inside BGP messages, which the header walk does not read.
    result = scan_mrt(data_file(name))
    assert result.problem is None and not result.truncated and result.damaged_at is None


def test_unknown_type_in_a_known_file_is_found_where_it_was_put(tmp_path: Path) -> None:
    raw = data_file("mrt/mrtparse__quagga_bgp").read_bytes()
    whole = scan_mrt(data_file("mrt/mrtparse__quagga_bgp"))
    offset = 0
    for _ in range(10):  # find the header of record 11 by walking lengths
        offset += 12 + int.from_bytes(raw[offset + 8:offset + 12], "big")
    broken = bytearray(raw)
    broken[offset + 4:offset + 6] = (999).to_bytes(2, "big")
    path = tmp_path / "broken.mrt"
    path.write_bytes(bytes(broken))
    result = scan_mrt(path)
    assert (result.records, result.damaged_record, result.damaged_at) == (10, 11, offset)
    assert f"Record 11 at byte {offset:,}" in result.problem and "type 999" in result.problem
    assert whole.problem is None


# --- streams and chunks -------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 7, 12, 13, 4096])
def test_chunk_boundaries_do_not_change_the_result(chunk_size: int) -> None:
    path = data_file("mrt/bgpdump__updates.20020722.2238.gz")
    assert scan_mrt(path, chunk_size=chunk_size) == scan_mrt(path)


def test_multi_member_gzip_and_multi_stream_bzip2(tmp_path: Path) -> None:
    first = data_file("mrt/bgpdump__updates.20020722.2238.gz")
    second = data_file("mrt/bgpdump__updates.20100722.2015.gz")
    a, b = scan_mrt(first), scan_mrt(second)
    joined = tmp_path / "joined.gz"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    both = scan_mrt(joined)
    assert both.records == a.records + b.records and both.problem is None
    assert (both.first_ts_us, both.last_ts_us) == (a.first_ts_us, b.last_ts_us)

    joined.write_bytes(first.read_bytes() + b"\0" * 512)  # zero padding, as gzip(1) allows
    assert scan_mrt(joined).problem is None
    joined.write_bytes(first.read_bytes() + b"<html>")
    assert "6 bytes after the last gzip stream" in scan_mrt(joined).problem

    raw = gzip.decompress(first.read_bytes())
    streams = tmp_path / "streams.bz2"
    streams.write_bytes(bz2.compress(raw[:5_000]) + bz2.compress(raw[5_000:]))
    assert scan_mrt(streams).records == a.records


def test_gzip_cut_short_is_truncated_with_complete_records_kept(tmp_path: Path) -> None:
    data = data_file("mrt/bgpdump__updates.20020722.2238.gz").read_bytes()
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[:-4])  # the member trailer is missing: every record is there
    result = scan_mrt(cut)
    assert result.truncated and result.records == 1_121
    assert "gzip stream ends early after record 1,121" in result.problem
    cut.write_bytes(data[: len(data) // 2])
    half = scan_mrt(cut)
    assert half.truncated and 0 < half.records < 1_121 and half.damaged_at is None


def test_plain_file_ending_inside_a_record(tmp_path: Path) -> None:
    raw = data_file("mrt/mrtparse__quagga_bgp").read_bytes()
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(raw[:-5])
    result = scan_mrt(cut)
    assert result.truncated and result.records == 66 and result.damaged_at is None
    assert "Record 67 at byte" in result.problem and "cut short" in result.problem


def test_bad_gzip_checksum_is_reported_without_losing_records(tmp_path: Path) -> None:
    data = bytearray(data_file("mrt/bgpdump__updates.20020722.2238.gz").read_bytes())
    data[-6] ^= 0xFF  # inside the CRC-32 of the trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    result = scan_mrt(path)
    assert result.records == 1_121 and not result.truncated
    assert "checksum" in result.problem


def test_not_an_mrt_file(tmp_path: Path) -> None:
    page = tmp_path / "rib.bz2"
    page.write_bytes(b"<html><body>404 Not Found</body></html>\n")
    result = scan_mrt(page)
    assert (result.kind, result.records, result.damaged_at, result.damaged_record) == (
        "unknown", 0, 0, 1)
    assert "not an MRT file" in result.problem


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    result = scan_mrt(empty)
    assert (result.kind, result.records, result.first_ts_us, result.problem) == (
        "unknown", 0, None, None)

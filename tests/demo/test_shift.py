"""Copies of real MRT files moved in time, read back by two independent parsers.

Debian's bgpdump (C) must print the same lines for the copy as for the original with every time
moved by exactly the delta: header times (with BGP4MP_ET's microseconds kept) in ``-m`` output,
and, in its verbose output, the originated time of TABLE_DUMP (v1) and TABLE_DUMP_V2 entries.
pybgpkit-parser (the ingest's parser) must give the same number of elements.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from explorer.demo.shift import ShiftError, ShiftTemplate, first_timestamp, shift_file
from explorer.ingest.mrt_scan import scan_mrt
from tests.conftest import data_file
from tests.reference import bgpdump_lines

DELTA = 9 * 365 * 86400 + 12_345        # nine years and an odd number of seconds: no whole days or hours


def moved(fields: list[str], delta: int) -> list[str]:
    """A ``bgpdump -m`` line with its time (seconds, or seconds.microseconds) moved by ``delta``."""
    seconds, dot, micros = fields[1].partition(".")
    return fields[:1] + [f"{int(seconds) + delta}{dot}{micros}"] + fields[2:]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("name", "delta"), [
    ("bgpdump__updates.et-header.2015.gz", DELTA),          # BGP4MP_ET: microseconds, state changes
    ("dnas__rrc23.updates.20220421.0200.gz", -3 * 365 * 86400 - 7),   # BGP4MP_MESSAGE_AS4, RIS 2022; back
    ("bgpdump__updates.20020722.2238.gz", DELTA),           # 2-byte AS, many state changes
    ("libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2", DELTA),   # bzip2 input
    ("pyasn__rib.20140523.0600_firstMB.bz2", DELTA),        # TABLE_DUMP_V2, truncated bzip2
    ("pyasn__rib6.20151101.0600_firstMB.bz2", DELTA),       # TABLE_DUMP_V2 IPv6
    ("bgpdump__bview.20020722.2337.gz", DELTA),             # TABLE_DUMP (v1)
    ("bgpdump__bview.ipv4_unicast_add_path.gz", DELTA),     # RFC 8050 ADD-PATH
    ("bgpdump__bview.ipv6_unicast_add_path.gz", DELTA),
    ("bgpdump__bview.64k_stream_overflow.gz", DELTA),       # one RIB record over 64 KiB
    ("manrs__namex-bgpd-rib-inet6.mrt", DELTA),             # TABLE_DUMP v1 IPv6, plain input
    ("mrtparse__openbgpd_rib_table", DELTA),                # BGP4MP_ENTRY: header only
])
def test_bgpdump_prints_the_same_lines_moved_by_delta(name, delta, tmp_path):
    src = data_file(f"mrt/{name}")
    result = shift_file(src, tmp_path / "copy.gz", delta)
    before, after = bgpdump_lines(src), bgpdump_lines(result.path)
    assert before, "bgpdump read nothing from the original"
    assert after == [moved(fields, delta) for fields in before]
    assert result.path.read_bytes()[:2] == b"\x1f\x8b"


def bgpdump_verbose(path) -> list[str]:
    """bgpdump's default output (TIME: and ORIGINATED: lines among the fields), times in UTC."""
    exe = shutil.which("bgpdump")
    if exe is None:
        pytest.skip("bgpdump is not installed (apt-get install bgpdump): it is the independent reference parser")
    out = subprocess.run([exe, "--", str(path)], capture_output=True, text=True, errors="replace", check=False,
                         env={**os.environ, "TZ": "UTC"})
    return out.stdout.splitlines()


@functools.lru_cache(maxsize=None)
def moved_verbose(line: str, delta: int) -> str:
    """A TIME: or ORIGINATED: line of bgpdump's verbose output, moved by ``delta``."""
    label, _, text = line.partition(" ")
    t = datetime.strptime(text, "%m/%d/%y %H:%M:%S").replace(tzinfo=timezone.utc)
    return f"{label} {(t + timedelta(seconds=delta)):%m/%d/%y %H:%M:%S}"


def times(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("TIME: ", "ORIGINATED: "))]


def other(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(("TIME: ", "ORIGINATED: "))]


@pytest.mark.parametrize("name", [
    "bgpdump__bview.20020722.2337.gz",              # TABLE_DUMP v1: one entry per record
    "pyasn__rib.20140523.0600_firstMB.bz2",         # TABLE_DUMP_V2: ~30 entries per record
    "bgpdump__bview.ipv6_unicast_add_path.gz",      # ADD-PATH: a path id between time and attributes
    "manrs__namex-bgpd-rib-inet6.mrt",
])
def test_originated_times_move_too(name, tmp_path):
    src = data_file(f"mrt/{name}")
    result = shift_file(src, tmp_path / "copy.gz", DELTA)
    before, after = bgpdump_verbose(src), bgpdump_verbose(result.path)
    originated = sum(line.startswith("ORIGINATED: ") for line in before)
    assert originated == result.time_fields - result.records    # one per entry, all found
    assert other(after) == other(before)
    assert times(after) == [moved_verbose(line, DELTA) for line in times(before)]


@pytest.mark.parametrize("name", [
    "dnas__rrc23.updates.20220501.2305.gz",         # BGP4MP (bgpdump checks the BGP4MP_ET file)
    "pyasn__rib.20140523.0600_firstMB.bz2",         # TABLE_DUMP_V2, truncated
    "bgpdump__bview.20020722.2337.gz",              # TABLE_DUMP v1
])
def test_pybgpkit_parser_gives_the_same_element_count(name, tmp_path):
    import pybgpkit_parser

    src = data_file(f"mrt/{name}")
    copy = shift_file(src, tmp_path / "copy.gz", DELTA).path
    original = sum(1 for _ in pybgpkit_parser.Parser(url=str(src)))
    assert original > 1000
    assert sum(1 for _ in pybgpkit_parser.Parser(url=str(copy))) == original


def test_a_truncated_input_gives_its_complete_records(tmp_path):
    src = data_file("mrt/pyasn__rib.20140523.0600_firstMB.bz2")         # bzip2 cut after 1 MiB
    result = shift_file(src, tmp_path / "rib.gz", DELTA)
    scan = scan_mrt(src)
    assert scan.truncated and result.truncated
    assert result.records == scan.records == 9_073
    assert "ends early" in result.problem
    copy = scan_mrt(result.path)                                        # the copy itself is whole
    assert (copy.records, copy.truncated, copy.problem) == (scan.records, False, None)

    # a plain file cut inside a record
    whole = gzip.decompress(data_file("mrt/dnas__rrc23.updates.20220421.0200.gz").read_bytes())
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(whole[:1_000_003])
    result = shift_file(cut, tmp_path / "cut.gz", DELTA)
    assert result.truncated and result.records == scan_mrt(cut).records
    assert result.mrt_bytes < 1_000_003 and scan_mrt(result.path).problem is None


def test_each_delta_gives_its_own_content_and_one_delta_the_same(tmp_path):
    src = data_file("mrt/dnas__rrc23.updates.20220421.0200.gz")
    a = shift_file(src, tmp_path / "a.gz", 900).path
    b = shift_file(src, tmp_path / "b.gz", 1800).path
    again = shift_file(src, tmp_path / "again.gz", 900).path
    template = ShiftTemplate(src)
    from_template = template.write(tmp_path / "t.gz", 900)
    assert len({sha256(a), sha256(b), sha256(src)}) == 3
    assert sha256(a) == sha256(again) == sha256(from_template.path)
    assert from_template.first_ts == first_timestamp(src) + 900 == first_timestamp(a)
    assert from_template.last_ts == scan_mrt(a).last_ts_us // 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz", "again.gz", "b.gz", "t.gz"]   # no .part left


def test_a_copy_that_cannot_be_made_leaves_nothing(tmp_path):
    src = data_file("mrt/bgpdump__updates.20020722.2238.gz")
    with pytest.raises(ShiftError, match="32-bit range"):
        shift_file(src, tmp_path / "before-1970.gz", -2_000_000_000)
    not_mrt = tmp_path / "notes.txt"
    not_mrt.write_text("not an MRT file\n" * 10)
    with pytest.raises(ShiftError, match="not an MRT file"):
        shift_file(not_mrt, tmp_path / "notes.gz", DELTA)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]

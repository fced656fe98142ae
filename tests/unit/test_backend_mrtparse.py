"""The mrtparse backend, checked against bgpdump 1.6.2 on the real archives of ../shared/data.

bgpdump (C, libbgpdump) is an independent reader of the same bytes; the tests that run it skip
when it is not installed. Where the two disagree the test says which is right and why:

* ``mrtparse__bird_bgp``, ``mrtparse__bird6_bgp``: BIRD wrote ADD-PATH NLRI (a path id before
  each prefix) into plain BGP4MP_MESSAGE_AS4 records. bgpdump reads the path ids as prefixes
  (0.0.0.0/0, 24.0.0.0/2, ::/0); mrtparse, finding NLRI that do not decode cleanly, reads them
  again with path ids and gets the real prefixes. mrtparse is right.
* ``bgpkit-rrc00__updates.20000325.0345``: record 5 claims a body no type 5 record can have.
  bgpdump reads on and invents 2,044 withdrawals from what follows; this backend stops where the
  record walk (``mrt_scan``) stops, after the 4 records before it.
* ``bgpdump__updates.nlri_mask_trailing_bits``: mrtparse 2.2.0 refuses a prefix with bits set
  beyond its length (11.13.0.0/13), and with it the whole UPDATE; bgpdump prints it as received.
  An mrtparse limitation (xfail).

Field by field, two more differences that leave the counts equal:

* legacy type 5 withdrawals: bgpdump prints the peer's address as the prefix (two inet_ntoa calls
  share one static buffer in its ``mrtd_table_line_withdraw``); mrtparse reads the prefix.
* ``mrtparse__openbgpd_rib_table``: OpenBGPD writes an IPv4 peer into the 16-byte peer field of
  its TABLE_DUMP AFI_IPv6 records; bgpdump prints it as IPv6 (c0a8:10a::), mrtparse reads the
  IPv4 address (192.168.1.10, the peer of the same file's IPv4 records).

IPv6 text: bgpdump prints glibc's inet_ntop form, which shortens a single zero group with '::'
(2001:7f8:30::2:1:0:8447); RFC 5952 4.2.2 forbids that, and the backend prints what ``ipaddress``
(and pybgpkit-parser) print. bgpdump's addresses are put in that form before comparing.
"""

from __future__ import annotations

import ipaddress
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from explorer.ingest.backend_mrtparse import import_mrtparse

try:                            # through the backend: a bare import of mrtparse resets SIGPIPE for all of pytest
    import_mrtparse()
except ImportError:
    pytest.skip("mrtparse is not installed: pip install mrtparse==2.2.0", allow_module_level=True)

from explorer.ingest import backends, decoded  # noqa: E402
from explorer.ingest.backend_mrtparse import MrtparseBackend, _Attrs, _merged, _path_text  # noqa: E402
from explorer.ingest.backends import DECODED, BackendUnavailable, get_backend, order_for  # noqa: E402
from explorer.ingest.filters import parse_filter  # noqa: E402
from explorer.ingest.mrt_scan import scan_mrt  # noqa: E402
from explorer.ingest.reader import read_file  # noqa: E402
from tests.conftest import data_file  # noqa: E402
from tests.reference import bgpdump_lines  # noqa: E402

# Every RouteViews and RIS file, bgpdump's and the other projects' samples, and the lab dumps.
FILES = [
    "mrt/bgpdump__bview.20020722.2337.gz", "mrt/bgpdump__bview.64k_stream_overflow.gz",
    "mrt/bgpdump__bview.ipv4_unicast_add_path.gz", "mrt/bgpdump__bview.ipv6_unicast_add_path.gz",
    "mrt/bgpdump__updates.20020722.2238.gz", "mrt/bgpdump__updates.20070211.0141.gz",
    "mrt/bgpdump__updates.20071015.1505.gz", "mrt/bgpdump__updates.20100722.2015.gz",
    "mrt/bgpdump__updates.20160811.1600.gz", "mrt/bgpdump__updates.et-header.2015.gz",
    "mrt/bgpkit-localonly__updates.bz2", "mrt/bgpkit-rrc15__updates.20100227.1600.gz",
    "mrt/bgpkit-rrc15__updates.20100227.1610.gz", "mrt/dnas__rrc23.updates.20220421.0200.gz",
    "mrt/dnas__rrc23.updates.20220501.2305.gz", "mrt/libbgpstream__ris.rrc06.updates.1427846400.gz",
    "mrt/libbgpstream__routeviews.route-views.jinx.updates.1427846400.bz2",
    "mrt/manrs__185.186.nlix.mrt", "mrt/manrs__namex-bgpd-rib-inet.mrt", "mrt/manrs__namex-bgpd-rib-inet6.mrt",
    "mrt/mrtparse__bird-mrtdump_bgp", "mrt/mrtparse__bird-mrtdump_rib", "mrt/mrtparse__bird6-mrtdump_bgp",
    "mrt/mrtparse__bird6-mrtdump_rib", "mrt/mrtparse__bird6_bgp", "mrt/mrtparse__bird_bgp",
    "mrt/mrtparse__openbgpd_bgp", "mrt/mrtparse__openbgpd_rib_table", "mrt/mrtparse__openbgpd_rib_table-mp",
    "mrt/mrtparse__openbgpd_rib_table-v2", "mrt/mrtparse__quagga_bgp", "mrt/mrtparse__quagga_rib",
    "mrt/pyasn__bview.20140112.1600_3samples.bz2", "mrt/pyasn__rib.20140523.0600_firstMB.bz2",
    "mrt/pyasn__rib6.20151101.0600_firstMB.bz2",
    "mrt-bad/bgpdump__updates.long_withdrawal.gz", "mrt-bad/bgpdump__updates.nlri_mask_trailing_bits.gz",
    "mrt-bad/bgpkit-rrc00__updates.19990903.1041.gz", "mrt-bad/bgpkit-rrc00__updates.19991214.1621.gz",
    "mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz", "mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz",
    "mrt-bad/bgpkit-rrc01__updates.20001104.0124.gz",
    "mrt-bad/bgpkit-rrc03__updates.20100227.1600.first-796-records.gz",
]
# Compared element by element as well: an update file of 2022, a TABLE_DUMP_V2 RIB cut after its
# first MB (its complete records), the 2002 TABLE_DUMP bview, and the file whose 2-byte-AS
# messages carry AS4_PATH (10 of them merged into AS_PATH).
FULL = ["mrt/dnas__rrc23.updates.20220421.0200.gz", "mrt/pyasn__rib.20140523.0600_firstMB.bz2",
        "mrt/bgpdump__bview.20020722.2337.gz", "mrt/bgpdump__updates.20100722.2015.gz"]
# Counts that differ from bgpdump's, and why (see the module docstring).
BIRD = ("BIRD's ADD-PATH NLRI in plain MESSAGE_AS4 records: bgpdump reads path ids as prefixes, "
        "mrtparse reads the prefixes")
OURS = {
    "mrt/mrtparse__bird_bgp": ({"A": 14}, BIRD),
    "mrt/mrtparse__bird6_bgp": ({"A": 14}, BIRD),
    "mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz": (
        {"A": 2, "W": 2}, "damaged at record 5: bgpdump invents 2,044 withdrawals past it, we stop there"),
}
MRTPARSE_LIMITS = {
    "mrt-bad/bgpdump__updates.nlri_mask_trailing_bits.gz":
        "mrtparse 2.2.0 refuses the prefix 11.13.0.0/13 (bits set beyond its length) and so the whole UPDATE",
}


def _address(text: str) -> str:
    if ":" not in text:
        return text
    addr, sep, length = text.partition("/")
    return str(ipaddress.IPv6Address(addr)) + sep + length


def bgpdump_elements(path: Path) -> list[tuple]:
    """(ts_us, withdrawal, peer_ip, peer_asn, prefix, as_path, kind) per A, W and B line of bgpdump -m."""
    rows = []
    for f in bgpdump_lines(path):
        if len(f) < 6 or f[2] not in ("A", "B", "W"):
            continue
        seconds, _, micros = f[1].partition(".")
        withdrawal = f[2] == "W"
        as_path = None if withdrawal else f[7 if f[0].endswith("_AP") else 6]
        rows.append((int(seconds) * 1_000_000 + int(micros.ljust(6, "0") or 0), withdrawal, _address(f[3]),
                     int(f[4]), _address(f[5]), as_path, "R" if f[2] == "B" else f[2]))
    return rows


def mrtparse_elements(path: Path, flt=None, backend: MrtparseBackend | None = None) -> list[tuple]:
    rows = []
    for batch in (backend or MrtparseBackend()).decode(str(path), "updates", flt):
        assert batch.schema == DECODED
        d = batch.to_pydict()
        rows += zip(d["ts_us"], d["withdrawal"], d["peer_ip"], d["peer_asn"], d["prefix"], d["as_path"])
    return rows


def counts(rows: list[tuple], rib: bool) -> dict[str, int]:
    c = Counter("W" if r[1] else "R" if rib else "A" for r in rows)
    return {k: v for k, v in c.items() if v}


# --- the same elements as bgpdump ----------------------------------------------------------------


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=MRTPARSE_LIMITS[n], strict=True)) if n in MRTPARSE_LIMITS else n
    for n in FILES])
def test_counts_agree_with_bgpdump(name: str) -> None:
    """Per file, as many announcements, withdrawals and RIB entries as bgpdump prints (FULL files:
    the same elements in the same order, field by field), and at least what the record walk counts."""
    path = data_file(name)
    reference = bgpdump_elements(path)
    scan = scan_mrt(path)
    backend = MrtparseBackend()
    ours = mrtparse_elements(path, backend=backend)
    got = counts(ours, scan.kind == "rib")
    if name in OURS:
        expected, why = OURS[name]
        assert got == expected, why
        assert got != counts(reference, scan.kind == "rib")
    else:
        assert got == dict(Counter(r[6] for r in reference))
    # else reader.read_file would look for a better reader; a TABLE_DUMP_V2 file without its peer
    # index table (pyasn__bview.20140112.1600_3samples) has entries no reader can tie to a peer
    unattributable = any(t == 13 for t, _ in scan.record_types) and not scan.has_peer_index
    assert len(ours) >= scan.expected or unattributable
    if name in FULL:
        assert ours == [r[:6] for r in reference]
        assert backend.skipped == 0


def test_bird_add_path_in_plain_messages_gives_the_real_prefixes() -> None:
    for name, real, invented in [("mrt/mrtparse__bird_bgp", "172.17.0.0/24", "0.0.0.0/0"),
                                 ("mrt/mrtparse__bird6_bgp", "fd01:1::/64", "::/0")]:
        path = data_file(name)
        ours = {r[4] for r in mrtparse_elements(path)}
        theirs = {r[4] for r in bgpdump_elements(path)}
        assert real in ours and invented not in ours
        assert invented in theirs and real not in theirs


def test_damaged_legacy_file_stops_where_the_record_walk_stops() -> None:
    path = data_file("mrt-bad/bgpkit-rrc00__updates.20000325.0345.gz")
    scan = scan_mrt(path)
    assert (scan.records, scan.damaged_record) == (4, 5)
    ours, theirs = mrtparse_elements(path), bgpdump_elements(path)
    # bgpdump's first four lines come from the same records (its withdrawals misprint the prefix, below)
    assert [r[:4] for r in ours] == [r[:4] for r in theirs[:4]]
    assert [r for r in ours if not r[1]] == [r[:6] for r in theirs[:4] if not r[1]]


def test_legacy_withdrawals_name_their_prefix_where_bgpdump_prints_the_peer() -> None:
    path = data_file("mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz")
    ours, theirs = mrtparse_elements(path), bgpdump_elements(path)
    assert len(ours) == len(theirs)
    withdrawn = [(o, t) for o, t in zip(ours, theirs) if t[1]]
    assert len(withdrawn) == 675
    assert all(t[4].split("/")[0] == t[2] for _, t in withdrawn)                 # bgpdump: the peer's address
    assert sum(o[4].split("/")[0] != o[2] for o, _ in withdrawn) == len(withdrawn)
    # everything else is the same: time, peer, prefix length; announcements field by field
    assert all(o[:4] == t[:4] and o[4].split("/")[1] == t[4].split("/")[1] for o, t in withdrawn)
    assert [o for o, t in zip(ours, theirs) if not t[1]] == [t[:6] for t in theirs if not t[1]]


def test_ipv4_peer_of_an_ipv6_table_dump_is_read_as_ipv4() -> None:
    path = data_file("mrt/mrtparse__openbgpd_rib_table")
    ours, theirs = mrtparse_elements(path), bgpdump_elements(path)
    assert {(o[2], t[2]) for o, t in zip(ours, theirs) if o[2] != t[2]} == {("192.168.1.10", "c0a8:10a::")}
    assert "192.168.1.10" in {t[2] for t in theirs}         # the peer of the file's IPv4 records
    assert [o[3:] for o in ours] == [t[3:6] for t in theirs]


# --- the filter, applied per element ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "elemtype withdrawals",
    "community 2914:420",
    "prefix more 199.0.0.0/8",
    "ipversion 6",
    "aspath _2914_",
    "peer 25152 and elemtype announcements and community 2914:*",
])
def test_filter_keeps_what_it_matches_on_bgpdump_elements(text: str) -> None:
    path = data_file("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz")
    flt = parse_filter(text)
    expected = []
    for f in bgpdump_lines(path):
        if len(f) < 6 or f[2] not in ("A", "W"):
            continue
        withdrawal = f[2] == "W"
        path_text = None if withdrawal else f[6]
        comms = f[11].split() if not withdrawal and f[11] else None
        if flt.matches(f[2], int(f[4]), f[5], path_text, comms):
            expected.append((int(f[1]) * 1_000_000, withdrawal, _address(f[3]), int(f[4]), _address(f[5]),
                             path_text))
    got = mrtparse_elements(path, flt)
    assert got == expected
    assert 0 < len(got) < 1557


def test_rib_entries_are_elemtype_ribs() -> None:
    path = data_file("mrt/mrtparse__quagga_rib")
    assert len(mrtparse_elements(path, parse_filter("elemtype ribs"))) == 9
    assert mrtparse_elements(path, parse_filter("elemtype announcements")) == []


# --- AS paths as bgpdump prints them -------------------------------------------------------------


SEQ, SET, CONFED_SEQ, CONFED_SET = 2, 1, 3, 4


@pytest.mark.parametrize(("segments", "text"), [
    ([], ""),
    ([(SEQ, ["1", "2"]), (SET, ["3", "4"])], "1 2 {3,4}"),
    ([(SET, ["3", "4"]), (SEQ, ["5"])], "{3,4} 5"),
    ([(CONFED_SEQ, ["65001", "65002"]), (SEQ, ["1"])], "(65001 65002) 1"),
    ([(SEQ, ["1"]), (CONFED_SET, ["65001", "65002"])], "1 [65001,65002]"),
    ([(9, ["1"])], "! Error !"),
])
def test_path_text(segments, text) -> None:
    assert _path_text(segments) == text


def _segments(*segments) -> list:
    return [{"type": {t: None}, "value": list(asns)} for t, asns in segments]


def _texts(segments) -> str:
    return _path_text([(next(iter(s["type"])), s["value"]) for s in segments])


@pytest.mark.parametrize(("as_path", "as4_path", "text"), [
    # the ASes AS4_PATH lacks, counted from the left, then AS4_PATH
    ([(SEQ, "1 2 23456 23456".split())], [(SEQ, ["196613", "196614"])], "1 2 196613 196614"),
    # a set counts one AS
    ([(SEQ, ["1"]), (SET, ["2", "3"]), (SEQ, ["23456"])], [(SEQ, ["196613"])], "1 {2,3} 196613"),
    # a sequence is cut where the count is reached
    ([(SEQ, "1 2 3 23456".split())], [(SEQ, ["2", "3", "196613"])], "1 2 3 196613"),
    # AS4_PATH longer than AS_PATH: AS_PATH as it is
    ([(SEQ, ["23456"])], [(SEQ, ["1", "196613"])], "23456"),
])
def test_as4_path_merged_as_bgpdump_does(as_path, as4_path, text) -> None:
    assert _texts(_merged(_segments(*as_path), _segments(*as4_path))) == text


def _attribute(code: int, value) -> dict:
    return {"type": {code: None}, "value": value}


def test_as4_path_ignored_after_a_2_byte_aggregator_and_in_4_byte_records() -> None:
    path = _attribute(2, _segments((SEQ, ["1", "23456"])))
    as4 = _attribute(17, _segments((SEQ, ["196613"])))
    assert _Attrs([path, as4]).path(True) == "1 196613"
    assert _Attrs([path, as4]).path(False) == "1 23456"
    aggregated = [path, as4, _attribute(7, {"as": "65000"}), _attribute(18, {"as": "196613"})]
    assert _Attrs(aggregated).path(True) == "1 23456"          # RFC 6793 4.2.3
    aggregated[2] = _attribute(7, {"as": "23456"})
    assert _Attrs(aggregated).path(True) == "1 196613"


# --- the backend's contract ----------------------------------------------------------------------


def test_batches_hold_at_most_batch_rows(monkeypatch) -> None:
    monkeypatch.setattr(decoded, "BATCH", 500)
    path = data_file("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz")
    sizes = [b.num_rows for b in MrtparseBackend().decode(str(path), "updates")]
    assert sizes == [500, 500, 500, 57]


def test_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="only local files"):
        next(iter(MrtparseBackend().decode("https://data.ris.ripe.net/rrc00/latest-update.gz", "updates")))


def test_unavailable_without_mrtparse_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mrtparse", None)       # import mrtparse raises ImportError
    with pytest.raises(BackendUnavailable, match=r"pip install mrtparse==2\.2\.0"):
        get_backend("mrtparse")


def test_registered_last() -> None:
    assert get_backend("mrtparse").name == "mrtparse"
    assert order_for("updates")[-1] == order_for("rib")[-1] == "mrtparse"
    assert order_for("legacy")[0] == "mrtparse"        # it reads type 5 withdrawals right, bgpdump does not


@pytest.mark.parametrize(("name", "elements"), [
    ("mrt/libbgpstream__ris.rrc06.updates.1427846400.gz", 1557),
    ("mrt-bad/bgpkit-rrc00__updates.20000102.2014.gz", 6343),        # legacy type 5
    ("mrt/bgpdump__bview.ipv6_unicast_add_path.gz", 62),
])
def test_read_with_no_other_backend_as_on_windows(monkeypatch, tmp_path, name, elements) -> None:
    monkeypatch.setattr(backends, "BACKENDS", {"mrtparse": MrtparseBackend})
    read = read_file(str(data_file(name)), str(tmp_path / "out.arrow"), "rrc00")
    assert (read.backend, read.elements) == ("mrtparse", elements)
    with pa.ipc.open_stream(read.out) as staged:
        assert staged.read_all().num_rows == elements


def test_the_backend_leaves_sigpipe_ignored_and_works_from_a_thread() -> None:
    """mrtparse's own import sets SIGPIPE to its default action (a later write to a closed pipe then
    kills the process: a test run died so, status 141) and raises ValueError outside the main thread.
    In a fresh interpreter: the backend made in a thread, then in the main one, then a write to a pipe
    whose reader is gone must raise BrokenPipeError, not kill the process."""
    import subprocess
    import textwrap

    script = textwrap.dedent("""
        import os, signal, threading
        from explorer.ingest.backend_mrtparse import MrtparseBackend
        made = []
        t = threading.Thread(target=lambda: made.append(MrtparseBackend()))
        t.start(); t.join()
        MrtparseBackend()
        r, w = os.pipe(); os.close(r)
        try:
            os.write(w, b"x")
        except BrokenPipeError:
            print(len(made), signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "1 True"), done.stderr

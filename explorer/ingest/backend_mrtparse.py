"""The pure-Python backend: mrtparse 2.2.0 decodes, one row per element as ``bgpdump -m`` prints it.

The last fallback of ``backends.order_for``, and the only reader of a Windows install without
Rust (no pybgpkit-parser wheel there, no libbgpstream build). Slow: mrtparse makes a dictionary
of every record, attribute and prefix (the README gives the rate).

Record framing is done here, not by ``mrtparse.Reader``, for three reasons: the Reader raises
KeyError on the legacy MRT type 5 (BGP) records RIPE RIS wrote until 2000, which are decoded here
with mrtparse's own BGP UPDATE decoder; it reads whatever length a damaged header claims, where
this loop stops at the first header the record walk (``mrt_scan``) would refuse; and it does not
clear its error flag between records. The bodies are decoded by mrtparse's classes.

What is read, matching bgpdump 1.6.2 (checked in tests/unit/test_backend_mrtparse.py):

* RIB entries ('R'): TABLE_DUMP (one per record), TABLE_DUMP_V2 unicast RIBs and their ADD-PATH
  subtypes, peers from the PEER_INDEX_TABLE, and RIB_GENERIC for unicast SAFI (bgpdump reads no
  RIB_GENERIC). No multicast RIB.
* BGP4MP and BGP4MP_ET UPDATE messages, and type 5 BGP_UPDATE: one row per withdrawn ('W') and
  announced ('A') prefix, in the message and in MP_UNREACH_NLRI/MP_REACH_NLRI, withdrawals first,
  unicast and multicast as bgpdump prints them. A *_LOCAL message names the local side as the
  peer, as bgpdump does (except the ADD-PATH LOCAL subtypes, where bgpdump names the peer).
* AS paths as bgpdump prints them: sequences space-separated, ``{1,2}`` for an AS_SET,
  ``(1 2)`` and ``[1,2]`` for confederation segments; in a 2-byte-AS record (BGP4MP_MESSAGE,
  TABLE_DUMP, type 5) AS4_PATH merged into AS_PATH as bgpdump does (RFC 6793 4.2.3).

What mrtparse cannot read: a prefix whose bits beyond its length are not zero (it refuses the
whole message; bgpdump prints the prefix as received), and SAFI 3 in MP_REACH/MP_UNREACH (it
skips their prefixes). A record it refuses is skipped and counted in ``skipped``.
"""

from __future__ import annotations

import bz2
import gzip
import ipaddress
import signal
import struct
import sys
import threading
import zlib
from collections.abc import Iterator

import pyarrow as pa

from explorer.ingest.filters import ElementFilter
from explorer.ingest.mrt_scan import _EXTENDED_TYPES, _LIMITS

_HEADER = struct.Struct(">IHHI")
_TABLE_DUMP, _TABLE_DUMP_V2, _BGP4MP, _BGP4MP_ET, _BGP = 12, 13, 16, 17, 5
_MESSAGES = frozenset({1, 4, 6, 7, 8, 9, 10, 11})    # BGP4MP(_ET) subtypes that hold a BGP message
_AS2_MESSAGES = frozenset({1, 6, 8, 10})              # ... with 2-byte AS numbers
_LOCAL = frozenset({6, 7})                            # ... sent by the collector (bgpdump's rule)
_RIB_AFI = {2: 1, 8: 1, 4: 2, 10: 2}                  # TABLE_DUMP_V2 unicast RIB subtype -> AFI
_RIB_GENERIC = frozenset({6, 12})
_ADD_PATH_RIBS = frozenset({8, 10, 12})               # entries carry a path id
_MP_SAFI = frozenset({1, 2, 3})                       # bgpdump prints unicast and multicast
_AS_SET, _AS_SEQUENCE, _CONFED_SEQUENCE, _CONFED_SET = 1, 2, 3, 4
_SEGMENT = {_AS_SET: ("{", "}", ","), _CONFED_SEQUENCE: ("(", ")", " "), _CONFED_SET: ("[", "]", ",")}
_AS_TRANS = "23456"
_MEMO_LIMIT = 1 << 16


_IMPORT_LOCK = threading.Lock()


def import_mrtparse():
    """mrtparse's ``__init__`` sets SIGPIPE to its default action for the whole process (a script's
    convenience for ``| head``): after that, any write to a closed pipe or socket kills the program
    outright instead of raising BrokenPipeError (a test run died so, with status 141). From a thread
    other than the main one the same call raises ValueError, so the import itself fails. Import it with
    ``signal.signal`` leaving SIGPIPE as it is."""
    if "mrtparse" in sys.modules and sys.modules["mrtparse"] is not None:
        return sys.modules["mrtparse"]
    with _IMPORT_LOCK:
        real = signal.signal

        def keep_sigpipe(signum, handler):
            if signum == getattr(signal, "SIGPIPE", None):
                return signal.getsignal(signum)
            return real(signum, handler)

        signal.signal = keep_sigpipe
        try:
            import mrtparse
        finally:
            signal.signal = real
        return mrtparse


class MrtparseBackend:
    """mrtparse 2.2.0 (pure Python)."""

    name = "mrtparse"

    def __init__(self):
        from explorer.ingest.decoded import BackendUnavailable

        try:
            mrtparse = import_mrtparse()
        except ImportError as exc:
            raise BackendUnavailable(f"mrtparse is not installed ({exc}): pip install mrtparse==2.2.0") from None
        self._mrt = mrtparse
        self.skipped = 0                 # records mrtparse could not decode, in the last decode()
        self.first_skip: str | None = None

    def decode(self, path: str, kind: str, flt: ElementFilter | None = None) -> Iterator[pa.RecordBatch]:
        from explorer.ingest.decoded import collector_paused, local_path

        local = local_path(path)
        self.skipped, self.first_skip = 0, None
        matches = flt.matches if flt is not None and not flt.is_empty else None
        with collector_paused():        # see BgpkitBackend.decode: nothing here makes cycles
            yield from self._batches(local, matches)

    def _batches(self, path: str, matches) -> Iterator[pa.RecordBatch]:
        from explorer.ingest.decoded import BATCH

        rows = []
        for row in self._elements(path, matches):
            rows.append(row)
            if len(rows) == BATCH:
                yield _to_batch(rows)
                rows = []
        if rows:
            yield _to_batch(rows)

    def _elements(self, path: str, matches) -> Iterator[tuple]:
        """(ts_us, withdrawal, peer_ip, peer_asn, prefix, as_path, communities) per element, in file
        order; the communities ('asn:value' texts, or None) are there for the filter."""
        m = self._mrt
        peers: list[tuple[str, int]] | None = None
        routes: dict[bytes, tuple[str, list[str] | None]] = {}     # see _rib
        number = 0
        for ts, mrt_type, subtype, body in _records(path):
            number += 1
            try:
                # mrtparse keeps the AS size, AFI/SAFI and ADD-PATH flag in globals; set them per record
                m.as_len(4)
                m.af_num(0, 0)
                m.is_add_path(False)
                if mrt_type == _TABLE_DUMP_V2:
                    if subtype == 1:
                        table = m.PeerIndexTable(body)
                        table.unpack()
                        peers = [(_address(p["peer_ip"]), int(p["peer_as"])) for p in table.data["peer_entries"]]
                        continue
                    if peers is None or (subtype not in _RIB_AFI and subtype not in _RIB_GENERIC):
                        continue     # without the peer index no entry names its peer (bgpdump: none)
                    rows = _rib(m, subtype, body, ts * 1_000_000, peers, routes)
                elif mrt_type == _BGP4MP or mrt_type == _BGP4MP_ET:
                    if subtype not in _MESSAGES:
                        continue
                    ts_us = ts * 1_000_000
                    if mrt_type == _BGP4MP_ET:
                        ts_us += int.from_bytes(body[:4], "big")
                        body = body[4:]
                    if not _is_update(body, subtype):
                        continue     # OPEN, KEEPALIVE, NOTIFICATION: no element, and mrtparse is slow
                    record = m.Bgp4Mp(body)
                    record.unpack(subtype)
                    d = record.data
                    if subtype in _LOCAL:
                        peer = _address(d["local_ip"]), int(d["local_as"])
                    else:
                        peer = _address(d["peer_ip"]), int(d["peer_as"])
                    rows = _update(d["bgp_message"], ts_us, peer, subtype in _AS2_MESSAGES)
                elif mrt_type == _TABLE_DUMP:
                    if subtype not in (1, 2):
                        continue     # 3 and 4 (bgpdump's 32-bit-AS variants) are unknown to mrtparse
                    entry = m.TableDump(body)
                    entry.unpack(subtype)     # sets the 2-byte AS size for its attributes
                    d = entry.data
                    attrs = _Attrs(d["path_attributes"])
                    rows = [(ts * 1_000_000, False, _address(d["peer_ip"]), int(d["peer_as"]),
                             f"{_address(d['prefix'])}/{d['length']}", attrs.path(True), attrs.communities)]
                elif mrt_type == _BGP and subtype == 1:
                    rows = _legacy_update(m, body, ts * 1_000_000)
                else:
                    continue
            except Exception as exc:  # noqa: BLE001 -- mrtparse raises its own and plain errors on bad bytes
                self.skipped += 1
                if self.first_skip is None:
                    why = getattr(exc, "msg", "") or f"{type(exc).__name__}: {exc}"
                    self.first_skip = f"record {number} (type {mrt_type}, subtype {subtype}): {why}"
                continue
            for row in rows:
                if matches is not None:
                    elem_type = "W" if row[1] else ("R" if mrt_type in (_TABLE_DUMP, _TABLE_DUMP_V2) else "A")
                    if not matches(elem_type, row[3], row[4], row[5], row[6]):
                        continue
                yield row


def _to_batch(rows: list[tuple]) -> pa.RecordBatch:
    from explorer.ingest.decoded import decoded_batch

    ts, wd, ips, asns, pfxs, paths, _ = zip(*rows)
    return decoded_batch(pa.array(ts, pa.int64()), pa.array(wd, pa.bool_()), pa.array(ips, pa.string()),
                  pa.array(asns, pa.int64()), pa.array(pfxs, pa.string()), pa.array(paths, pa.string()))


def _is_update(body: bytes, subtype: int) -> bool:
    """Whether a BGP4MP message body holds an UPDATE: the BGP type byte after the peer and local
    AS and address fields (RFC 6396 4.4.2) and the BGP marker and length (RFC 4271 4.1)."""
    at = (4 if subtype in _AS2_MESSAGES else 8) + 2
    afi = int.from_bytes(body[at:at + 2], "big")
    at += 2 + (8 if afi == 1 else 32 if afi == 2 else 0) + 18
    return len(body) > at and body[at] == 2


def _records(path: str) -> Iterator[tuple[int, int, int, bytes]]:
    """(timestamp, type, subtype, body) of each complete record, up to the first header the
    record walk would refuse (an unknown type, a length no such record has), a truncated record
    or unreadable compressed data; what follows is never guessed at."""
    with open(path, "rb") as probe:
        head = probe.read(3)
    opener = gzip.open if head[:2] == b"\x1f\x8b" else bz2.open if head == b"BZh" else open
    unpack = _HEADER.unpack
    with opener(path, "rb") as fh:
        read = fh.read
        try:
            while True:
                header = read(12)
                if len(header) < 12:
                    return
                ts, mrt_type, subtype, length = unpack(header)
                if length > _LIMITS.get(mrt_type << 16 | subtype, -1) or (length < 4 and mrt_type in _EXTENDED_TYPES):
                    return
                body = read(length)
                if len(body) < length:
                    return
                yield ts, mrt_type, subtype, body
        except (EOFError, OSError, zlib.error):  # a truncated or damaged stream ends the file
            return


def _rib(m, subtype: int, body: bytes, ts_us: int, peers: list[tuple[str, int]],
         routes: dict[bytes, tuple[str, list[str] | None]]) -> list[tuple]:
    """The entries of a TABLE_DUMP_V2 unicast RIB record (RFC 6396 4.3.2; ADD-PATH: RFC 8050) or
    unicast RIB_GENERIC (4.3.3).

    The record is framed here and each entry's attributes are decoded by mrtparse's BgpAttr, once
    per distinct attribute bytes (``routes``): in a RIB a third of the entries have attributes of
    their own (270,005 entries, 87,184 distinct, in pyasn__rib.20140523.0600_firstMB), and
    decoding them is most of mrtparse's time. mrtparse's RibGeneric cannot be used: version 2.2.0
    reads the AFI as 3 bytes and misreads every field after it.
    """
    if subtype in _RIB_AFI:
        afi, at = _RIB_AFI[subtype], 4                # sequence number (4), then the prefix
    else:
        afi, safi, at = int.from_bytes(body[4:6], "big"), body[6], 7
        if safi != 1 or afi not in (1, 2):
            return []
    m.af_num(afi, 1)                                  # the AFI of an entry's abbreviated MP_REACH_NLRI
    nlri = m.Nlri(body[at:])
    at += nlri.unpack(afi, 1)
    prefix = f"{_address(nlri.data['prefix'])}/{nlri.data['length']}"
    count = int.from_bytes(body[at:at + 2], "big")
    at += 2
    head = 10 if subtype in _ADD_PATH_RIBS else 6     # peer index (2), originated time (4), path id (4)
    rows = []
    for _ in range(count):
        length = int.from_bytes(body[at + head:at + head + 2], "big")
        start = at + head + 2
        at = start + length
        if at > len(body):
            raise ValueError(f"RIB entry {len(rows) + 1} of {count} is cut")
        blob = body[start:at]
        route = routes.get(blob)
        if route is None:
            attrs = _Attrs(_decoded_attributes(m, blob))
            route = attrs.path(False), attrs.communities
            if len(routes) >= _MEMO_LIMIT:
                routes.clear()
            routes[blob] = route
        peer_ip, peer_asn = peers[int.from_bytes(body[start - head - 2:start - head], "big")]
        rows.append((ts_us, False, peer_ip, peer_asn, prefix, route[0], route[1]))
    return rows


def _decoded_attributes(m, blob: bytes) -> list:
    """mrtparse's dictionaries of the path attributes in ``blob`` (as its RibEntries makes them)."""
    attrs, at = [], 0
    while at < len(blob):
        attr = m.BgpAttr(blob[at:])
        at += attr.unpack()
        attrs.append(attr.data)
    return attrs


def _legacy_update(m, body: bytes, ts_us: int) -> list[tuple]:
    """MRT type 5 subtype 1 (RFC 6396 B.2.1): peer AS and IP, local AS and IP (2 and 4 bytes each),
    then the UPDATE without its BGP header, which is put back for mrtparse's message decoder."""
    peer = _address(".".join(str(b) for b in body[2:6])), int.from_bytes(body[:2], "big")
    update = body[12:]
    m.as_len(2)
    message = m.BgpMessage(b"\xff" * 16 + (19 + len(update)).to_bytes(2, "big") + b"\x02" + update)
    message.unpack()
    return _update(message.data, ts_us, peer, True)


def _update(msg, ts_us: int, peer: tuple[str, int], as2: bool) -> list[tuple]:
    """The elements of one BGP message: withdrawals, then announcements, in bgpdump's order
    (the message's own IPv4 prefixes, then MP_UNREACH/MP_REACH by AFI and SAFI)."""
    if 2 not in msg["type"]:
        return []
    attrs = _Attrs(msg["path_attributes"])
    peer_ip, peer_asn = peer
    rows = [(ts_us, True, peer_ip, peer_asn, f"{n['prefix']}/{n['length']}", None, None)
            for n in msg["withdrawn_routes"]]
    for _, nlri in attrs.unreach:
        rows += [(ts_us, True, peer_ip, peer_asn, f"{_address(n['prefix'])}/{n['length']}", None, None)
                 for n in nlri]
    announced = [f"{n['prefix']}/{n['length']}" for n in msg["nlri"]]
    for _, nlri in attrs.reach:
        announced += [f"{_address(n['prefix'])}/{n['length']}" for n in nlri]
    if announced:
        path, comms = attrs.path(as2), attrs.communities
        rows += [(ts_us, False, peer_ip, peer_asn, prefix, path, comms) for prefix in announced]
    return rows


class _Attrs:
    """The attributes of one route or message that the rows need, from mrtparse's dictionaries."""

    __slots__ = ("as_path", "as4_path", "aggregator", "as4_aggregator", "communities", "reach", "unreach")

    def __init__(self, attrs: list) -> None:
        self.as_path = self.as4_path = self.aggregator = self.as4_aggregator = None
        self.communities: list[str] | None = None
        reach: dict[tuple[int, int], list] = {}
        unreach: dict[tuple[int, int], list] = {}
        for a in attrs:
            (code,) = a["type"]
            if code == 2:
                self.as_path = a["value"]
            elif code == 8:
                self.communities = a["value"]
            elif code == 14 or code == 15:
                value = a["value"]
                key = "nlri" if code == 14 else "withdrawn_routes"
                if key not in value or not value.get("safi"):
                    continue         # a RIB entry's abbreviated next hop, or an AFI/SAFI mrtparse skips
                (afi,), (safi,) = value["afi"], value["safi"]
                if afi in (1, 2) and safi in _MP_SAFI:
                    (reach if code == 14 else unreach).setdefault((afi, safi), value[key])   # bgpdump keeps the first
            elif code == 17:
                self.as4_path = a["value"]
            elif code == 7:
                self.aggregator = a["value"]["as"]
            elif code == 18:
                self.as4_aggregator = a["value"]["as"]
        self.reach = sorted(reach.items())
        self.unreach = sorted(unreach.items())

    def path(self, as2: bool) -> str:
        """The AS path as bgpdump prints it; in a 2-byte-AS record with AS4_PATH, merged as bgpdump does."""
        segments = self.as_path
        if segments is None:
            return ""
        if as2 and self.as4_path is not None:
            # RFC 6793 4.2.3: an AGGREGATOR that is not AS_TRANS means a 2-byte speaker aggregated
            # the route, so AS4_PATH is ignored (bgpdump returns before merging).
            if not (self.aggregator is not None and self.as4_aggregator is not None
                    and self.aggregator != _AS_TRANS):
                segments = _merged(segments, self.as4_path)
        if len(segments) == 1 and _AS_SEQUENCE in segments[0]["type"]:
            return " ".join(segments[0]["value"])
        return _path_text([(next(iter(s["type"])), s["value"]) for s in segments])


def _count(segments: list[tuple[int, list[str]]]) -> int:
    """bgpdump's AS count: a set counts one, a sequence (confederation ones too) its length."""
    return sum(1 if t in (_AS_SET, _CONFED_SET) else len(asns) for t, asns in segments)


def _merged(as_path: list, as4_path: list) -> list:
    """bgpdump's asn32_merge_paths: the leading ASes of AS_PATH that AS4_PATH lacks, then AS4_PATH;
    AS_PATH unchanged when it counts fewer ASes than AS4_PATH."""
    old = [(next(iter(s["type"])), s["value"]) for s in as_path]
    new = [(next(iter(s["type"])), s["value"]) for s in as4_path]
    keep = _count(old) - _count(new)
    if keep < 0:
        return as_path
    merged: list[tuple[int, list[str]]] = []
    count = 0
    for t, asns in old:
        if count >= keep:
            break
        if t in (_AS_SET, _CONFED_SET):
            count += 1
        else:
            take = min(len(asns), keep - count)
            count += len(asns)
            asns = asns[:take]
        merged.append((t, asns))
    return [{"type": {t: None}, "value": asns} for t, asns in merged + new]


def _path_text(segments: list[tuple[int, list[str]]]) -> str:
    """bgpdump's process_attr_aspath_string, step by step (its spacing around empty segments too)."""
    out: list[str] = []
    space = False
    previous = _AS_SEQUENCE
    for t, asns in segments:
        if t not in (_AS_SET, _AS_SEQUENCE, _CONFED_SEQUENCE, _CONFED_SET):
            return "! Error !"
        if previous != _AS_SEQUENCE:
            out.append(_SEGMENT[previous][1])
        if space:
            out.append(" ")
        sep = " "
        if t != _AS_SEQUENCE:
            start, _, sep = _SEGMENT[t]
            out.append(start)
        space = bool(asns)
        out.append(sep.join(asns))
        previous = t
    if segments and previous != _AS_SEQUENCE:
        out.append(_SEGMENT[previous][1])
    return "".join(out)


_V6: dict[str, str] = {}


def _address(text: str) -> str:
    """An address as ``ipaddress`` prints it. mrtparse formats with socket.inet_ntop, whose IPv6
    text depends on the platform's C library; IPv4 text is the same everywhere."""
    if ":" not in text:
        return text
    shown = _V6.get(text)
    if shown is None:
        if len(_V6) >= _MEMO_LIMIT:
            _V6.clear()
        shown = _V6[text] = str(ipaddress.IPv6Address(text))
    return shown

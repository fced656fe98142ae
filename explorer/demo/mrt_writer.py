"""A small MRT writer: the record kinds the public archives publish, nothing more.

Written from RFC 6396 (MRT), RFC 4271 (BGP-4 UPDATE), RFC 4760 (MP_REACH/MP_UNREACH for IPv6),
RFC 6793 (4-byte AS numbers) and RFC 1997 (communities):

* TABLE_DUMP_V2 (type 13) RIB dumps: a PEER_INDEX_TABLE (subtype 1), then one RIB_IPV4_UNICAST
  (2) or RIB_IPV6_UNICAST (4) record per prefix with one entry per peer holding it. RIB entry
  attributes always carry 4-byte AS numbers; an IPv6 entry's MP_REACH_NLRI holds only the next
  hop's length and address (RFC 6396 4.3.4).
* BGP4MP (type 16) update files: BGP4MP_MESSAGE_AS4 (subtype 4) records holding one BGP UPDATE
  each (IPv4 NLRI in the message, IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI), and
  BGP4MP_STATE_CHANGE_AS4 (subtype 5) records.

Files are gzip or bzip2 compressed, told by the name (``.gz``, ``.bz2``), as the archives do.
"""

from __future__ import annotations

import bz2
import gzip
import ipaddress
import struct
from dataclasses import dataclass
from pathlib import Path

TABLE_DUMP_V2, BGP4MP = 13, 16
PEER_INDEX_TABLE, RIB_IPV4_UNICAST, RIB_IPV6_UNICAST = 1, 2, 4
BGP4MP_MESSAGE_AS4, BGP4MP_STATE_CHANGE_AS4 = 4, 5
AFI_IPV4, AFI_IPV6, SAFI_UNICAST = 1, 2, 1
# Path attribute flags and type codes (RFC 4271 4.3, RFC 1997, RFC 4760).
OPTIONAL, TRANSITIVE, EXTENDED_LENGTH = 0x80, 0x40, 0x10
ORIGIN, AS_PATH, NEXT_HOP, COMMUNITIES, MP_REACH_NLRI, MP_UNREACH_NLRI = 1, 2, 3, 8, 14, 15
AS_SEQUENCE = 2
BGP_UPDATE = 2
BGP_MAX_MESSAGE = 4096
IDLE, CONNECT, ACTIVE, OPENSENT, OPENCONFIRM, ESTABLISHED = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class Route:
    """What a peer announces for a prefix: the attributes the archives carry."""

    as_path: tuple[int, ...]
    next_hop: str                                   # IPv4 for IPv4 prefixes, IPv6 for IPv6 ones
    communities: tuple[tuple[int, int], ...] = ()   # (AS, value), 16 bits each
    origin: int = 0                                 # 0 IGP, 1 EGP, 2 INCOMPLETE


@dataclass(frozen=True)
class Peer:
    """A BGP session seen from the collector: the peer's address and AS, and the collector's side."""

    ip: str
    asn: int
    bgp_id: str
    local_ip: str
    local_asn: int


def _prefix_bytes(prefix: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bytes:
    """RFC 4271 4.3: length in bits, then only the octets the length needs."""
    n = (prefix.prefixlen + 7) // 8
    return bytes([prefix.prefixlen]) + prefix.network_address.packed[:n]


def _attribute(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack(">BBH", flags | EXTENDED_LENGTH, code, len(value)) + value
    return struct.pack(">BBB", flags, code, len(value)) + value


def _as_path(asns: tuple[int, ...]) -> bytes:
    """AS_SEQUENCE segments of at most 255 four-byte AS numbers."""
    out = b""
    for i in range(0, len(asns), 255):
        chunk = asns[i:i + 255]
        out += struct.pack(f">BB{len(chunk)}I", AS_SEQUENCE, len(chunk), *chunk)
    return out


def path_attributes(route: Route, ipv6_nlri: list | None = None, *, in_rib: bool = False) -> bytes:
    """ORIGIN, AS_PATH (4-byte), then NEXT_HOP (IPv4) or MP_REACH_NLRI (IPv6), then COMMUNITIES."""
    attrs = _attribute(TRANSITIVE, ORIGIN, bytes([route.origin]))
    attrs += _attribute(TRANSITIVE, AS_PATH, _as_path(route.as_path))
    hop = ipaddress.ip_address(route.next_hop)
    if hop.version == 4:
        attrs += _attribute(TRANSITIVE, NEXT_HOP, hop.packed)
    elif in_rib:        # RFC 6396 4.3.4: the next hop's length and address only
        attrs += _attribute(OPTIONAL, MP_REACH_NLRI, bytes([16]) + hop.packed)
    else:
        nlri = b"".join(_prefix_bytes(p) for p in ipv6_nlri or [])
        value = struct.pack(">HBB", AFI_IPV6, SAFI_UNICAST, 16) + hop.packed + b"\x00" + nlri
        attrs += _attribute(OPTIONAL, MP_REACH_NLRI, value)
    if route.communities:
        value = b"".join(struct.pack(">HH", a, v) for a, v in route.communities)
        attrs += _attribute(OPTIONAL | TRANSITIVE, COMMUNITIES, value)
    return attrs


def update_message(announce: list[str] = (), route: Route | None = None, withdraw: list[str] = ()) -> bytes:
    """One BGP UPDATE (RFC 4271 4.3): IPv4 in its own fields, IPv6 in MP_(UN)REACH_NLRI (RFC 4760).

    Announced prefixes share ``route`` and one address family (as one UPDATE must).
    """
    nets = [ipaddress.ip_network(p) for p in announce]
    gone = [ipaddress.ip_network(p) for p in withdraw]
    if nets and route is None:
        raise ValueError("announcements need a route")
    if len({n.version for n in nets}) > 1:
        raise ValueError("one UPDATE announces prefixes of one address family")
    withdrawn = b"".join(_prefix_bytes(n) for n in gone if n.version == 4)
    attrs, nlri = b"", b""
    gone6 = [n for n in gone if n.version == 6]
    if gone6:
        value = struct.pack(">HB", AFI_IPV6, SAFI_UNICAST) + b"".join(_prefix_bytes(n) for n in gone6)
        attrs += _attribute(OPTIONAL, MP_UNREACH_NLRI, value)
    if nets and nets[0].version == 4:
        attrs += path_attributes(route)
        nlri = b"".join(_prefix_bytes(n) for n in nets)
    elif nets:
        attrs += path_attributes(route, nets)
    body = struct.pack(">H", len(withdrawn)) + withdrawn + struct.pack(">H", len(attrs)) + attrs + nlri
    length = 19 + len(body)
    if length > BGP_MAX_MESSAGE:
        raise ValueError(f"UPDATE of {length} bytes exceeds the BGP limit of {BGP_MAX_MESSAGE}: split it")
    return b"\xff" * 16 + struct.pack(">HB", length, BGP_UPDATE) + body


class MrtWriter:
    """Append MRT records to a file; use as a context manager. Compression follows the suffix."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix == ".gz":
            # mtime=0: the same records give the same bytes (and sha256) on every build
            self._fh = gzip.GzipFile(self.path, "wb", compresslevel=6, mtime=0)
        elif self.path.suffix == ".bz2":
            self._fh = bz2.BZ2File(self.path, "wb", compresslevel=9)
        else:
            self._fh = open(self.path, "wb")
        self.records = 0
        self._peer_index: dict[str, int] = {}
        self._rib_seq = 0

    def __enter__(self) -> "MrtWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def record(self, ts: int, mrt_type: int, subtype: int, body: bytes) -> None:
        """RFC 6396 2: timestamp (seconds), type, subtype, length, then the body."""
        self._fh.write(struct.pack(">IHHI", ts, mrt_type, subtype, len(body)) + body)
        self.records += 1

    # -- TABLE_DUMP_V2 -----------------------------------------------------------------------------

    def peer_index_table(self, ts: int, collector_bgp_id: str, peers: list[Peer], view: str = "") -> None:
        """RFC 6396 4.3.1. Every peer is written with a 4-byte AS (peer type bit 1)."""
        body = ipaddress.IPv4Address(collector_bgp_id).packed + struct.pack(">H", len(view)) + view.encode()
        body += struct.pack(">H", len(peers))
        for i, peer in enumerate(peers):
            ip = ipaddress.ip_address(peer.ip)
            peer_type = 0x02 | (0x01 if ip.version == 6 else 0)
            body += bytes([peer_type]) + ipaddress.IPv4Address(peer.bgp_id).packed + ip.packed
            body += struct.pack(">I", peer.asn)
            self._peer_index[peer.ip] = i
        self.record(ts, TABLE_DUMP_V2, PEER_INDEX_TABLE, body)

    def rib(self, ts: int, prefix: str, entries: list[tuple[Peer, int, Route]]) -> None:
        """RFC 6396 4.3.2: one prefix, an entry (peer, originated time, route) per peer holding it."""
        net = ipaddress.ip_network(prefix)
        body = struct.pack(">I", self._rib_seq) + _prefix_bytes(net) + struct.pack(">H", len(entries))
        for peer, originated, route in entries:
            attrs = path_attributes(route, in_rib=True)
            body += struct.pack(">HIH", self._peer_index[peer.ip], originated, len(attrs)) + attrs
        self._rib_seq += 1
        self.record(ts, TABLE_DUMP_V2, RIB_IPV4_UNICAST if net.version == 4 else RIB_IPV6_UNICAST, body)

    # -- BGP4MP ------------------------------------------------------------------------------------

    def _bgp4mp_head(self, peer: Peer) -> bytes:
        """RFC 6396 4.4.2/4.4.3: peer AS, local AS (4 bytes), interface index, AFI, both addresses."""
        ip, local = ipaddress.ip_address(peer.ip), ipaddress.ip_address(peer.local_ip)
        afi = AFI_IPV4 if ip.version == 4 else AFI_IPV6
        return struct.pack(">IIHH", peer.asn, peer.local_asn, 0, afi) + ip.packed + local.packed

    def update(self, ts: int, peer: Peer, announce: list[str] = (), route: Route | None = None,
               withdraw: list[str] = ()) -> None:
        """A BGP4MP_MESSAGE_AS4 record carrying one UPDATE."""
        self.record(ts, BGP4MP, BGP4MP_MESSAGE_AS4,
                    self._bgp4mp_head(peer) + update_message(announce, route, withdraw))

    def state_change(self, ts: int, peer: Peer, old: int, new: int) -> None:
        """A BGP4MP_STATE_CHANGE_AS4 record (RFC 6396 4.4.5): 1 Idle .. 6 Established."""
        self.record(ts, BGP4MP, BGP4MP_STATE_CHANGE_AS4, self._bgp4mp_head(peer) + struct.pack(">HH", old, new))

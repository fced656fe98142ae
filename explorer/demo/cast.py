"""Who is in the demo: collectors, peer sessions, and the prefixes they carry, with their paths.

Everything here is a fixed table or a pure function of the scenario's parameters. Real numbers
where the public record has them: AS131279 (Star JV, KP) and its upstreams AS4837 (China Unicom)
and AS22351 (Intelsat); the collectors' peer ASes and the transit ASes toward AS4837 seen in the
real archives (``2914 1239 4837 131279`` in RouteViews data of 2015, ``1299 701 4837``,
``6453 4837``, ``3491 4837``, ``7473 4837`` in RIS data of 2022). Background blocks and their
origins are RouteViews' prefix-to-origin table of 2014-05-13, each checked against the RIR
delegations (iptocc) for its country. Peer addresses are in the documentation ranges of RFC 5737
and RFC 3849, and every collector name starts with ``demo-``, so no one takes a demo session for
a real one, even in a store that also holds real archives.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterator

from explorer.demo.mrt_writer import Peer, Route

KP_ORIGIN, CHINA_UNICOM, INTELSAT = 131279, 4837, 22351
KP_PREFIXES = ("175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24")


@dataclass(frozen=True)
class Collector:
    name: str
    archive: str            # 'routeviews' | 'ris': how its files are named and laid out
    local_asn: int          # RouteViews peers with AS6447, RIS with AS12654
    local_ip: str
    suffix: str             # RouteViews publishes bzip2, RIS gzip

    def update_file(self, stamp: str) -> str:
        """Relative path of the update file starting at ``stamp`` (YYYYMMDD.HHMM)."""
        month = f"{stamp[:4]}.{stamp[4:6]}"
        if self.archive == "routeviews":
            return f"{self.name}/bgpdata/{month}/UPDATES/updates.{stamp}{self.suffix}"
        return f"{self.name}/{month}/updates.{stamp}{self.suffix}"

    def rib_file(self, stamp: str) -> str:
        month = f"{stamp[:4]}.{stamp[4:6]}"
        if self.archive == "routeviews":
            return f"{self.name}/bgpdata/{month}/RIBS/rib.{stamp}{self.suffix}"
        return f"{self.name}/{month}/bview.{stamp}{self.suffix}"


COLLECTORS = (
    Collector("demo-route-views2", "routeviews", 6447, "192.0.2.254", ".bz2"),
    Collector("demo-rrc00", "ris", 12654, "198.51.100.254", ".gz"),
    Collector("demo-rrc06", "ris", 12654, "203.0.113.254", ".gz"),
)
_PEER_NETS = ("192.0.2.0", "198.51.100.0", "203.0.113.0")

# Peer AS -> transit between it and AS4837 (as in the real paths above; () where it peers directly).
PEER_ASES = {2914: (1239,), 3356: (), 1299: (701,), 6939: (), 174: (), 6453: (), 3257: (), 2497: (),
             3491: (), 7660: (2914,), 7473: (), 701: (), 1239: (), 7018: ()}


@dataclass(frozen=True)
class Session:
    index: int
    collector: Collector
    peer: Peer
    next_hop6: str
    prefers_intelsat: bool  # before the outage this session's best path to KP goes via AS22351

    def kp_route(self, via: int, prefix_no: int = 0) -> Route:
        asn = self.peer.asn
        path = (asn, INTELSAT, KP_ORIGIN) if via == INTELSAT else \
            (asn, *PEER_ASES.get(asn, ()), CHINA_UNICOM, KP_ORIGIN)
        return Route(path, self.peer.ip, ((asn, 100 + prefix_no), (asn, 2000 + (via % 1000))))


def sessions(count: int, collectors: int) -> list[Session]:
    """``count`` sessions spread over the first ``collectors`` collectors, peer ASes in turn."""
    out = []
    ases = list(PEER_ASES)
    for i in range(count):
        c = i % collectors
        host = i // collectors + 1
        ip = (f"{_PEER_NETS[c][:-1]}{host}" if host <= 250
              else str(ipaddress.IPv4Address("198.18.0.0") + (c << 15) + host))   # RFC 2544 range beyond
        asn = ases[i % len(ases)]
        peer = Peer(ip, asn, ip, COLLECTORS[c].local_ip, COLLECTORS[c].local_asn)
        out.append(Session(i, COLLECTORS[c], peer, f"2001:db8:{c}::{host:x}", i % 5 == 3))
    return out


@dataclass(frozen=True)
class Block:
    cc: str
    prefix: str
    origin: int
    upstreams: tuple[int, ...]


BLOCKS = (
    Block("CN", "27.192.0.0/11", 4837, (1239, 701, 3491)),
    Block("KR", "121.128.0.0/11", 4766, (3356, 6453, 2914)),
    Block("JP", "106.128.0.0/11", 2516, (2914, 3356, 6939)),
    Block("RU", "95.24.0.0/13", 8402, (1299, 3356, 174)),
    Block("CN", "183.0.0.0/10", 4134, (1299, 6453, 174)),
    Block("KR", "1.208.0.0/12", 3786, (1299, 3356)),
    Block("JP", "180.0.0.0/10", 4713, (2914,)),
    Block("RU", "95.167.0.0/16", 12389, (1299, 3356, 6939)),
    Block("CN", "111.0.0.0/10", 9808, (3491, 1299)),
    Block("KR", "58.224.0.0/12", 9318, (3257, 6453)),
    Block("JP", "126.0.0.0/8", 17676, (3356, 2914)),
    Block("RU", "91.76.0.0/14", 8359, (1299, 3257)),
    Block("CN", "58.192.0.0/12", 4538, (4134,)),
    # IPv6, one per country (announced with MP_REACH_NLRI; RIB_IPV6_UNICAST in the dumps)
    Block("CN", "240e::/20", 4134, (1299, 6939)),
    Block("KR", "2001:e60::/32", 4766, (6939, 3356)),
    Block("JP", "2001:200::/32", 2500, (2914, 2497)),
    Block("RU", "2a02:6b8::/32", 13238, (1299, 6939)),
)


@dataclass(frozen=True)
class Background:
    prefix: str
    block: Block

    def route(self, session: Session, variant: int) -> Route:
        """Variant 0 is the usual path; others take another upstream or prepend the origin."""
        ups = self.block.upstreams
        up = ups[variant % len(ups)]
        path = [session.peer.asn] + ([up] if up != session.peer.asn else []) + [self.block.origin]
        if variant >= len(ups):
            path.append(self.block.origin)
        hop = session.next_hop6 if ":" in self.prefix else session.peer.ip
        return Route(tuple(path), hop, ((session.peer.asn, 3000 + variant),))


def background(count: int) -> list[Background]:
    """``count`` prefixes: the blocks themselves first, then /24s (IPv4) or /48s (IPv6) inside them."""
    out: list[Background] = []
    streams = [_carve(b) for b in BLOCKS]
    while len(out) < count:
        for block, stream in zip(BLOCKS, streams):
            if len(out) < count:
                out.append(Background(next(stream), block))
    return out


def _carve(block: Block) -> Iterator[str]:
    net = ipaddress.ip_network(block.prefix)
    yield str(net)
    yield from (str(s) for s in net.subnets(new_prefix=24 if net.version == 4 else 48))

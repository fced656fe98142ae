"""Content ids of prefixes: IPv6 texts are canonicalised by glibc's inet_ntop where it agrees with
RFC 5952 as Python's ``ipaddress`` writes it, and by ``ipaddress`` where it does not."""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path

import pytest

from explorer.store.ids import V4_LIMIT, canonical_v6_prefix, v6_prefix_id

RIB6 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mrt" / "pyasn__rib6.20151101.0600_firstMB.bz2"

EDGES = [
    "2001:db8:0:1:1:1:1:1/128",     # one zero group: glibc writes '::' there, RFC 5952 does not
    "2001:0:0:1:0:0:0:1/128",       # two runs: the longer one is compressed
    "2001:db8:0:0:1:0:0:1/128",     # a tie: the leftmost
    "::ffff:1.2.3.4/128",           # IPv4-mapped: glibc writes it dotted
    "::1.2.3.4/128",
    "::/0", "::1", "1::", "2001:DB8::/32", "fe80:0000:0000::0001/64",
]


def test_canonical_text_is_what_ipaddress_writes():
    for text in EDGES:
        addr, _, length = text.partition("/")
        want = str(ipaddress.IPv6Address(addr)) + (f"/{length}" if length else "")
        assert canonical_v6_prefix(text) == want, text


def test_every_ipv6_prefix_of_a_real_dump():
    pybgpkit_parser = pytest.importorskip("pybgpkit_parser")
    if not RIB6.exists():
        pytest.skip(f"{RIB6} is absent (../shared/data holds the real MRT files)")
    seen = {e.prefix for e in pybgpkit_parser.Parser(url=str(RIB6))}
    assert len(seen) > 1000
    for text in seen:
        net = ipaddress.IPv6Network(text, strict=False)
        assert canonical_v6_prefix(text) == f"{ipaddress.IPv6Address(text.split('/')[0])}/{net.prefixlen}"


def test_ids_by_hand():
    # exact: 2**38 + (top 48 bits << 6 | length)
    assert v6_prefix_id("2001:db8::/32") == V4_LIMIT + ((0x20010DB80000 << 6) | 32)
    assert v6_prefix_id("2001:DB8:0::/32") == v6_prefix_id("2001:db8::/32")
    # longer than /48: md5 of the canonical text, whatever way it was written
    digest = hashlib.md5(b"2001:db8:0:1:1:1:1:1/128").digest()
    assert v6_prefix_id("2001:db8:0000:1:1:1:1:1/128") == (1 << 55) + (int.from_bytes(digest[:8], "big") & ((1 << 48) - 1))
    for bad in ("2001:db8::/129", "2001:db8::/x", "2001:zz8::/32", "1.2.3.4/24"):
        with pytest.raises(ValueError):
            v6_prefix_id(bad)

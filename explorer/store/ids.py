"""Ids computed from content alone, so that parser processes (and workers on other machines) agree
on them without a shared dictionary.

* **Prefix id** (BIGINT), in address order, so that the prefixes of one block sit together in the
  store and a range of ids is a range of addresses, and small, so that DuckDB packs a column of
  them in few bits (every id is below 2**56):

  - IPv4 ``a.b.c.d/len``: ``address << 6 | len``, in [0, 2**38);
  - IPv6 of length <= 48 (the longest the global table carries): ``2**38 + ((top 48 bits of the
    address) << 6 | len)``, in [2**38, 2**38 + 2**54);
  - a longer IPv6 prefix (or one with host bits set past its 48th): ``2**55 + (the low 48 bits of
    the first 8 bytes of md5(text))``.

  The store keeps the text of every IPv6 prefix (``prefix_names``). Host bits are kept as
  received (bgpdump prints 10.0.0.1/8 as such, and so does the store).
* **Session id** (BIGINT): the first 8 bytes of ``md5("collector|peer_ip|peer_asn")``, big endian,
  signed. Sessions are few (hundreds a collector), so this runs on distinct values only.

MD5 is used as a well-known function anyone can recompute (Python's hashlib, Spark's ``md5``),
not for security.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

V4_LIMIT = 1 << 38                      # IPv4 ids are in [0, V4_LIMIT)
V6_EXACT_MAX_LENGTH = 48
_V6_BASE = V4_LIMIT                     # exact IPv6 ids are in [2**38, 2**38 + 2**54)
_HASHED = 1 << 55                       # hashed IPv6 ids are in [2**55, 2**55 + 2**48)


def md5_64(text: str) -> int:
    """The first 8 bytes of md5(text), as a signed 64-bit integer."""
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big", signed=True)


def session_id(collector: str, peer_ip: str, peer_asn: int) -> int:
    return md5_64(f"{collector}|{peer_ip}|{int(peer_asn)}")


def canonical_v6_prefix(prefix: str) -> str:
    """An IPv6 prefix as RFC 5952 writes its address (glibc writes '::' for one zero group too),
    host bits kept: the text the store keeps, and the one a long prefix's id is computed from."""
    addr, _, length_text = prefix.partition("/")
    try:
        packed = socket.inet_pton(socket.AF_INET6, addr)
    except OSError:
        return prefix
    text = canonical_v6_address(packed)
    return f"{text}/{length_text}" if length_text else text


def canonical_v6_address(packed: bytes) -> str:
    """RFC 5952 text of a 16-byte address, as Python's ``ipaddress`` writes it. glibc's inet_ntop
    writes the same but for '::' standing for a single zero group, and dotted IPv4-mapped forms;
    those few go through ``ipaddress`` (a hundred times slower)."""
    text = socket.inet_ntop(socket.AF_INET6, packed)
    if "." in text or ("::" in text and text.count(":") == 7):
        return str(ipaddress.IPv6Address(packed))
    return text


def v6_prefix_id(prefix: str) -> int:
    """The id of one IPv6 prefix text ('2001:db8::/32'). Raises ValueError on a malformed one."""
    addr, _, length_text = prefix.partition("/")
    try:
        packed = socket.inet_pton(socket.AF_INET6, addr)
        length = int(length_text) if length_text else 128
    except (OSError, ValueError):
        raise ValueError(f"not an IPv6 prefix: {prefix!r}") from None
    if not 0 <= length <= 128:
        raise ValueError(f"not an IPv6 prefix: {prefix!r}")
    value = int.from_bytes(packed, "big")
    if length <= V6_EXACT_MAX_LENGTH and not value & ((1 << 80) - 1):   # (host bits past /48: hashed, kept as text)
        return _V6_BASE + ((value >> 80) << 6 | length)
    text = canonical_v6_address(packed)
    text = f"{text}/{length_text}" if length_text else text
    return _HASHED + (int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big") & ((1 << 48) - 1))


def prefix_ids(prefixes: pa.Array | pa.ChunkedArray, *, strict: bool = True) -> pa.Array:
    """Ids of a column of prefix texts (IPv4 and IPv6 mixed), computed on its distinct values.

    IPv4 is read by Arrow's kernels (split, cast), IPv6 one distinct value at a time (a few
    percent of prefixes). A text that is no prefix raises ValueError naming it, or, with
    ``strict=False``, gets the id -1.
    """
    if isinstance(prefixes, pa.ChunkedArray):
        prefixes = prefixes.combine_chunks()
    encoded = prefixes if pa.types.is_dictionary(prefixes.type) else prefixes.dictionary_encode()
    values = encoded.dictionary
    ids = np.empty(len(values), dtype=np.int64)
    is_v6 = pc.match_substring(values, ":").to_numpy(zero_copy_only=False)
    v4 = ~is_v6
    if v4.any():
        ids[v4] = _v4_ids(pc.filter(values, pa.array(v4)), strict)
    for i in np.flatnonzero(is_v6):
        try:
            ids[i] = v6_prefix_id(values[int(i)].as_py())
        except ValueError:
            if strict:
                raise
            ids[i] = -1
    return pc.take(pa.array(ids), encoded.indices)


def _v4_ids(values: pa.Array, strict: bool = True) -> np.ndarray:
    parts = pc.split_pattern(values, "/", max_splits=1)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    octets = pc.split_pattern(pc.list_element(pc.if_else(pc.equal(lengths, 2), parts, pa.scalar(["0.0.0.0", "0"])),
                                              0), ".")
    counts = pc.list_value_length(octets).to_numpy(zero_copy_only=False)
    shaped = (lengths == 2) & (counts == 4)
    if not shaped.all():
        if strict:
            raise ValueError(f"not an IPv4 prefix: {values[int(np.flatnonzero(~shaped)[0])].as_py()!r}")
        return _v4_ids_one_by_one(values)
    try:
        quads = pc.cast(pc.list_flatten(octets), pa.int64()).to_numpy().reshape(-1, 4)
        length = pc.cast(pc.list_element(parts, 1), pa.int64()).to_numpy()
    except pa.ArrowInvalid as exc:
        if strict:
            raise ValueError(f"not an IPv4 prefix ({exc})") from None
        return _v4_ids_one_by_one(values)
    bad = (quads < 0).any(1) | (quads > 255).any(1) | (length < 0) | (length > 32)
    if bad.any() and strict:
        raise ValueError(f"not an IPv4 prefix: {values[int(np.flatnonzero(bad)[0])].as_py()!r}")
    address = (quads[:, 0] << 24) | (quads[:, 1] << 16) | (quads[:, 2] << 8) | quads[:, 3]
    return np.where(bad, -1, (address << 6) | length)


def _v4_ids_one_by_one(values: pa.Array) -> np.ndarray:
    out = np.full(len(values), -1, dtype=np.int64)
    for i, text in enumerate(values.to_pylist()):
        try:
            out[i] = _v4_ids(pa.array([text], pa.string()))[0]
        except ValueError:
            pass
    return out


def is_v4(ids: np.ndarray) -> np.ndarray:
    return (ids >= 0) & (ids < V4_LIMIT)


def v4_prefix_id(address: int, length: int) -> int:
    return address << 6 | length


def v4_range(address: int, length: int) -> tuple[int, int]:
    """The ids of every IPv4 prefix inside address/length (itself and its more-specifics)."""
    size = 1 << (32 - length)
    return address << 6 | length, (address + size - 1) << 6 | 32


def v6_range(address: int, length: int) -> tuple[int, int] | None:
    """The exact-id range of every IPv6 prefix of at most /48 inside address/length, or None when
    the prefix itself is longer than /48 (its more-specifics then have hashed ids)."""
    if length > V6_EXACT_MAX_LENGTH:
        return None
    top = address >> 80
    span = 1 << (V6_EXACT_MAX_LENGTH - length)
    return _V6_BASE + (top << 6 | length), _V6_BASE + ((top + span - 1) << 6 | V6_EXACT_MAX_LENGTH)


def dotted_quads(addresses: np.ndarray) -> pa.Array:
    """'a.b.c.d' of IPv4 addresses (integers), formatted in Arrow's kernels (a Python loop took 3.6 s
    for 900,000 of them, this 0.2 s)."""
    addresses = np.asarray(addresses, dtype=np.int64)
    cols = [pa.array((addresses >> shift) & 0xFF).cast(pa.string()) for shift in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*cols, ".")


def v4_texts(ids: np.ndarray) -> list[str]:
    """'a.b.c.d/len' of IPv4 prefix ids."""
    ids = np.asarray(ids, dtype=np.int64)
    return pc.binary_join_element_wise(dotted_quads(ids >> 6), pa.array(ids & 0x3F).cast(pa.string()),
                                       "/").to_pylist()


def v6_text(prefix_id: int) -> str | None:
    """The text of an exact (<= /56) IPv6 prefix id; None for a hashed one (see prefix_names)."""
    if not _V6_BASE <= prefix_id < _HASHED:
        return None
    value = prefix_id - _V6_BASE
    top, length = value >> 6, value & 0x3F
    addr = socket.inet_ntop(socket.AF_INET6, (top << 80).to_bytes(16, "big"))
    return f"{addr}/{length}"

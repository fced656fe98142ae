"""Copies of real MRT files moved in time: same routes, new timestamps, new content.

A benchmark store of real size needs more archives than ``../shared/data`` holds. A copy of a
real file with every time moved by ``delta`` seconds keeps the real routing content (peers,
prefixes, paths, the order and spacing of the updates) and gets a time and a sha256 of its own,
so the ingest imports it as a new file. What moves, per RFC 6396 (and RFC 8050 for ADD-PATH):

* every record's common-header timestamp (section 2); the microsecond field of the ``_ET`` types
  (BGP4MP_ET, ISIS_ET, OSPFv3_ET) is kept, so a record moves by exactly ``delta``;
* TABLE_DUMP (v1, section 4.2): the entry's originated time;
* TABLE_DUMP_V2 RIB records (4.3.2-4.3.3, RFC 8050 4): every RIB entry's originated time; the
  entries are walked (peer index, originated time, path id for ADD-PATH, attribute length,
  attributes), and one whose entries do not fill its body exactly stops the copy with an error;
* nothing else: PEER_INDEX_TABLE and GEO_PEER_TABLE hold no time, BGP messages and state changes
  hold none, and the deprecated types (BGP, BGP4PLUS, BGP4MP_ENTRY's "time last change") only get
  their header moved.

Input is plain, gzip or bzip2, told by content, and read by the ingest's own header walk
(``mrt_scan``'s decompressor). Output is always gzip at level 1: measured on the et-header,
rrc23 and RouteViews RIB files, zlib level 1 compresses at 100-190 MB/s, 2.7 x as fast as
level 6 (the archives' own), for files 16-35% larger; the copies are scratch data, written once
and read once, and compression is most of a copy's time. The gzip header carries no time or name, so one source
and one delta always give the same bytes. A copy is written to a hidden ``.<name>.part`` beside
its destination (hidden: the ingest's folder walk skips it) and renamed when complete. A
truncated input gives a copy of its complete records, and says so.

The time fields are found by one walk over the records (Python per record and per RIB entry,
never per byte) and moved together with numpy; bodies are copied as they are.
``ShiftTemplate`` keeps a source's decompressed records and time-field offsets, so the many
copies of one source that a scale set needs cost a patch and a compression each.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.ingest.mrt_scan import _LIMITS, _Source, _compression_of, _why_damaged

__all__ = ["ShiftError", "ShiftResult", "ShiftTemplate", "first_timestamp", "shift_file"]

TABLE_DUMP, TABLE_DUMP_V2 = 12, 13
_EXTENDED_TYPES = frozenset({17, 33, 49})         # BGP4MP_ET, ISIS_ET, OSPFv3_ET: 4-byte microseconds
# TABLE_DUMP (v1) subtypes -> offset of the originated time in the body: view (2), sequence (2),
# prefix (4 or 16), prefix length (1), status (1). Subtypes 3 and 4 are bgpdump's 32-bit-AS
# variants of 1 and 2; the AS number comes after the time, so the offset is the same.
_TD1_TIME_AT = {1: 10, 2: 22, 3: 10, 4: 22}
# TABLE_DUMP_V2 RIB subtypes -> (generic: AFI and SAFI before the NLRI, add-path: a path id per entry)
_TD2_RIBS = {2: (False, False), 3: (False, False), 4: (False, False), 5: (False, False),
             6: (True, False), 8: (False, True), 9: (False, True), 10: (False, True),
             11: (False, True), 12: (True, True)}
_RECORD = struct.Struct(">III")                   # timestamp, type << 16 | subtype, length
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_STEP = 1 << 20                                   # decompressed bytes walked at once (mrt_scan's step)
LEVEL = 1


class ShiftError(ValueError):
    """A file that cannot be copied with its times moved; the message names the record and byte."""


@dataclass(frozen=True)
class ShiftResult:
    path: Path                  # the copy written
    records: int                # complete MRT records copied
    time_fields: int            # 4-byte times moved: headers plus RIB entries' originated times
    mrt_bytes: int              # decompressed bytes copied
    size: int                   # bytes written (gzip)
    first_ts: int               # header time of the first record, in seconds, after the move
    last_ts: int                # header time of the last record copied, after the move
    truncated: bool             # the input ended inside a record or a compressed stream
    problem: str | None         # why the copy ends before the input does; None if it does not


def _walk(buf, base: int, records_before: int) -> tuple[list[int], int, int, int, str | None]:
    """Offsets of the time fields of the complete records at the start of ``buf``.

    Returns (offsets, records, bytes walked, offset of the last record walked, damage): damage is
    why the header after the last walked record cannot be right, or None. ``base`` and
    ``records_before`` place ``buf`` in the file, for error messages.
    """
    n = len(buf)
    unpack = _RECORD.unpack_from
    offsets: list[int] = []
    add = offsets.append
    off = records = 0
    last = -1
    key = limit = -1
    td1_at = None
    rib = None
    while off + 12 <= n:
        _, this_key, length = unpack(buf, off)
        if this_key != key:
            key, limit = this_key, _LIMITS.get(this_key, -1)
            mrt_type, subtype = key >> 16, key & 0xFFFF
            td1_at = _TD1_TIME_AT.get(subtype) if mrt_type == TABLE_DUMP else None
            rib = _TD2_RIBS.get(subtype) if mrt_type == TABLE_DUMP_V2 else None
        if length > limit or (length < 4 and key >> 16 in _EXTENDED_TYPES):
            return offsets, records, off, last, _why_damaged(key >> 16, key & 0xFFFF, length, limit)
        end = off + 12 + length
        if end > n:
            break
        add(off)
        if td1_at is not None:
            if length < td1_at + 4:
                raise ShiftError(f"record {records_before + records + 1:,} at byte {base + off:,}: a "
                                 f"{length}-byte TABLE_DUMP body is too short for its originated time")
            add(off + 12 + td1_at)
        elif rib is not None:
            _rib_entries(buf, off + 12, end, rib, add, records_before + records + 1, base + off)
        records += 1
        last = off
        off = end
    return offsets, records, off, last, None


def _rib_entries(buf, at: int, end: int, rib: tuple[bool, bool], add, number: int, where: int) -> None:
    """Add the offset of every RIB entry's originated time in the body ``buf[at:end]``."""
    generic, add_path = rib
    try:
        at += 4                                               # sequence number
        if generic:
            at += 3                                           # AFI (2), SAFI (1)
        at += 1 + (buf[at] + 7) // 8                          # prefix length in bits, then the prefix
        count = _U16.unpack_from(buf, at)[0]
        at += 2
        length_at = 10 if add_path else 6                     # peer index (2), time (4), [path id (4)]
        u16 = _U16.unpack_from
        for _ in range(count):
            add(at + 2)
            at += length_at + 2 + u16(buf, at + length_at)[0]  # attribute length (2), attributes
    except (IndexError, struct.error):
        at = end + 1
    if at != end:
        raise ShiftError(f"record {number:,} at byte {where:,}: its RIB entries do not fill its "
                         f"body, so their originated times cannot be found")


def _patch(buf: bytearray, offsets, delta: int, stop: int | None = None) -> None:
    """Add ``delta`` to the big-endian 32-bit times at ``offsets``, all at once."""
    if not len(offsets) or not delta:
        return
    data = np.frombuffer(buf, np.uint8, count=stop if stop is not None else -1)
    idx = np.asarray(offsets, np.int64)[:, None] + np.arange(4)
    times = data[idx].view(">u4")[:, 0].astype(np.int64) + delta
    if times.min() < 0 or times.max() > 0xFFFFFFFF:
        raise ShiftError(f"moving by {delta:+,} s puts a time outside the 32-bit range of MRT (1970-2106)")
    data[idx] = times.astype(">u4").view(np.uint8).reshape(-1, 4)


def _header_ts(buf, off: int) -> int:
    return _U32.unpack_from(buf, off)[0]


class _Output:
    """A gzip file written under a hidden temporary name and renamed into place when complete."""

    def __init__(self, dst: str | os.PathLike, level: int) -> None:
        self.path = Path(dst)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._part = self.path.with_name(f".{self.path.name}.part")
        self._fh = open(self._part, "wb")
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: the gzip wrapper, mtime 0, no name
        self.size = 0

    def write(self, data) -> None:
        if out := self._z.compress(data):
            self._fh.write(out)
            self.size += len(out)

    def commit(self) -> None:
        out = self._z.flush()
        self._fh.write(out)
        self.size += len(out)
        self._fh.close()
        os.replace(self._part, self.path)

    def abort(self) -> None:
        self._fh.close()
        self._part.unlink(missing_ok=True)


def _problem(records: int, damage: str | None, source: _Source, tail: int) -> str | None:
    if damage is not None:
        return f"record {records + 1:,} {damage}: the {records:,} records before it were copied"
    if source.error is not None:
        return f"the compressed data is corrupt after record {records:,} ({source.error}): the records before were copied"
    if source.ended_early or tail:
        return f"the file ends early, inside record {records + 1:,}: the {records:,} complete records were copied"
    return None


def _read(src: str | os.PathLike, sink) -> tuple[int, str | None, _Source, int]:
    """Walk the complete records of ``src``, giving ``sink(buf, offsets, walked, last)`` each run of
    them: their time fields' offsets, their length and where the last of them starts."""
    with open(src, "rb") as fh:
        compression = _compression_of(fh.read(3))
        fh.seek(0)
        source = _Source(fh, compression, _STEP)
        rest = b""
        consumed = records = 0
        for chunk in source.chunks():
            buf = bytearray(rest + chunk if rest else chunk)
            try:
                offsets, n, walked, last, damage = _walk(buf, consumed, records)
            except ShiftError as exc:
                raise ShiftError(f"{src}: {exc}") from None
            if n:
                sink(buf, offsets, walked, last)
            records += n
            consumed += walked
            if damage is not None:
                if records == 0:
                    raise ShiftError(f"{src}: record 1 at byte 0 {damage}: not an MRT file (or not gzip/bzip2)")
                return records, damage, source, 0
            rest = bytes(buf[walked:])
    if records == 0:
        raise ShiftError(f"{src}: no complete MRT record")
    return records, None, source, len(rest)


def shift_file(src: str | os.PathLike, dst: str | os.PathLike, delta: int, *, level: int = LEVEL) -> ShiftResult:
    """Write ``dst``, a gzip copy of the MRT file ``src`` with every time moved by ``delta`` seconds.

    Streams: memory stays near one megabyte plus the longest record, whatever the file's size.
    """
    out = _Output(dst, level)
    stats = {"fields": 0, "bytes": 0, "first": None, "last": None}

    def sink(buf: bytearray, offsets: list[int], walked: int, last: int) -> None:
        _patch(buf, offsets, delta, walked)
        if stats["first"] is None:
            stats["first"] = _header_ts(buf, 0)
        stats["last"] = _header_ts(buf, last)
        stats["fields"] += len(offsets)
        stats["bytes"] += walked
        out.write(memoryview(buf)[:walked])

    try:
        records, damage, source, tail = _read(src, sink)
        out.commit()
    except BaseException:
        out.abort()
        raise
    return ShiftResult(out.path, records, stats["fields"], stats["bytes"], out.size, stats["first"], stats["last"],
                       source.ended_early or bool(tail), _problem(records, damage, source, tail))


def first_timestamp(path: str | os.PathLike) -> int:
    """The header time (seconds) of the file's first record, read from its first kilobytes."""
    with open(path, "rb") as fh:
        compression = _compression_of(fh.read(3))
        fh.seek(0)
        head = next(iter(_Source(fh, compression, 1 << 16).chunks()), b"")
    if len(head) < 12:
        raise ShiftError(f"{path}: no MRT record")
    return _header_ts(head, 0)


class ShiftTemplate:
    """One source read once: its complete records, decompressed, and where their times are.

    ``write(dst, delta)`` then costs a copy, a numpy patch and a compression: what a scale set,
    which writes each source dozens of times, needs. Holds the decompressed file in memory (the
    real files used here decompress to 2-16 MB).
    """

    def __init__(self, src: str | os.PathLike) -> None:
        self.source = Path(src)
        parts: list[bytes] = []
        offsets: list[np.ndarray] = []
        at = last_header = 0

        def sink(buf: bytearray, offs: list[int], walked: int, last: int) -> None:
            nonlocal at, last_header
            parts.append(bytes(buf[:walked]))
            offsets.append(np.asarray(offs, np.int64) + at)
            last_header = at + last
            at += walked

        self.records, damage, source, tail = _read(src, sink)
        self.data = b"".join(parts)
        self.offsets = np.concatenate(offsets)
        self.truncated = source.ended_early or bool(tail)
        self.problem = _problem(self.records, damage, source, tail)
        self.first_ts = _header_ts(self.data, 0)
        self.last_ts = _header_ts(self.data, last_header)

    def write(self, dst: str | os.PathLike, delta: int, *, level: int = LEVEL) -> ShiftResult:
        buf = bytearray(self.data)
        _patch(buf, self.offsets, delta)
        out = _Output(dst, level)
        try:
            view = memoryview(buf)
            for at in range(0, len(buf), _STEP):
                out.write(view[at:at + _STEP])
            out.commit()
        except BaseException:
            out.abort()
            raise
        return ShiftResult(out.path, self.records, len(self.offsets), len(buf), out.size,
                           self.first_ts + delta, self.last_ts + delta, self.truncated, self.problem)

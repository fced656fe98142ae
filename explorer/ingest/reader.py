"""Reading one local MRT file: the backend's elements as Arrow tables, and the file's verdict.

``parse_to_sink`` runs in a parser process and hands each Arrow table to a ``sink``; ``verdict``
combines what it read with the header walk (``mrt_scan``) into the file's status. Neither touches
the store.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from explorer.ingest.backends import BackendUnavailable, ColumnBatch, get_backend
from explorer.ingest.filters import ElementFilter
from explorer.ingest.mrt_scan import ScanResult
from explorer.store.imports import STAGE_SCHEMA, STATE_SCHEMA

Sink = Callable[[pa.Table], None]


@dataclass
class ParseStats:
    """What the parser process saw of a file (its elements went to the sink)."""

    backend: str
    elements: int = 0
    withdrawals: int = 0
    first_ts_us: int | None = None
    last_ts_us: int | None = None
    elapsed_s: float = 0.0


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def to_table(batch: ColumnBatch, first_seq: int) -> pa.Table:
    """Columns as Arrow, timestamps as integer microseconds; no Python loop per element. The store
    dictionary-encodes the text (the parser process is the one-job ingest's critical path)."""
    n = len(batch)
    ts_us = np.rint(np.asarray(batch.ts, dtype=np.float64) * 1e6).astype(np.int64)
    return pa.Table.from_arrays([
        pa.array(ts_us),
        pc.equal(pa.array(batch.elem_type, pa.string()), "W"),
        pa.array(batch.peer_ip, pa.string()),
        pa.array(batch.peer_asn, pa.int64()),
        pa.array(batch.prefix, pa.string()),
        pa.array(batch.as_path, pa.string()),
        _joined(pa.array(batch.communities, pa.list_(pa.string()))),
        pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)),
    ], schema=STAGE_SCHEMA)


def _joined(lists: pa.Array) -> pa.Array:
    """['2914:420', '2914:1405'] -> '2914:420 2914:1405' (empty -> NULL), in Arrow's C++ kernels."""
    text = pc.binary_join(lists, " ")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def states_table(scan: ScanResult) -> pa.Table:
    """The scan's state changes that name their peer. Zebra's shortened 8-byte records (1999-2001)
    carry no peer address and peer AS 0: they cannot be attributed to a session, so they are left out."""
    changes = [c for c in scan.state_changes if c.peer_ip]
    return pa.Table.from_pydict({
        "ts_us": [c.ts_us for c in changes],
        "peer_ip": [c.peer_ip for c in changes],
        "peer_asn": [c.peer_asn for c in changes],
        "old_state": [c.old_state for c in changes],
        "new_state": [c.new_state for c in changes],
        "seq": list(range(len(changes))),
    }, schema=STATE_SCHEMA)


def parse_to_sink(path: str | Path, sink: Sink, *, kind: str, backend: str = "auto",
                  flt: ElementFilter | None = None, progress: Callable[[int], None] | None = None) -> ParseStats:
    """Stream the file's elements to ``sink`` as Arrow tables of ``STAGE_SCHEMA`` columns."""
    started = time.perf_counter()
    keep = None if flt is None or flt.is_empty else flt.matches
    if keep is not None and kind == "rib":      # the parsers call RIB entries 'A'; the filter knows 'R'
        matches = flt.matches
        keep = lambda et, *rest: matches("R" if et == "A" else et, *rest)  # noqa: E731
    parser = get_backend(backend)
    if backend == "auto" and kind == "legacy":
        parser = _second_backend() or parser
    stats = _parse(parser, path, sink, kind, keep, progress)
    if backend == "auto" and stats.elements == 0 and parser.name == "bgpkit" and kind in ("rib", "updates"):
        # Nothing decoded from a file whose records are there: let bgpdump try, where installed.
        second = _second_backend()
        if second is not None:
            stats = _parse(second, path, sink, kind, keep, progress)
    stats.elapsed_s = time.perf_counter() - started
    return stats


def _second_backend():
    try:
        return get_backend("bgpdump")
    except BackendUnavailable:
        return None


def _parse(parser, path, sink: Sink, kind: str, keep, progress) -> ParseStats:
    stats = ParseStats(backend=parser.name)
    if kind in ("rib", "updates", "legacy"):
        for batch in parser.batches(str(path), keep, kind=kind):
            table = to_table(batch, stats.elements)
            sink(table)
            stats.elements += len(batch)
            stats.withdrawals += batch.elem_type.count("W")
            lo, hi = (v.as_py() for v in pc.min_max(table["ts_us"]).values())
            stats.first_ts_us = lo if stats.first_ts_us is None else min(lo, stats.first_ts_us)
            stats.last_ts_us = hi if stats.last_ts_us is None else max(hi, stats.last_ts_us)
            if progress:
                progress(stats.elements)
    return stats


def verdict(scan: ScanResult, elements: int, backend: str) -> tuple[str, str | None]:
    """The file's status and, unless all is well, one sentence on what was read and what was not."""
    kept = f"kept the {elements:,} elements read before it"
    if scan.damaged_at is not None and backend == "bgpdump" and elements:
        return "failed", (f"{scan.problem.rstrip('.')}; bgpdump reads on past such a record and invents elements "
                          "from its bytes, so nothing of this file was kept")
    if scan.kind == "legacy" and elements == 0:
        unread = scan.problem if scan.damaged_at is not None else f"{scan.records:,} records left unread."
        return "unsupported", (f"0 elements: legacy MRT type 5 (BGP, deprecated since 2011) is not supported by "
                               f"the {backend} backend (install bgpdump to read it). {unread}")
    if scan.records == 0 and scan.damaged_at is None and not scan.truncated:
        return "failed", "no MRT records: the file is empty"
    if scan.damaged_at is not None and scan.records == 0:
        return "failed", scan.problem
    if scan.kind == "unknown":
        types = ", ".join(f"{t}/{s}" for t, s in sorted(scan.record_types))
        return "failed", f"0 elements: no RIB or update records (MRT type/subtype {types})"
    if elements == 0 and not scan.state_changes:
        if scan.kind == "rib" and not scan.has_peer_index:
            return "failed", (f"0 elements: {scan.records:,} RIB records but no PEER_INDEX_TABLE, so no entry "
                              "can be attributed to a peer")
        if scan.damaged_at is None and not scan.truncated:
            return "failed", f"0 elements: the {backend} backend decoded none of the {scan.records:,} records"
    if scan.damaged_at is not None:
        return "damaged", f"{scan.problem.rstrip('.')}; {kept}"
    if scan.truncated:
        return "truncated", f"{scan.problem.rstrip('.')}; {kept}"
    return "ok", scan.problem          # a note, e.g. state changes that name no peer

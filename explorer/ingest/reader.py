"""Reading one local MRT file: the header walk, the backend's elements as Arrow, the file's verdict.

``read_file`` runs wherever the parsing happens (the main process with one job, a worker process
with several) and hands each Arrow table to a ``sink``. It never touches the store.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from explorer.ingest.backends import ColumnBatch, get_backend
from explorer.ingest.filters import ElementFilter
from explorer.ingest.mrt_scan import ScanResult, scan_mrt
from explorer.store.imports import STAGE_SCHEMA, STATE_SCHEMA

Sink = Callable[[pa.Table], None]


@dataclass
class ReadResult:
    """Everything about a file except its elements, which went to the sink."""

    path: str
    size: int
    sha256: str
    kind: str
    backend: str
    elements: int
    records: int
    snapshot_ts_us: int | None
    states: pa.Table
    status: str
    reason: str | None
    elapsed_s: float
    skipped: str | None = None          # why the file was not read at all (filtered out)
    extra: dict = field(default_factory=dict)


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def to_table(batch: ColumnBatch, first_seq: int) -> pa.Table:
    """Columns as Arrow, timestamps as integer microseconds; no Python loop per element."""
    n = len(batch)
    ts_us = np.rint(np.asarray(batch.ts, dtype=np.float64) * 1e6).astype(np.int64)
    return pa.Table.from_arrays([
        pa.array(ts_us),
        pa.array(batch.elem_type, pa.string()),
        pa.array(batch.peer_ip, pa.string()),
        pa.array(batch.peer_asn, pa.int64()),
        pa.array(batch.prefix, pa.string()),
        pa.array(batch.as_path, pa.string()),
        pa.array(batch.communities, pa.list_(pa.string())),
        pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)),
    ], schema=STAGE_SCHEMA)


def states_table(scan: ScanResult) -> pa.Table:
    changes = scan.state_changes
    return pa.Table.from_pydict({
        "ts_us": [c.ts_us for c in changes],
        "peer_ip": [c.peer_ip for c in changes],
        "peer_asn": [c.peer_asn for c in changes],
        "old_state": [c.old_state for c in changes],
        "new_state": [c.new_state for c in changes],
        "seq": list(range(len(changes))),
    }, schema=STATE_SCHEMA)


def read_file(path: str | Path, sink: Sink, *, backend: str = "auto", flt: ElementFilter | None = None,
              collector: str = "unknown", sha256: str | None = None,
              progress: Callable[[int], None] | None = None) -> ReadResult:
    """Walk the file's records, stream its elements to ``sink``, and say what became of it."""
    started = time.perf_counter()
    path = str(path)
    size = Path(path).stat().st_size
    sha256 = sha256 or file_sha256(path)
    scan = scan_mrt(path)
    parser = get_backend(backend)
    result = ReadResult(path=path, size=size, sha256=sha256, kind=scan.kind, backend=parser.name,
                        elements=0, records=scan.records, states=STATE_SCHEMA.empty_table(),
                        snapshot_ts_us=scan.first_ts_us if scan.kind == "rib" else None,
                        status="ok", reason=None, elapsed_s=0.0)
    if flt is not None and not flt.matches_file(collector, scan.kind):
        result.skipped = f"filtered out ({flt.text}) as a {scan.kind} file of collector {collector}"
        return result
    keep = None if flt is None or flt.is_empty else flt.matches
    if keep is not None and scan.kind == "rib":     # the parser calls RIB entries 'A'; the filter knows 'R'
        matches = flt.matches
        keep = lambda et, *rest: matches("R" if et == "A" else et, *rest)  # noqa: E731
    if scan.kind in ("rib", "updates"):
        for batch in parser.batches(path, keep):
            sink(to_table(batch, result.elements))
            result.elements += len(batch)
            if progress:
                progress(result.elements)
        # State changes are kept whatever the filter: a session going down ends the routes of every
        # prefix, filtered or not, so the intervals need them.
        result.states = states_table(scan)
    result.status, result.reason = verdict(scan, result.elements, parser.name)
    result.elapsed_s = time.perf_counter() - started
    return result


def verdict(scan: ScanResult, elements: int, backend: str) -> tuple[str, str | None]:
    """The file's status and, unless all is well, one sentence on what was read and what was not."""
    kept = f"kept the {elements:,} elements read before it"
    if scan.kind == "legacy":
        return "unsupported", (f"0 elements: legacy MRT type 5 (BGP, deprecated since 2011) is not supported; "
                               f"{scan.records:,} records left unread")
    if scan.records == 0 and scan.damaged_at is None and not scan.truncated:
        return "failed", "no MRT records: the file is empty"
    if scan.damaged_at is not None and scan.records == 0:
        return "failed", f"not an MRT file: {scan.problem}"
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
        return "damaged", f"{scan.problem}; {kept}"
    if scan.truncated:
        return "truncated", f"{scan.problem}; {kept}"
    return "ok", None

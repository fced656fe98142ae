"""Reading one local MRT file, in a parser process: the header walk, the backend that reads it best,
and its elements as the store's columns, written to an Arrow IPC file for the store to take.

``read_file`` walks the record headers (``mrt_scan``: how many RIB entries and prefix-carrying
UPDATE messages the file holds, its state changes, where it is truncated or damaged), then decodes
it with the first backend of ``backends.order_for``. A backend that reads fewer elements than the
walk says the file holds (libbgpstream on ADD-PATH RIBs and some lab dumps, pybgpkit-parser on a
4,096-prefix IPv6 withdrawal) gives way to the next; the file keeps the reading with the most
elements, and its record says which backend that was and what the others read.

Elements leave this process as columns with content ids (``explorer.store.ids``), so the store
never matches texts against a dictionary: session, prefix, kind, ordering key, path, position.
RIB rows are sorted by cluster, session and prefix within each chunk (the store's order, and a
session's table then compresses to a few bytes a row); update rows stay in file order (one
message's prefixes share a path).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from explorer.ingest.backends import BackendUnavailable, available, get_backend, order_for
from explorer.ingest.filters import ElementFilter, parse_filter
from explorer.ingest.mrt_scan import Pieces, ScanResult, scan_mrt
from explorer.store.clusters import cluster_codes
from explorer.store.ids import canonical_v6_prefix, is_v4, prefix_ids, session_id
from explorer.store.imports import STAGED, STATES

# Rows sorted together: more gives longer runs of one session, and costs memory (~40 bytes a row).
_SORT_CHUNK = 1_000_000


@dataclass
class Attempt:
    backend: str
    elements: int
    error: str | None = None


@dataclass
class FileRead:
    """What the parser process made of one file (its rows are in the IPC file ``out``)."""

    scan: ScanResult
    backend: str
    elements: int = 0
    withdrawals: int = 0
    first_ts_us: int | None = None
    last_ts_us: int | None = None
    out: str | None = None                   # Arrow IPC stream of STAGED rows; None when no rows
    parts: list[str] | None = None           # a file read in pieces: its pieces' ``out``, in file order
    sessions: list[tuple[int, str, int]] = field(default_factory=list)    # (id, peer_ip, peer_asn)
    names: dict[int, str] = field(default_factory=dict)                 # IPv6 prefix id -> text
    states: pa.Table | None = None
    attempts: list[Attempt] = field(default_factory=list)
    elapsed_s: float = 0.0
    unreadable: int = 0                       # elements left out: their prefix is no prefix
    unreadable_example: str | None = None
    _sessions: dict = field(default_factory=dict, repr=False)
    _pending: list = field(default_factory=list, repr=False)
    _pending_rows: int = 0
    _writer: object = field(default=None, repr=False)
    _target: str | None = None
    _rib: bool = False

    @property
    def unreadable_note(self) -> str | None:
        if not self.unreadable:
            return None
        return (f"{self.unreadable:,} elements were left out: the {self.backend} backend gave them no readable "
                f"prefix (e.g. {self.unreadable_example!r})")

    def flush(self) -> None:
        """Write the rows waiting (sorted by session and prefix in a RIB dump, see the module)."""
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending)
        if self._rib:   # a RIB entry's place in its file does not order it (its dump's entries share a key)
            table = _rib_order(table, self.names)
            first = pc.min(table.column("seq")).as_py()
            table = table.set_column(table.schema.get_field_index("seq"), "seq",
                                     pa.array(np.arange(first, first + table.num_rows, dtype=np.int32)))
        if self._writer is None:
            self._writer = pa.ipc.new_stream(self._target, STAGED)
        self._writer.write_table(table)
        self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        """The last rows written, the file closed; ``out`` names it (None when there was no row)."""
        try:
            self.flush()
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
                self.out = self._target
        self.sessions = list(self._sessions.values())

    def finish_states(self, collector: str) -> None:
        """The scan's state changes as the store's rows, and their sessions among the file's."""
        self.states, state_sessions = _states(self.scan, collector)
        known = {s[0] for s in self.sessions}
        self.sessions += [s for s in state_sessions if s[0] not in known]

    def row_files(self) -> list[str]:
        """The Arrow IPC files holding the rows, in file order; each numbers its rows' ``seq`` from 0."""
        if self.parts is not None:
            return self.parts
        return [self.out] if self.out else []

    @property
    def fallback_note(self) -> str | None:
        """One sentence when more than one backend read the file, else None."""
        if len(self.attempts) < 2 or not self.elements:
            return None
        tried = "; ".join(f"{a.backend} {'failed (' + a.error + ')' if a.error else f'read {a.elements:,}'}"
                          for a in self.attempts)
        return (f"read by {self.backend}: the record walk counts at least {self.scan.expected:,} elements "
                f"({tried})")


def _rib_order(table: pa.Table, names: dict[int, str]) -> pa.Table:
    """RIB rows by cluster (the store writes a batch in cluster order, ``store/clusters.py``), then
    session and prefix: positions then follow the store's order, and a session's table compresses."""
    ids, inverse = np.unique(table.column("prefix_id").to_numpy(), return_inverse=True)
    clusters = cluster_codes(ids, names)[inverse]
    order = np.lexsort((table.column("prefix_id").to_numpy(), table.column("session_id").to_numpy(), clusters))
    return table.take(pa.array(order))


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_file(path: str, out: str, collector: str, *, backend: str = "auto", filter_text: str | None = None,
              progress: Callable[[int], None] | None = None, scan: ScanResult | None = None,
              snapshot_ts_us: int | None = None) -> FileRead:
    """Walk, decode and stage one file; the rows go to ``out`` (written under a temporary name first).
    A RIB dump's entries all take the time of its first record, or ``snapshot_ts_us`` (a piece of a
    dump takes its dump's)."""
    started = time.perf_counter()
    scan = scan or scan_mrt(path)
    snapshot = snapshot_ts_us if snapshot_ts_us is not None else scan.first_ts_us
    flt = parse_filter(filter_text) if filter_text else None
    names = order_for(scan.kind, backend)
    parsers = available(names) if backend == "auto" else [get_backend(backend)]
    if not parsers:
        raise BackendUnavailable(f"no installed backend reads {scan.kind} files (tried {', '.join(names)})")
    best: FileRead | None = None
    attempts: list[Attempt] = []
    first_error: Exception | None = None
    filtered = flt is not None and flt.has_element_clauses
    if scan.records == 0 or scan.kind == "unknown":
        parsers = parsers[:1]
    for i, parser in enumerate(parsers):
        target = f"{out}.{i}.tmp"
        try:
            got = _decode(parser, path, target, collector, scan, snapshot, flt, progress)
        except Exception as exc:          # a decoder that fails on this file: the next may not
            attempts.append(Attempt(parser.name, 0, f"{type(exc).__name__}: {exc}"[:200]))
            first_error = first_error or exc
            _remove(target)
            continue
        attempts.append(Attempt(parser.name, got.elements))
        if best is None or got.elements > best.elements:
            if best is not None:
                _remove(best.out)
            best = got
        else:
            _remove(got.out)
        if filtered or got.elements >= scan.expected:
            break                         # with a filter the walk cannot say how many should pass
    if best is None:
        raise first_error or RuntimeError("no backend read the file")
    if best.out is not None:
        os.replace(best.out, out)
        best.out = out
    best.attempts = attempts
    best.finish_states(collector)
    best.elapsed_s = time.perf_counter() - started
    return best


@dataclass
class Split:
    """A file cut for several parser processes (``split_file``): its walk and its pieces, in order."""

    scan: ScanResult
    pieces: list[str]
    elapsed_s: float


def split_file(path: str, out: str, collector: str, folder: str, piece_bytes: int, *, backend: str = "auto",
               filter_text: str | None = None, progress: Callable[[int], None] | None = None) -> FileRead | Split:
    """Walk the file, cutting its records into uncompressed MRT pieces of about ``piece_bytes`` in
    ``folder`` (``mrt_scan.Pieces``), each for ``read_file`` in any process; ``combine`` joins their
    readings. A file of one piece, or one whose cut could read differently from the whole (damaged,
    legacy, a dump whose first record is not its PEER_INDEX_TABLE), is read here whole. A truncated
    file is cut: its pieces hold the complete records, which is what a backend reads of it."""
    started = time.perf_counter()
    pieces = Pieces(folder, piece_bytes)
    try:
        scan = scan_mrt(path, sink=pieces)
    finally:
        pieces.close()
    whole = (len(pieces.paths) < 2 or scan.kind not in ("rib", "updates") or scan.damaged_at is not None
             or (scan.has_peer_index and not pieces.preamble))
    if whole:
        pieces.remove()
        return read_file(path, out, collector, backend=backend, filter_text=filter_text, progress=progress, scan=scan)
    return Split(scan, pieces.paths, time.perf_counter() - started)


def combine(scan: ScanResult, reads: list[FileRead], split_s: float = 0.0) -> FileRead:
    """One file's reading from its pieces' (in file order). Its rows stay in the pieces' files
    (``parts``); the store numbers them on (``seq``) from piece to piece."""
    kept: dict[str, int] = {}
    tried: dict[str, Attempt] = {}
    whole = FileRead(scan=scan, backend="", parts=[], elapsed_s=split_s)
    sessions: dict[int, tuple[int, str, int]] = {}
    for r in reads:
        whole.elements += r.elements
        whole.withdrawals += r.withdrawals
        whole.unreadable += r.unreadable
        whole.unreadable_example = whole.unreadable_example or r.unreadable_example
        whole.elapsed_s += r.elapsed_s
        if r.first_ts_us is not None:
            whole.first_ts_us = r.first_ts_us if whole.first_ts_us is None else min(whole.first_ts_us, r.first_ts_us)
            whole.last_ts_us = r.last_ts_us if whole.last_ts_us is None else max(whole.last_ts_us, r.last_ts_us)
        for s in r.sessions:
            sessions.setdefault(s[0], s)
        whole.names.update(r.names)
        whole.parts += r.row_files()
        kept[r.backend] = kept.get(r.backend, 0) + r.elements
        for a in r.attempts:
            t = tried.setdefault(a.backend, Attempt(a.backend, 0))
            t.elements += a.elements
            t.error = t.error or a.error
    whole.sessions = list(sessions.values())
    whole.backend = max(kept, key=kept.get) if kept else ""
    whole.attempts = list(tried.values())
    return whole


def _remove(path: str | None) -> None:
    if path and os.path.exists(path):
        os.remove(path)


def _decode(parser, path, target, collector, scan, snapshot_ts_us, flt: ElementFilter | None, progress) -> FileRead:
    read = FileRead(scan=scan, backend=parser.name)
    rib = scan.kind == "rib"
    snapshot_key = (snapshot_ts_us or 0) * 4
    try:
        for batch in parser.decode(path, scan.kind, flt):
            if batch.num_rows:
                stage_rows(read, batch, collector, rib, snapshot_key, target)
                if progress:
                    progress(read.elements)
    finally:
        read.close()
    return read


def stage_rows(read: FileRead, batch: pa.RecordBatch, collector: str, rib: bool, snapshot_key: int,
               target: str) -> None:
    """Add a batch of ``DECODED`` elements to the file's staged rows (written to ``target``), and
    count them. RIB rows wait to be sorted in chunks; ``read.close()`` writes the rest."""
    batch, pids = _readable(read, batch)
    n = batch.num_rows
    if not n:
        return
    staged = _stage(batch, pids, collector, rib, snapshot_key, read.elements, read._sessions, read.names)
    read.withdrawals += pc.sum(batch.column("withdrawal")).as_py() or 0
    lo, hi = (v.as_py() for v in pc.min_max(batch.column("ts_us")).values())
    read.first_ts_us = lo if read.first_ts_us is None else min(lo, read.first_ts_us)
    read.last_ts_us = hi if read.last_ts_us is None else max(hi, read.last_ts_us)
    read.elements += n
    read._target = target
    read._rib = rib
    read._pending.append(staged)
    read._pending_rows += n
    if not rib or read._pending_rows >= _SORT_CHUNK:
        read.flush()


def _readable(read: FileRead, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.Array]:
    """The rows whose prefix is a prefix, and their prefix ids; the others are counted (a decoder
    reading past damage prints such things as 0.5.0.3/117)."""
    ids = prefix_ids(batch.column("prefix"), strict=False)
    bad = pc.equal(ids, -1)
    if not pc.any(bad).as_py():
        return batch, ids
    read.unreadable += pc.sum(bad).as_py()
    if read.unreadable_example is None:
        read.unreadable_example = pc.filter(batch.column("prefix"), bad)[0].as_py()
    keep = pc.invert(bad)
    return batch.filter(keep), pc.filter(ids, keep)


def _stage(batch: pa.RecordBatch, pids: pa.Array, collector: str, rib: bool, snapshot_key: int, first_seq: int,
           sessions: dict, names: dict) -> pa.RecordBatch:
    """DECODED columns -> STAGED columns: content ids, kind, ordering key (see store/intervals.py).
    The caller has left out rows whose prefix is no prefix (``_readable``)."""
    n = batch.num_rows
    withdrawal = batch.column("withdrawal").to_numpy(zero_copy_only=False)
    kind = np.where(withdrawal, 2, 0 if rib else 1).astype(np.uint8)
    ts_us = batch.column("ts_us").to_numpy()
    key = np.where(kind == 0, snapshot_key, ts_us * 4 + 1)
    prefixes = batch.column("prefix")
    pid_np = pids.to_numpy()
    v6 = ~is_v4(pid_np)
    if v6.any():
        rows = np.flatnonzero(v6)
        distinct, first = np.unique(pid_np[rows], return_index=True)
        fresh = [i for i, pid in enumerate(distinct.tolist()) if pid not in names]
        if fresh:
            texts = pc.take(prefixes, pa.array(rows[first[fresh]])).to_pylist()
            for pid, text in zip(distinct[fresh].tolist(), texts):
                names[pid] = canonical_v6_prefix(text)
    return pa.record_batch([
        pa.array(_session_ids(batch.column("peer_ip"), batch.column("peer_asn"), collector, sessions)),
        pids, pa.array(kind), pa.array(key), batch.column("as_path"),
        pa.array(np.arange(first_seq, first_seq + n, dtype=np.int32)),
    ], schema=STAGED)


def _session_ids(peer_ip: pa.Array, peer_asn: pa.Array, collector: str, sessions: dict) -> np.ndarray:
    """Per row, the id of (collector, peer IP, peer ASN), hashing each distinct pair once."""
    ips = peer_ip.dictionary_encode()
    asn = peer_asn.to_numpy(zero_copy_only=False).astype(np.int64)
    pair = (ips.indices.to_numpy(zero_copy_only=False).astype(np.int64) << 32) | asn
    distinct, inverse = np.unique(pair, return_inverse=True)
    ids = np.empty(len(distinct), dtype=np.int64)
    values = ips.dictionary
    for i, p in enumerate(distinct.tolist()):
        ip, a = _canonical_ip(values[p >> 32].as_py()), p & 0xFFFFFFFF
        sid = session_id(collector, ip, a)
        sessions.setdefault(sid, (sid, ip, a))
        ids[i] = sid
    return ids[inverse]


def _canonical_ip(text: str) -> str:
    """An IPv6 address as RFC 5952 writes it (pybgpkit-parser and mrtparse do; glibc, so bgpdump and
    libbgpstream, writes '::' for a single zero group too), so a peer is one session whichever
    backend read its files."""
    return canonical_v6_prefix(text) if ":" in text else text


def _states(scan: ScanResult, collector: str) -> tuple[pa.Table, list[tuple[int, str, int]]]:
    """The scan's state changes that name their peer. Zebra's shortened 8-byte records (1999-2001)
    carry no peer address and peer AS 0: they cannot be attributed to a session, so they are left out."""
    changes = [c for c in scan.state_changes if c.peer_ip]
    ips = [_canonical_ip(c.peer_ip) for c in changes]
    ids = [session_id(collector, ip, c.peer_asn) for ip, c in zip(ips, changes)]
    table = pa.table({
        "session_id": pa.array(ids, pa.int64()),
        "ts_us": pa.array([c.ts_us for c in changes], pa.int64()),
        "old_state": pa.array([c.old_state for c in changes], pa.uint8()),
        "new_state": pa.array([c.new_state for c in changes], pa.uint8()),
        "seq": pa.array(range(len(changes)), pa.int32()),
    }, schema=STATES)
    sessions = {sid: (sid, ip, c.peer_asn) for sid, ip, c in zip(ids, ips, changes)}
    return table, list(sessions.values())


def verdict(scan: ScanResult, elements: int, backend: str, filtered: bool = False) -> tuple[str, str | None]:
    """The file's status and, unless all is well, one sentence on what was read and what was not.
    ``filtered``: an element filter was in force, so no element passing it is no failure."""
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
        if not types:
            return "failed", scan.problem or "no complete MRT record"
        return "failed", f"0 elements: no RIB or update records (MRT type/subtype {types})"
    if elements == 0 and not scan.state_changes:
        if scan.kind == "rib" and not scan.has_peer_index:
            return "failed", (f"0 elements: {scan.records:,} RIB records but no PEER_INDEX_TABLE, so no entry "
                              "can be attributed to a peer")
        if filtered and scan.damaged_at is None and not scan.truncated:
            return "ok", f"no element of its {scan.records:,} records passes the filter"
        if scan.damaged_at is None and not scan.truncated:
            return "failed", f"0 elements: the {backend} backend decoded none of the {scan.records:,} records"
    if scan.damaged_at is not None:
        return "damaged", f"{scan.problem.rstrip('.')}; {kept}"
    if scan.truncated:
        return "truncated", f"{scan.problem.rstrip('.')}; {kept}"
    return "ok", scan.problem          # a note, e.g. state changes that name no peer

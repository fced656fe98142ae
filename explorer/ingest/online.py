"""Online ingest through pybgpstream's broker: collectors' archives over a time window.

The only code path that opens a network connection, and only when the user asks for it
(``bgp-explorer ingest --collector C --start T --end T`` with no files). pybgpstream asks the broker
(CAIDA's, or the one ``broker_url`` names) which archive files cover the window, reads them, and
merges their records in time order; here they are sorted back into their files (collector, type,
dump time), and each file goes through the same code as a local one: its elements staged as the
store's columns in chunks (``reader.stage_rows``), its record (``pipeline.file_record``, with the
same verdict), and the same batches of transactions (``pipeline.Batcher``). The filter's file
clauses choose the record types asked for and the files kept; its element clauses are tested per
element, so that the sessions' state changes stay whatever the filter (as a local file's do).

A file's identity is ``bgpstream://project/collector/type/dump_time`` (its sha256 stands in for the
content's), so a second run over the same window adds nothing. A RIB dump cut by the window (its
records run past the end) or filtered is not a complete snapshot, so it ends no routes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from explorer.ingest.backends import DECODED, BackendUnavailable
from explorer.ingest.filters import parse_filter
from explorer.ingest.mrt_scan import ScanResult, StateChange
from explorer.ingest.pipeline import Batcher, Outcome, Source, Started
from explorer.ingest.reader import FileRead, stage_rows
from explorer.store.imports import BATCH_FILES, find_imported
from explorer.store.store import Store

BATCH = 100_000
_STATES = {"idle": 1, "connect": 2, "active": 3, "opensent": 4, "openconfirm": 5, "established": 6}
CAIDA_BROKER = "https://broker.bgpstream.caida.org/v2"


def _pybgpstream():
    try:
        import pybgpstream
    except ImportError as exc:
        raise BackendUnavailable(
            "pybgpstream is not installed: it needs CAIDA's libbgpstream (make bgpstream, or CAIDA's packages), "
            f"then pip install '.[bgpstream]' ({exc})") from None
    return pybgpstream


@dataclass
class _Dump:
    """One archive file as its records arrive."""

    project: str
    collector: str
    type: str                       # 'rib' or 'update', as pybgpstream names them
    dump_time: int
    out: str
    records: int = 0
    cut: bool = False               # a record outside the window: a RIB dump is then incomplete
    problems: list[str] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)
    columns: tuple = field(default_factory=lambda: ([], [], [], [], [], []))
    read: FileRead | None = None
    started: float = field(default_factory=time.perf_counter)
    first_time_us: int | None = None    # the first record's time: a RIB dump's snapshot, as a local file's walk gives it

    @property
    def ident(self) -> str:
        return f"bgpstream://{self.project}/{self.collector}/{self.type}/{self.dump_time}"


def ingest_online(store: Store, collectors: list[str], start: int, end: int, *, filter_text: str | None = None,
                  broker_url: str | None = None, on_progress: Callable[[str, int], None] | None = None,
                  together: int = BATCH_FILES) -> Iterator[Started | Outcome]:
    """Import the archives of ``collectors`` over [start, end] (Unix seconds) from the broker."""
    pybgpstream = _pybgpstream()
    flt = parse_filter(filter_text) if filter_text else None
    filter_key = flt.text if flt is not None and not flt.is_empty else None
    options = dict(from_time=int(start), until_time=int(end), collectors=list(collectors))
    kinds = {c.names for c in flt.clauses if c.term == "type"} if flt else set()
    if len(kinds) == 1:
        (names,) = kinds
        if len(names) == 1:
            options["record_type"] = "ribs" if "rib" in names else "updates"
    # The element clauses are tested here, not handed to libbgpstream: its filter drops the
    # sessions' state changes with the elements, and a state change ends routes (intervals.py),
    # as a local file's header walk keeps them whatever the filter.
    matches = flt.matches if flt is not None and flt.has_element_clauses else None
    stream = pybgpstream.BGPStream(data_interface="broker", **options)
    stream.set_data_interface_option("broker", "url", broker_url or CAIDA_BROKER)
    staging = tempfile.mkdtemp(prefix="bgp-explorer-online-")
    batcher = Batcher(store, together, filter_key)
    open_dumps: dict[tuple, _Dump] = {}
    made = 0
    try:
        records = _records(stream)
        for rec in records:
            key = (rec.project, rec.collector, rec.type, int(rec.dump_time))
            dump = open_dumps.get(key)
            if dump is None:
                # a newer file of the same collector and type: the older one is complete
                for other in [k for k in open_dumps if k[:3] == key[:3] and k[3] < key[3]]:
                    yield from _finish(store, open_dumps.pop(other), batcher, flt, filter_key)
                made += 1
                dump = open_dumps[key] = _Dump(*key, out=os.path.join(staging, f"{made}.arrow"))
                yield Started(dump.ident, 0)
            _add_record(dump, rec, on_progress, matches)
        for key in list(open_dumps):
            yield from _finish(store, open_dumps.pop(key), batcher, flt, filter_key)
        yield from batcher.flush()
    finally:
        batcher.close()
        shutil.rmtree(staging, ignore_errors=True)


class OnlineError(RuntimeError):
    """libbgpstream gave up on the stream (an archive it could not fetch, a broker it could not reach)."""


def _records(stream) -> Iterator:
    try:
        yield from stream.records()
    except RuntimeError as exc:
        raise OnlineError(f"the broker stream stopped: {exc} (libbgpstream's messages above say which archive or "
                          "address failed); every file reported as imported is in the store, run the same command "
                          "again to finish") from None


def _add_record(dump: _Dump, rec, on_progress, matches) -> None:
    status = str(rec.status)
    if status != "valid":
        if status in ("unknown", "outside-time-interval", "outside time interval"):
            dump.cut = True         # pybgpstream 2.0.2 names libbgpstream's OUTSIDE_TIME_INTERVAL 'unknown'
        elif status not in ("filtered-source", "empty-source"):
            dump.problems.append(f"record {dump.records + 1:,} is {status}")
        return
    dump.records += 1
    if dump.first_time_us is None:
        dump.first_time_us = int(round(rec.time * 1e6))
    ts, et, ip, asn, pfx, path = dump.columns
    for elem in rec:
        kind = elem.type
        fields = elem.fields
        if kind == "S":
            dump.states.append(StateChange(int(round(elem.time * 1e6)), str(elem.peer_address), int(elem.peer_asn),
                                           _STATES.get(str(fields.get("old-state")).lower(), 0),
                                           _STATES.get(str(fields.get("new-state")).lower(), 0)))
            continue
        if kind not in ("R", "A", "W"):
            continue
        if matches is not None and not matches(kind, int(elem.peer_asn), fields["prefix"], fields.get("as-path"),
                                               list(fields.get("communities") or ()) or None):
            continue
        ts.append(elem.time)
        et.append(kind)
        ip.append(str(elem.peer_address))
        asn.append(int(elem.peer_asn))
        pfx.append(fields["prefix"])
        path.append(None if kind == "W" else fields.get("as-path", ""))
    if len(ts) >= BATCH:
        _flush_columns(dump)
        if on_progress:
            on_progress(dump.ident, dump.read.elements)


def _flush_columns(dump: _Dump) -> None:
    import numpy as np
    import pyarrow.compute as pc

    ts, et, ip, asn, pfx, path = dump.columns
    if not ts:
        return
    batch = pa.record_batch([
        pa.array(np.rint(np.asarray(ts, dtype=np.float64) * 1e6).astype(np.int64)),
        pc.equal(pa.array(et, pa.string()), "W"), pa.array(ip, pa.string()), pa.array(asn, pa.int64()),
        pa.array(pfx, pa.string()), pa.array(path, pa.string())], schema=DECODED)
    if dump.read is None:
        dump.read = FileRead(scan=None, backend="bgpstream")
    rib = dump.type == "rib"
    stage_rows(dump.read, batch, dump.collector, rib, (dump.first_time_us or dump.dump_time * 1_000_000) * 4, dump.out)
    dump.columns = ([], [], [], [], [], [])


def _finish(store: Store, dump: _Dump, batcher: Batcher, flt, filter_key) -> Iterator[Outcome]:
    _flush_columns(dump)
    read = dump.read or FileRead(scan=None, backend="bgpstream")
    read.close()
    kind = "rib" if dump.type == "rib" else "updates"
    sha = hashlib.sha256(dump.ident.encode()).hexdigest()
    state, earlier = find_imported(store.con, sha, filter_key)
    if state == "same":
        os.path.exists(dump.out) and os.remove(dump.out)
        yield Outcome(dump.ident, "already imported",
                      reason=f"this dump is in the store (file {earlier[0]}); nothing added")
        return
    if flt is not None and not flt.matches_file(dump.collector, kind, dump.project):
        os.path.exists(dump.out) and os.remove(dump.out)
        yield Outcome(dump.ident, "skipped", reason=f"filtered out ({flt.text}): a {kind} file of {dump.collector}")
        return
    problem = "; ".join(dump.problems[:3]) if dump.problems else None
    changes = dump.states
    read.scan = ScanResult(
        path=dump.ident, compression="none", size=0, records=dump.records, record_types={}, kind=kind,
        first_ts_us=dump.first_time_us if kind == "rib" else read.first_ts_us,
        last_ts_us=read.last_ts_us, state_changes=changes, truncated=False,
        damaged_at=0 if dump.problems else None, damaged_record=None,
        problem=(f"libbgpstream reports {problem}" if problem else None),
        rib_entries=read.elements if kind == "rib" else 0,
        updates_with_prefixes=read.elements if kind != "rib" else 0)
    read.finish_states(dump.collector)
    read.elapsed_s = time.perf_counter() - dump.started
    source = Source(dump.ident, None, 0, sha, dump.collector, kind, replaces=earlier[0] if state == "replace" else None)
    if kind == "rib" and dump.cut and not filter_key:
        # a RIB dump the window cuts is no complete snapshot: recorded like a filtered one, it ends no routes
        source.filter_note = f"records outside the window {dump.ident} were not read"
    yield from batcher.add(source, read)

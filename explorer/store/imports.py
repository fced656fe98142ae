"""Writing imported files into the store: a batch of parsed files and the routes they change, in
one transaction (``intervals.derive``).

The parser process hands over an Arrow IPC file of ``STAGED`` rows (content ids already computed,
see ``explorer.store.ids``), the sessions and IPv6 prefix texts it met, and its state changes.
Storing them is then a few statements a batch: no text is matched against a dictionary. If
anything fails or the process dies before COMMIT, the store is as it was before the batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

import numpy as np

from explorer.store.intervals import derive
from explorer.store.prefix_set import add_prefixes, rebuild_prefix_set
from explorer.store.store import Store

# One row per element, as the parser process stages it.
STAGED = pa.schema([
    ("session_id", pa.int64()),
    ("prefix_id", pa.int64()),
    ("kind", pa.uint8()),               # 0 RIB entry, 1 announcement, 2 withdrawal
    ("start_key", pa.int64()),          # microseconds * 4 + phase
    ("path", pa.string()),              # NULL for withdrawals
    ("seq", pa.int32()),
])

STATES = pa.schema([
    ("session_id", pa.int64()),
    ("ts_us", pa.int64()),
    ("old_state", pa.uint8()),
    ("new_state", pa.uint8()),
    ("seq", pa.int32()),
])

# Statuses whose content is in the store: importing the same bytes again adds nothing.
KEPT = ("ok", "truncated", "damaged")

# A batch (one transaction) holds files of up to about this many rows, or this many files: the open
# routes are read once a batch, so bigger batches cost less; an interruption loses the batch.
BATCH_ROWS = 4_000_000
BATCH_FILES = 256


@dataclass
class FileRecord:
    """What the ingest knows about a file, as its row in ``files``."""

    path: str
    size: int
    sha256: str
    kind: str                       # 'rib' | 'updates' | 'legacy' | 'unknown'
    collector: str
    backend: str
    status: str                     # 'ok' | 'truncated' | 'damaged' | 'unsupported' | 'failed'
    reason: str | None = None
    filter: str | None = None
    records: int = 0
    snapshot_ts_us: int | None = None
    elapsed_s: float = 0.0
    file_id: int | None = None      # set by the store
    rib_entries: int = 0
    announcements: int = 0
    withdrawals: int = 0
    state_changes: int = 0
    first_ts_us: int | None = None
    last_ts_us: int | None = None


@dataclass
class Staged:
    """One parsed file's rows and what they refer to, as the parser process left them."""

    rows: list[str]                             # Arrow IPC streams of STAGED rows, in file order
    sessions: list[tuple[int, str, int]]        # (session_id, peer_ip, peer_asn) of the record's collector
    names: dict[int, str]                       # prefix_id -> text, IPv6
    states: pa.Table | None                     # STATES


def find_imported(con, sha256: str, filter_text: str | None) -> tuple[str, tuple | None]:
    """What an earlier import of the same bytes means for this one.

    ('new', None): nothing kept of these bytes. ('same', row): kept already, whole, or with this
    same filter, so nothing is added. ('replace', row): kept with another filter, whose elements
    this import does not all include or exceeds: the earlier import is replaced by this one.
    ``row`` is (file_id, path, status, filter).
    """
    rows = con.execute(f"SELECT file_id, path, status, filter FROM files WHERE sha256 = ? AND status IN {KEPT} "
                       "ORDER BY file_id", [sha256]).fetchall()
    if not rows:
        return "new", None
    for row in rows:
        if row[3] is None or row[3] == filter_text:
            return "same", row
    return "replace", rows[0]


def kept_files(con) -> list[tuple[str, str]]:
    """(path, sha256) of every imported file whose content is in the store, in import order."""
    return con.execute(f"SELECT path, sha256 FROM files WHERE status IN {KEPT} ORDER BY file_id").fetchall()


def store_batch(store: Store, files: list[tuple[FileRecord, Staged]], *, replaces: list[int] = ()) -> list[FileRecord]:
    """Store parsed files, and the routes they change, in one transaction.

    ``replaces``: file ids of earlier imports of the same bytes (with another filter) that these
    take the place of: their rows go, and the routes they touched are derived again.
    Sets each record's ``file_id`` and adds the time spent here to its ``elapsed_s``.
    """
    started = time.perf_counter()
    con = store.cursor()
    registered: list[str] = []

    def register(name: str, table: pa.Table) -> None:
        con.register(name, table)
        registered.append(name)

    sources = []
    try:
        with store.transaction(con):
            con.execute(f"DELETE FROM files WHERE list_contains(?, sha256) AND status NOT IN {KEPT}",
                        [[r.sha256 for r, _ in files]])
            if replaces:
                con.execute("DELETE FROM files WHERE file_id IN (SELECT unnest(?::INTEGER[]))", [list(replaces)])
            sessions, names, states, rows = {}, {}, [], []
            for record, staged in files:
                record.file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
                _insert_file_row(con, record)
                for sid, ip, asn in staged.sessions:
                    sessions.setdefault(sid, (sid, record.collector, ip, asn))
                names.update(staged.names)
                first_seq = 0
                for part in staged.rows:          # a file read in pieces: each numbers its rows from 0
                    source = pa.memory_map(part)
                    sources.append(source)
                    table = pa.ipc.open_stream(source).read_all()
                    if first_seq:
                        at = table.schema.get_field_index("seq")
                        seq = pc.add(table.column("seq"), pa.scalar(first_seq, pa.int32()))
                        table = table.set_column(at, "seq", seq)
                    first_seq += table.num_rows
                    rows.append(table.append_column("file_id", pa.array(np.full(table.num_rows, record.file_id,
                                                                                 dtype=np.int32))))
                if staged.states is not None and staged.states.num_rows:
                    states.append(staged.states.append_column(
                        "file_id", pa.array(np.full(staged.states.num_rows, record.file_id, dtype=np.int32))))
            if sessions:
                values = list(sessions.values())
                register("_sessions", pa.table({
                    "session_id": pa.array([v[0] for v in values], pa.int64()),
                    "collector": pa.array([v[1] for v in values], pa.string()),
                    "peer_ip": pa.array([v[2] for v in values], pa.string()),
                    "peer_asn": pa.array([v[3] for v in values], pa.uint64())}))
                con.execute("INSERT INTO sessions SELECT n.* FROM _sessions n "
                            "ANTI JOIN sessions s ON s.session_id = n.session_id")
            if names:
                register("_names", pa.table({"prefix_id": pa.array(list(names), pa.int64()),
                                             "prefix": pa.array(list(names.values()), pa.string())}))
                con.execute("INSERT INTO prefix_names SELECT n.* FROM _names n "
                            "ANTI JOIN prefix_names p ON p.prefix_id = n.prefix_id")
            if states:
                register("_states", pa.concat_tables(states))
                con.execute("""INSERT INTO state_changes
                               SELECT make_timestamp(ts_us), session_id, old_state, new_state, file_id, seq FROM _states""")
            register("_new", pa.concat_tables(rows) if rows else STAGED.append(pa.field("file_id", pa.int32()))
                     .empty_table())
            derive(con, [r.file_id for r, _ in files], new="_new", removed=replaces)
            if replaces:
                rebuild_prefix_set(con)         # the replaced import's prefixes may have gone with it
            elif rows:
                add_prefixes(con, np.concatenate([t.column("prefix_id").to_numpy() for t in rows]))
    finally:
        for name in registered:
            try:
                con.unregister(name)
            except Exception:
                pass
        con.close()
        for source in sources:
            source.close()
    spent = (time.perf_counter() - started) / max(1, len(files))
    for record, _ in files:
        record.elapsed_s += spent
    return [r for r, _ in files]


def record_outcome(store: Store, record: FileRecord) -> FileRecord:
    """A file whose content is not kept (unsupported, failed): one row that says why."""
    with store.transaction() as con:
        con.execute("DELETE FROM files WHERE sha256 = ? AND status NOT IN " + str(KEPT), [record.sha256])
        record.file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
        _insert_file_row(con, record)
    return record


def _insert_file_row(con, r: FileRecord) -> None:
    con.execute("""
        INSERT INTO files (file_id, path, size, sha256, order_key, kind, collector, backend, first_ts, last_ts,
                           snapshot_ts, rib_entries, announcements, withdrawals, state_changes, records, status,
                           reason, filter, imported_at, elapsed_s)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, make_timestamp(?), make_timestamp(?), make_timestamp(?), ?, ?, ?, ?, ?, ?,
                ?, ?, now()::TIMESTAMP, ?)""",
                [r.file_id, r.path, r.size, r.sha256, int(r.sha256[:15], 16), r.kind, r.collector, r.backend,
                 r.first_ts_us, r.last_ts_us, r.snapshot_ts_us, r.rib_entries, r.announcements, r.withdrawals,
                 r.state_changes, r.records, r.status, r.reason, r.filter, r.elapsed_s])

"""Writing one imported file into the store: staged columns in, normalised rows out, in one transaction.

The ingest side hands over Arrow batches with the columns of ``STAGE_SCHEMA`` (one row per element,
in file order) and, at the end, a ``FileRecord``. Batches go to a connection-local temporary table
while the parser is still reading; ``commit`` then, inside one transaction, adds the new sessions,
prefixes, paths and community sets, the elements and state changes, the file's row and the route
intervals it changes. If anything fails or the process dies before COMMIT, the store is as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from explorer.store.intervals import refresh_intervals
from explorer.store.store import Store

# One row per element, in file order. ``FileImport`` dictionary-encodes the text columns (each
# batch's distinct values once, and int32 codes per element): the store then matches each distinct
# text with its id once per batch, and joins the elements on integer codes, not on strings.
STAGE_SCHEMA = pa.schema([
    ("ts_us", pa.int64()),
    ("withdrawal", pa.bool_()),         # else an announcement, or a RIB entry in a RIB file
    ("peer_ip", pa.string()),
    ("peer_asn", pa.int64()),
    ("prefix", pa.string()),
    ("as_path", pa.string()),           # NULL for withdrawals
    ("communities", pa.string()),       # space separated, NULL when none
    ("seq", pa.int64()),
])

# The dictionary-encoded columns of STAGE_SCHEMA, in the order of their number in ``_VALUES.col``.
_DICTIONARIES = ("peer_ip", "prefix", "as_path", "communities")
# What ``commit`` reads: the elements with each text as (batch b, code), and every batch's values.
_ELEMENTS = pa.schema([("f", pa.int32()),        # the file's place among those committed together
                       ("b", pa.int32()), ("ts_us", pa.int64()), ("withdrawal", pa.bool_()), ("ip", pa.int32()),
                       ("peer_asn", pa.int64()), ("prefix", pa.int32()), ("path", pa.int32()),
                       ("comm", pa.int32()), ("seq", pa.int64())])
_VALUES = pa.schema([("col", pa.int32()), ("b", pa.int32()), ("code", pa.int32()), ("value", pa.string())])

STATE_SCHEMA = pa.schema([
    ("ts_us", pa.int64()),
    ("peer_ip", pa.string()),
    ("peer_asn", pa.int64()),
    ("old_state", pa.int64()),
    ("new_state", pa.int64()),
    ("seq", pa.int64()),
])

# The state changes of files committed together, each with its file's place (``f``).
_STATES_F = STATE_SCHEMA.append(pa.field("f", pa.int32()))

# Statuses whose content is in the store: importing the same bytes again adds nothing.
KEPT = ("ok", "truncated", "damaged")


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


def find_imported(store: Store, sha256: str) -> tuple[int, str, str] | None:
    """(file_id, path, status) of an earlier import of the same bytes whose content is kept."""
    return store.con.execute(
        f"SELECT file_id, path, status FROM files WHERE sha256 = ? AND status IN {KEPT} ORDER BY file_id LIMIT 1",
        [sha256]).fetchone()


def kept_files(con) -> list[tuple[str, str]]:
    """(path, sha256) of every imported file whose content is in the store, in import order."""
    return con.execute(f"SELECT path, sha256 FROM files WHERE status IN {KEPT} ORDER BY file_id").fetchall()


class FileImport:
    """Files on their way into the store. Not thread-safe: one thread feeds it.

    ``add`` only keeps the Arrow batches (no copy: they may live in a memory-mapped file); ``commit``
    hands them to DuckDB as registered Arrow tables, so a small file costs a few statements, not a
    few per batch. Usually one file; ``next_file`` starts another, and ``commit_many`` stores them
    all in one transaction (the demo's hundreds of small files: the statements are the cost).
    """

    def __init__(self, store: Store):
        self.store = store
        self.con = store.cursor()
        self._elements: list[pa.RecordBatch] = []
        self._values: list[pa.RecordBatch] = []
        self._file = 0
        self.rows = 0

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Append parsed elements (``STAGE_SCHEMA`` columns) of the current file."""
        for rb in batch.to_batches() if isinstance(batch, pa.Table) else [batch]:
            self._add(rb)

    def next_file(self) -> None:
        """What ``add`` gets from now on belongs to the next file of ``commit_many``."""
        self._file += 1

    def _add(self, rb: pa.RecordBatch) -> None:
        b, n = len(self._elements), rb.num_rows
        codes = [_encoded(rb.column(name)) for name in _DICTIONARIES]
        self._elements.append(pa.record_batch([
            _constant(self._file, n), _constant(b, n), rb.column("ts_us"), rb.column("withdrawal"),
            codes[0].indices, rb.column("peer_asn"), codes[1].indices, codes[2].indices, codes[3].indices,
            rb.column("seq")], schema=_ELEMENTS))
        for column, enc in enumerate(codes):
            values = enc.dictionary
            self._values.append(pa.record_batch([
                _constant(column, len(values)), _constant(b, len(values)),
                pa.array(np.arange(len(values), dtype=np.int32)), values], schema=_VALUES))
        self.rows += n

    def commit(self, record: FileRecord, state_changes: pa.Table | None = None) -> FileRecord:
        """Normalise the staged elements of one file into the store in one transaction.

        Sets ``record.file_id`` and adds the time spent here to ``record.elapsed_s``.
        """
        return self.commit_many([(record, state_changes)])[0]

    def commit_many(self, files: list[tuple[FileRecord, pa.Table | None]]) -> list[FileRecord]:
        """The staged files (in ``next_file`` order) in one transaction, all of one collector."""
        con = self.con
        started = time.perf_counter()
        records = [r for r, _ in files]
        collector = records[0].collector
        if any(r.collector != collector for r in records):
            raise ValueError("files of one transaction must be of one collector")
        states = [(i, t) for i, (_, t) in enumerate(files) if t is not None and t.num_rows]
        con.register("_states", pa.concat_tables(
            [t.append_column("f", pa.array([i] * t.num_rows, pa.int32())) for i, t in states])
            if states else _STATES_F.empty_table())
        con.register("stage", pa.Table.from_batches(self._elements, schema=_ELEMENTS))
        con.register("stage_values", pa.Table.from_batches(self._values, schema=_VALUES))
        with self.store.transaction(con):
            # Only these files are being imported: replace any failed attempt at the same bytes.
            con.execute("DELETE FROM files WHERE list_contains(?, sha256) AND status NOT IN " + str(KEPT),
                        [[r.sha256 for r in records]])
            ids = [row[0] for row in con.execute("SELECT nextval('file_ids') FROM range(?)", [len(records)])
                   .fetchall()]
            for r, file_id in zip(records, ids):
                r.file_id = file_id
            con.register("_files", pa.table({"f": pa.array(np.arange(len(records), dtype=np.int32)),
                                             "file_id": pa.array(ids, pa.int32()),
                                             "rib": pa.array([r.kind == "rib" for r in records])}))
            _add_dimensions(con, collector)
            con.execute(f"""
                INSERT INTO elements
                SELECT make_timestamp(st.ts_us), s.session_id, p.id,
                       CASE WHEN st.withdrawal THEN 2 WHEN fl.rib THEN 0 ELSE 1 END,
                       pa.id, c.id, fl.file_id, st.seq
                FROM stage st
                JOIN _files fl ON fl.f = st.f
                JOIN (SELECT d.b, d.code, x.session_id, x.peer_asn FROM stage_values d
                      JOIN sessions x ON x.collector = ? AND x.peer_ip = d.value WHERE d.col = 0) s
                  ON s.b = st.b AND s.code = st.ip AND s.peer_asn = st.peer_asn
                JOIN ({_ids(1, "prefixes", "prefix_id", "prefix")}) p
                  ON p.b = st.b AND p.code = st.prefix
                LEFT JOIN ({_ids(2, "paths", "path_id", "path")}) pa
                  ON pa.b = st.b AND pa.code = st.path
                LEFT JOIN ({_ids(3, "communities", "community_id", "communities")}) c
                  ON c.b = st.b AND c.code = st.comm""", [collector])
            if states:
                con.execute("""
                INSERT INTO state_changes
                SELECT make_timestamp(x.ts_us), s.session_id, x.old_state, x.new_state, fl.file_id, x.seq
                FROM _states x JOIN _files fl ON fl.f = x.f JOIN sessions s
                  ON s.collector = ? AND s.peer_ip = x.peer_ip AND s.peer_asn = x.peer_asn""", [collector])
            for r in records:
                _insert_file_row(con, r)
            keys = [k for k in map(_first_key, records) if k is not None]
            refresh_intervals(con, ids, first_key=min(keys) if len(keys) == len(records) else None,
                              resets=bool(states),
                              complete_rib=any(r.kind == "rib" and r.status == "ok" and not r.filter
                                               for r in records))
        for name in ("_states", "stage", "stage_values", "_files"):
            con.unregister(name)
        spent = (time.perf_counter() - started) / len(records)
        for r in records:
            r.elapsed_s += spent
        return records

    def close(self) -> None:
        self.con.close()


def record_outcome(store: Store, record: FileRecord) -> FileRecord:
    """A file whose content is not kept (unsupported, failed): one row that says why."""
    with store.transaction() as con:
        con.execute("DELETE FROM files WHERE sha256 = ? AND status NOT IN " + str(KEPT), [record.sha256])
        record.file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
        _insert_file_row(con, record)
    return record


def _encoded(column: pa.Array) -> pa.DictionaryArray:
    return column if pa.types.is_dictionary(column.type) else column.dictionary_encode()


def _ids(column: int, table: str, id_column: str, text_column: str) -> str:
    """(batch, code) -> the store's id of that text, for one dictionary of the staged file."""
    return (f"SELECT d.b, d.code, x.{id_column} AS id FROM stage_values d JOIN {table} x ON x.{text_column} = d.value "
            f"WHERE d.col = {column}")


def _constant(value: int, n: int) -> pa.Array:
    return pa.nulls(n, pa.int32()).fill_null(value)


def _first_key(record: FileRecord) -> int | None:
    """The earliest ordering key the file can hold (see intervals.py), from what the ingest counted."""
    times = [t for t in (record.first_ts_us, record.snapshot_ts_us) if t is not None]
    return min(times) * 4 if times else None


def _add_dimensions(con, collector: str) -> None:
    """New sessions, prefixes, paths and community sets of the staged file, each stored once.

    Only the distinct values of each staged batch are compared with the store's, never one row per element.
    """
    con.execute("""
        INSERT INTO sessions
        SELECT (SELECT coalesce(max(session_id), 0) FROM sessions) + row_number() OVER (), ?, n.peer_ip, n.peer_asn
        FROM (
            SELECT DISTINCT peer_ip, peer_asn FROM (
                SELECT d.value AS peer_ip, e.peer_asn
                FROM (SELECT DISTINCT b, ip, peer_asn FROM stage) e
                JOIN stage_values d ON d.col = 0 AND d.b = e.b AND d.code = e.ip
                UNION ALL SELECT peer_ip, peer_asn FROM _states)
        ) n ANTI JOIN (SELECT * FROM sessions WHERE collector = ?) s
            ON s.peer_ip = n.peer_ip AND s.peer_asn = n.peer_asn""", [collector, collector])
    con.execute("""
        INSERT INTO prefixes
        SELECT (SELECT coalesce(max(prefix_id), 0) FROM prefixes) + row_number() OVER (), n.prefix,
               CASE WHEN contains(n.prefix, ':') THEN 6 ELSE 4 END, CAST(split_part(n.prefix, '/', 2) AS UTINYINT)
        FROM (SELECT DISTINCT value AS prefix FROM stage_values WHERE col = 1) n ANTI JOIN prefixes p ON p.prefix = n.prefix""")
    con.execute("""
        INSERT INTO paths
        SELECT (SELECT coalesce(max(path_id), 0) FROM paths) + row_number() OVER (), n.as_path,
               TRY_CAST(regexp_extract(n.as_path, '(\\d+)$', 1) AS UBIGINT)
        FROM (SELECT DISTINCT value AS as_path FROM stage_values WHERE col = 2) n
        ANTI JOIN paths p ON p.path = n.as_path""")
    con.execute("""
        INSERT INTO communities
        SELECT (SELECT coalesce(max(community_id), 0) FROM communities) + row_number() OVER (), n.c
        FROM (SELECT DISTINCT value AS c FROM stage_values WHERE col = 3) n
        ANTI JOIN communities c ON c.communities = n.c""")


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

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

import pyarrow as pa

from explorer.store.intervals import refresh_intervals
from explorer.store.store import Store

STAGE_SCHEMA = pa.schema([
    ("ts_us", pa.int64()),
    ("elem_type", pa.string()),        # 'A' or 'W' as the parser says; RIB files store kind 0
    ("peer_ip", pa.string()),
    ("peer_asn", pa.int64()),
    ("prefix", pa.string()),
    ("as_path", pa.string()),
    ("communities", pa.string()),       # space separated, NULL when none
    ("seq", pa.int64()),
])

STATE_SCHEMA = pa.schema([
    ("ts_us", pa.int64()),
    ("peer_ip", pa.string()),
    ("peer_asn", pa.int64()),
    ("old_state", pa.int64()),
    ("new_state", pa.int64()),
    ("seq", pa.int64()),
])

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


class FileImport:
    """One file on its way into the store. Not thread-safe: one thread feeds it."""

    def __init__(self, store: Store):
        self.store = store
        self.con = store.cursor()
        self.con.execute("CREATE OR REPLACE TEMP TABLE stage (ts_us BIGINT, elem_type VARCHAR, peer_ip VARCHAR, "
                         "peer_asn BIGINT, prefix VARCHAR, as_path VARCHAR, communities VARCHAR, seq BIGINT)")
        self.rows = 0

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Append parsed elements (``STAGE_SCHEMA`` columns). DuckDB reads the Arrow memory directly."""
        self.con.register("_batch", batch)
        self.con.execute("INSERT INTO stage SELECT * FROM _batch")
        self.con.unregister("_batch")
        self.rows += batch.num_rows

    def commit(self, record: FileRecord, state_changes: pa.Table | None = None) -> FileRecord:
        """Normalise the staged elements into the store in one transaction.

        Sets ``record.file_id`` and adds the time spent here to ``record.elapsed_s``.
        """
        con = self.con
        started = time.perf_counter()
        if state_changes is None:
            state_changes = STATE_SCHEMA.empty_table()
        con.register("_states", state_changes)
        rib = record.kind == "rib"
        with self.store.transaction(con):
            # Only this file is being imported: replace any failed attempt at the same bytes.
            con.execute("DELETE FROM files WHERE sha256 = ? AND status NOT IN " + str(KEPT), [record.sha256])
            file_id = record.file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
            _add_dimensions(con, record.collector)
            con.execute(f"""
                INSERT INTO elements
                SELECT make_timestamp(st.ts_us), s.session_id, p.prefix_id,
                       CASE WHEN st.elem_type = 'W' THEN 2 WHEN {rib} THEN 0 ELSE 1 END,
                       pa.path_id, c.community_id, ?, st.seq
                FROM stage st
                JOIN sessions s ON s.collector = ? AND s.peer_ip = st.peer_ip AND s.peer_asn = st.peer_asn
                JOIN prefixes p ON p.prefix = st.prefix
                LEFT JOIN paths pa ON pa.path = st.as_path
                LEFT JOIN communities c ON c.communities = st.communities""", [file_id, record.collector])
            con.execute("""
                INSERT INTO state_changes
                SELECT make_timestamp(x.ts_us), s.session_id, x.old_state, x.new_state, ?, x.seq
                FROM _states x JOIN sessions s
                  ON s.collector = ? AND s.peer_ip = x.peer_ip AND s.peer_asn = x.peer_asn""",
                        [file_id, record.collector])
            _insert_file_row(con, record)
            refresh_intervals(con, file_id)
        con.unregister("_states")
        record.elapsed_s += time.perf_counter() - started
        return record

    def close(self) -> None:
        self.con.close()


def record_outcome(store: Store, record: FileRecord) -> FileRecord:
    """A file whose content is not kept (unsupported, failed): one row that says why."""
    with store.transaction() as con:
        con.execute("DELETE FROM files WHERE sha256 = ? AND status NOT IN " + str(KEPT), [record.sha256])
        record.file_id = con.execute("SELECT nextval('file_ids')").fetchone()[0]
        _insert_file_row(con, record)
    return record


def _add_dimensions(con, collector: str) -> None:
    """New sessions, prefixes, paths and community sets of the staged file, each stored once."""
    con.execute("""
        INSERT INTO sessions
        SELECT (SELECT coalesce(max(session_id), 0) FROM sessions) + row_number() OVER (), ?, n.peer_ip, n.peer_asn
        FROM (
            SELECT DISTINCT peer_ip, peer_asn FROM (
                SELECT peer_ip, peer_asn FROM stage UNION ALL SELECT peer_ip, peer_asn FROM _states)
        ) n ANTI JOIN (SELECT * FROM sessions WHERE collector = ?) s
            ON s.peer_ip = n.peer_ip AND s.peer_asn = n.peer_asn""", [collector, collector])
    con.execute("""
        INSERT INTO prefixes
        SELECT (SELECT coalesce(max(prefix_id), 0) FROM prefixes) + row_number() OVER (), n.prefix, CASE WHEN contains(n.prefix, ':') THEN 6 ELSE 4 END,
               CAST(split_part(n.prefix, '/', 2) AS UTINYINT)
        FROM (SELECT DISTINCT prefix FROM stage) n ANTI JOIN prefixes p ON p.prefix = n.prefix""")
    con.execute("""
        INSERT INTO paths
        SELECT (SELECT coalesce(max(path_id), 0) FROM paths) + row_number() OVER (), n.as_path,
               TRY_CAST(regexp_extract(n.as_path, '(\\d+)$', 1) AS UBIGINT)
        FROM (SELECT DISTINCT as_path FROM stage WHERE as_path IS NOT NULL) n
        ANTI JOIN paths p ON p.path = n.as_path""")
    con.execute("""
        INSERT INTO communities
        SELECT (SELECT coalesce(max(community_id), 0) FROM communities) + row_number() OVER (), n.c
        FROM (SELECT DISTINCT communities AS c FROM stage WHERE communities IS NOT NULL) n
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

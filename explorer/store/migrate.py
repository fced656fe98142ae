"""How a store of an older schema becomes the current one (``MIGRATIONS``).

Schema 3 -> 4: routes that ended carry their prefix's cluster (``explorer.store.clusters``), and
are written again sorted by it within each four hours of start times, so a country's question
reads its own row groups (the order ``intervals.derive`` gives each batch from schema 4 on).

Schema 2 -> 3: the dictionary ids of schema 2 become content ids, and the routes are derived again.

Schema 2 kept every text once in ``sessions``, ``prefixes``, ``paths`` and ``communities`` and
referred to them by row numbers only that store knew. Schema 3 computes ids from content
(``explorer.store.ids``) and keeps paths as text; the routes are then derived again from the
elements (``intervals.derive``), so a migrated store equals one imported afresh (communities,
which no analysis reads, are left behind).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from explorer.store.clusters import cluster_table, note_writer
from explorer.store.ids import is_v4, prefix_ids, session_id
from explorer.store.intervals import derive
from explorer.store.prefix_set import rebuild_prefix_set
from collections.abc import Callable

from explorer.store.schema import REGISTRY, ROUTES, SESSIONS, VIEWS

_OLD = ("elements", "intervals", "session_resets", "state_changes", "paths", "communities", "prefixes", "sessions")


def to_content_ids(con: duckdb.DuckDBPyConnection) -> None:
    sessions = con.execute("SELECT session_id, collector, peer_ip, peer_asn FROM sessions").fetchall()
    con.register("_smap", pa.table({
        "old": pa.array([s[0] for s in sessions], pa.int64()),
        "new": pa.array([session_id(s[1], s[2], s[3]) for s in sessions], pa.int64()),
        "collector": pa.array([s[1] for s in sessions], pa.string()),
        "peer_ip": pa.array([s[2] for s in sessions], pa.string()),
        "peer_asn": pa.array([s[3] for s in sessions], pa.uint64())}))
    old = None
    if _has(con, "prefixes"):
        r = con.execute("SELECT prefix_id, prefix FROM prefixes").fetchnumpy()
        old = pa.table({"prefix_id": pa.array(r["prefix_id"].astype(np.int64)), "prefix": pa.array(list(r["prefix"]),
                                                                                                   pa.string())})
    texts = old.column("prefix") if old is not None else pa.array([], pa.string())
    new = prefix_ids(texts).to_numpy() if len(texts) else np.array([], dtype=np.int64)
    con.register("_pmap", pa.table({"old": old.column("prefix_id").cast(pa.int64()) if old is not None
                                    else pa.array([], pa.int64()),
                                    "new": pa.array(new, pa.int64()), "prefix": texts}))
    v6 = ~is_v4(new)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _pending AS
        SELECT s.new AS session_id, p.new AS prefix_id, e.kind,
               CASE WHEN e.kind = 0 THEN epoch_us(coalesce(f.snapshot_ts, e.ts)) * 4 ELSE epoch_us(e.ts) * 4 + 1 END
                   AS start_key,
               pa.path, e.file_id, e.seq::INTEGER AS seq
        FROM elements e JOIN _smap s ON s.old = e.session_id JOIN _pmap p ON p.old = e.prefix_id
        JOIN files f ON f.file_id = e.file_id LEFT JOIN paths pa ON pa.path_id = e.path_id""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _states AS
        SELECT x.ts, s.new AS session_id, x.old_state, x.new_state, x.file_id, x.seq
        FROM state_changes x JOIN _smap s ON s.old = x.session_id""")
    for table in _OLD:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(SESSIONS + ROUTES + VIEWS)
    con.execute("INSERT INTO sessions SELECT new, collector, peer_ip, peer_asn FROM _smap")
    con.execute("INSERT INTO state_changes SELECT * FROM _states")
    if v6.any():
        con.execute("INSERT INTO prefix_names SELECT new, prefix FROM _pmap WHERE new >= 1::BIGINT << 38")
    kept = [r[0] for r in con.execute("SELECT file_id FROM files WHERE status IN ('ok', 'truncated', 'damaged')")
            .fetchall()]
    derive(con, kept, new="_pending")
    rebuild_prefix_set(con)
    for name in ("_pending", "_states"):
        con.execute(f"DROP TABLE {name}")
    con.unregister("_smap")
    con.unregister("_pmap")


# Start keys (microseconds * 4) of four hours: the time slices a migrated store's routes are sorted in.
_SLICE_KEYS = 4 * 3600 * 1_000_000 * 4


def to_clusters(con: duckdb.DuckDBPyConnection) -> None:
    if con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'routes' AND column_name = 'cluster' "
                   "AND database_name = current_database()").fetchone()[0]:
        return          # migrated from schema 2 just now: derived with clusters already
    note_writer(con)
    con.register("_clusters", cluster_table(con, "routes"))
    con.execute(f"""CREATE TABLE _routes_4 AS SELECT r.*, c.cluster
                    FROM routes r JOIN _clusters c ON c.prefix_id = r.prefix_id
                    ORDER BY r.start_key // {_SLICE_KEYS}, c.cluster, r.file_id, r.seq""")
    con.execute("DROP TABLE routes")
    con.execute("ALTER TABLE _routes_4 RENAME TO routes")
    con.unregister("_clusters")


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])
                .fetchone()[0])


# version -> what brings a store of (version - 1) to version: SQL, or a function of the connection.
# Schema 2 added the registry (explorer/registry); schema 3 content ids (explorer/store/ids.py);
# schema 4 clusters (explorer/store/clusters.py).
MIGRATIONS: dict[int, str | Callable[[duckdb.DuckDBPyConnection], None]] = {2: REGISTRY, 3: to_content_ids,
                                                                            4: to_clusters}

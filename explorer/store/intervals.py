"""Route intervals: which route each peer session held to each prefix, and when.

The rules, in the order of a session's history:

* An announcement (or RIB entry) for (session, prefix) replaces what the session held there.
* A withdrawal ends it.
* A session leaving Established (state change from 6 to anything else) ends all its routes.
* A complete RIB dump sets the state at its snapshot time (the header time of its first record):
  the session's routes it does not list end then, the ones it lists start (or go on) then. The
  entries of one ADD-PATH dump for the same (session, prefix) are held together, as one peer.
  A truncated or filtered dump is not complete: it adds routes and ends none.

Ordering key. Every event gets ``key = microseconds * 4 + phase``: phase 0 for a RIB snapshot,
1 for an update, 2 for a session going down. So at one instant the snapshot comes first, then the
updates, then a drop of the session, which also ends what was announced in that same instant
(update files with one-second timestamps often hold both). Ties between files of equal keys are
broken by sha256, never by import order, so files of one collector may be imported in any order
and the intervals come out the same.

Derivation in bulk. A batch of files is stored in one transaction, and ``derive`` turns their rows
into routes in it. A batch whose earliest key is k0 can only change
routes of the (session, prefix) pairs it touches, and of the sessions it resets, that were open at
k0 or start after it. Those are read back (the open ones from ``routes_open``, whose size is that
of the routing tables; closed ones only when a batch lands before data already stored, which the
time order of ``routes`` lets the scan skip otherwise), derived again together with the batch, and
written back. So importing in time order costs one pass over the open routes per batch, however
long the history already stored.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from explorer.store.clusters import cluster_table, note_writer

_COLUMNS = "session_id, prefix_id, kind, start_key, path, file_id, seq"


def derive(con: duckdb.DuckDBPyConnection, file_ids: Iterable[int], *, new: str | None = None,
           removed: Iterable[int] = ()) -> None:
    """Store the rows of the files ``file_ids`` (the relation named ``new``, with the columns of
    ``routes`` but ``end_key``) as routes, and drop every row of ``removed`` files (an import being
    replaced), deriving again the routes they change. Runs inside the caller's transaction; the
    files' own rows (``files``, ``state_changes``) must already be there."""
    ids, gone = sorted(set(file_ids)), sorted(set(removed))
    if not ids and not gone:
        return
    new = new or "(SELECT * FROM routes WHERE false)"
    con.execute("CREATE OR REPLACE TEMP TABLE _batch AS SELECT unnest(?::INTEGER[]) AS file_id", [ids])
    con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT unnest(?::INTEGER[]) AS file_id", [gone])
    con.execute(f"""
        INSERT INTO session_resets
        {reset_keys(
            "(SELECT * FROM state_changes WHERE file_id IN (SELECT file_id FROM _batch))",
            f"(SELECT p.* FROM {new} p JOIN files f USING (file_id) "
            "WHERE f.kind = 'rib' AND f.status = 'ok' AND f.filter IS NULL)")}""")
    # What the batch changes: the pairs it (or a removed file) touches, the sessions it (or a
    # removed file) resets, from the earliest key among them on.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _changed AS
        SELECT session_id, prefix_id, start_key FROM {new}
        UNION ALL SELECT session_id, prefix_id, start_key FROM routes_open WHERE file_id IN (SELECT file_id FROM _gone)
        UNION ALL SELECT session_id, prefix_id, start_key FROM routes WHERE file_id IN (SELECT file_id FROM _gone)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _reset AS
        SELECT session_id, min(reset_key) AS k FROM session_resets
        WHERE file_id IN (SELECT file_id FROM _batch UNION ALL SELECT file_id FROM _gone) GROUP BY session_id""")
    k0 = con.execute("SELECT least((SELECT min(start_key) FROM _changed), (SELECT min(k) FROM _reset))").fetchone()[0]
    if gone:
        for table in ("routes_open", "routes", "state_changes", "session_resets"):
            con.execute(f"DELETE FROM {table} WHERE file_id IN (SELECT file_id FROM _gone)")
    if k0 is None:
        _finish(con, ids)
        return
    con.execute("CREATE OR REPLACE TEMP TABLE _touched AS SELECT DISTINCT session_id, prefix_id FROM _changed")
    # Rows already derived that the batch may change, with their place (to delete them).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _old AS
        SELECT o.rowid AS rid, true AS open, {_prefixed('o')}
        FROM routes_open o
        LEFT JOIN _touched t ON t.session_id = o.session_id AND t.prefix_id = o.prefix_id
        LEFT JOIN _reset r ON r.session_id = o.session_id
        WHERE t.session_id IS NOT NULL OR r.session_id IS NOT NULL
        UNION ALL
        SELECT c.rowid, false, {_prefixed('c')}
        FROM routes c
        LEFT JOIN _touched t ON t.session_id = c.session_id AND t.prefix_id = c.prefix_id
        LEFT JOIN _reset r ON r.session_id = c.session_id
        WHERE c.end_key >= $1 AND (t.session_id IS NOT NULL OR r.session_id IS NOT NULL)""", [k0])
    # The rules (route_ends): the next group of events of the pair, or the session's next reset.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _derived AS
        {route_ends(f"SELECT e.*, f.order_key AS tb FROM (SELECT {_COLUMNS} FROM _old UNION ALL "
                    f"SELECT {_COLUMNS} FROM {new}) e JOIN files f USING (file_id)", "session_resets", _COLUMNS)}""")
    counts = con.execute("SELECT count(*) FILTER (WHERE open), count(*) FILTER (WHERE NOT open) FROM _old").fetchone()
    if counts[0]:
        con.execute("DELETE FROM routes_open WHERE rowid IN (SELECT rid FROM _old WHERE open)")
    if counts[1]:   # (the key condition lets the scan skip the row groups of earlier times)
        con.execute("DELETE FROM routes WHERE end_key >= $1 AND rowid IN (SELECT rid FROM _old WHERE NOT open)",
                    [k0])
    # In the order the parser staged them (see schema.py): what compresses best; the routes that
    # ended by cluster first (a country's rows together, clusters.py).
    con.execute(f"""INSERT INTO routes_open SELECT {_COLUMNS}, NULL FROM _derived WHERE end_key IS NULL
                    ORDER BY file_id, seq""")
    note_writer(con)
    con.register("_clusters", cluster_table(con, "(SELECT prefix_id FROM _derived WHERE end_key IS NOT NULL)"))
    try:
        con.execute(f"""INSERT INTO routes SELECT {_prefixed('d')}, d.end_key, c.cluster
                        FROM _derived d JOIN _clusters c ON c.prefix_id = d.prefix_id
                        WHERE d.end_key IS NOT NULL ORDER BY c.cluster, d.file_id, d.seq""")
    finally:
        con.unregister("_clusters")
    _finish(con, ids)


def _prefixed(alias: str, columns: str = _COLUMNS) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


# -- the rules, once: the store's derive and the dataset's day pass and stitch
# (explorer/store/dataset_write.py) all call these two ---------------------------------------------

def reset_keys(states: str, complete_rib_rows: str) -> str:
    """A SELECT of (session_id, reset_key, file_id): the instants that end all of a session's routes.
    ``states``: rows of ``state_changes`` (ts, session_id, old_state, new_state, file_id); a session
    leaving Established resets it after the updates of that instant (phase 2). ``complete_rib_rows``:
    rows (session_id, kind, start_key, file_id) of complete RIB dumps only (status ok, no filter):
    each session a dump lists is reset at the snapshot (phase 0)."""
    return f"""
        SELECT session_id, epoch_us(ts) * 4 + 2 AS reset_key, file_id FROM {states} s
        WHERE old_state = 6 AND new_state <> 6
        UNION ALL
        SELECT DISTINCT session_id, start_key, file_id FROM {complete_rib_rows} p WHERE kind = 0"""


def route_ends(events: str, resets: str, columns: str = _COLUMNS) -> str:
    """A SELECT of ``columns`` and ``end_key`` for every row of ``events`` (a SELECT with those
    columns and ``tb``, the tie-break between files: their sha-derived order key), under the rules of
    this module: a row's route ends at the next group of events of its (session, prefix) (entries of
    one RIB dump share their key and position, and so form one group), or at its session's next
    reset in ``resets`` (session_id, reset_key), whichever comes first; a withdrawal's row ends where
    it starts; NULL: still held after every event given. Only the events with a reset of their
    session after them go through the as-of join (on a day of rrc00 it took half the statement's time
    when every event did)."""
    return f"""
        WITH ev AS (
            SELECT e.*, CASE WHEN e.kind = 0 THEN 0 ELSE e.seq END AS sub FROM ({events}) e
        ), nx AS (
            SELECT *, first_value(start_key) OVER (PARTITION BY session_id, prefix_id ORDER BY start_key, tb, sub
                                                   GROUPS BETWEEN 1 FOLLOWING AND 1 FOLLOWING) AS next_k
            FROM ev
        ), last_reset AS (
            SELECT session_id, max(reset_key) AS m FROM ({resets}) GROUP BY 1
        ), later AS (       -- events with a reset of their session after them: the few that need the as-of join
            SELECT nx.* FROM nx JOIN last_reset x ON x.session_id = nx.session_id AND nx.start_key < x.m
        )
        SELECT {_prefixed('l', columns)},
               CASE WHEN l.kind = 2 THEN l.start_key ELSE least(l.next_k, r.reset_key) END AS end_key
        FROM later l ASOF LEFT JOIN ({resets}) r ON r.session_id = l.session_id AND r.reset_key > l.start_key
        UNION ALL
        SELECT {_prefixed('nx', columns)}, CASE WHEN nx.kind = 2 THEN nx.start_key ELSE nx.next_k END
        FROM nx ANTI JOIN last_reset x ON x.session_id = nx.session_id AND nx.start_key < x.m"""


def _finish(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    for table in ("_batch", "_gone", "_changed", "_reset", "_touched", "_old", "_derived"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def rebuild_all(con: duckdb.DuckDBPyConnection) -> None:
    """Derive every route from scratch (tests use it to check the incremental derivation): every
    row is taken out and derived again in one batch."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _all AS SELECT {_COLUMNS} FROM routes_open "
                f"UNION ALL SELECT {_COLUMNS} FROM routes")
    for table in ("routes_open", "routes", "session_resets"):
        con.execute(f"DELETE FROM {table}")
    ids = [r[0] for r in con.execute("SELECT DISTINCT file_id FROM _all").fetchall()]
    ids += [r[0] for r in con.execute("SELECT DISTINCT file_id FROM state_changes").fetchall()]
    derive(con, ids, new="_all")
    con.execute("DROP TABLE _all")

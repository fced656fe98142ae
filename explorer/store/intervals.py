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

Incremental refresh. Importing a file with earliest key t0 can only change intervals of the
sessions it touches that were open at t0 or start after it. For each such session the bound is the
earliest start among them (at most t0); intervals from the bound on are deleted and derived again
from the events from the bound on. Importing files in time order keeps that work proportional to
the new file.
"""

from __future__ import annotations

import duckdb

# Events of the affected sessions from their bound on, with their ordering key and tie-breakers.
_EVENTS = """
    ev AS (
        SELECT e.session_id, e.prefix_id, e.path_id, e.kind,
               CASE WHEN e.kind = 0 THEN epoch_us(f.snapshot_ts) * 4 ELSE epoch_us(e.ts) * 4 + 1 END AS k,
               f.order_key AS tb,
               CASE WHEN e.kind = 0 THEN 0 ELSE e.seq END AS sub,
               a.bound
        FROM elements e
        JOIN affected a ON a.session_id = e.session_id
        JOIN files f ON f.file_id = e.file_id
        WHERE e.ts >= make_timestamp(a.bound // 4)
    ),
    held AS (
        -- the next event of the same (session, prefix); entries of one RIB dump share (k, tb, sub),
        -- so the next *group* of equal keys is the next event
        SELECT * FROM (
            SELECT session_id, prefix_id, path_id, kind, k,
                   first_value(k) OVER (PARTITION BY session_id, prefix_id ORDER BY k, tb, sub
                                        GROUPS BETWEEN 1 FOLLOWING AND 1 FOLLOWING) AS next_k
            FROM ev WHERE k >= bound)
        WHERE kind <> 2
    )
"""

# Intervals of the sessions in the temporary table ``affected`` from their bound on. An interval
# ends at the next event for its (session, prefix) or the session's next reset, whichever is first.
_DERIVE = f"""
    INSERT INTO intervals
    WITH {_EVENTS}
    SELECT h.session_id, h.prefix_id, h.path_id,
           make_timestamp(h.k // 4),
           make_timestamp(least(h.next_k, r.reset_key) // 4),
           h.k, least(h.next_k, r.reset_key)
    FROM held h
    ASOF LEFT JOIN session_resets r ON r.session_id = h.session_id AND r.reset_key > h.k
"""


def refresh_intervals(con: duckdb.DuckDBPyConnection, file_ids: int | list[int], *, first_key: int | None = None,
                      resets: bool = True, complete_rib: bool = True) -> None:
    """Bring ``session_resets`` and ``intervals`` up to date after ``file_ids`` were added.

    ``file_ids``: one id, or the consecutive ids of files committed together. Runs inside the
    caller's transaction. What the caller already knows saves statements (a file of a few hundred
    elements costs more in statements than in rows): ``first_key``, a key no later than the files'
    earliest event; ``resets``, False when they have no state changes; ``complete_rib``, False
    unless one of them is a complete RIB dump.
    """
    ids = [file_ids] if isinstance(file_ids, int) else sorted(file_ids)
    lo, hi = ids[0], ids[-1]
    if hi - lo + 1 != len(ids):
        raise ValueError(f"file ids committed together must be consecutive: {ids}")
    if resets:
        con.execute("""
            INSERT INTO session_resets
            SELECT session_id, epoch_us(ts) * 4 + 2, file_id FROM state_changes
            WHERE file_id BETWEEN ? AND ? AND old_state = 6 AND new_state <> 6""", [lo, hi])
    if complete_rib:
        con.execute("""
            INSERT INTO session_resets
            SELECT DISTINCT e.session_id, epoch_us(f.snapshot_ts) * 4, f.file_id
            FROM elements e JOIN files f ON f.file_id = e.file_id
            WHERE f.file_id BETWEEN ? AND ? AND e.file_id BETWEEN ? AND ?
              AND f.kind = 'rib' AND f.status = 'ok' AND f.filter IS NULL""", [lo, hi, lo, hi])
    t0 = first_key
    if t0 is None:
        t0 = con.execute("""
            SELECT least(
                (SELECT epoch_us(min(ts)) * 4 FROM elements WHERE file_id BETWEEN $1 AND $2),
                (SELECT epoch_us(min(snapshot_ts)) * 4 FROM files WHERE file_id BETWEEN $1 AND $2),
                (SELECT epoch_us(min(ts)) * 4 FROM state_changes WHERE file_id BETWEEN $1 AND $2))""",
                         [lo, hi]).fetchone()[0]
    if t0 is None:
        return
    # Per touched session, the bound: t0, or the start of its earliest route still open at t0.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE affected AS
        WITH touched AS (
            SELECT DISTINCT session_id FROM elements WHERE file_id BETWEEN $1 AND $2
            UNION SELECT DISTINCT session_id FROM state_changes WHERE file_id BETWEEN $1 AND $2
        ), open_at AS (
            SELECT i.session_id, min(i.start_key) AS k FROM intervals i SEMI JOIN touched t USING (session_id)
            WHERE i.end_key IS NULL OR i.end_key > $3
            GROUP BY i.session_id
        )
        SELECT t.session_id, least($3, o.k) AS bound
        FROM touched t LEFT JOIN open_at o USING (session_id)""", [lo, hi, t0])
    con.execute("""
        DELETE FROM intervals USING affected a
        WHERE intervals.session_id = a.session_id AND intervals.start_key >= a.bound""")
    con.execute(_DERIVE)


def rebuild_all_intervals(con: duckdb.DuckDBPyConnection) -> None:
    """Derive every interval from scratch (used by tests to check the incremental refresh)."""
    con.execute("DELETE FROM intervals")
    con.execute("CREATE OR REPLACE TEMP TABLE affected AS "
                "SELECT DISTINCT session_id, 0::BIGINT AS bound FROM elements")
    con.execute(_DERIVE)
    con.execute("DROP TABLE affected")

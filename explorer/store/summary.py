"""What a store holds, for ``bgp-explorer info`` and the window's status bar."""

from __future__ import annotations

from explorer.store.ids import V4_LIMIT
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import KEPT_SQL, status_counts, stored_prefix_ids
from explorer.store.store import Store


def store_summary(store: Store) -> dict:
    con = store.cursor()
    one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
    files = status_counts(con)
    collectors = [
        {"collector": c, "files": f, "sessions": s}
        for c, f, s in con.execute(f"""
            SELECT c, sum(f), sum(s) FROM (
                SELECT collector AS c, count(*) AS f, 0 AS s FROM files WHERE {KEPT_SQL}
                GROUP BY 1
                UNION ALL SELECT collector, 0, count(*) FROM sessions GROUP BY 1)
            GROUP BY c ORDER BY c""").fetchall()]
    ids, _ = stored_prefix_ids(con)
    v4, v6 = int((ids < V4_LIMIT).sum()), int((ids >= V4_LIMIT).sum())
    # what each file held, as its row in files says (the elements are all stored)
    rib, ann, wd = one(f"""SELECT coalesce(sum(rib_entries), 0), coalesce(sum(announcements), 0),
                                  coalesce(sum(withdrawals), 0) FROM files WHERE {KEPT_SQL}""")
    first, last = one("SELECT min(first_ts), max(last_ts) FROM files")
    read_by = dict(con.execute(f"""SELECT backend, count(*) FROM files WHERE {KEPT_SQL} GROUP BY 1
                                   ORDER BY 2 DESC, 1""").fetchall())
    counts = one("""SELECT (SELECT count(*) FROM sessions),
                           (SELECT approx_count_distinct(path) FROM (SELECT path FROM routes_open
                                                                     UNION ALL SELECT path FROM routes)),
                           (SELECT count(*) FROM state_changes), (SELECT count(*) FROM intervals)""")
    con.close()
    return {
        "store": str(store.path),
        "demo": get_meta(store, DEMO_LABEL_KEY),     # the label when the store is the demo, else None
        "schema_version": store.schema_version,
        "bytes": _bytes(store.path),
        "files": files,
        "read_by": read_by,                         # backend -> files whose elements it read
        "collectors": collectors,
        "sessions": counts[0],
        "prefixes": {"ipv4": v4, "ipv6": v6},
        "paths": counts[1],                         # distinct AS paths, a HyperLogLog estimate (within ~2%)
        "elements": {"rib_entries": rib, "announcements": ann, "withdrawals": wd},
        "state_changes": counts[2],
        "intervals": counts[3],
        "first": _iso(first),
        "last": _iso(last),
    }


def _bytes(path) -> int:
    """The store file's size; a dataset's files added up."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size if path.exists() else 0


def _iso(ts) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z") if ts else None

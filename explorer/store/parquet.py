"""The store's tables as Parquet files partitioned by collector and day, for archives that outgrow one machine.

Layout written by ``export_parquet(store, folder)``::

    folder/routes/collector=rrc00/day=2014-12-22/data_0.parquet   (and routes_open/, state_changes/)
    folder/files.parquet, sessions.parquet, prefix_names.parquet, session_resets.parquet, meta.parquet

``day`` is the day a row starts (its ``start_key``; a state change's ``ts``). Ids and keys are
explained in ``explorer/store/ids.py`` and ``explorer/store/intervals.py``.

Hive-style partitions, so DuckDB (``read_parquet('folder/elements/**/*.parquet', hive_partitioning=true)``),
Spark or Trino read them as they are; ``attach_parquet`` makes a DuckDB connection see them under
the store's own table names.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from explorer.store.schema import VIEWS
from explorer.store.store import Store

PARTITIONED = {
    "routes": "make_timestamp(t.start_key // 4)",
    "routes_open": "make_timestamp(t.start_key // 4)",
    "state_changes": "t.ts",
}
WHOLE = ("meta", "files", "sessions", "prefix_names", "session_resets")


def export_parquet(store: Store, folder: str | Path) -> dict[str, int]:
    """Write every table; return rows written per table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = store.cursor()
    rows = {}
    try:
        for table in WHOLE:
            out = folder / f"{table}.parquet"
            con.execute(f"COPY {table} TO '{_quote(out)}' (FORMAT parquet)")
            rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table, ts in PARTITIONED.items():
            con.execute(f"""
                COPY (SELECT t.*, s.collector, strftime({ts}, '%Y-%m-%d') AS day
                      FROM {table} t JOIN sessions s USING (session_id))
                TO '{_quote(folder / table)}' (FORMAT parquet, PARTITION_BY (collector, day), OVERWRITE_OR_IGNORE)""")
            rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()
    return rows


def attach_parquet(con: duckdb.DuckDBPyConnection, folder: str | Path) -> None:
    """Views with the store's table names over an exported folder, and the store's own views
    (``intervals``, ``elements``, ``prefixes``) over them."""
    folder = Path(folder)
    for table in WHOLE:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{_quote(folder / table)}.parquet')")
    for table in PARTITIONED:
        con.execute(f"""CREATE OR REPLACE VIEW {table} AS SELECT * EXCLUDE (collector, day)
                        FROM read_parquet('{_quote(folder / table)}/**/*.parquet', hive_partitioning = true)""")
    con.execute(VIEWS.replace("CREATE MACRO", "CREATE OR REPLACE MACRO").replace("CREATE VIEW", "CREATE OR REPLACE VIEW"))


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")

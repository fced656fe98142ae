"""Writing a dataset (layout: ``explorer/store/dataset.py``): a file's parts, the day pass and the
stitch (each run by a worker, on any machine that sees the folder), and the manifest (by the
driver). Every file is written under a temporary name and renamed into place when complete, and
every name is a function of the content (a file's sha256, a collector and day), so a task that is
run twice (a lost worker's, retried) writes the same bytes to the same names: no duplicate, and no
half file under a name a reader globs.

Route intervals, in three steps, both with the rules of ``explorer/store/intervals.py`` (one
implementation: ``route_ends``, ``reset_keys``):

1. **The day pass**, per collector and day, in parallel: the day's rows with the day's resets. A
   row whose route ends that day is final (``routes/.../ended.parquet``): what comes later cannot
   change it. The rows still held at the day's end (``work/carried``) and the first event of each
   (session, prefix) the day touches (``work/touch``) are what the next step needs.
2. **The stitch**, per collector (collectors in parallel): the carried rows of every day, with the
   touches of every day as events before any real row of their key, and every reset, under the same
   rules: a carried row ends at the first later touch of its pair or the next reset of its session.
   Its input is the routing tables held at each midnight, not the day's rows, so it is cheap beside
   the day pass. It writes each day's carried rows with their end.
3. **The checkpoints** (``held``), a task each, in parallel: for each day of data, the routes held at
   its 00:00 that started earlier, valid for the days since the previous day of data (nothing
   changes in between); after the last, the routes still held at the end of the data. Then the
   collector is marked as derived from its files.

A per-day pass in parallel then a stitch, rather than one sequential pass per collector over its
days, because the day pass is the expensive part (a sort of every row of the day) and so runs
collectors x days wide; a sequential pass would run only as wide as there are collectors (60).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from explorer.store.dataset import (DAY_US, RESET_TYPES, ROUTE_COLUMNS, ROUTE_TYPES, ROW_COLUMNS, STATE_TYPES,
                                    _empty, _q, part_path, temporary_name, write_atomically)
from explorer.store.intervals import reset_keys, route_ends

PARQUET = {"compression": "zstd"}
MARK = "_derived.json"                      # a day's or collector's note of the files it was derived from
FOREVER = "9999-12-31"                      # the open tail's last day


def order_key(sha256: str) -> int:
    """A file's id in the dataset, and its place among files at one instant (``files.order_key``)."""
    return int(sha256[:15], 16)


def _connect(threads: int = 1) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _copy(con, select: str, target: Path) -> None:
    """``COPY (select)`` to a temporary name, then renamed to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    try:
        con.execute(f"COPY ({select}) TO '{_q(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    try:
        pq.write_table(table, tmp, **PARQUET)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _days_of(us: np.ndarray) -> np.ndarray:
    return (np.asarray(us, np.int64) // DAY_US).astype(np.int64)


def _day_name(day_number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day_number))).isoformat()


# -- a file's parts (its worker) -------------------------------------------------------------------

def write_file_parts(folder: Path, collector: str, sha256: str, rows: str | None, states: pa.Table | None,
                     complete_rib: bool) -> dict[str, list[str]]:
    """A decoded file's rows (an Arrow IPC stream of ``STAGED`` rows, or None), state changes
    (``STATES``) and session resets, as Parquet parts per day under its sha256. Returns the days of
    each: {'element_days', 'state_days', 'reset_days'}."""
    fid = order_key(sha256)
    name = f"{sha256}.parquet"
    out = {"element_days": [], "state_days": [], "reset_days": []}
    table = None
    if rows is not None:
        with pa.memory_map(rows) as source:
            table = pa.ipc.open_stream(source).read_all()
        table = table.append_column("file_id", pa.array(np.full(table.num_rows, fid, np.int64)))
        days = _days_of(table.column("start_key").to_numpy() // 4)
        for d in np.unique(days):
            _write(table.filter(pa.array(days == d)), part_path(folder, "elements", collector, _day_name(d), name))
            out["element_days"].append(_day_name(d))
    con = _connect()
    try:
        if states is not None and states.num_rows:
            con.register("_states_in", states)
            st = con.sql(f"""SELECT make_timestamp(ts_us) AS ts, session_id, old_state, new_state,
                                        {fid}::BIGINT AS file_id, seq FROM _states_in""").to_arrow_table()
        else:
            st = con.sql(_empty(STATE_TYPES)).to_arrow_table()
        con.register("_states", st)
        rib = "_rows" if complete_rib and table is not None else f"({_empty([('session_id', 'BIGINT'), ('kind', 'UTINYINT'), ('start_key', 'BIGINT'), ('file_id', 'BIGINT')])})"
        if table is not None:
            con.register("_rows", table)
        resets = con.sql(f"SELECT session_id, reset_key, file_id::BIGINT AS file_id FROM ({reset_keys('_states', rib)}) "
                             "ORDER BY session_id, reset_key").to_arrow_table()
    finally:
        con.close()
    for key, t, us in (("state_days", st, lambda t: t.column("ts").cast(pa.int64()).to_numpy()),
                       ("reset_days", resets, lambda t: t.column("reset_key").to_numpy() // 4)):
        if not t.num_rows:
            continue
        days = _days_of(us(t))
        table_name = "states" if key == "state_days" else "resets"
        for d in np.unique(days):
            _write(t.filter(pa.array(days == d)), part_path(folder, table_name, collector, _day_name(d), name))
            out[key].append(_day_name(d))
    return out


# -- the day pass (a worker) -----------------------------------------------------------------------

def _files(paths: list[Path], types) -> str:
    if not paths:
        return f"({_empty(types)})"
    return "read_parquet([" + ", ".join(f"'{_q(p)}'" for p in paths) + "], hive_partitioning = false)"


def derive_day(folder: Path, collector: str, day: str, element_shas: list[str], reset_shas: list[str],
               threads: int = 1) -> dict:
    """The day pass of one collector and day over the named files' parts (see the module)."""
    folder = Path(folder)
    elements = [part_path(folder, "elements", collector, day, f"{s}.parquet") for s in sorted(element_shas)]
    resets = [part_path(folder, "resets", collector, day, f"{s}.parquet") for s in sorted(reset_shas)]
    con = _connect(threads)
    try:
        events = _files(elements, ROUTE_TYPES[:-1])
        con.execute(f"CREATE TEMP TABLE _ev AS SELECT {ROW_COLUMNS} FROM {events}")
        con.execute(f"""CREATE TEMP TABLE _d AS {route_ends(f'SELECT {ROW_COLUMNS}, file_id AS tb FROM _ev',
                                                              f'SELECT * FROM {_files(resets, RESET_TYPES)}',
                                                              ROW_COLUMNS)}""")
        _copy(con, f"SELECT {ROUTE_COLUMNS} FROM _d WHERE end_key IS NOT NULL ORDER BY start_key, file_id, seq",
              part_path(folder, "routes", collector, day, "ended.parquet"))
        _copy(con, f"SELECT {ROUTE_COLUMNS} FROM _d WHERE end_key IS NULL ORDER BY session_id, prefix_id, seq",
              part_path(folder, "work/carried", collector, day, "carried.parquet"))
        _copy(con, "SELECT session_id, prefix_id, min(start_key) AS start_key FROM _ev GROUP BY ALL ORDER BY ALL",
              part_path(folder, "work/touch", collector, day, "touch.parquet"))
        rows, carried = con.execute("SELECT count(*), count(*) FILTER (WHERE end_key IS NULL) FROM _d").fetchone()
    finally:
        con.close()
    write_atomically(part_path(folder, "routes", collector, day, MARK),
                     json.dumps({"files": digest(element_shas + reset_shas)}).encode())
    return {"collector": collector, "day": day, "rows": rows, "carried": carried}


def digest(shas: list[str]) -> str:
    return hashlib.sha256(" ".join(sorted(set(shas))).encode()).hexdigest()


def derived_digest(folder: Path, collector: str, day: str | None = None) -> str | None:
    """The digest a day (or, with no day, the collector's stitch) was last derived from."""
    mark = (part_path(folder, "routes", collector, day, MARK) if day
            else folder / "routes" / f"collector={collector}" / MARK)
    try:
        return json.loads(mark.read_text())["files"]
    except (OSError, ValueError, KeyError):
        return None


# -- the stitch (a worker per collector) -----------------------------------------------------------

def stitch_collector(folder: Path, collector: str, reset_paths: list[Path], threads: int = 1) -> dict:
    """Every carried row of the collector with its end (see the module), and the spans of the
    checkpoints to write (``write_checkpoint``, a task each). ``reset_paths``: the collector's reset
    parts of the files in the manifest."""
    folder = Path(folder)
    base = folder / "work" / "carried" / f"collector={collector}"
    days = sorted(p.name[4:] for p in base.glob("day=*") if (p / "carried.parquet").exists())
    if not days:
        return {"collector": collector, "days": 0, "carried": 0, "spans": []}
    con = _connect(threads)
    try:
        carried = f"read_parquet('{_q(base)}/day=*/carried.parquet', hive_partitioning = false)"
        touch = f"read_parquet('{_q(folder)}/work/touch/collector={_q(collector)}/day=*/touch.parquet', hive_partitioning = false)"
        con.execute(f"CREATE TEMP TABLE _c AS SELECT {ROW_COLUMNS} FROM {carried}")
        # A touch is an event before every real row of its key (tie-break -1): it ends an earlier
        # day's route to its pair, never one of its own day.
        con.execute(f"""CREATE TEMP TABLE _t AS SELECT session_id, prefix_id, 1::UTINYINT AS kind, start_key,
                               NULL::VARCHAR AS path, -1::BIGINT AS file_id, -1 AS seq
                        FROM {touch} SEMI JOIN (SELECT DISTINCT session_id, prefix_id FROM _c) USING (session_id, prefix_id)""")
        con.execute(f"""CREATE TEMP TABLE _f AS SELECT *, make_timestamp(start_key // 4)::DATE AS day FROM ({route_ends(
            f'SELECT {ROW_COLUMNS}, file_id AS tb FROM _c UNION ALL SELECT {ROW_COLUMNS}, -1 AS tb FROM _t',
            f'SELECT * FROM {_files(reset_paths, RESET_TYPES)}', ROW_COLUMNS)}) WHERE file_id <> -1""")
        for d in days:
            _copy(con, f"SELECT {ROUTE_COLUMNS} FROM _f WHERE day = DATE '{d}' ORDER BY start_key, file_id, seq",
                  part_path(folder, "routes", collector, d, "carried.parquet"))
        # Checkpoints that no longer hold (the days of data changed) go; the new ones are
        # written by write_checkpoint, a task each.
        spans = checkpoint_spans(days)
        keep = {checkpoint_path(folder, collector, since, until).parent for since, until in spans}
        for old in (folder / "held" / f"collector={collector}").glob("since=*/until=*"):
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)
                if not any(old.parent.iterdir()):
                    old.parent.rmdir()
        _copy(con, f"SELECT DISTINCT prefix_id FROM {touch} ORDER BY 1",
              folder / "prefix_ids" / f"collector={collector}" / "prefix_ids.parquet")
        carried_rows = con.execute("SELECT count(*) FROM _f").fetchone()[0]
    finally:
        con.close()
    return {"collector": collector, "days": len(days), "carried": carried_rows, "spans": spans}


def checkpoint_spans(days: list[str]) -> list[tuple[str, str]]:
    """(since, until) of each checkpoint of a collector whose days of data are ``days`` (sorted): for
    each day of data after the first, valid from the day after the previous one (nothing happens in
    between); after the last, to ``FOREVER`` (the routes still held at the end of the data)."""
    after = [(date.fromisoformat(d) + timedelta(days=1)).isoformat() for d in days]
    return list(zip(after, days[1:])) + [(after[-1], FOREVER)] if days else []


def checkpoint_path(folder: Path, collector: str, since: str, until: str) -> Path:
    return folder / "held" / f"collector={collector}" / f"since={since}" / f"until={until}" / "held.parquet"


def write_checkpoint(folder: Path, collector: str, since: str, until: str, threads: int = 1) -> int:
    """One checkpoint (a task of its own, after the stitch): the carried rows of the days before
    ``until`` that are held at its 00:00; for the last span, the rows held at the end of the data."""
    folder = Path(folder)
    carried = (f"read_parquet('{_q(folder)}/routes/collector={_q(collector)}/day=*/carried.parquet', "
               "hive_partitioning = true, hive_types = {'day': 'DATE'})")
    if until == FOREVER:
        where = "end_key IS NULL"
    else:
        k0 = 4 * DAY_US * (date.fromisoformat(until) - date(1970, 1, 1)).days
        where = f"day < DATE '{until}' AND start_key < {k0} AND (end_key IS NULL OR end_key > {k0})"
    target = checkpoint_path(folder, collector, since, until)
    con = _connect(threads)
    try:
        _copy(con, f"SELECT {ROUTE_COLUMNS} FROM {carried} WHERE {where} ORDER BY session_id, prefix_id", target)
    finally:
        con.close()
    return pq.ParquetFile(target).metadata.num_rows


def mark_stitched(folder: Path, collector: str, all_shas: list[str]) -> None:
    """The collector's intervals and checkpoints are those of these files (written last)."""
    write_atomically(Path(folder) / "routes" / f"collector={collector}" / MARK,
                     json.dumps({"files": digest(all_shas)}).encode())


# -- the manifest (the driver) ---------------------------------------------------------------------

def manifest_table(rows: list[dict], types) -> pa.Table:
    arrow = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(),
             "VARCHAR[]": pa.list_(pa.string()), "UBIGINT": pa.uint64(), "INTEGER": pa.int32()}
    schema = pa.schema([(c, arrow[t]) for c, t in types])
    return pa.table({c: pa.array([r.get(c) for r in rows], schema.field(c).type) for c in schema.names}, schema=schema)


def append_part(folder: Path, table: str, name: str, data: pa.Table) -> None:
    """One part of the manifest (or of ``sessions``/``prefix_names``), written whole or not at all."""
    if data.num_rows:
        _write(data, folder / table / f"{name}.parquet")

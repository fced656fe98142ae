"""A partitioned dataset: the store as Parquet files in a folder, written by many workers at once and
read by DuckDB (here, or Spark and Trino elsewhere) under the store's own table and view names.

Layout of ``DIR`` (``collector`` and ``day`` are Hive partitions; ``day`` is the UTC day of a row's
``start_key``, see ``explorer/store/intervals.py``; ``<sha>`` is a file's sha256)::

    dataset.json                                    what this folder is (format, version)
    manifest/<run>-<n>.parquet                      one row per input file and attempt: the store's
                                                    ``files`` columns (file_id = order_key, from the
                                                    sha256) and the days its parts cover
    sessions/<run>-<n>.parquet                      session_id, collector, peer_ip, peer_asn
    prefix_names/<run>-<n>.parquet                  prefix_id, prefix (IPv6 texts)
    elements/collector=C/day=D/<sha>.parquet        a file's rows of that day, as its worker decoded them
    states/collector=C/day=D/<sha>.parquet          its BGP state changes
    resets/collector=C/day=D/<sha>.parquet          the instants that end all of a session's routes
    routes/collector=C/day=D/ended.parquet          the day's rows whose route ends that same day
    routes/collector=C/day=D/carried.parquet        the day's rows still held at its end, with their end
                                                    (NULL: still held at the end of the data)
    held/collector=C/since=S/until=U/held.parquet   a checkpoint: the rows held at 00:00 of every day
                                                    from S to U that started before S, with their end
                                                    (U a day of data, S the day after the previous
                                                    one; after the last day, U = 9999-12-31: the
                                                    rows still held at the end of the data)
    prefix_ids/collector=C/prefix_ids.parquet       every prefix id the collector's rows name
    work/carried, work/touch                        the day pass's summaries for the stitch

Rows of ``routes`` and ``held`` have the store's columns (session_id, prefix_id, kind,
start_key, path, file_id, seq, end_key). Ids: ``explorer/store/ids.py``; ``file_id`` is the file's
order key, the first 15 hex digits of its sha256 as an integer.

Reading a window. A route held across midnight starts in an earlier day's partition; so that a
window reads only the partitions of the days it touches, ``routes`` and ``routes_open`` are views
over the days ``[lo, hi]`` that a query names (DuckDB variables ``bgpx_day_lo``/``bgpx_day_hi``, set
around each windowed query by ``explorer.store.queries``), plus the routes held at ``lo``'s 00:00
that started earlier (the checkpoint whose span holds ``lo``). Every row appears once. Without
the variables (a query by hand, ``info``), the views read every day and no checkpoint. DuckDB
prunes the other partitions from their paths alone (EXPLAIN ANALYZE: "Scanning Files: k/n").
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from explorer.store.cache import StoreCache
from explorer.store.errors import StoreError
from explorer.store.imports import KEPT
from explorer.store.schema import REGISTRY, SCHEMA_VERSION, VIEWS
from explorer.store.store import Reader

FORMAT = "bgp-explorer-dataset"
VERSION = 1
MARKER = "dataset.json"
DAY_US = 86_400 * 1_000_000
ROW_COLUMNS = "session_id, prefix_id, kind, start_key, path, file_id, seq"
ROUTE_COLUMNS = ROW_COLUMNS + ", end_key"
LO, HI = "bgpx_day_lo", "bgpx_day_hi"       # the DuckDB variables the views read

# Types of what the workers and the driver write, so a folder with no file yet reads as empty.
FILE_COLUMNS = [("file_id", "BIGINT"), ("path", "VARCHAR"), ("size", "BIGINT"), ("sha256", "VARCHAR"),
                ("order_key", "BIGINT"), ("kind", "VARCHAR"), ("collector", "VARCHAR"), ("backend", "VARCHAR"),
                ("first_ts", "TIMESTAMP"), ("last_ts", "TIMESTAMP"), ("snapshot_ts", "TIMESTAMP"),
                ("rib_entries", "BIGINT"), ("announcements", "BIGINT"), ("withdrawals", "BIGINT"),
                ("state_changes", "BIGINT"), ("records", "BIGINT"), ("status", "VARCHAR"), ("reason", "VARCHAR"),
                ("filter", "VARCHAR"), ("imported_at", "TIMESTAMP"), ("elapsed_s", "DOUBLE"),
                ("element_days", "VARCHAR[]"), ("state_days", "VARCHAR[]"), ("reset_days", "VARCHAR[]")]
ROUTE_TYPES = [("session_id", "BIGINT"), ("prefix_id", "BIGINT"), ("kind", "UTINYINT"), ("start_key", "BIGINT"),
               ("path", "VARCHAR"), ("file_id", "BIGINT"), ("seq", "INTEGER"), ("end_key", "BIGINT")]
STATE_TYPES = [("ts", "TIMESTAMP"), ("session_id", "BIGINT"), ("old_state", "UTINYINT"), ("new_state", "UTINYINT"),
               ("file_id", "BIGINT"), ("seq", "INTEGER")]
RESET_TYPES = [("session_id", "BIGINT"), ("reset_key", "BIGINT"), ("file_id", "BIGINT")]
KEPT_STATUSES = KEPT             # statuses whose content is in (the store's rule)


def is_dataset(path: str | os.PathLike) -> bool:
    return (Path(path) / MARKER).is_file()


def create_dataset(folder: str | os.PathLike) -> Path:
    """Make ``folder`` a dataset (or check that it is one); refuses a folder holding anything else."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a folder: --dataset names a folder (the dataset's).")
    if folder.is_dir() and not is_dataset(folder) and any(p for p in folder.iterdir() if not p.name.startswith(".")):
        raise StoreError(f"{folder} holds other files and is not a dataset: name an empty or new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.exists():
        write_atomically(marker, json.dumps({"format": FORMAT, "version": VERSION}).encode())
    else:
        _check_marker(folder)
    return folder


def write_atomically(target: Path, data: bytes) -> None:
    tmp = temporary_name(target)
    tmp.write_bytes(data)
    os.replace(tmp, target)


def temporary_name(target: Path) -> Path:
    """Where a part is written before it is renamed to ``target``: hidden, and ending in neither
    .parquet nor .json, so no reader's glob sees it; unique per process and attempt."""
    return target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")


def day_text(key: int) -> str:
    """The partition day of an ordering key (microseconds * 4 + phase)."""
    return datetime.fromtimestamp(key // 4 // DAY_US * 86_400, timezone.utc).strftime("%Y-%m-%d")


def part_path(folder: Path, table: str, collector: str, day: str, name: str) -> Path:
    return folder / table / f"collector={collector}" / f"day={day}" / name


def _check_marker(folder: Path) -> None:
    try:
        doc = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder / MARKER} cannot be read ({exc}): not a bgp-explorer dataset.") from None
    if doc.get("format") != FORMAT:
        raise StoreError(f"{folder} is not a bgp-explorer dataset ({MARKER} names {doc.get('format')!r}).")
    if int(doc.get("version", 0)) > VERSION:
        raise StoreError(f"{folder} was written by a newer bgp-explorer (dataset version {doc['version']}; this "
                         f"version reads up to {VERSION}). Nothing was changed.")


def _q(path: Path | str) -> str:
    return str(path).replace("'", "''")


def _empty(types) -> str:
    return "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in types) + " WHERE false"


def _glob(folder: Path, pattern: str) -> bool:
    return next(folder.glob(pattern), None) is not None


def _parquet(folder: Path, pattern: str, types, hive: dict[str, str] | None = None) -> str:
    """A relation over the files matching ``pattern`` (typed and empty when there is none)."""
    if not _glob(folder, pattern):
        cols = list(types) + [(k, v) for k, v in (hive or {}).items()]
        return f"({_empty(cols)})"
    options = ""
    if hive:
        options = ", hive_partitioning = true, hive_types = {" + ", ".join(f"'{k}': '{v}'" for k, v in hive.items()) + "}"
    return f"read_parquet('{_q(folder)}/{pattern}'{options})"


def attach_dataset(con: duckdb.DuckDBPyConnection, folder: str | os.PathLike) -> None:
    """Tables and views with the store's names over the dataset in ``folder``, in ``con`` (an
    in-memory DuckDB connection): what every analysis, export and the window read."""
    folder = Path(folder)
    _check_marker(folder)
    day = {"collector": "VARCHAR", "day": "DATE"}
    manifest = _parquet(folder, "manifest/*.parquet", FILE_COLUMNS)
    con.execute(f"""CREATE TABLE meta AS SELECT * FROM (VALUES ('schema_version', '{SCHEMA_VERSION}'),
                    ('layout', 'dataset'), ('dataset', '{_q(folder)}')) t(key, value)""")
    # The latest outcome of each file (a file that failed once and went in on a rerun is in).
    con.execute(f"""CREATE VIEW files AS SELECT * EXCLUDE (_n) FROM (
                        SELECT *, row_number() OVER (PARTITION BY sha256 ORDER BY imported_at DESC, status) AS _n
                        FROM {manifest}) WHERE _n = 1""")
    con.execute(f"""CREATE VIEW sessions AS SELECT DISTINCT session_id, collector, peer_ip, peer_asn::UBIGINT AS peer_asn
                    FROM {_parquet(folder, 'sessions/*.parquet', [('session_id', 'BIGINT'), ('collector', 'VARCHAR'),
                                                                  ('peer_ip', 'VARCHAR'), ('peer_asn', 'UBIGINT')])}""")
    con.execute(f"""CREATE VIEW prefix_names AS SELECT DISTINCT prefix_id, prefix
                    FROM {_parquet(folder, 'prefix_names/*.parquet', [('prefix_id', 'BIGINT'), ('prefix', 'VARCHAR')])}""")
    kept = f"SELECT file_id FROM files WHERE status IN {KEPT_STATUSES}"
    # Parts of a file are read once the manifest records it (a worker lost after writing them is redone).
    con.execute(f"""CREATE VIEW state_changes AS SELECT {', '.join(c for c, _ in STATE_TYPES)}
                    FROM {_parquet(folder, 'states/*/*/*.parquet', STATE_TYPES, day)} WHERE file_id IN ({kept})""")
    con.execute(f"""CREATE VIEW session_resets AS SELECT session_id, reset_key, file_id
                    FROM {_parquet(folder, 'resets/*/*/*.parquet', RESET_TYPES, day)} WHERE file_id IN ({kept})""")
    lo, hi = f"getvariable('{LO}')", f"getvariable('{HI}')"
    con.execute(f"""CREATE VIEW _route_rows AS
        SELECT {ROUTE_COLUMNS} FROM {_parquet(folder, 'routes/*/*/*.parquet', ROUTE_TYPES, day)}
        WHERE day BETWEEN coalesce({lo}, DATE '0001-01-01') AND coalesce({hi}, DATE '9999-12-31')
        UNION ALL
        SELECT {ROUTE_COLUMNS} FROM {_parquet(folder, 'held/*/*/*/held.parquet', ROUTE_TYPES,
                                              {'collector': 'VARCHAR', 'since': 'DATE', 'until': 'DATE'})}
        WHERE since <= {lo} AND {lo} <= until""")
    con.execute("CREATE VIEW routes AS SELECT * FROM _route_rows WHERE end_key IS NOT NULL")
    con.execute("CREATE VIEW routes_open AS SELECT * FROM _route_rows WHERE end_key IS NULL")
    con.execute(f"""CREATE VIEW dataset_prefix_ids AS SELECT DISTINCT prefix_id
                    FROM {_parquet(folder, 'prefix_ids/*/*.parquet', [('prefix_id', 'BIGINT')], {'collector': 'VARCHAR'})}""")
    con.execute(REGISTRY)               # the registry is the analyst's, per store: empty here (iptocc answers)
    con.execute(VIEWS)


class DatasetStore:
    """A dataset opened read-only, with what the analyses, the exports and the window use of a
    ``Store``: ``con``, ``cursor()``, ``reader()``, ``cache``, ``path``, ``schema_version``."""

    read_only = True
    is_dataset = True

    def __init__(self, path: str | os.PathLike, *, threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_dir():
            raise StoreError(f"No dataset at {self.path}: make one with bgp-explorer ingest --dataset DIR PATH...")
        self.cache = StoreCache()
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        try:
            attach_dataset(self.con, self.path)
        except duckdb.Error as exc:
            self.con.close()
            raise StoreError(f"{self.path}: the dataset cannot be read ({str(exc).splitlines()[0]}).") from None
        except BaseException:
            self.con.close()
            raise

    schema_version = SCHEMA_VERSION

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "DatasetStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def reader(self) -> Reader:
        return Reader(self.con.cursor(), self.cache)

    def transaction(self, con=None):
        raise StoreError(f"{self.path} is a dataset, read-only here: add files with "
                         "bgp-explorer ingest --dataset DIR PATH...")


def days_between(lo_key: int, hi_key: int) -> tuple[date, date]:
    """The UTC days of two ordering keys."""
    return (datetime.fromtimestamp(max(0, lo_key) // 4 // DAY_US * 86_400, timezone.utc).date(),
            datetime.fromtimestamp(max(0, hi_key) // 4 // DAY_US * 86_400, timezone.utc).date())


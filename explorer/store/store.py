"""Opening the store: one DuckDB file, its schema version, and the one writer connection.

DuckDB lets one process write a file. That process holds ``Store.con``; each thread that
reads takes its own ``Store.reader()`` (DuckDB's guidance for Python threads: a cursor per thread),
which also carries the store's one ``StoreCache``.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from explorer.store.cache import StoreCache
from explorer.store.errors import (StoreDamagedError, StoreError, StoreLockedError, StoreMigrationNeeded,
                                   StoreVersionError)
from explorer.store.migrate import MIGRATIONS
from explorer.store.schema import CREATE, SCHEMA_VERSION

# A new store's block size. DuckDB's default is 256 KiB; a table's last, partly filled block per
# column then costs up to 256 KiB, and a store of a few files was a tenth larger than with 64 KiB.
BLOCK_SIZE = 65_536
# ``Store.compact`` copies a file of at most COMPACT_MAX_BYTES when at least COMPACT_FREE_SHARE of it
# is free, and one under COMPACT_SMALL_BYTES (a copy of a few seconds) when any block is: the blocks in
# use are partly empty too then (a store of the 35 real files: 283 used blocks, 250 after a copy).
COMPACT_FREE_SHARE = 0.15
COMPACT_MAX_BYTES = 1 << 30
COMPACT_SMALL_BYTES = 256 << 20


class Store:
    """A routing-history store. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, threads: int | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self.cache = StoreCache()
        if read_only and not self.path.exists():
            raise StoreError(f"No store at {self.path}: import some files first (bgp-explorer ingest PATH).")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not read_only and self.path.exists() and self.path.stat().st_size:
            _check_before_writing(self.path)
        creating = not self.path.exists()
        try:
            self.con = _connect(self.path, read_only)
        except BaseException:
            if creating:
                _remove_new_store(self.path)
            raise
        self._threads = threads
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        try:
            _guarded(self.path, lambda: _check_whole(self.con, self.path))
            _guarded(self.path, self._check_schema)
        except BaseException:
            self.con.close()
            if creating:        # a store whose creation failed (a full disk) is not left as an empty file
                _remove_new_store(self.path)
            raise

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def compact(self, *, min_free_share: float = COMPACT_FREE_SHARE,
                max_bytes: int = COMPACT_MAX_BYTES) -> tuple[int, int] | None:
        """Give back the blocks that earlier transactions left free, when they are at least
        ``min_free_share`` of a file of at most ``max_bytes``: the store is copied into a new file,
        which then takes its name. (DuckDB reuses free blocks but never shrinks a file: a small store
        fed by a slow parser, a transaction a second, ended a third free.) Returns (bytes before,
        after), or None when nothing was done. Every cursor of this store must be closed; a failure
        leaves the store as it was."""
        if self.read_only:
            return None
        self.con.execute("CHECKPOINT")
        block_size, total, free = self.con.execute(
            "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() "
            "WHERE database_name = current_database()").fetchone()
        before = self.path.stat().st_size
        worth = free >= min_free_share * total or (free and before <= COMPACT_SMALL_BYTES)
        if not total or not worth or before > max_bytes:
            return None
        if shutil.disk_usage(self.path.parent).free < before:      # the copy needs room beside the file
            return None
        copy = self.path.with_name(f".{self.path.name}.compacting-{os.getpid()}")
        self.con.close()
        try:
            with duckdb.connect() as con:
                con.execute(f"ATTACH '{_sql_text(self.path)}' AS old (READ_ONLY)")
                con.execute(f"ATTACH '{_sql_text(copy)}' AS new (BLOCK_SIZE {int(block_size)})")
                con.execute("COPY FROM DATABASE old TO new")
                con.execute("DETACH new")
            os.replace(copy, self.path)
        finally:
            _remove_new_store(copy)
            self.con = _connect(self.path, False)
            if self._threads:
                self.con.execute(f"SET threads = {int(self._threads)}")
        return before, self.path.stat().st_size

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for one thread (reads, or the writer's own work off the main thread)."""
        return self.con.cursor()

    def reader(self) -> "Reader":
        """A connection for one thread that reads, with the store's cache (close it, or use ``with``)."""
        return Reader(self.con.cursor(), self.cache)

    @contextmanager
    def transaction(self, con: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Everything inside lands together or not at all (also on Ctrl-C)."""
        con = con or self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- schema ----------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or row[0] is None:
            raise StoreDamagedError(f"{self.path}: its meta table names no schema_version, so this program cannot "
                                    "tell how to read it; nothing was changed.")
        try:
            return int(row[0])
        except ValueError:
            raise StoreDamagedError(f"{self.path}: its schema_version is {row[0][:40]!r}, not a number, so this "
                                    "program cannot tell how to read it; nothing was changed.") from None

    def _check_schema(self) -> None:
        tables = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if not tables:
            if self.read_only:
                raise StoreError(f"{self.path} is an empty database, not a routing-history store.")
            with self.transaction():
                self.con.execute(CREATE)
                self.con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created_by', ?)",
                                 [str(SCHEMA_VERSION), _program()])
            return
        if "meta" not in tables:
            raise StoreError(f"{self.path} is a DuckDB file but not a routing-history store (no 'meta' table).")
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} was written by a newer version of bgp-explorer (store schema {version}; this "
                f"version reads up to {SCHEMA_VERSION}). Nothing was changed. Upgrade bgp-explorer, or use "
                f"another store with --store.")
        if version < SCHEMA_VERSION:
            if self.read_only:      # the command line's readers migrate it (explorer.cli.common.open_reading)
                raise StoreMigrationNeeded(
                    f"{self.path} has schema {version} and needs migrating to {SCHEMA_VERSION}: any bgp-explorer "
                    "command (e.g. bgp-explorer info) or the window migrates it, keeping a copy of the old file "
                    f"as {self.path.name}.schema{version}.bak.")
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Copy the file aside, then apply each step in one transaction."""
        self.con.execute("CHECKPOINT")
        backup = self.path.with_name(f"{self.path.name}.schema{version}.bak")
        self.con.close()
        shutil.copy2(self.path, backup)
        self.con = _connect(self.path, False)
        with self.transaction():
            for step in range(version + 1, SCHEMA_VERSION + 1):
                migration = MIGRATIONS[step]
                if callable(migration):
                    migration(self.con)
                else:
                    self.con.execute(migration)
            self.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        self.migrated_from = (version, backup)
        self.compact(max_bytes=1 << 62)     # a migration writes tables anew: the old ones' space is given back


class Reader:
    """A DuckDB cursor of one store with that store's ``cache``; everything else is the cursor's own
    (``execute`` is the cursor's bound method, so DuckDB still finds the caller's Arrow tables)."""

    __slots__ = ("con", "cache")

    def __init__(self, con: duckdb.DuckDBPyConnection, cache: StoreCache):
        self.con, self.cache = con, cache

    def __getattr__(self, name: str):
        return getattr(self.con, name)

    def cursor(self) -> "Reader":
        return Reader(self.con.cursor(), self.cache)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()


def _remove_new_store(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        try:
            leftover.unlink()
        except OSError:
            pass


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        if not read_only and not path.exists():
            _create_file(path)
        con = duckdb.connect(str(path), read_only=read_only)
        # no progress bar: DuckDB draws one on the terminal for long statements, over the command's output
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            holder = f" (process {pid.group(1)})" if pid else ""
            raise StoreLockedError(
                f"{path} is open for writing in another program{holder}. Close it, or wait for its import "
                "to finish; nothing was changed.") from None
        if "No space left" in text:
            raise StoreError(f"No space left on the disk holding {path}: the store could not be written there; "
                             "nothing was kept. Free some space, or use another store with --store.") from None
        raise StoreError(f"Cannot open {path}: {text}") from None
    except duckdb.Error as exc:
        raise StoreError(f"Cannot open {path} as a store: {exc}") from None


def _create_file(path: Path) -> None:
    """A new, empty DuckDB file with ``BLOCK_SIZE`` blocks (DuckDB keeps a file's block size in its header)."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{_sql_text(path)}' AS fresh (BLOCK_SIZE {BLOCK_SIZE})")
        con.execute("DETACH fresh")


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _check_whole(con, path: Path) -> None:
    """The file holds as many blocks as its header counts in use (a copy cut short does not). Free
    blocks are not counted: DuckDB cuts free blocks off the end of the file at a checkpoint, and
    still counts them (a store whose last block was freed: 27 blocks in the file, 28 counted, 2 free)."""
    block_size, blocks, free = con.execute("SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() "
                                           "WHERE database_name = current_database()").fetchone()
    size = path.stat().st_size
    if size < block_size * (blocks - free):
        raise StoreDamagedError(f"{path} is cut short: {size:,} bytes where its header counts {blocks - free:,} "
                                f"blocks in use of {block_size:,} bytes; nothing was changed. Restore it from a copy, "
                                "or use another store with --store.")


def _check_before_writing(path: Path) -> None:
    """A damaged file is told before anything could be written to it (DuckDB, opening a file for
    writing, may rewrite its header). What cannot be opened read-only is left to the writer's own
    open to report (a lock, not a DuckDB file); a file this process holds open was checked then."""
    try:
        probe = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return
    try:
        _guarded(path, lambda: _check_whole(probe, path))
    finally:
        probe.close()


def _guarded(path: Path, check) -> None:
    """A check whose reads fail (DuckDB's IO or internal errors) says the file is damaged."""
    try:
        check()
    except duckdb.Error as exc:
        if "No space left" in str(exc):
            raise StoreError(f"No space left on the disk holding {path}: the store could not be written there; "
                             "nothing was kept. Free some space, or use another store with --store.") from None
        raise StoreDamagedError(f"{path} cannot be read as a store ({_first_line(exc)}); nothing was changed. "
                                "Restore it from a copy, or use another store with --store.") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _program() -> str:
    from explorer import __version__

    return f"bgp-explorer {__version__}"

"""What every command shares: exit statuses, which store a command works on, and opening it to read."""

from __future__ import annotations

import sys
from pathlib import Path

from explorer.store import SCHEMA_VERSION, Store, StoreError, StoreMigrationNeeded, resolve_store_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def store_path(args) -> Path:
    """The store a command works on: the demo's when ``--demo`` is given, else ``resolve_store_path``."""
    if getattr(args, "demo", False):
        from explorer.demo import ensure_demo_store

        return ensure_demo_store()
    return resolve_store_path(getattr(args, "store", None))


def open_reading(path: Path) -> Store:
    """The store opened read-only, so that other readers (two exports at once) can open it too; a
    store of an older schema is migrated once first (a backup is kept beside it, and we say so). A
    dataset folder (``bgp-explorer ingest --dataset``) is opened read-only over its Parquet files."""
    from explorer.store.dataset import DatasetStore, is_dataset

    if is_dataset(path):
        return DatasetStore(path)
    if not path.exists():
        raise StoreError(f"No store at {path}: import some files first (bgp-explorer ingest PATH).")
    try:
        return Store(path, read_only=True)
    except StoreMigrationNeeded:
        pass
    with Store(path) as writer:                 # migrates, after copying the file aside
        version, backup = writer.migrated_from
    print(f"bgp-explorer: migrated {path} from store schema {version} to {SCHEMA_VERSION}; the old file is kept "
          f"as {backup}", file=sys.stderr)
    return Store(path, read_only=True)


def say(command: str, message: str) -> None:
    print(f"bgp-explorer {command}: {message}", file=sys.stderr)

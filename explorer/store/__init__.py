"""The routing-history store: one DuckDB file, its schema, and the queries over it."""

from explorer.store.errors import (StoreDamagedError, StoreError, StoreLockedError, StoreMigrationNeeded,
                                   StoreVersionError)
from explorer.store.location import resolve_store_path
from explorer.store.schema import SCHEMA_VERSION
from explorer.store.store import Store

__all__ = ["SCHEMA_VERSION", "Store", "StoreDamagedError", "StoreError", "StoreLockedError", "StoreMigrationNeeded",
           "StoreVersionError", "resolve_store_path"]

"""The routing-history store: one DuckDB file, its schema, and the queries over it."""

from explorer.store.errors import StoreError, StoreLockedError, StoreVersionError
from explorer.store.location import resolve_store_path
from explorer.store.store import Store

__all__ = ["Store", "StoreError", "StoreLockedError", "StoreVersionError", "resolve_store_path"]

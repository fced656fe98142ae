"""Errors the store raises, each in words a user can act on."""

from duckdb import Error as DatabaseError  # noqa: F401  (a read that fails mid-query: the file is damaged)


class StoreError(Exception):
    """Something about the store file stops us; the message says what and what to do."""


class StoreLockedError(StoreError):
    """Another process holds the store open for writing."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of this program."""


class StoreMigrationNeeded(StoreError):
    """A store of an older schema opened read-only: it must be opened once for writing to migrate."""


class StoreDamagedError(StoreError):
    """The file is not a whole store (cut short, or its meta table damaged); nothing was changed."""

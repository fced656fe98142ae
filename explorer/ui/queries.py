"""The window's requests, each run on the query worker with a cursor of its own (DuckDB: one cursor
per thread). Plain functions: no Qt here, so they are tested and benchmarked without a window."""

from __future__ import annotations

from explorer.viewmodel.view import ViewData, countries_in_store, load_view
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.state import ViewState

US = 1_000_000


def view(store, state: ViewState, cancelled=lambda: False) -> ViewData:
    con = store.cursor()
    try:
        return load_view(con, state, cancelled=cancelled)
    finally:
        con.close()


def countries(store, at: int, cancelled=lambda: False) -> list[tuple[str, str, int]]:
    """(code, name, prefixes in the store) for every country with a prefix in the store."""
    con = store.cursor()
    try:
        return countries_in_store(con, at)
    finally:
        con.close()


def status(store, cancelled=lambda: False) -> tuple[str, str]:
    """(short text for the status bar, the long one for its tooltip)."""
    con = store.cursor()
    try:
        files, backends, first, last = con.execute("""
            SELECT count(*), string_agg(DISTINCT backend, ', '), epoch(min(first_ts))::BIGINT, epoch(max(last_ts))::BIGINT
            FROM files WHERE status IN ('ok', 'truncated', 'damaged')""").fetchone()
    finally:
        con.close()
    label = get_meta(store, DEMO_LABEL_KEY)
    demo = f"  {label}." if label else ""
    from explorer.ui.style import utc

    span = f", {utc(first)[:10]} to {utc(last)[:10]}" if first is not None else ", empty: File > Import MRT files"
    short = f"{store.path.name} ({files} files{span}; {backends or '-'}).{demo}"
    return short, f"Store {store.path}: {files} files{span}; parser backend: {backends or '-'}.{demo}"


def preset(store, which: str, cancelled=lambda: False) -> tuple[int, int] | None:
    """'whole': the store's span; 'last24': its last 24 hours."""
    con = store.cursor()
    try:
        first, last = con.execute("SELECT epoch(min(first_ts))::BIGINT, epoch(max(last_ts))::BIGINT FROM files "
                                  "WHERE status IN ('ok', 'truncated', 'damaged')").fetchone()
    finally:
        con.close()
    if first is None:
        return None
    return (int(first), int(last) + 1) if which == "whole" else (max(int(first), int(last) + 1 - 86400), int(last) + 1)

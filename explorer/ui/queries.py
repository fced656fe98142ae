"""The window's requests, each run on the query worker with a cursor of its own (DuckDB: one cursor
per thread). Plain functions: no Qt here, so they are tested and benchmarked without a window."""

from __future__ import annotations

from explorer.analysis.view import ViewData, load_view
from explorer.briefing.state import ViewState

US = 1_000_000


def view(store, state: ViewState, cancelled=lambda: False) -> ViewData:
    con = store.cursor()
    try:
        data = load_view(con, state, cancelled=cancelled)
        data.names, data.countries = as_names(con, data.layout.asns.tolist())
        return data
    finally:
        con.close()


def as_names(con, asns: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """AS names and countries from the registry when it is there; none otherwise."""
    try:
        from explorer.registry.mapping import as_countries, as_names as names_of, mapping_for
    except ImportError:
        return {}, {}
    try:
        names = {a: n for a, n in names_of(con, asns).items() if n}
        countries = {a: c for a, c in as_countries(con, asns, mapping_for(con, 0)).items() if c}
        return names, countries
    except Exception:                       # names are a courtesy: the graph draws without them
        return {}, {}


def countries(store, cancelled=lambda: False) -> list[tuple[str, str, int]]:
    """(code, name, prefixes in the store) for every country with a prefix in the store."""
    try:
        from explorer.ui.country_list import country_counts
    except ImportError:
        return []
    con = store.cursor()
    try:
        return country_counts(con)
    finally:
        con.close()


def status(store, cancelled=lambda: False) -> str:
    con = store.cursor()
    try:
        files, backends, first, last = con.execute("""
            SELECT count(*), string_agg(DISTINCT backend, ', '), epoch(min(first_ts))::BIGINT, epoch(max(last_ts))::BIGINT
            FROM files WHERE status IN ('ok', 'truncated', 'damaged')""").fetchone()
    finally:
        con.close()
    demo = "  Demo: synthetic reconstruction of public reports, not measured data." if "demo" in store.path.name else ""
    from explorer.ui.style import utc

    span = f", {utc(first)} to {utc(last)}" if first is not None else ", empty: File > Import MRT files"
    return f"Store {store.path} ({files} files{span}); parser backend: {backends or '-'}.{demo}"


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

"""The window's requests, each run on a query worker with a reader of its own (DuckDB: one cursor per
thread). Plain functions over the view model and the store's named queries: no Qt here."""

from __future__ import annotations

from explorer.state import ViewState
from explorer.store.meta import DEMO_LABEL_KEY, get_meta
from explorer.store.queries import kept_span, kept_summary
from explorer.ui.style import utc
from explorer.viewmodel.view import ViewData, countries_in_store, load_view


def view(store, state: ViewState, cancelled=lambda: False, within: ViewState | None = None) -> ViewData:
    with store.reader() as con:
        return load_view(con, state, cancelled=cancelled, within=within)


def countries(store, at: int, cancelled=lambda: False) -> list[tuple[str, str, int]]:
    """(code, name, prefixes in the store) for every country with a prefix in the store."""
    with store.reader() as con:
        return countries_in_store(con, at)


def status(store, cancelled=lambda: False) -> tuple[str, str]:
    """(short text for the status bar, the long one for its tooltip)."""
    with store.reader() as con:
        kept = kept_summary(con)
    label = get_meta(store, DEMO_LABEL_KEY)
    demo = f"  {label}." if label else ""
    backends = ", ".join(kept.backends) or "-"
    span = (f", {utc(kept.first)[:10]} to {utc(kept.last)[:10]}" if kept.first is not None
            else ", empty: File > Import MRT files")
    short = f"{store.path.name} ({kept.files} files{span}; {backends}).{demo}"
    return short, f"Store {store.path}: {kept.files} files{span}; parser backend: {backends}.{demo}"


def preset(store, which: str, cancelled=lambda: False) -> tuple[int, int] | None:
    """'whole': the store's span; 'last24': its last 24 hours."""
    with store.reader() as con:
        first, last = kept_span(con)
    if first is None:
        return None
    first, last = round(first), round(last)        # as the status bar shows them
    return (first, last + 1) if which == "whole" else (max(first, last + 1 - 86400), last + 1)

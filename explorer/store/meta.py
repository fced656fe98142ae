"""Key-value facts about a store as a whole (the ``meta`` table), beyond its schema version.

The demo store records here that it is the demo, which scenario and version built it, and the
label every output shows; ``demo_label`` is the key readers look for.
"""

from __future__ import annotations

from explorer.store.store import Store

DEMO_LABEL_KEY = "demo_label"


def get_meta(store: Store, key: str) -> str | None:
    con = store.cursor()
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ? ORDER BY value LIMIT 1", [key]).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def set_meta(store: Store, values: dict[str, str]) -> None:
    """Set several keys in one transaction (a key set again replaces its value)."""
    with store.transaction() as con:
        for key, value in values.items():
            con.execute("DELETE FROM meta WHERE key = ?", [key])
            con.execute("INSERT INTO meta VALUES (?, ?)", [key, str(value)])

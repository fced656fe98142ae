"""Where the store lives unless the user says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "BGP_EXPLORER_STORE"
APP_NAME = "bgp-explorer"


def data_dir() -> Path:
    """The per-user data folder (``~/.local/share/bgp-explorer`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_store_path(explicit: str | os.PathLike | None = None) -> Path:
    """``--store PATH`` first, then ``$BGP_EXPLORER_STORE``, then the user's data folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return data_dir() / "history.duckdb"

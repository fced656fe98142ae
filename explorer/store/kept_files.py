"""Large results derived from a store (a whole view of the window: every route of the scope over the
week, its steps and series), kept in files beside the store so that a later process, or the same
window going back to a scope, reads them instead of computing them again.

``store.derived`` keeps small arrays in the store itself. A view is large (India's week in a store
of 200 M elements: 130 MB; Brazil's: 680 MB), and DuckDB is slow with large BLOBs: 112 MB took 3.6 s
to write (with its checkpoint) and 0.65 s to read back, 434 MB 16 s and 4.6 s. Plain ``.npy`` files
of Brazil's view are written in 0.2 s and read in 0.2 s. So each entry here is a folder of ``.npy``
files and a ``meta.json``, in the folder ``<store>.views`` next to the store's file:

- its name holds a digest of the store's files stamp (``queries.files_stamp``) and of its key: an
  import changes the stamp, and the entries of any other stamp are deleted at the next write
  (``drop_stale``, which the command line's ``ingest`` also calls);
- it is written under a temporary name and renamed, so an interrupted write leaves no entry, only a
  temporary folder that a later write removes;
- it is read with ``allow_pickle=False`` (a folder from elsewhere cannot make this program run
  code), its key and stamp checked against the ones asked for; a damaged entry reads as none;
- the folder keeps at most ``MAX_ENTRIES`` entries and ``MAX_BYTES``, the least recently read going
  first; an entry that would leave less than ``MIN_FREE`` on the disk is not written, nor is one
  of a read-only store or a folder that cannot be written (they are still read).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

MAX_ENTRIES = 12
MAX_BYTES = 4 << 30
MIN_FREE = 1 << 30              # left free on the disk after a write
META = "meta.json"


def folder_of(store_path: str | os.PathLike) -> Path:
    p = Path(store_path)
    return p.with_name(p.name + ".views")


def _where(con) -> tuple[Path | None, bool]:
    """(the store's file, whether it is open read-only); no file for an in-memory database."""
    row = con.execute("SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
                      ).fetchone()
    if not row or not row[0] or row[0] == ":memory:":
        return None, True
    return Path(row[0]), bool(row[1])


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _name(key: str, stamp_text: str) -> str:
    return f"{_digest(stamp_text)}-{_digest(key)}"


def read_kept(con, key: str, stamp) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(meta, arrays) kept under ``key`` for this ``stamp``, or None."""
    path, _ = _where(con)
    if path is None:
        return None
    stamp_text = repr(tuple(stamp))
    entry = folder_of(path) / _name(key, stamp_text)
    try:
        head = json.loads((entry / META).read_text())
        if head.get("key") != key or head.get("stamp") != stamp_text:
            return None
        arrays = {name: _load(entry / f"{name}.npy") for name in head["arrays"]}
    except (OSError, ValueError, EOFError, KeyError, TypeError, UnicodeDecodeError):
        return None
    try:
        os.utime(entry)                                     # recently read: evicted last
    except OSError:
        pass                                                # (a folder that cannot be written is still read)
    return head["value"], arrays


MAPPED = 1 << 24            # arrays larger than this are mapped, not read


def _load(path: Path) -> np.ndarray:
    """A kept array; a large one mapped from its file (read-only), so that what a view does not touch is
    never read: a cursor move reads the clock, not the United States' 2 GB of routes. (On Linux a
    mapped file stays readable after an import's tidying deletes it; elsewhere the deletion waits.)"""
    big = path.stat().st_size > MAPPED
    return np.load(path, allow_pickle=False, mmap_mode="r" if big else None)


def keep(con, key: str, stamp, meta: dict, arrays: dict[str, np.ndarray]) -> bool:
    """Write the entry (when the store can be written); returns whether it was kept."""
    path, read_only = _where(con)
    if path is None or read_only:
        return False
    stamp_text = repr(tuple(stamp))
    folder = folder_of(path)
    entry = folder / _name(key, stamp_text)
    temporary = folder / f".{entry.name}.{os.getpid()}.tmp"
    try:
        if shutil.disk_usage(path.parent).free < sum(np.asarray(v).nbytes for v in arrays.values()) + MIN_FREE:
            return False                                    # (a cache is not worth the disk's last gigabyte)
        folder.mkdir(exist_ok=True)
        _tidy(folder, _digest(stamp_text))
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        for name, value in arrays.items():
            np.save(temporary / f"{name}.npy", np.asarray(value), allow_pickle=False)
        (temporary / META).write_text(json.dumps({"key": key, "stamp": stamp_text, "arrays": list(arrays),
                                                  "value": meta}, default=_plain))
        shutil.rmtree(entry, ignore_errors=True)            # (a damaged entry of the same name)
        os.rename(temporary, entry)
        _evict(folder, entry)
    except (OSError, ValueError, TypeError):         # (not kept: the caller has its answer all the same)
        shutil.rmtree(temporary, ignore_errors=True)
        return False
    return True


def _plain(value):
    """NumPy scalars in the meta, as JSON numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _size(entry: Path) -> int:
    return sum(f.stat().st_size for f in entry.iterdir())


def _tidy(folder: Path, stamp_digest: str) -> None:
    """Remove the entries of other stamps, and temporary folders no writer is still writing."""
    for f in folder.iterdir():
        if f.name.endswith(".tmp"):
            if time.time() - f.stat().st_mtime > 3600:
                shutil.rmtree(f, ignore_errors=True)
        elif not f.name.startswith(stamp_digest + "-"):
            shutil.rmtree(f, ignore_errors=True)


def _entries(folder: Path) -> list[Path]:
    return [f for f in folder.iterdir() if f.is_dir() and not f.name.startswith(".")]


def _evict(folder: Path, keep_this: Path) -> None:
    total = 0
    for i, f in enumerate(sorted(_entries(folder), key=lambda f: f.stat().st_mtime, reverse=True)):
        total += _size(f)
        if f != keep_this and (i >= MAX_ENTRIES or total > MAX_BYTES):
            shutil.rmtree(f, ignore_errors=True)


def entries(store_path: str | os.PathLike) -> list[Path]:
    """The entries kept beside the store at ``store_path``."""
    folder = folder_of(store_path)
    return _entries(folder) if folder.is_dir() else []


def recent_keys(con, n: int) -> list[str]:
    """The keys of the ``n`` entries read most recently, whatever their stamp: what to compute again
    after an import (``viewmodel.view.refresh_views``)."""
    path, _ = _where(con)
    keys = []
    for entry in sorted(entries(path) if path else [], key=lambda f: f.stat().st_mtime, reverse=True)[:n]:
        try:
            keys.append(json.loads((entry / META).read_text())["key"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return keys


def drop_stale_files(con, stamp) -> int:
    """Delete the entries kept for other stamps than ``stamp``; returns how many went."""
    path, _ = _where(con)
    if path is None:
        return 0
    digest = _digest(repr(tuple(stamp)))
    stale = [f for f in entries(path) if not f.name.startswith(digest + "-")]
    for f in stale:
        shutil.rmtree(f, ignore_errors=True)
    return len(stale)

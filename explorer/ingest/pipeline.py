"""Ingest: files in, one store transaction per file out, with progress and an honest account.

``ingest`` is a generator of ``Started`` and ``Outcome`` events, and calls ``on_progress(path,
elements)`` as elements are read (one job only), so the command line draws bars and the window
(later) can drive a progress dialog from the same code.

With one job the main thread parses while a writer thread feeds DuckDB (which releases the GIL),
so parsing and storing overlap on two cores. With N jobs, N worker processes parse files (largest
first) into Arrow IPC files in a temporary folder and the main process stores each file as it is
ready; DuckDB has one writer, and it is this process.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from explorer.ingest.collectors import collector_from_path
from explorer.ingest.filters import ElementFilter, parse_filter
from explorer.ingest.reader import ReadResult, file_sha256, read_file
from explorer.store.imports import FileImport, FileRecord, find_imported, record_outcome
from explorer.store.store import Store

_NOT_MRT_SUFFIXES = {".md5", ".sha256", ".txt", ".md", ".json", ".csv", ".html", ".log", ".py", ".sig", ".asc"}


@dataclass
class Started:
    path: str
    size: int


@dataclass
class Outcome:
    """What became of one file. ``status`` adds 'already imported' and 'skipped' to the store's."""

    path: str
    status: str
    record: FileRecord | None = None
    reason: str | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "unsupported", "damaged")

    def summary(self) -> dict:
        r = self.record
        return {
            "path": self.path, "status": self.status,
            "collector": r.collector if r else None, "kind": r.kind if r else None,
            "backend": r.backend if r else None,
            "announcements": r.announcements if r else 0, "withdrawals": r.withdrawals if r else 0,
            "rib_entries": r.rib_entries if r else 0, "state_changes": r.state_changes if r else 0,
            "elapsed_s": round(r.elapsed_s, 3) if r else 0.0,
            "error": self.error or self.reason,
        }


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files named, and the files under folders named (recursively, skipping hidden files and
    checksums, notes and other obviously non-MRT files)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts) \
                        and f.suffix.lower() not in _NOT_MRT_SUFFIXES:
                    found.append(f)
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return found


def ingest(store: Store, paths: Iterable[str | os.PathLike], *, collector: str | None = None,
           filter_text: str | None = None, jobs: int = 1, backend: str = "auto",
           on_progress: Callable[[str, int], None] | None = None) -> Iterator[Started | Outcome]:
    """Import files into the store, one transaction each; yield progress and one Outcome per file."""
    flt = parse_filter(filter_text) if filter_text else None
    todo: list[tuple[Path, str, str]] = []
    for path in discover(paths):
        sha = file_sha256(path)
        earlier = find_imported(store, sha)
        if earlier:
            yield Outcome(str(path), "already imported",
                          reason=f"same content as {earlier[1]} (file {earlier[0]}, {earlier[2]}); nothing added")
            continue
        if any(sha == s for _, s, _ in todo):
            yield Outcome(str(path), "already imported", reason="same content as another file of this import")
            continue
        todo.append((path, sha, collector or collector_from_path(path.resolve())))
    if jobs <= 1 or len(todo) <= 1:
        yield from _ingest_inline(store, todo, flt, backend, on_progress)
    else:
        yield from _ingest_parallel(store, todo, flt, backend, jobs)


# -- one job ---------------------------------------------------------------------------------------

class _BackgroundWriter:
    """Feeds Arrow tables to a FileImport on its own thread, a couple of batches behind the parser."""

    def __init__(self, target: FileImport):
        self.target = target
        self.queue: queue.Queue = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (table := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.target.add(table)
                except BaseException as exc:     # reported on the calling thread by finish()
                    self.error = exc

    def put(self, table: pa.Table) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(table)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _ingest_inline(store, todo, flt, backend, on_progress):
    for path, sha, coll in todo:
        yield Started(str(path), path.stat().st_size)
        target = FileImport(store)
        writer = _BackgroundWriter(target)
        try:
            try:
                progress = (lambda n, p=str(path): on_progress(p, n)) if on_progress else None
                result = read_file(path, writer.put, backend=backend, flt=flt, collector=coll, sha256=sha,
                                   progress=progress)
            finally:
                writer.finish()
            yield _store(store, target, result, coll, flt)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            yield _failure(store, path, sha, coll, backend, flt, exc)
        finally:
            target.close()


# -- several jobs ----------------------------------------------------------------------------------

def _read_to_ipc(path: str, out: str, backend: str, filter_text: str | None, coll: str, sha: str) -> ReadResult:
    """Worker process: parse one file into an Arrow IPC stream file."""
    flt = parse_filter(filter_text) if filter_text else None
    writer = None

    def sink(table: pa.Table) -> None:
        nonlocal writer
        if writer is None:
            writer = pa.ipc.new_stream(out, table.schema)
        writer.write_table(table)

    try:
        return read_file(path, sink, backend=backend, flt=flt, collector=coll, sha256=sha)
    finally:
        if writer is not None:
            writer.close()


def _ingest_parallel(store, todo, flt, backend, jobs):
    staging = tempfile.mkdtemp(prefix="bgp-explorer-staging-")
    todo = sorted(todo, key=lambda t: t[0].stat().st_size, reverse=True)   # largest first: less idle at the end
    filter_text = flt.text if flt else None
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            pending = {}
            for i, (path, sha, coll) in enumerate(todo):
                out = os.path.join(staging, f"{i}.arrow")
                future = pool.submit(_read_to_ipc, str(path), out, backend, filter_text, coll, sha)
                pending[future] = (path, sha, coll, out)
                yield Started(str(path), path.stat().st_size)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    path, sha, coll, out = pending.pop(future)
                    yield _store_staged(store, future, path, sha, coll, out, flt, backend)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _store_staged(store, future, path, sha, coll, out, flt, backend) -> Outcome:
    target = FileImport(store)
    try:
        result = future.result()
        if os.path.exists(out):
            with pa.memory_map(out) as source:
                for batch in pa.ipc.open_stream(source):
                    target.add(batch)
            os.remove(out)
        return _store(store, target, result, coll, flt)
    except Exception as exc:
        return _failure(store, path, sha, coll, backend, flt, exc)
    finally:
        target.close()


# -- both ------------------------------------------------------------------------------------------

def _store(store: Store, target: FileImport, result: ReadResult, coll: str, flt: ElementFilter | None) -> Outcome:
    if result.skipped:
        return Outcome(result.path, "skipped", reason=result.skipped)
    record = FileRecord(path=result.path, size=result.size, sha256=result.sha256, kind=result.kind,
                        collector=coll, backend=result.backend, status=result.status, reason=result.reason,
                        filter=flt.text if flt and not flt.is_empty else None, records=result.records,
                        snapshot_ts_us=result.snapshot_ts_us, elapsed_s=result.elapsed_s)
    if result.status in ("ok", "truncated", "damaged"):
        target.commit(record, result.states)
    else:
        record_outcome(store, record)
    record.elapsed_s = result.elapsed_s + record.extra.get("store_s", 0.0)
    return Outcome(result.path, record.status, record=record, reason=record.reason)


def _failure(store, path, sha, coll, backend, flt, exc: Exception) -> Outcome:
    """The parser or the store failed on this file: nothing of it is kept; say so and go on."""
    reason = f"{type(exc).__name__}: {exc}"
    record = FileRecord(path=str(path), size=Path(path).stat().st_size, sha256=sha, kind="unknown",
                        collector=coll, backend=backend, status="failed", reason=reason,
                        filter=flt.text if flt and not flt.is_empty else None)
    try:
        record_outcome(store, record)
    except Exception:
        pass    # the store itself is failing; the outcome below still tells the user
    return Outcome(str(path), "failed", record=record, reason=reason, error=reason)

"""Ingest: files in, one store transaction per file out, with progress and an honest account.

``ingest`` is a generator of ``Started`` and ``Outcome`` events, and calls ``on_progress(path,
elements)`` as elements are read, so the command line draws bars and the window (later) can drive
a progress dialog from the same code.

Work is split by what holds Python's lock. ``jobs`` parser processes (pybgpkit-parser keeps the
GIL while it decodes) each turn a file into an Arrow IPC file in a temporary folder, largest
files first. This process, meanwhile, walks each file's MRT headers (``mrt_scan``) and stores
each parsed file in one transaction; DuckDB works outside the GIL and is the one writer.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from explorer.ingest.collectors import collector_from_path
from explorer.ingest.filters import ElementFilter, parse_filter
from explorer.ingest.mrt_scan import ScanResult, first_record_kind, scan_mrt
from explorer.ingest.reader import ParseStats, file_sha256, parse_to_sink, states_table, verdict
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


@dataclass
class _File:
    path: Path
    sha256: str
    collector: str
    kind: str                       # of its first record, for the parser
    staged: str = ""                # the parser's Arrow IPC file
    scan: ScanResult | None = None


def ingest(store: Store, paths: Iterable[str | os.PathLike], *, collector: str | None = None,
           filter_text: str | None = None, jobs: int = 1, backend: str = "auto",
           on_progress: Callable[[str, int], None] | None = None, together: int = 1) -> Iterator[Started | Outcome]:
    """Import files into the store, one transaction each; yield progress and one Outcome per file.

    ``together`` > 1 stores up to that many small, whole files of one collector in one transaction
    (the demo's build, which is atomic as a whole: its hundreds of 15-minute files cost more in
    statements than in rows). The command line keeps one transaction per file.
    """
    flt = parse_filter(filter_text) if filter_text else None
    todo: list[_File] = []
    for path in discover(paths):
        sha = file_sha256(path)
        earlier = find_imported(store, sha)
        if earlier:
            yield Outcome(str(path), "already imported",
                          reason=f"same content as {earlier[1]} (file {earlier[0]}, {earlier[2]}); nothing added")
            continue
        if any(sha == f.sha256 for f in todo):
            yield Outcome(str(path), "already imported", reason="same content as another file of this import")
            continue
        coll = collector or collector_from_path(path.resolve())
        kind = first_record_kind(path)
        if flt is not None and not flt.matches_file(coll, kind):
            yield Outcome(str(path), "skipped", reason=f"filtered out ({flt.text}): a {kind} file of {coll}")
            continue
        todo.append(_File(path, sha, coll, kind))
    if todo:
        yield from _run(store, todo, flt, backend, max(1, jobs), on_progress, max(1, together))


# -- parser processes ------------------------------------------------------------------------------

_progress: queue.Queue | None = None


def _init_worker(progress) -> None:
    global _progress
    _progress = progress
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: a parser process ends when the ingest that started it is killed."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)    # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_STAGING_PREFIX = "bgp-explorer-staging-"


def _staging_folder() -> str:
    """A fresh temporary folder; folders left by killed imports (their process gone) are removed."""
    tmp = Path(tempfile.gettempdir())
    if Path("/proc/self").exists():         # only where we can tell a live process from a gone one
        for old in tmp.glob(_STAGING_PREFIX + "*"):
            pid = old.name[len(_STAGING_PREFIX):].split("-")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-")


def _parse_to_ipc(path: str, out: str, kind: str, backend: str, filter_text: str | None) -> ParseStats:
    """In a parser process: one file's elements into an Arrow IPC stream file."""
    flt = parse_filter(filter_text) if filter_text else None
    writer = None

    def sink(table: pa.Table) -> None:
        nonlocal writer
        if writer is None:
            writer = pa.ipc.new_stream(out, table.schema)
        writer.write_table(table)

    def progress(n: int) -> None:
        if _progress is not None:
            _progress.put((path, n))

    try:
        return parse_to_sink(path, sink, kind=kind, backend=backend, flt=flt, progress=progress)
    finally:
        if writer is not None:
            writer.close()


def _run(store, todo: list[_File], flt, backend, jobs, on_progress, together=1):
    if jobs > 1:
        todo = sorted(todo, key=lambda f: f.path.stat().st_size, reverse=True)   # largest first: no idle tail
    staging = _staging_folder()
    # The parsers each need a core; DuckDB gets the rest (measured on two cores with one job:
    # 15.1 s instead of 15.8 s over the bench files, and 0.4 s less CPU).
    threads = store.con.execute("SELECT current_setting('threads')").fetchone()[0]
    store.con.execute(f"SET threads = {max(1, (os.cpu_count() or 1) - jobs)}")
    ctx = get_context("spawn")
    progress = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(progress,))
    group = _Group(store, together, flt)
    try:
        pending: dict[Future, _File] = {}
        for i, f in enumerate(todo):
            f.staged = os.path.join(staging, f"{i}.arrow")
            pending[pool.submit(_parse_to_ipc, str(f.path), f.staged, f.kind, backend,
                                flt.text if flt else None)] = f
            yield Started(str(f.path), f.path.stat().st_size)
        unscanned = list(todo)
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(progress, on_progress)
            for future in sorted(done, key=lambda fut: todo.index(pending[fut])):
                f = pending.pop(future)
                if f in unscanned:
                    unscanned.remove(f)
                yield from group.offer(future, f, backend)
            if not done and unscanned:      # idle while the parsers work: walk the next file's headers
                f = unscanned.pop(0)
                try:
                    f.scan = scan_mrt(f.path)
                except Exception:
                    pass                    # walked again in _Group.offer, where the error is reported
        yield from group.flush()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        group.close()
        shutil.rmtree(staging, ignore_errors=True)
        store.con.execute(f"SET threads = {int(threads)}")


def _drain(progress, on_progress) -> None:
    while True:
        try:
            path, n = progress.get_nowait()
        except queue.Empty:
            return
        if on_progress:
            on_progress(path, n)


def _record(f: _File, stats: ParseStats, flt: ElementFilter | None):
    """The file's row-to-be and its state changes, from the parse and the header walk."""
    scan = f.scan
    status, reason = verdict(scan, stats.elements, stats.backend)
    states = states_table(scan) if stats.elements or scan.kind in ("rib", "updates") else None
    times = [t for t in (stats.first_ts_us, stats.last_ts_us) if t is not None]
    times += [c.ts_us for c in scan.state_changes[:1] + scan.state_changes[-1:]]
    entries = stats.elements - stats.withdrawals
    record = FileRecord(path=str(f.path), size=scan.size, sha256=f.sha256, kind=scan.kind, collector=f.collector,
                        backend=stats.backend, status=status, reason=reason,
                        filter=flt.text if flt and not flt.is_empty else None, records=scan.records,
                        snapshot_ts_us=scan.first_ts_us if scan.kind == "rib" else None,
                        elapsed_s=stats.elapsed_s,
                        rib_entries=entries if scan.kind == "rib" else 0,
                        announcements=entries if scan.kind != "rib" else 0,
                        withdrawals=stats.withdrawals,
                        state_changes=states.num_rows if states is not None else 0,
                        first_ts_us=min(times) if times else None, last_ts_us=max(times) if times else None)
    return record, states


class _Group:
    """Parsed files on their way into the store, in file order. With ``size`` 1 (the command line)
    each is one transaction; with more (``together``), small whole files of one collector wait to be
    stored that many to a transaction."""

    SMALL = 50_000                  # elements: a file this size costs more in statements than in rows

    def __init__(self, store: Store, size: int, flt: ElementFilter | None):
        self.store, self.size, self.flt = store, size, flt
        self.items: list = []       # (file, record, states, batches, mapped source)
        self.target: FileImport | None = None

    def offer(self, future: Future, f: _File, backend) -> Iterator[Outcome]:
        flt = self.flt
        source = None
        try:
            if f.scan is None:
                f.scan = scan_mrt(f.path)
            stats = future.result()
            record, states = _record(f, stats, flt)
            batches = []
            if os.path.exists(f.staged):
                source = pa.memory_map(f.staged)
                batches = list(pa.ipc.open_stream(source))
        except Exception as exc:
            _close(source, f)
            yield _failure(self.store, f, backend, flt, exc)
            return
        if record.status != "ok" or stats.elements > self.SMALL:
            yield from self.flush()                 # in file order: what came before is stored first
            yield self._alone(f, record, states, batches, source, flt, backend)
            return
        if self.items and self.items[0][1].collector != record.collector:
            yield from self.flush()
        if self.target is None:
            self.target = FileImport(self.store)
        elif self.items:
            self.target.next_file()
        for b in batches:
            self.target.add(b)
        self.items.append((f, record, states, batches, source))
        if len(self.items) >= self.size:
            yield from self.flush()

    def flush(self) -> Iterator[Outcome]:
        items, target = self.items, self.target
        self.items, self.target = [], None
        if not items:
            if target is not None:
                target.close()
            return
        try:
            target.commit_many([(record, states) for _, record, states, _, _ in items])
            outcomes = [Outcome(str(f.path), r.status, record=r, reason=r.reason) for f, r, _, _, _ in items]
        except Exception as exc:
            if len(items) == 1:
                f, r = items[0][:2]
                outcomes = [_failure(self.store, f, r.backend, self.flt, exc)]
            else:   # one of them upset the store: store each on its own, so only that one fails
                outcomes = None
        finally:
            target.close()
        if outcomes is None:
            outcomes = [self._alone(f, r, st, b, None, self.flt, r.backend, release=False)
                        for f, r, st, b, _ in items]
        for f, _, _, _, source in items:
            _close(source, f)
        yield from outcomes

    def _alone(self, f, record, states, batches, source, flt, backend, release=True) -> Outcome:
        target = FileImport(self.store)
        try:
            if record.status in ("ok", "truncated", "damaged"):
                for b in batches:
                    target.add(b)
                target.commit(record, states)
            else:
                record_outcome(self.store, record)
            return Outcome(str(f.path), record.status, record=record, reason=record.reason)
        except Exception as exc:
            return _failure(self.store, f, backend, flt, exc)
        finally:
            target.close()
            if release:
                _close(source, f)

    def close(self) -> None:
        """After an interruption: nothing of the waiting files was stored; let go of their staging."""
        if self.target is not None:
            self.target.close()
        for f, _, _, _, source in self.items:
            _close(source, f)
        self.items, self.target = [], None


def _close(source, f: _File) -> None:
    if source is not None:
        source.close()
    if f.staged and os.path.exists(f.staged):
        os.remove(f.staged)


def _failure(store, f: _File, backend, flt, exc: Exception) -> Outcome:
    """The parser or the store failed on this file: nothing of it is kept; say so and go on."""
    reason = f"{type(exc).__name__}: {exc}"
    record = FileRecord(path=str(f.path), size=f.path.stat().st_size, sha256=f.sha256, kind=f.kind,
                        collector=f.collector, backend=backend, status="failed", reason=reason,
                        filter=flt.text if flt and not flt.is_empty else None)
    try:
        record_outcome(store, record)
    except Exception:
        pass    # the store itself is failing; the outcome below still tells the user
    return Outcome(str(f.path), "failed", record=record, reason=reason, error=reason)

"""Ingest: files in, routes out, stored a batch of files a transaction, with an honest account.

``ingest`` is a generator of ``Started`` and ``Outcome`` events, and calls ``on_progress(path,
elements)`` as elements are read, so the command line draws bars and the window drives a progress
dialog from the same code.

Work is split by what holds Python's lock. ``jobs`` parser processes each walk a file's MRT
headers and decode it (``reader.read_file``) into an Arrow IPC file in a temporary folder, in the
order the files are named. This process gathers parsed files into batches (a few million rows, or a
few hundred files) and stores each batch, with the routes it changes, in one transaction
(``imports.store_batch``), while the parsers go on: the open routes are read once a batch.

An outcome is reported once its batch is committed. An interruption (Ctrl-C, a killed process)
leaves every file reported as imported in the store and nothing of the batch being stored;
running the same command again skips what is in. A disk that fills stops the import at once,
with the account of what was stored.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import duckdb

from explorer.ingest.collectors import collector_from_path
from explorer.ingest.filters import ElementFilter, parse_filter
from explorer.ingest.mrt_scan import _compression_of, first_record_kind
from explorer.ingest.reader import FileRead, Split, combine, file_sha256, read_file, split_file, verdict
from explorer.store.imports import (BATCH_FILES, BATCH_ROWS, FileRecord, Staged, find_imported, record_outcome,
                                    store_batch)
from explorer.store.store import Store

_NOT_MRT_SUFFIXES = {".md5", ".sha256", ".txt", ".md", ".json", ".csv", ".html", ".log", ".py", ".sig", ".asc"}


class DiskFullError(OSError):
    """No space left where the import writes (the store's folder or the temporary folder)."""


@dataclass
class Started:
    path: str
    size: int


@dataclass
class Outcome:
    """What became of one file. ``status`` adds 'already imported', 'skipped' and 'not read' (a file
    or folder that could not be opened) to the store's."""

    path: str
    status: str
    record: FileRecord | None = None
    reason: str | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "unsupported", "damaged", "not read")

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


def hashed(paths: Iterable[str | os.PathLike], unreadable: list[tuple[str, str]]) -> Iterator[tuple[Path, str]]:
    """(path, sha256) of every file ``discover`` finds; one that cannot be read goes to ``unreadable``."""
    for path in discover(paths, unreadable):
        try:
            sha = file_sha256(path)
        except OSError as exc:
            unreadable.append((str(path), exc.strerror or str(exc)))
            continue
        yield path, sha


def discover(paths: Iterable[str | os.PathLike], unreadable: list[tuple[str, str]] | None = None) -> list[Path]:
    """Files named, and the files under folders named (recursively, skipping hidden files and
    checksums, notes and other obviously non-MRT files).

    A named path that does not exist raises FileNotFoundError. A folder or file that cannot be
    read is added to ``unreadable`` as (path, reason) when given, so the import names it and goes
    on with the rest; without it, it raises PermissionError.
    """
    found: list[Path] = []

    def cannot(path, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        if unreadable is None:
            raise PermissionError(f"{path}: {reason}")
        unreadable.append((str(path), reason))

    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=lambda exc: cannot(exc.filename, exc)):
                rel = Path(root).relative_to(p)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if any(part.startswith(".") for part in rel.parts):
                    continue
                for name in sorted(files):
                    f = Path(root) / name
                    if name.startswith(".") or f.suffix.lower() in _NOT_MRT_SUFFIXES or not f.is_file():
                        continue
                    found.append(f)
            if not os.access(p, os.R_OK | os.X_OK) and unreadable is not None \
                    and not any(u[0] == str(p) for u in unreadable):
                unreadable.append((str(p), "Permission denied"))
        elif p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return found


@dataclass
class Source:
    """One file on its way in: a local file, or an archive file streamed from the broker (``path``
    is then None and ``name`` its bgpstream:// identity)."""

    name: str
    path: Path | None
    size: int
    sha256: str
    collector: str
    kind: str
    replaces: int | None = None     # file id of an earlier import of these bytes with another filter
    staged: str = ""
    filter_note: str | None = None  # why its elements are not all there, when no filter says (online: cut)


def ingest(store: Store, paths: Iterable[str | os.PathLike], *, collector: str | None = None,
           filter_text: str | None = None, jobs: int = 1, backend: str = "auto",
           on_progress: Callable[[str, int], None] | None = None,
           together: int = BATCH_FILES) -> Iterator[Started | Outcome]:
    """Import files into the store; yield progress and one Outcome per file.

    ``together``: at most that many files to a transaction (default ``BATCH_FILES``); 1 stores each
    file on its own, which costs one pass over the open routes a file.
    """
    flt = parse_filter(filter_text) if filter_text else None
    filter_key = flt.text if flt is not None and not flt.is_empty else None
    unreadable: list[tuple[str, str]] = []
    todo: list[Source] = []
    for path, sha in hashed(paths, unreadable):
        state, earlier = find_imported(store.con, sha, filter_key)
        if state == "same":
            how = f", filter {earlier[3]}" if earlier[3] else ""
            yield Outcome(str(path), "already imported",
                          reason=f"same content as {earlier[1]} (file {earlier[0]}, {earlier[2]}{how}); nothing added")
            continue
        if any(sha == f.sha256 for f in todo):
            yield Outcome(str(path), "already imported", reason="same content as another file of this import")
            continue
        coll = collector or collector_from_path(path.resolve())
        kind = first_record_kind(path)
        if flt is not None and not flt.matches_file(coll, kind):
            yield Outcome(str(path), "skipped", reason=f"filtered out ({flt.text}): a {kind} file of {coll}")
            continue
        todo.append(Source(str(path), path, path.stat().st_size, sha, coll, kind,
                           replaces=earlier[0] if state == "replace" else None))
    for path, reason in unreadable:
        yield Outcome(path, "not read", reason=f"cannot be read ({reason}); nothing of it was imported")
    if todo:
        yield from _run(store, todo, filter_key, backend, max(1, jobs), on_progress, max(1, together))



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
    try:
        return tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-")
    except OSError as exc:
        raise _disk_full(exc) if _is_disk_full(exc) else exc


def _read(path: str, out: str, collector: str, backend: str, filter_text: str | None,
          cut: tuple[str, int] | None = None) -> FileRead | Split:
    """In a parser process: read a file, or with ``cut`` (folder, piece bytes) cut it into pieces."""
    progress = _reporter(path, 0)
    if cut is not None:
        return split_file(path, out, collector, *cut, backend=backend, filter_text=filter_text, progress=progress)
    return read_file(path, out, collector, backend=backend, filter_text=filter_text, progress=progress)


def _read_piece(name: str, number: int, piece: str, out: str, collector: str, backend: str,
                filter_text: str | None, snapshot_ts_us: int | None) -> FileRead:
    """In a parser process: one piece of a cut file (``number`` from 1), removed once read."""
    try:
        return read_file(piece, out, collector, backend=backend, filter_text=filter_text,
                         progress=_reporter(name, number), snapshot_ts_us=snapshot_ts_us)
    finally:
        _remove(piece)


def _reporter(name: str, number: int) -> Callable[[int], None]:
    """Elements read so far of file ``name`` (of its piece ``number``; 0: the whole file), to this import."""
    def progress(n: int) -> None:
        if _progress is not None:
            _progress.put((name, number, n))

    return progress


# A file is cut for several parsers when it holds at least 1/(8 x jobs) of the import's bytes (and
# 512 KiB): read whole, one parser would work on it alone while the others wait, and the files
# after it wait to be stored. Each parser gets about four pieces of it, so that the last round of
# pieces leaves little idle (on the et-header file, 2 parsers: 8.6 s in 7 pieces, 12.3 s whole).
_CUT_SHARE = 8
_CUT_MIN_BYTES = 512 << 10
_PIECE_MIN_BYTES = 2 << 20
_EXPANSION = {"gzip": 5, "bzip2": 10}       # typical MRT decompression ratios (et-header 4.3, RIB bz2 11-15)


def _cut_for(f: Source, total: int, jobs: int, staging: str, index: int) -> tuple[str, int] | None:
    if jobs < 2 or f.kind not in ("rib", "updates") or f.size < _CUT_MIN_BYTES \
            or f.size * _CUT_SHARE * jobs < total:
        return None
    with open(f.path, "rb") as fh:
        ratio = _EXPANSION.get(_compression_of(fh.read(3)), 1)
    folder = os.path.join(staging, f"{index}.pieces")
    os.mkdir(folder)
    return folder, max(_PIECE_MIN_BYTES, f.size * ratio // (4 * jobs))


@dataclass
class _Cut:
    """A file being read in pieces: their readings as they come, by piece number."""

    split: Split
    reads: dict[int, FileRead | BaseException]

    def done(self) -> bool:
        return len(self.reads) == len(self.split.pieces)

    def result(self) -> FileRead | BaseException:
        failed = next((r for r in self.reads.values() if isinstance(r, BaseException)), None)
        reads = [self.reads[i] for i in range(len(self.split.pieces))]
        if failed is not None:
            for r in reads:
                if isinstance(r, FileRead):
                    for part in r.row_files():
                        _remove(part)
            return failed
        return combine(self.split.scan, reads, self.split.elapsed_s)


def _run(store, todo: list[Source], filter_key, backend, jobs, on_progress, together):
    staging = _staging_folder()
    # The parsers each need a core; DuckDB gets the rest.
    threads = store.con.execute("SELECT current_setting('threads')").fetchone()[0]
    store.con.execute(f"SET threads = {max(1, (os.cpu_count() or 1) - jobs)}")
    ctx = get_context("spawn")
    progress = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(progress,))
    group = Batcher(store, together, filter_key)
    counts: dict[str, dict[int, int]] = {}
    try:
        # Files are read in the order named (a folder's files sorted by name: an archive's time order)
        # and stored in that order, so that a batch's routes follow the routes already derived: a
        # file stored after a later one makes its session's later routes be derived again. The pool
        # is given a task only when a parser is about to be free, so the pieces of a cut file go
        # before the files after it.
        total = sum(f.size for f in todo)
        tasks: deque = deque()
        for i, f in enumerate(todo):
            f.staged = os.path.join(staging, f"{i}.arrow")
            cut = _cut_for(f, total, jobs, staging, i)
            tasks.append(((i, 0), (_read, str(f.path), f.staged, f.collector, backend, filter_key, cut)))
            yield Started(f.name, f.size)
        running: dict[Future, tuple[int, int]] = {}       # future -> (file index, piece number or 0)
        results: dict[int, FileRead | BaseException | _Cut] = {}
        at = 0
        while at < len(todo):
            while tasks and len(running) < jobs + 1:
                key, (fn, *args) = tasks.popleft()
                running[pool.submit(fn, *args)] = key
            done, _ = wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(progress, on_progress, counts)
            for future in done:
                i, number = running.pop(future)
                try:
                    got = future.result()
                except Exception as exc:
                    got = exc
                if number:
                    results[i].reads[number - 1] = got
                elif isinstance(got, Split):
                    results[i] = _Cut(got, {})
                    f = todo[i]
                    tasks.extendleft(reversed([
                        ((i, n + 1), (_read_piece, f.name, n + 1, piece, f"{f.staged}.{n}", f.collector, backend,
                                      filter_key, got.scan.first_ts_us)) for n, piece in enumerate(got.pieces)]))
                else:
                    results[i] = got
            stored = False
            while at < len(todo) and at in results and not (isinstance(results[at], _Cut)
                                                             and not results[at].done()):
                got = results.pop(at)
                if isinstance(got, _Cut):
                    got = got.result()
                    if isinstance(got, FileRead):
                        got.finish_states(todo[at].collector)
                stored = True
                yield from group.offer(todo[at], got, backend)
                at += 1
            if not stored and group.due():  # idle while the parsers work: store what waits
                yield from group.flush()
        store.con.execute(f"SET threads = {int(threads)}")     # the parsers are done: DuckDB has every core
        yield from group.flush()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        group.close()
        shutil.rmtree(staging, ignore_errors=True)
        try:
            store.con.execute(f"SET threads = {int(threads)}")
        except duckdb.Error:
            pass


def _drain(progress, on_progress, counts: dict[str, dict[int, int]]) -> None:
    """Elements read so far, per file (a cut file's pieces added up)."""
    while True:
        try:
            path, number, n = progress.get_nowait()
        except queue.Empty:
            return
        if on_progress:
            pieces = counts.setdefault(path, {})
            pieces[number] = n
            on_progress(path, sum(pieces.values()))


def file_record(f: Source, read: FileRead, filter_key: str | None) -> FileRecord:
    """The file's row-to-be, from the parse and the header walk."""
    scan = read.scan
    status, reason = verdict(scan, read.elements, read.backend, filtered=filter_key is not None)
    for note in (read.fallback_note, read.unreadable_note):
        if note:
            reason = f"{reason} {note[0].upper()}{note[1:]}." if reason else note[0].upper() + note[1:] + "."
    times = [t for t in (read.first_ts_us, read.last_ts_us) if t is not None]
    times += [c.ts_us for c in scan.state_changes[:1] + scan.state_changes[-1:]]
    entries = read.elements - read.withdrawals
    states = read.states.num_rows if read.states is not None else 0
    return FileRecord(path=f.name, size=scan.size, sha256=f.sha256, kind=scan.kind, collector=f.collector,
                      backend=read.backend, status=status, reason=reason, filter=filter_key or f.filter_note,
                      records=scan.records,
                      snapshot_ts_us=scan.first_ts_us if scan.kind == "rib" else None, elapsed_s=read.elapsed_s,
                      rib_entries=entries if scan.kind == "rib" else 0,
                      announcements=entries if scan.kind != "rib" else 0, withdrawals=read.withdrawals,
                      state_changes=states, first_ts_us=min(times) if times else None,
                      last_ts_us=max(times) if times else None)


class Batcher:
    """Parsed files waiting to be stored together: a batch is stored when it holds ``BATCH_ROWS``
    rows or ``size`` files, and at the end. A file replacing an earlier import is stored alone."""

    def __init__(self, store: Store, size: int, filter_key: str | None):
        self.store, self.size, self.filter_key = store, size, filter_key
        self.items: list[tuple[Source, FileRecord, Staged]] = []
        self.rows = 0
        self.since = 0.0            # when the oldest waiting file came
        self.cost = 0.0             # seconds the last batch took to store

    def due(self) -> bool:
        """Whether the waiting files should be stored now that this process is idle: once they have
        waited a second, or three times what the last batch cost (so storing takes at most a quarter
        of this process's time, and a file reported is in the store soon after it was read)."""
        return bool(self.items) and time.monotonic() - self.since >= max(1.0, 3 * self.cost)

    def offer(self, f: Source, read: FileRead | BaseException, backend) -> Iterator[Outcome]:
        """A parser's answer for the file: its reading, or the exception it raised."""
        if isinstance(read, BaseException):
            _remove(f.staged)
            yield self._failure(f, backend, read)
            return
        yield from self.add(f, read)

    def add(self, f: Source, read: FileRead) -> Iterator[Outcome]:
        """A parsed file: stored with the next batch (or now, when it is a failure or a replacement)."""
        try:
            record = file_record(f, read, self.filter_key)
        except Exception as exc:
            _remove(read.row_files())
            yield self._failure(f, read.backend, exc)
            return
        if record.status not in ("ok", "truncated", "damaged"):
            _remove(read.row_files())
            yield self._store_outcome(f, record)
            return
        staged = Staged(read.row_files(), read.sessions, read.names, read.states)
        if f.replaces is not None:
            yield from self.flush()
            yield from self._store([(f, record, staged)], replaces=[f.replaces])
            return
        if not self.items:
            self.since = time.monotonic()
        self.items.append((f, record, staged))
        self.rows += read.elements
        if self.rows >= BATCH_ROWS or len(self.items) >= self.size:
            yield from self.flush()

    def flush(self) -> Iterator[Outcome]:
        items, self.items, self.rows = self.items, [], 0
        if items:
            yield from self._store(items)

    def _store(self, items, replaces=()) -> Iterator[Outcome]:
        started = time.monotonic()
        try:
            store_batch(self.store, [(r, s) for _, r, s in items], replaces=list(replaces))
            self.cost = time.monotonic() - started
        except (KeyboardInterrupt, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        except Exception as exc:
            self._stop_if_disk_full(exc)
            if len(items) == 1:
                _remove(items[0][2].rows)
                yield self._failure(items[0][0], items[0][1].backend, exc)
                return
            for item in items:      # one of them upset the store: each on its own, so only it fails
                yield from self._store([item])
            return
        for f, record, staged in items:
            _remove(staged.rows)
            reason = record.reason
            if replaces:
                reason = (f"{reason} " if reason else "") + (f"Replaces the earlier import of the same bytes "
                                                             f"(file {replaces[0]}, with another filter).")
            yield Outcome(f.name, record.status, record=record, reason=reason)

    def _store_outcome(self, f: Source, record: FileRecord) -> Outcome:
        """A file whose content is not kept (unsupported, failed): its row says why."""
        try:
            record_outcome(self.store, record)
        except (KeyboardInterrupt, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        except Exception as exc:
            self._stop_if_disk_full(exc)
        return Outcome(f.name, record.status, record=record, reason=record.reason)

    def _failure(self, f: Source, backend, exc: Exception) -> Outcome:
        """The parser or the store failed on this file: nothing of it is kept; say so and go on."""
        self._stop_if_disk_full(exc)
        reason = f"{type(exc).__name__}: {exc}"
        record = FileRecord(path=f.name, size=f.size, sha256=f.sha256, kind=f.kind,
                            collector=f.collector, backend=backend, status="failed", reason=reason,
                            filter=self.filter_key)
        try:
            record_outcome(self.store, record)
        except (KeyboardInterrupt, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        except Exception:
            pass    # the store itself is failing; the outcome below still tells the user
        return Outcome(f.name, "failed", record=record, reason=reason, error=reason)

    def _stop_if_disk_full(self, exc: BaseException) -> None:
        if _is_disk_full(exc):
            raise _disk_full(exc, self.store.path) from None

    def close(self) -> None:
        """After an interruption: nothing of the waiting files was stored; let go of their staging."""
        for _, _, staged in self.items:
            _remove(staged.rows)
        self.items = []


def _remove(paths: str | list[str] | None) -> None:
    for path in [paths] if isinstance(paths, str) else paths or []:
        try:
            os.remove(path)
        except OSError:
            pass


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "No space left on device" in str(exc) or "not enough space" in str(exc).lower()


def _disk_full(exc: BaseException, store_path: Path | None = None) -> DiskFullError:
    if isinstance(exc, DiskFullError):
        return exc
    where = [f"the temporary folder {tempfile.gettempdir()} (set TMPDIR to use another)"]
    if store_path is not None:
        where.insert(0, f"the store's folder {store_path.parent}")
    return DiskFullError(errno.ENOSPC, f"No space left on the disk ({exc}). The import writes to "
                                       f"{' and '.join(where)}. Free some space and run the same command "
                                       "again: every file reported as imported is in the store.")

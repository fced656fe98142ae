"""Ingest into a partitioned dataset on a Dask cluster: one task per file, then the route intervals
per collector and day (layout and reading: ``explorer/store/dataset.py``; the two steps of the
intervals: ``explorer/store/dataset_write.py``).

``ingest_dataset`` is a generator of ``Outcome`` (one per file, as for a local ingest) and, at the
end, one ``Derived``. This process (the driver) hashes each file, skips what the manifest holds,
submits a task per file, records each result in the manifest as it arrives (a part every few
dozen files, written whole or not at all), then submits the day passes of the days that gained
files and a stitch per collector that changed.

Exactly once. A task writes its parts under names made of the file's sha256, each under a
temporary name renamed when complete; the file is *in* once its manifest row is written, and
readers read only the parts of files the manifest holds. A worker lost mid-task (Dask runs its
tasks again elsewhere) or a driver killed mid-run leaves at most temporary files and parts of
unrecorded files, which the next run removes; running the same command again skips what is in
and derives again what was not derived from the manifest's files (each day and collector notes
the files it was derived from).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from explorer.ingest.collectors import collector_from_path
from explorer.ingest.mrt_scan import first_record_kind
from explorer.ingest.pipeline import Outcome, Source, file_record, hashed
from explorer.ingest.reader import read_file
from explorer.store.dataset import FILE_COLUMNS, KEPT_STATUSES, _parquet, create_dataset, part_path
from explorer.store.dataset_write import (append_part, derive_day, derived_digest, digest, manifest_table,
                                          mark_stitched, order_key, stitch_collector, write_checkpoint,
                                          write_file_parts)
from explorer.store.errors import StoreError
from explorer.store.imports import FileRecord

FLUSH_FILES, FLUSH_SECONDS = 64, 5.0
LOCK = ".ingest.lock"


@dataclass
class FileDone:
    """What a task hands back: the file's record and what the manifest keeps beside it."""

    record: FileRecord
    sessions: list = field(default_factory=list)      # (session_id, peer_ip, peer_asn)
    names: dict = field(default_factory=dict)         # IPv6 prefix id -> text
    days: dict = field(default_factory=dict)          # element_days, state_days, reset_days
    worker: str = ""


@dataclass
class Derived:
    """The route intervals derived at the end of a run."""

    days: int
    collectors: int
    rows: int
    elapsed_s: float


# -- the task (on a worker) ------------------------------------------------------------------------

def decode_task(path: str, folder: str, collector: str, sha256: str, size: int, kind: str, backend: str) -> FileDone:
    """Decode one file with the backends of the local ingest (``read_file``) and write its parts.
    Whatever goes wrong with the file is its outcome ('failed', with the reason), not the task's."""
    started = time.perf_counter()
    staging = tempfile.mkdtemp(prefix="bgp-explorer-task-")
    source = Source(path, Path(path), size, sha256, collector, kind)
    try:
        try:
            read = read_file(path, os.path.join(staging, "rows.arrow"), collector, backend=backend)
            record = file_record(source, read, None)
            days = {}
            if record.status in KEPT_STATUSES:
                days = write_file_parts(Path(folder), collector, sha256, read.out, read.states,
                                        complete_rib=record.kind == "rib" and record.status == "ok")
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            record = FileRecord(path=path, size=size, sha256=sha256, kind=kind, collector=collector, backend=backend,
                                status="failed", reason=reason)
            return FileDone(record, worker=socket.gethostname())
        record.elapsed_s = time.perf_counter() - started
        return FileDone(record, read.sessions, read.names, days, socket.gethostname())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- the driver ------------------------------------------------------------------------------------

def ingest_dataset(folder: str | os.PathLike, paths: Iterable[str | os.PathLike], *, client,
                   collector: str | None = None, backend: str = "auto") -> Iterator[Outcome | Derived]:
    """Import files into the dataset at ``folder`` with the Dask ``client``; yield an Outcome per
    file, then one Derived."""
    folder = create_dataset(folder)
    with _locked(folder):
        run = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + os.urandom(3).hex()
        manifest = Manifest(folder, run)
        _sweep(folder, manifest.kept_shas())
        unreadable: list[tuple[str, str]] = []
        todo: list[Source] = []
        for path, sha in hashed(paths, unreadable):
            earlier = manifest.kept.get(sha)
            if earlier is not None:
                yield Outcome(str(path), "already imported",
                              reason=f"same content as {earlier['path']} ({earlier['status']}); nothing added")
                continue
            if any(sha == f.sha256 for f in todo):
                yield Outcome(str(path), "already imported", reason="same content as another file of this import")
                continue
            coll = collector or collector_from_path(path.resolve())
            todo.append(Source(str(path), path, path.stat().st_size, sha, coll, first_record_kind(path)))
        for path, reason in unreadable:
            yield Outcome(path, "not read", reason=f"cannot be read ({reason}); nothing of it was imported")
        yield from _decode_all(client, folder, todo, backend, manifest, run)
        manifest.flush()
        yield _derive(client, folder, manifest.reload(), run)
        _sweep(folder, None)


def _decode_all(client, folder: Path, todo: list[Source], backend: str, manifest: "Manifest", run: str):
    from distributed import as_completed

    from explorer.ingest.worker_setup import ImportBackends

    client.register_plugin(ImportBackends(), name=ImportBackends.name)
    todo = sorted(todo, key=lambda f: f.size, reverse=True)     # largest first: no idle tail
    futures = {client.submit(decode_task, str(f.path.resolve()), str(folder.resolve()), f.collector, f.sha256,
                             f.size, f.kind, backend, key=f"decode-{f.sha256[:20]}-{run}", pure=False): f
               for f in todo}
    try:
        for future in as_completed(futures):
            f = futures[future]
            try:
                done: FileDone = future.result()
            except Exception as exc:        # the task itself was lost (its workers died too often)
                reason = f"{type(exc).__name__}: {exc}"
                done = FileDone(FileRecord(path=f.name, size=f.size, sha256=f.sha256, kind=f.kind,
                                           collector=f.collector, backend=backend, status="failed", reason=reason))
            done.record.path = f.name
            manifest.add(done)
            future.release()
            yield Outcome(f.name, done.record.status, record=done.record, reason=done.record.reason,
                          error=done.record.reason if done.record.status == "failed" else None)
    finally:
        manifest.flush()


def _derive(client, folder: Path, manifest: "Manifest", run: str) -> Derived:
    """The day passes of the days whose files changed, then a stitch per collector that changed, then
    its checkpoints, a task each."""
    started = time.perf_counter()
    plan: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for sha, row in manifest.kept.items():
        days = plan.setdefault(row["collector"], {})
        for d in row["element_days"] or []:
            days.setdefault(d, ([], []))[0].append(sha)
        for d in row["reset_days"] or []:
            days.setdefault(d, ([], []))[1].append(sha)
    day_futures, collectors = [], []
    for coll, days in sorted(plan.items()):
        dirty = [d for d, (e, r) in days.items() if derived_digest(folder, coll, d) != digest(e + r)]
        shas = sorted({s for e, r in days.values() for s in e + r})
        if dirty or derived_digest(folder, coll) != digest(shas):
            collectors.append((coll, shas, days))
        for d in sorted(dirty):
            e, r = days[d]
            day_futures.append(client.submit(derive_day, folder, coll, d, e, r,
                                             key=f"day-{coll}-{d}-{run}", pure=False))
    results = client.gather(day_futures)
    stitches = []
    for coll, shas, days in collectors:
        resets = [part_path(folder, "resets", coll, d, f"{s}.parquet") for d, (_, r) in sorted(days.items()) for s in r]
        stitches.append(client.submit(stitch_collector, folder, coll, resets, key=f"stitch-{coll}-{run}", pure=False))
    checkpoints = []
    for (coll, shas, _), stitched in zip(collectors, client.gather(stitches)):
        checkpoints += [client.submit(write_checkpoint, folder, coll, since, until, pure=False,
                                      key=f"held-{coll}-{since}-{until}-{run}") for since, until in stitched["spans"]]
    client.gather(checkpoints)
    for coll, shas, _ in collectors:
        mark_stitched(folder, coll, shas)
    return Derived(len(day_futures), len(collectors), sum(r["rows"] for r in results), time.perf_counter() - started)


class Manifest:
    """The dataset's manifest as this run sees it: the latest row of each file, and the rows this run
    adds, written a part at a time (with the sessions and IPv6 prefix texts not yet recorded)."""

    def __init__(self, folder: Path, run: str):
        self.folder, self.run, self.parts = folder, run, 0
        self.pending: list[FileDone] = []
        self.since = time.monotonic()
        self.reload()
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            self.session_ids = {r[0] for r in con.execute(
                f"SELECT DISTINCT session_id FROM {_parquet(folder, 'sessions/*.parquet', [('session_id', 'BIGINT')])}").fetchall()}
            self.name_ids = {r[0] for r in con.execute(
                f"SELECT DISTINCT prefix_id FROM {_parquet(folder, 'prefix_names/*.parquet', [('prefix_id', 'BIGINT')])}").fetchall()}
        finally:
            con.close()

    def reload(self) -> "Manifest":
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            rel = con.execute(f"""
                SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY sha256 ORDER BY imported_at DESC, status) AS _n
                               FROM {_parquet(self.folder, 'manifest/*.parquet', FILE_COLUMNS)})
                WHERE _n = 1 AND status IN {KEPT_STATUSES}""")
            cols = [d[0] for d in rel.description]
            self.kept = {row[cols.index("sha256")]: dict(zip(cols, row)) for row in rel.fetchall()}
        finally:
            con.close()
        return self

    def kept_shas(self) -> set[str]:
        return set(self.kept)

    def add(self, done: FileDone) -> None:
        self.pending.append(done)
        if len(self.pending) >= FLUSH_FILES or time.monotonic() - self.since >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows: sessions and prefix texts first, then the manifest part that makes
        their files *in*."""
        if not self.pending:
            return
        name = f"{self.run}-{self.parts:05d}"
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        sessions, names, rows = {}, {}, []
        for done in self.pending:
            r = done.record
            for sid, ip, asn in done.sessions:
                if sid not in self.session_ids:
                    sessions[sid] = {"session_id": sid, "collector": r.collector, "peer_ip": ip, "peer_asn": asn}
            names.update({k: v for k, v in done.names.items() if k not in self.name_ids})
            row = asdict(r)
            us = lambda v: datetime.fromtimestamp(v / 1e6, timezone.utc).replace(tzinfo=None) if v is not None else None  # noqa: E731
            row.update(file_id=order_key(r.sha256), order_key=order_key(r.sha256), first_ts=us(r.first_ts_us),
                       last_ts=us(r.last_ts_us), snapshot_ts=us(r.snapshot_ts_us), imported_at=now, **done.days)
            rows.append(row)
        append_part(self.folder, "sessions", name, manifest_table(list(sessions.values()), [
            ("session_id", "BIGINT"), ("collector", "VARCHAR"), ("peer_ip", "VARCHAR"), ("peer_asn", "UBIGINT")]))
        append_part(self.folder, "prefix_names", name, manifest_table(
            [{"prefix_id": k, "prefix": v} for k, v in names.items()], [("prefix_id", "BIGINT"), ("prefix", "VARCHAR")]))
        append_part(self.folder, "manifest", name, manifest_table(rows, FILE_COLUMNS))
        self.session_ids |= set(sessions)
        self.name_ids |= set(names)
        for done, row in zip(self.pending, rows):
            if done.record.status in KEPT_STATUSES:
                self.kept[done.record.sha256] = row
        self.parts += 1
        self.pending = []
        self.since = time.monotonic()


# -- one ingest at a time per dataset; what killed runs leave --------------------------------------

class _locked:
    """``DIR/.ingest.lock`` while a run writes; a lock left by a process gone from this host is taken over."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK

    def __enter__(self):
        me = {"host": socket.gethostname(), "pid": os.getpid()}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    holder = json.loads(self.path.read_text())
                except (OSError, ValueError):
                    holder = {}
                if holder.get("host") == me["host"] and not _alive(int(holder.get("pid", 0))):
                    self.path.unlink(missing_ok=True)
                    continue
                raise StoreError(f"{self.path.parent}: another ingest writes this dataset (process {holder.get('pid')} "
                                 f"on {holder.get('host')}); wait for it, or remove {self.path} if it is gone.") from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            return self
        raise StoreError(f"{self.path}: cannot take the dataset's lock")

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(folder: Path, kept: set[str] | None) -> None:
    """Remove temporary files (of killed attempts) and, when ``kept`` is given, the parts of files the
    manifest does not hold (a worker or driver lost before the file's row was written)."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            if name.startswith(".") and name.endswith(".tmp"):
                os.unlink(os.path.join(root, name))
        for name in list(dirs):
            if name.startswith(".") and name.endswith(".tmp"):
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
                dirs.remove(name)
    if kept is None:
        return
    for table in ("elements", "states", "resets"):
        for part in (folder / table).glob("collector=*/day=*/*.parquet"):
            if part.stem not in kept:
                part.unlink()

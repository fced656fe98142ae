"""The demo store: the scenario written as MRT files, imported by the normal ingest, labelled.

``ensure_demo_store`` is what ``--demo`` calls: it returns the demo store's path, building it on
first use and reusing it afterwards. It builds again when the store was made by another scenario
version or is incomplete. A build goes into a temporary file beside the store and is renamed
into place only when complete, so an interrupted build leaves no half store behind.

Where: ``$BGP_EXPLORER_DEMO`` when set (tests point it into a temporary folder), else
``demo-kp-2014-12.duckdb`` in the user data folder, next to the default store.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from explorer.demo import scenario
from explorer.demo.archive import write_archive
from explorer.demo.asnames import write_asnames
from explorer.ingest.pipeline import Outcome, ingest
from explorer.registry.files import import_registry_files
from explorer.store import Store, StoreError, StoreLockedError
from explorer.store.location import data_dir
from explorer.store.meta import DEMO_LABEL_KEY, get_meta, set_meta

DEMO_ENV_VAR = "BGP_EXPLORER_DEMO"
DEMO_LABEL = "Demo: synthetic reconstruction of public reports, not measured data"

# progress(stage, done, total): stage is 'write' (15-minute windows) or 'import' (files)
Progress = Callable[[str, int, int], None]


# The demo's files are small (a few dozen elements each) and its build is atomic as a whole (a
# temporary store renamed when complete), so they are stored this many to a transaction.
TOGETHER = 64


def demo_store_path() -> Path:
    env = os.environ.get(DEMO_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return data_dir() / f"demo-{scenario.NAME}.duckdb"


def is_current(path: Path) -> bool:
    """A complete demo store of this scenario version is at ``path``."""
    if not path.exists():
        return False
    try:
        with Store(path, read_only=True) as store:
            return (get_meta(store, "demo") == scenario.NAME
                    and get_meta(store, "demo_version") == str(scenario.VERSION)
                    and get_meta(store, "demo_complete") == "1")
    except StoreLockedError:
        raise
    except StoreError:
        return False


def ensure_demo_store(path: str | os.PathLike | None = None, params: scenario.Params | None = None) -> Path:
    """The demo store's path; built first (progress on stderr when it is a terminal) if needed.

    ``params`` (tests, benchmarks) only matter when a build is needed: a current store is reused.
    """
    path = Path(path) if path else demo_store_path()
    if is_current(path):
        return path
    print(f"bgp-explorer: building the demo store (North Korea, December 2014) at {path}; this is done once",
          file=sys.stderr)
    with _Bars(enabled=sys.stderr.isatty()) as bars:
        stats = build_demo_store(path, params, progress=bars.update)
    print(f"bgp-explorer: demo store ready: {stats['files']} files, {stats['elements']:,} elements, "
          f"{stats['seconds']:.1f} s. {DEMO_LABEL}.", file=sys.stderr)
    return path


def build_demo_store(path: str | os.PathLike, params: scenario.Params | None = None, *,
                     progress: Progress | None = None) -> dict:
    """Write the scenario's files into a temporary folder, import them, label the store, then move
    it to ``path``; the files are deleted. Returns figures of the build."""
    params = params or scenario.Params()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    story = scenario.build_story(params)
    files = Path(tempfile.mkdtemp(prefix="bgp-explorer-demo-files-"))
    partial = path.with_name(f".{path.name}.{os.getpid()}.building")
    _remove_abandoned(path)
    _remove(partial)
    try:
        written = write_archive(story, files, (lambda d, t: progress("write", d, t)) if progress else None)
        done, total = 0, written.file_count
        with Store(partial) as store:
            for collector in sorted(written.files):
                for event in ingest(store, [files / collector], collector=collector, together=TOGETHER):
                    if not isinstance(event, Outcome):
                        continue
                    if event.status != "ok":
                        raise RuntimeError(f"demo file {event.path} was not imported cleanly: {event.status}: "
                                           f"{event.reason}")
                    done += 1
                    if progress:
                        progress("import", done, total)
            _import_names(store, files)
            # the files were written to a temporary folder: keep their archive-relative names
            store.con.execute("UPDATE files SET path = substr(path, length(?) + 2) WHERE starts_with(path, ?)",
                              [str(files), str(files)])
            set_meta(store, {"demo": scenario.NAME, "demo_version": scenario.VERSION,
                             "demo_params": json.dumps(asdict(params), sort_keys=True),
                             DEMO_LABEL_KEY: DEMO_LABEL})
            set_meta(store, {"demo_complete": "1"})     # last: a store without it is rebuilt
            store.con.execute("CHECKPOINT")
        os.replace(partial, path)
    except BaseException:
        _remove(partial)
        raise
    finally:
        shutil.rmtree(files, ignore_errors=True)
    return {"path": str(path), "files": written.file_count, "seconds": time.perf_counter() - started,
            "elements": written.announcements + written.withdrawals + written.rib_entries,
            "announcements": written.announcements, "withdrawals": written.withdrawals,
            "rib_entries": written.rib_entries, "state_changes": written.state_changes,
            "files_by_collector": {c: list(f) for c, f in written.files.items()}}


def _import_names(store: Store, folder: Path) -> None:
    """The names of the ASes on the demo's paths, imported as an AS-names file."""
    asns = {int(a) for (path,) in store.con.execute(
                "SELECT DISTINCT path FROM intervals WHERE path IS NOT NULL").fetchall()
            for a in path.replace("{", " ").replace("}", " ").replace(",", " ").split()}
    import_registry_files(store, [write_asnames(folder, asns)])


def _remove_abandoned(path: Path) -> None:
    """Partial builds left by killed processes (their process gone; Linux tells us via /proc)."""
    if not Path("/proc/self").exists():
        return
    for old in path.parent.glob(f".{path.name}.*.building"):
        pid = old.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _remove(old)


def _remove(partial: Path) -> None:
    for p in (partial, partial.with_name(partial.name + ".wal")):
        if p.exists():
            p.unlink()


class _Bars:
    """One tqdm bar per stage, on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled, self.bar, self.stage = enabled, None, None

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            from tqdm import tqdm

            self.close()
            label = {"write": "writing MRT files", "import": "importing"}[stage]
            unit = {"write": " windows", "import": " files"}[stage]
            self.bar, self.stage = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False), stage
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "_Bars":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

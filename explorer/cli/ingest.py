"""``bgp-explorer ingest``: MRT files or folders into the store, or a collector's archives online.

    bgp-explorer ingest PATH... [--collector NAME] [--filter EXPR] [--jobs N] [--backend B] [--json] [--no-views]
    bgp-explorer ingest --collector NAME --start T --end T [--filter EXPR]      (online, pybgpstream)
    bgp-explorer ingest --dataset DIR [--cluster local:N | tcp://HOST:PORT] PATH...   (Dask, Parquet)
"""

from __future__ import annotations

import json
import os
import sys

from explorer.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, store_path
from explorer.store import Store
from explorer.timeutil import parse_time


def add_commands(sub, store_opts) -> None:
    ing = sub.add_parser("ingest", parents=[store_opts], help="import MRT files (RIB dumps, updates; plain, .gz, .bz2) into the store",
                         description="Import MRT files or folders (recursively) into the store, a batch of files "
                                     "a transaction. Without PATH, with --collector, --start and --end: fetch "
                                     "collectors' archives online through pybgpstream's broker (needs libbgpstream).")
    ing.add_argument("paths", nargs="*", metavar="PATH")
    ing.add_argument("--collector", action="append", metavar="NAME",
                     help="collector name for these files (default: from the path, e.g. rrc23, route-views.sg; "
                          "otherwise 'unknown'); online: the collectors to fetch (repeat, or comma-separate)")
    ing.add_argument("--filter", metavar="EXPR", help="bgpstream filter, e.g. 'prefix more 175.45.176.0/22 and "
                                                      "path _131279_' (elements outside it are not stored)")
    ing.add_argument("--jobs", type=int, default=1, help="parser processes (default 1)")
    ing.add_argument("--backend", default="auto", choices=["auto", "bgpstream", "bgpkit", "bgpdump", "mrtparse"],
                     help="parser backend (default auto: libbgpstream where installed, else pybgpkit-parser; a file "
                          "a backend reads less of than its records hold goes to the next, then bgpdump, mrtparse)")
    ing.add_argument("--start", help="online ingest: start time (UTC, ISO 8601 or Unix seconds)")
    ing.add_argument("--end", help="online ingest: end time")
    ing.add_argument("--broker-url", metavar="URL",
                     help="online ingest: the BGPStream broker to ask (default CAIDA's, "
                          "https://broker.bgpstream.caida.org/v2)")
    ing.add_argument("--json", action="store_true", help="print one machine-readable summary")
    ing.add_argument("--no-views", dest="views", action="store_false",
                     help="do not compute again, after the import, the two views the window kept last "
                          "(default: it does, so that the window opens on them at once)")
    ing.add_argument("--dataset", metavar="DIR",
                     help="ingest into a partitioned dataset (Parquet by collector and day) on a Dask cluster, "
                          "instead of the store; every command reads it with --store DIR")
    ing.add_argument("--cluster", metavar="SPEC",
                     help="with --dataset: local:N (N worker processes here; default: one per core) or "
                          "tcp://HOST:PORT (a running dask scheduler)")
    ing.set_defaults(run=_cmd_ingest)


# -- ingest ---------------------------------------------------------------------------------------

def _cmd_ingest(args) -> int:
    from explorer.ingest.filters import FilterError, parse_filter

    if args.dataset or args.cluster:
        return _cmd_ingest_dataset(args)
    from explorer.store.dataset import is_dataset

    if is_dataset(store_path(args)):
        print(f"bgp-explorer ingest: {store_path(args)} is a dataset: add files to it with --dataset "
              f"{store_path(args)} (on a Dask cluster)", file=sys.stderr)
        return EXIT_USAGE
    collectors = [c.strip() for value in args.collector or [] for c in value.split(",") if c.strip()]
    if not args.paths:
        if args.start or args.end:
            return _cmd_ingest_online(args, collectors)
        print("bgp-explorer ingest: name files or folders to import (or --collector, --start and --end for an "
              "online ingest)", file=sys.stderr)
        return EXIT_USAGE
    if len(collectors) > 1:
        print("bgp-explorer ingest: files take one --collector (the name for all of them)", file=sys.stderr)
        return EXIT_USAGE
    if args.filter:
        try:
            parse_filter(args.filter)
        except FilterError as exc:
            print(f"bgp-explorer ingest: bad --filter: {exc}", file=sys.stderr)
            return EXIT_USAGE
    from explorer.ingest.pipeline import ingest

    with Store(store_path(args)) as store:
        stamp, viewed = _viewed(store) if args.views else (None, [])
        code = _report(args, lambda on_progress: ingest(
            store, args.paths, collector=collectors[0] if collectors else None, filter_text=args.filter,
            jobs=args.jobs, backend=args.backend, on_progress=on_progress))
        _compact(store, quiet=args.json)
        if viewed and _viewed(store)[0] != stamp:       # (nothing new: the kept views still hold)
            _refresh(store, viewed, quiet=args.json)
        return code


def _viewed(store) -> tuple[tuple, list[str]]:
    """(the store's files stamp, the views the window kept most recently: ``store.kept_files``), to
    compute those again after an import that changed the files."""
    from explorer.store.kept_files import recent_keys
    from explorer.store.queries import files_stamp

    with store.reader() as con:
        return tuple(files_stamp(con)), recent_keys(con, 2)


def _refresh(store, keys: list[str], *, quiet: bool) -> None:
    """The window's last views, computed again for the files now in the store and kept: the window
    opens on them as fast as before the import (``viewmodel.view.refresh_views``)."""
    import duckdb

    from explorer.timeutil import iso
    from explorer.viewmodel.view import refresh_views

    def told(state, seconds, error):
        if not quiet:
            print(f"view kept for the window: {state.scope}, {iso(state.start)} to {iso(state.end)} every "
                  f"{state.step} s ({seconds:.1f} s)" if state is not None else
                  f"a view the window kept was not computed again: {error}")

    try:
        with store.reader() as con:
            refresh_views(con, keys, told)
    except (OSError, duckdb.Error, MemoryError) as exc:
        print(f"bgp-explorer ingest: the window's views were not computed again ({exc}); the window computes "
              "them when it shows them", file=sys.stderr)


def _compact(store, *, quiet: bool) -> None:
    """Give back the space the import's transactions left free (``Store.compact``); a failure (a full
    disk) leaves the store as it was and is only named."""
    import duckdb

    from explorer.store.derived import drop_stale
    from explorer.store.queries import files_stamp

    try:
        drop_stale(store.con, files_stamp(store.con))       # what the window kept for the files before
        sizes = store.compact()
    except (OSError, duckdb.Error) as exc:
        print(f"bgp-explorer ingest: the store was not compacted ({exc}); it is complete as it is",
              file=sys.stderr)
        return
    if sizes and not quiet:
        print(f"store compacted: {sizes[0] / 1e6:.1f} MB -> {sizes[1] / 1e6:.1f} MB (space that earlier "
              "transactions left free)")


def _report(args, events_of) -> int:
    """Print each outcome as it comes (or one JSON summary), and the exit status they make."""
    from explorer.ingest.pipeline import DiskFullError, Started

    bars = _Bars(enabled=not args.json and sys.stderr.isatty())
    outcomes = []
    stopped = None
    try:
        for event in events_of(bars.update):
            if isinstance(event, Started):
                bars.start(event.path)
                continue
            bars.close(event.path)
            outcomes.append(event)
            if not args.json:
                bars.write(_outcome_line(event))
    except FileNotFoundError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DiskFullError as exc:
        stopped = str(exc.strerror or exc)
    finally:
        bars.close_all()
    if args.json:
        backends = sorted({o.record.backend for o in outcomes if o.record})
        print(json.dumps({"backend": backends[0] if len(backends) == 1 else backends,
                          "store": str(store_path(args)), "stopped": stopped,
                          "files": [o.summary() for o in outcomes]}, indent=2))
    else:
        failed = sum(o.failed for o in outcomes)
        print(f"{len(outcomes)} file(s): {len(outcomes) - failed} imported or already there, {failed} failed")
    if stopped:
        print(f"bgp-explorer ingest: stopped: {stopped}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK


def _cmd_ingest_dataset(args) -> int:
    from explorer.ingest.cluster import ClusterError, dask_client
    from explorer.ingest.dataset import Derived, ingest_dataset

    if not args.dataset:
        print("bgp-explorer ingest: --cluster goes with --dataset DIR (the folder the workers write)", file=sys.stderr)
        return EXIT_USAGE
    if not args.paths:
        print("bgp-explorer ingest: name files or folders to import into the dataset", file=sys.stderr)
        return EXIT_USAGE
    if args.filter or args.start or args.end:
        print("bgp-explorer ingest: a dataset holds whole files: --filter and the online form (--start/--end) "
              "go with a store, not --dataset", file=sys.stderr)
        return EXIT_USAGE
    collectors = [c.strip() for value in args.collector or [] for c in value.split(",") if c.strip()]
    if len(collectors) > 1:
        print("bgp-explorer ingest: files take one --collector (the name for all of them)", file=sys.stderr)
        return EXIT_USAGE
    outcomes, derived = [], None
    try:
        with dask_client(args.cluster) as client:
            for event in ingest_dataset(args.dataset, args.paths, client=client,
                                        collector=collectors[0] if collectors else None,
                                        backend=args.backend):
                if isinstance(event, Derived):
                    derived = event
                    continue
                outcomes.append(event)
                if not args.json:
                    print(_outcome_line(event), flush=True)
    except ClusterError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    failed = sum(o.failed for o in outcomes)
    if args.json:
        print(json.dumps({"dataset": str(args.dataset), "cluster": args.cluster or "local",
                          "files": [o.summary() for o in outcomes],
                          "derived": derived and {"days": derived.days, "collectors": derived.collectors,
                                                  "rows": derived.rows, "elapsed_s": round(derived.elapsed_s, 3)}},
                         indent=2))
    else:
        print(f"{len(outcomes)} file(s): {len(outcomes) - failed} imported or already there, {failed} failed"
              + (f"; route intervals derived for {derived.days} day(s) of {derived.collectors} collector(s) in "
                 f"{derived.elapsed_s:.1f} s" if derived else ""))
        for o in outcomes:
            if o.failed:
                print(f"  {o.status}: {o.path}: {o.reason}")
    return EXIT_FAILED if failed else EXIT_OK


def _outcome_line(o) -> str:
    r = o.record
    if r is None or o.status in ("failed", "unsupported"):
        return f"{o.status:>16}  {o.path}" + (f"\n{'':18}{o.reason}" if o.reason else "")
    counts = (f"{r.rib_entries:,} RIB entries" if r.kind == "rib"
              else f"{r.announcements:,} A, {r.withdrawals:,} W, {r.state_changes:,} state changes")
    rate = (r.rib_entries + r.announcements + r.withdrawals) / r.elapsed_s if r.elapsed_s else 0
    line = f"{o.status:>16}  {o.path}  [{r.collector}, {r.kind}, {r.backend}] {counts}, {r.elapsed_s:.2f} s " \
           f"({rate:,.0f} elements/s)"
    return line + (f"\n{'':18}{o.reason}" if o.reason else "")


class _Bars:
    """A tqdm bar per file being parsed, elements and elements per second, only on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict = {}

    def start(self, path: str) -> None:
        pass        # a file waiting for a parser gets its bar when its first elements arrive

    def update(self, path: str, elements: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(path)
        if bar is None:
            from tqdm import tqdm

            bar = self.bars[path] = tqdm(desc=os.path.basename(path), unit=" elements", unit_scale=True,
                                         leave=False, file=sys.stderr, mininterval=0, initial=elements)
        bar.update(elements - bar.n)

    def write(self, line: str) -> None:
        """Print above the bars without tearing them."""
        if self.enabled:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self, path: str) -> None:
        bar = self.bars.pop(path, None)
        if bar is not None:
            bar.close()

    def close_all(self) -> None:
        for path in list(self.bars):
            self.close(path)


def _cmd_ingest_online(args, collectors: list[str]) -> int:
    from explorer.ingest.backends import BackendUnavailable
    from explorer.ingest.online import OnlineError, ingest_online

    if not (collectors and args.start and args.end):
        print("bgp-explorer ingest: an online ingest needs --collector, --start and --end", file=sys.stderr)
        return EXIT_USAGE
    try:
        start, end = parse_time(args.start), parse_time(args.end)
    except ValueError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with Store(store_path(args)) as store:
            return _report(args, lambda on_progress: ingest_online(
                store, collectors, start, end, filter_text=args.filter, broker_url=args.broker_url,
                on_progress=on_progress))
    except BackendUnavailable as exc:
        print(f"bgp-explorer ingest: the online form needs pybgpstream, which is not available here: {exc}",
              file=sys.stderr)
        return EXIT_FAILED
    except OnlineError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_FAILED

"""The command line, over the same functions the window uses.

    bgp-explorer [--store PATH] ingest PATH... [--collector NAME] [--filter EXPR] [--jobs N] [--json]
    bgp-explorer [--store PATH] info [--json]
    bgp-explorer [--store PATH] export-parquet FOLDER
    bgp-explorer visibility | events | graph | registry import   (see explorer/cli_analysis.py)
    bgp-explorer screenshot | export                               (see explorer/cli_export.py)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from explorer import __version__
from explorer.store import Store, StoreError, resolve_store_path
from explorer.store.location import ENV_VAR
from explorer.timeutil import parse_time  # noqa: F401  (kept importable from here)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except StoreError as exc:
        print(f"bgp-explorer: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nbgp-explorer: interrupted; every file reported as imported is in the store, the file being "
              "read when you pressed Ctrl-C is not (run the same command again to finish).", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bgp-explorer",
        description="BGP History Explorer: what happened to a country's Internet, when, and through whom.")
    p.add_argument("--version", action="version", version=f"bgp-explorer {__version__}")
    p.add_argument("--store", metavar="PATH",
                   help=f"the store file (default: ${ENV_VAR}, else {resolve_store_path(None)})")
    p.set_defaults(demo=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    store_opts = _store_options()

    ing = sub.add_parser("ingest", parents=[store_opts], help="import MRT files (RIB dumps, updates; plain, .gz, .bz2) into the store",
                         description="Import MRT files or folders (recursively) into the store, one transaction "
                                     "per file. Without PATH, with --start/--end: fetch a collector's archives "
                                     "online through pybgpstream's broker (needs libbgpstream).")
    ing.add_argument("paths", nargs="*", metavar="PATH")
    ing.add_argument("--collector", help="collector name for these files (default: from the path, e.g. rrc23, "
                                         "route-views.sg; otherwise 'unknown')")
    ing.add_argument("--filter", metavar="EXPR", help="bgpstream filter, e.g. 'prefix more 175.45.176.0/22 and "
                                                      "path _131279_' (elements outside it are not stored)")
    ing.add_argument("--jobs", type=int, default=1, help="parser processes (default 1)")
    ing.add_argument("--backend", default="auto", choices=["auto", "bgpkit", "bgpdump", "bgpstream"],
                     help="parser backend (default auto: pybgpkit-parser, and bgpdump where installed for "
                          "the files it cannot read)")
    ing.add_argument("--start", help="online ingest: start time (UTC, ISO 8601 or Unix seconds)")
    ing.add_argument("--end", help="online ingest: end time")
    ing.add_argument("--json", action="store_true", help="print one machine-readable summary")
    ing.set_defaults(run=_cmd_ingest)

    info = sub.add_parser("info", parents=[store_opts], help="what the store holds")
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=_cmd_info)

    exp = sub.add_parser("export-parquet", parents=[store_opts], help="write the store as Parquet partitioned by collector and day",
                         description="Write every table as Parquet; elements, state changes and intervals are "
                                     "partitioned by collector and day (Hive layout) for DuckDB, Spark or Trino.")
    exp.add_argument("folder")
    exp.set_defaults(run=_cmd_export)

    from explorer.cli_analysis import add_commands

    add_commands(sub, store_opts, store_path)
    from explorer.cli_export import add_view_commands

    add_view_commands(sub, store_opts, store_path)
    return p


def _store_options() -> argparse.ArgumentParser:
    """``--store`` and ``--demo``, accepted after every command as well as before it."""
    opts = argparse.ArgumentParser(add_help=False)
    opts.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS,
                      help="the store file (default: $%s, else the user data folder)" % ENV_VAR)
    opts.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                      help="use the embedded demo store (North Korea, December 2014; built on first use)")
    return opts


def store_path(args) -> Path:
    """The store a command works on: the demo's when ``--demo`` is given, else ``resolve_store_path``."""
    if getattr(args, "demo", False):
        from explorer.demo import ensure_demo_store

        return ensure_demo_store()
    return resolve_store_path(args.store)


# -- ingest ----------------------------------------------------------------------------------------

def _cmd_ingest(args) -> int:
    from explorer.ingest.filters import FilterError, parse_filter
    from explorer.ingest.pipeline import Outcome, Started, ingest

    if not args.paths:
        if args.start or args.end:
            return _cmd_ingest_online(args)
        print("bgp-explorer ingest: name files or folders to import (or --collector, --start and --end for an "
              "online ingest)", file=sys.stderr)
        return EXIT_USAGE
    if args.filter:
        try:
            parse_filter(args.filter)
        except FilterError as exc:
            print(f"bgp-explorer ingest: bad --filter: {exc}", file=sys.stderr)
            return EXIT_USAGE
    bars = _Bars(enabled=not args.json and sys.stderr.isatty())
    outcomes: list[Outcome] = []
    with Store(store_path(args)) as store:
        try:
            events = ingest(store, args.paths, collector=args.collector, filter_text=args.filter,
                            jobs=args.jobs, backend=args.backend, on_progress=bars.update)
            for event in events:
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
    if args.json:
        backends = sorted({o.record.backend for o in outcomes if o.record})
        print(json.dumps({"backend": backends[0] if len(backends) == 1 else backends,
                          "store": str(store_path(args)),
                          "files": [o.summary() for o in outcomes]}, indent=2))
    else:
        failed = sum(o.failed for o in outcomes)
        print(f"{len(outcomes)} file(s): {len(outcomes) - failed} imported or already there, {failed} failed")
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK


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


def _cmd_ingest_online(args) -> int:
    from explorer.ingest.backends import BackendUnavailable
    from explorer.ingest.online import ingest_online

    if not (args.collector and args.start and args.end):
        print("bgp-explorer ingest: an online ingest needs --collector, --start and --end", file=sys.stderr)
        return EXIT_USAGE
    try:
        start, end = parse_time(args.start), parse_time(args.end)
    except ValueError as exc:
        print(f"bgp-explorer ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with Store(store_path(args)) as store:
            outcomes = list(ingest_online(store, args.collector, start, end, filter_text=args.filter))
    except BackendUnavailable as exc:
        print(f"bgp-explorer ingest: the online form needs pybgpstream, which is not available here: {exc}",
              file=sys.stderr)
        return EXIT_FAILED
    for o in outcomes:
        print(_outcome_line(o))
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK


# -- info ------------------------------------------------------------------------------------------

def _cmd_info(args) -> int:
    from explorer.ingest.libbgpstream import describe
    from explorer.store.summary import store_summary

    path = store_path(args)
    if not path.exists():
        print(f"No store at {path} yet. Import archives with: bgp-explorer ingest PATH... "
              "(or look at the demo first: bgp-explorer info --demo)")
        print(f"Backends   {describe()}")
        return EXIT_OK
    with Store(path, read_only=True) as store:
        s = store_summary(store)
    if args.json:
        print(json.dumps(s, indent=2))
        return EXIT_OK
    files = ", ".join(f"{n} {status}" for status, n in s["files"].items()) or "none"
    el = s["elements"]
    if s["demo"]:
        print(s["demo"])
    print(f"Store      {s['store']} (schema {s['schema_version']}, {s['bytes'] / 1e6:.1f} MB)")
    print(f"Files      {files}")
    print(f"Span       {s['first'] or '-'} .. {s['last'] or '-'} (UTC)")
    print(f"Sessions   {s['sessions']:,} peer sessions at {len(s['collectors'])} collector(s)")
    for c in s["collectors"]:
        print(f"           {c['collector']}: {c['files']} file(s), {c['sessions']} session(s)")
    print(f"Prefixes   {s['prefixes']['ipv4']:,} IPv4, {s['prefixes']['ipv6']:,} IPv6; {s['paths']:,} AS paths")
    print(f"Elements   {el['rib_entries']:,} RIB entries, {el['announcements']:,} announcements, "
          f"{el['withdrawals']:,} withdrawals, {s['state_changes']:,} state changes")
    print(f"Intervals  {s['intervals']:,} route intervals (session x prefix x path)")
    print(f"Backends   {describe()}")
    return EXIT_OK


def _cmd_export(args) -> int:
    from explorer.store.meta import DEMO_LABEL_KEY, get_meta
    from explorer.store.parquet import export_parquet

    with Store(store_path(args), read_only=True) as store:
        rows = export_parquet(store, args.folder)
        label = get_meta(store, DEMO_LABEL_KEY)
    for table, n in rows.items():
        print(f"{table:15} {n:>12,} rows")
    print(f"written to {args.folder}" + (f" ({label}; the meta table says so too)" if label else ""))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

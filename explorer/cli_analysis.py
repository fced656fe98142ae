"""The analysis commands: visibility, events, graph, and registry import.

    bgp-explorer visibility (--country CC | --prefix P... | --origin ASN) --start T --end T [--step S]
                            [--by prefix|upstream|total] [--format csv|json]
    bgp-explorer events     (--country | --prefix | --origin) --start T --end T [--step S] [--format json|csv]
    bgp-explorer graph      (--country | --prefix | --origin) --at T [--since T0] [--format json|dot]
    bgp-explorer registry import FILE...

Times in: UTC ISO 8601 or Unix seconds; out: UTC ISO 8601. Every output carries the definitions
that produced it (a '#' line before a CSV header, a "definitions" field in JSON). A question the
store cannot answer as asked exits with status 2 and one line saying why.
"""

from __future__ import annotations

import csv
import json
import sys

from explorer.analysis import AnalysisError, Definitions, Window
from explorer.registry import CountryError
from explorer.store import Store, StoreError
from explorer.timeutil import iso, parse_duration, parse_time

EXIT_OK, EXIT_USAGE = 0, 2


def add_commands(sub, store_opts, store_path) -> None:
    scope = _scope_options()
    defs = _definition_options()
    vis = sub.add_parser("visibility", parents=[store_opts, scope, defs],
                         help="visible prefixes of a country, prefixes or origin AS at each instant of a window")
    _window(vis)
    vis.add_argument("--by", choices=["total", "prefix", "upstream"], default="total")
    vis.add_argument("--format", choices=["csv", "json"], default="csv")
    vis.set_defaults(run=lambda a: _guard(_cmd_visibility, a, store_path))

    ev = sub.add_parser("events", parents=[store_opts, scope, defs], help="outages and instability periods")
    _window(ev)
    ev.add_argument("--format", choices=["json", "csv"], default="json")
    ev.set_defaults(run=lambda a: _guard(_cmd_events, a, store_path))

    gr = sub.add_parser("graph", parents=[store_opts, scope], help="the AS-path graph toward a scope at an instant")
    gr.add_argument("--at", required=True, help="the instant (UTC ISO 8601 or Unix seconds)")
    gr.add_argument("--since", help="also list the edges lost and gained since this instant")
    gr.add_argument("--format", choices=["json", "dot"], default="json")
    gr.set_defaults(run=lambda a: _guard(_cmd_graph, a, store_path))

    reg = sub.add_parser("registry", help="country and AS-name data: RIR delegation files, AS names")
    regsub = reg.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    imp = regsub.add_parser("import", parents=[store_opts],
                            help="import RIR delegation statistics, AS-names or CAIDA AS-to-organisation files")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(run=lambda a: _guard(_cmd_registry_import, a, store_path))


def _scope_options():
    import argparse

    p = argparse.ArgumentParser(add_help=False)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--country", help="ISO code or English name: KP, 'North Korea'")
    g.add_argument("--prefix", nargs="+", metavar="P", help="prefixes (their more-specifics included)")
    g.add_argument("--origin", help="origin AS: 131279 or AS131279")
    return p


def _definition_options():
    import argparse

    d = Definitions()
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--full-feed", default=d.full_feed, help=f"all | min:N | share:S (default {d.full_feed})")
    p.add_argument("--threshold", type=float, default=d.threshold,
                   help=f"share of full-feed sessions that makes a prefix visible (default {d.threshold})")
    p.add_argument("--min-table", type=int, default=d.min_table,
                   help=f"a collector with no table this large has no full feed (default {d.min_table:,})")
    return p


def _window(p) -> None:
    p.add_argument("--start", required=True, help="UTC ISO 8601 (2014-12-22T16:15:00Z) or Unix seconds")
    p.add_argument("--end", required=True)
    p.add_argument("--step", default="300", help="seconds, or 5m, 1h (default 300)")


def _guard(cmd, args, store_path) -> int:
    try:
        return cmd(args, store_path(args))
    except (AnalysisError, CountryError, ValueError, FileNotFoundError) as exc:
        print(f"bgp-explorer {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _open(path) -> Store:
    """Read-only; a store of an older schema is migrated once (with its backup) first."""
    if not path.exists():
        raise StoreError(f"No store at {path}: import some files first (bgp-explorer ingest PATH).")
    try:
        return Store(path, read_only=True)
    except StoreError as exc:
        if "needs migrating" not in str(exc):
            raise
    Store(path).close()
    return Store(path, read_only=True)


def _question(args):
    if args.country:
        from explorer.registry import resolve_country

        resolve_country(args.country)       # an unknown country is told before anything is read
    window = Window(parse_time(args.start), parse_time(args.end), parse_duration(args.step))
    defs = Definitions(full_feed=args.full_feed, threshold=args.threshold, min_table=args.min_table)
    return window, defs, dict(country=args.country, prefixes=args.prefix, origin=args.origin)


def _visibility(store, args):
    from explorer.analysis.scope import resolve_scope
    from explorer.analysis.visibility import check_window, visibility

    window, defs, scope_args = _question(args)
    check_window(store.con, window)
    scope = resolve_scope(store.con, window, **scope_args)
    return visibility(store.con, scope, window, defs)


def _cmd_visibility(args, path) -> int:
    from explorer.analysis import visibility as vm
    from explorer.registry.mapping import as_names

    with _open(path) as store:
        v = _visibility(store, args)
        times = [iso(int(t)) for t in v.window.instants()]
        if args.by == "total":
            cols = ["time", "scope", "visible_prefixes", "visible_slash24", "visible_origins", "announcements",
                    "withdrawals"]
            rows = [[t, v.scope.label, *map(int, x)] for t, *x in zip(
                times, v.visible_prefixes, v.visible_slash24, v.visible_origins, v.announcements, v.withdrawals)]
        elif args.by == "prefix":
            cols = ["time", "prefix", "peers", "full_feed_peers", "visibility"]
            ids, peers, ffp = vm.by_prefix(v)
            n = [v.full_feed.counts.get(int(v.scope.index.af[i]), 0) for i in ids]
            rows = [[t, v.scope.index.prefix[p], int(peers[r, k]), int(ffp[r, k]),
                     round(ffp[r, k] / n[r], 4) if n[r] else 0.0]
                    for k, t in enumerate(times) for r, p in enumerate(ids)]
        else:
            cols = ["time", "upstream_asn", "upstream_name", "visible_prefixes"]
            asns, counts = vm.by_upstream(store.con, v)
            names = as_names(store.con, asns.tolist())
            rows = [[t, int(a), names.get(int(a)) or "", int(counts[r, k])]
                    for k, t in enumerate(times) for r, a in enumerate(asns)]
    _emit(args.format, v.header(), cols, rows)
    return EXIT_OK


def _cmd_events(args, path) -> int:
    from explorer.analysis.events import find_events

    with _open(path) as store:
        v = _visibility(store, args)
        events = find_events(store.con, v)
    cols = ["kind", "start", "end", "duration_s", "prefixes", "slash24", "depth"]
    if args.format == "json":
        print(json.dumps({"definitions": v.header(), "events": events}, indent=2))
    else:
        _emit("csv", v.header(), cols, [[e[c] for c in cols] for e in events])
    return EXIT_OK


def _cmd_graph(args, path) -> int:
    from explorer.analysis.graph import graph_dot, graph_json
    from explorer.analysis.scope import resolve_scope
    from explorer.analysis.visibility import check_window

    if args.country:
        from explorer.registry import resolve_country

        resolve_country(args.country)
    at = parse_time(args.at)
    since = parse_time(args.since) if args.since else None
    with _open(path) as store:
        for t in (at, since):
            if t is not None:
                check_window(store.con, Window(t, t))
        scope = resolve_scope(store.con, Window(at, at), country=args.country, prefixes=args.prefix,
                              origin=args.origin)
        doc = graph_json(store.con, scope, at, since)
    print(json.dumps(doc, indent=2) if args.format == "json" else graph_dot(doc))
    return EXIT_OK


def _cmd_registry_import(args, path) -> int:
    from explorer.registry.files import RegistryFileError, import_registry_files

    with Store(path) as store:
        try:
            results = import_registry_files(store, args.files)
        except RegistryFileError as exc:
            print(f"bgp-explorer registry import: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for rf, what in results:
        if rf is None:
            print(what)
        else:
            detail = f"{rf.registry or ''} {rf.kind} of {rf.file_date or 'no date'}".strip()
            print(f"imported: {rf.path} ({detail}: {len(rf.ranges):,} address blocks, {len(rf.asns):,} AS blocks, "
                  f"{len(rf.names):,} AS names)")
    return EXIT_OK


def _emit(fmt: str, header: dict, cols: list[str], rows: list[list]) -> None:
    if fmt == "json":
        print(json.dumps({"definitions": header, "rows": [dict(zip(cols, r)) for r in rows]}, indent=2))
        return
    out = sys.stdout
    out.write("# definitions: " + json.dumps(header) + "\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)

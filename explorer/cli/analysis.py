"""The analysis commands: visibility, events, graph, and registry import.

    bgp-explorer visibility (--country CC | --prefix P... | --origin ASN) --start T --end T [--step S]
                            [--by prefix|upstream|share|total] [--format csv|json]
    bgp-explorer events     (--country | --prefix | --origin) --start T --end T [--step S] [--format table|json|csv]
    bgp-explorer graph      (--country | --prefix | --origin) --at T [--since T0] [--format json|dot]
    bgp-explorer registry import FILE...

Times in: UTC ISO 8601 or Unix seconds; out: UTC ISO 8601 (events to the microsecond of the store's
times, whatever the step), or for people ("Mon 22 Dec 16:15") in the events table a terminal gets. Every output carries the definitions
that produced it (a '#' line before a CSV header, a "definitions" field in JSON). A question the
store cannot answer as asked exits with status 2 and one line saying why.

The rows come from ``visibility_table`` and ``graph_document``, which ``export`` calls too, so a
view's CSV and JSON are these commands' outputs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass

from explorer.analysis import Definitions, Window
from explorer.cli.common import EXIT_OK, EXIT_USAGE, open_reading, say, store_path
from explorer.store import Store
from explorer.timeutil import iso, parse_duration, parse_time

BY = ("total", "prefix", "upstream", "share")


def add_commands(sub, store_opts) -> None:
    scope = _scope_options()
    defs = _definition_options()
    vis = sub.add_parser("visibility", parents=[store_opts, scope, defs],
                         help="visible prefixes of a country, prefixes or origin AS at each instant of a window")
    _window(vis)
    vis.add_argument("--by", choices=BY, default="total")
    vis.add_argument("--format", choices=["csv", "json"], default="csv")
    vis.set_defaults(run=_cmd_visibility)

    ev = sub.add_parser("events", parents=[store_opts, scope, defs], help="outages and instability periods")
    _window(ev)
    ev.add_argument("--format", choices=["table", "json", "csv"], default=None,
                    help="table (the default on a terminal), json (the default otherwise) or csv")
    ev.set_defaults(run=_cmd_events)

    gr = sub.add_parser("graph", parents=[store_opts, scope], help="the AS-path graph toward a scope at an instant")
    gr.add_argument("--at", required=True, help="the instant (UTC ISO 8601 or Unix seconds)")
    gr.add_argument("--since", help="also list the edges lost and gained since this instant")
    gr.add_argument("--format", choices=["json", "dot"], default="json")
    gr.set_defaults(run=_cmd_graph)

    reg = sub.add_parser("registry", help="country and AS-name data: RIR delegation files, AS names")
    regsub = reg.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    imp = regsub.add_parser("import", parents=[store_opts],
                            help="import RIR delegation statistics, AS-names or CAIDA AS-to-organisation files")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(run=_cmd_registry_import)


def _scope_options():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_mutually_exclusive_group(required=True)
    add_scope(g)
    return p


def add_scope(group) -> None:
    """--country, --prefix (repeatable: the prefixes add up) and --origin, into a mutually exclusive group."""
    group.add_argument("--country", help="ISO code or English name: KP, 'North Korea'")
    group.add_argument("--prefix", nargs="+", action="extend", metavar="P",
                       help="prefixes, their more-specifics included (--prefix A B, or --prefix A --prefix B)")
    group.add_argument("--origin", help="origin AS: 131279 or AS131279")


def _definition_options():
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


@dataclass(frozen=True)
class Question:
    """A scope over a window under definitions: what visibility and events answer."""

    scope: dict                 # country=, prefixes= or origin= (resolve_scope's arguments)
    window: Window
    definitions: Definitions


def _question(args) -> Question:
    window = Window(parse_time(args.start), parse_time(args.end), parse_duration(args.step))
    defs = Definitions(full_feed=args.full_feed, threshold=args.threshold, min_table=args.min_table)
    return Question(_scope_of(args), window, defs)


def _scope_of(args) -> dict:
    if args.country:
        from explorer.registry import resolve_country

        resolve_country(args.country)       # an unknown country is told before anything is read
    return dict(country=args.country, prefixes=args.prefix, origin=args.origin)


def _visibility(con, q: Question):
    from explorer.analysis.scope import resolve_scope
    from explorer.analysis.visibility import check_window, visibility

    check_window(con, q.window)
    scope = resolve_scope(con, q.window, **q.scope)
    return visibility(con, scope, q.window, q.definitions)


def visibility_table(con, q: Question, by: str = "total") -> tuple[dict, list[str], list[list]]:
    """(definitions header, columns, rows) of the visibility series, by total, prefix or upstream."""
    from explorer.analysis import visibility as vm
    from explorer.registry.mapping import as_names

    v = _visibility(con, q)
    times = [iso(int(t)) for t in v.window.instants()]
    if by == "total":
        cols = ["time", "scope", "visible_prefixes", "visible_slash24", "visible_origins", "announcements",
                "withdrawals"]
        rows = [[t, v.scope.label, *map(int, x)] for t, *x in zip(
            times, v.visible_prefixes, v.visible_slash24, v.visible_origins, v.announcements, v.withdrawals)]
    elif by == "prefix":
        cols = ["time", "prefix", "peers", "full_feed_peers", "visibility"]
        ids, peers, ffp = vm.by_prefix(v)
        n = [v.full_feed.counts.get(int(v.scope.index.af[i]), 0) for i in ids]
        texts = v.scope.index.texts(ids)
        rows = [[t, texts[r], int(peers[r, k]), int(ffp[r, k]),
                 round(ffp[r, k] / n[r], 4) if n[r] else 0.0]
                for k, t in enumerate(times) for r in range(len(ids))]
    elif by == "upstream":
        cols = ["time", "upstream_asn", "upstream_name", "visible_prefixes"]
        asns, counts = vm.by_upstream(con, v)
        names = as_names(con, asns.tolist())
        rows = [[t, int(a), names.get(int(a)) or "", int(counts[r, k])]
                for k, t in enumerate(times) for r, a in enumerate(asns)]
    else:
        cols = ["time", "upstream_asn", "upstream_name", "routes", "share"]
        asns, counts = vm.upstream_routes(v)
        names = as_names(con, asns.tolist())
        total = counts.sum(axis=0)
        rows = [[t, int(a), names.get(int(a)) or "", int(counts[r, k]),
                 round(float(counts[r, k] / total[k]), 4) if total[k] else 0.0]
                for k, t in enumerate(times) for r, a in enumerate(asns)]
    return v.header(), cols, rows


def graph_document(con, scope: dict, at: int, since: int | None = None) -> dict:
    """The graph at ``at`` (and what changed since ``since``), as ``graph --format json`` prints it."""
    from explorer.analysis.graph import graph_json
    from explorer.analysis.scope import resolve_scope
    from explorer.analysis.visibility import check_window

    for t in (at, since):
        if t is not None:
            check_window(con, Window(t, t))
    return graph_json(con, resolve_scope(con, Window(at, at), **scope), at, since)


def _cmd_visibility(args) -> int:
    q = _question(args)
    with open_reading(store_path(args)) as store, store.reader() as con:
        header, cols, rows = visibility_table(con, q, args.by)
    emit(args.format, header, cols, rows)
    return EXIT_OK


def _cmd_events(args) -> int:
    from explorer.analysis.events import find_events

    q = _question(args)
    with open_reading(store_path(args)) as store, store.reader() as con:
        v = _visibility(con, q)
        events = find_events(con, v)
    cols = ["kind", "start", "end", "duration_s", "prefixes", "slash24", "depth"]
    fmt = args.format or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        print(json.dumps({"definitions": v.header(), "events": events}, indent=2))
    elif fmt == "csv":
        emit("csv", v.header(), cols, [[e[c] for c in cols] for e in events])
    else:
        print(events_table(v, events))
    return EXIT_OK


PREFIX_LINES = 10           # per outage, in the table; the JSON lists them all


def events_table(v, events: list[dict]) -> str:
    """The events for people: when, how long, what, how many; each outage's prefixes under it."""
    from explorer.analysis.events import what
    from explorer.registry.countries import country_name
    from explorer.timeutil import duration_text, parse_time_us as _us, span_text

    w = v.window
    label = v.scope.label
    words = country_name(label) if label.isalpha() and len(label) == 2 else None
    head = [f"{words} ({label})" if words else label,
            f"{span_text(w.start * 1_000_000, w.end * 1_000_000)}: {len(events)} event(s) at the routing changes"]
    rows = [("event", "start (UTC)", "end (UTC)", "duration", "what", "prefixes", "/24s")]
    for e in events:
        start, end = _us(e["start"]), _us(e["end"])
        rows.append((e["kind"], _when(start), _when(end) + ("" if e.get("restored", True) else " (not back)"),
                     duration_text(e["duration_s"]), what(e), f"{e['prefixes']:,}", f"{e['slash24']:,}"))
        spans = e.get("by_prefix", [])
        for p in spans[:PREFIX_LINES]:
            ps, pe = _us(p["start"]), _us(p["end"])
            how = "withdrawn" if p["all_withdrawn"] else "below the visibility threshold"
            rows.append(("", "  " + _when(ps), _when(pe) + ("" if p["restored"] else " (not back)"),
                         duration_text(p["duration_s"]), f"  {p['prefix']} {how}", "", ""))
        if len(spans) > PREFIX_LINES:
            rows.append(("", "", "", "", f"  ... and {len(spans) - PREFIX_LINES:,} more prefixes (--format json)",
                         "", ""))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    right = {5, 6}
    lines = ["  ".join(cell.rjust(widths[c]) if c in right else cell.ljust(widths[c]) for c, cell in enumerate(r))
             .rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * n for n in widths))
    if not events:
        lines = lines[:2] + ["(none)"]
    return "\n".join(head + [""] + lines + ["", "Definitions: " + v.definitions.describe()])


def _when(us: int) -> str:
    from explorer.timeutil import clock, day

    return f"{day(us)} {clock(us)}"


def _cmd_graph(args) -> int:
    from explorer.analysis.graph import graph_dot

    scope = _scope_of(args)
    at = parse_time(args.at)
    since = parse_time(args.since) if args.since else None
    with open_reading(store_path(args)) as store, store.reader() as con:
        doc = graph_document(con, scope, at, since)
    print(json.dumps(doc, indent=2) if args.format == "json" else graph_dot(doc))
    return EXIT_OK


def _cmd_registry_import(args) -> int:
    from explorer.registry.files import RegistryFileError, import_registry_files

    with Store(store_path(args)) as store:
        try:
            results = import_registry_files(store, args.files)
        except RegistryFileError as exc:
            say("registry import", str(exc))
            return EXIT_USAGE
    for rf, what in results:
        if rf is None:
            print(what)
        else:
            detail = f"{rf.registry or ''} {rf.kind} of {rf.file_date or 'no date'}".strip()
            print(f"imported: {rf.path} ({detail}: {len(rf.ranges):,} address blocks, {len(rf.asns):,} AS blocks, "
                  f"{len(rf.names):,} AS names)")
    return EXIT_OK


def emit(fmt: str, header: dict, cols: list[str], rows: list[list], out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(json.dumps({"definitions": header, "rows": [dict(zip(cols, r)) for r in rows]}, indent=2) + "\n")
        return
    out.write("# definitions: " + json.dumps(header) + "\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)

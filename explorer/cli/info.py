"""What the store holds (``info``), and the store written as Parquet (``export-parquet``).

    bgp-explorer info [--json]
    bgp-explorer export-parquet FOLDER
"""

from __future__ import annotations

import json

from explorer.cli.common import EXIT_OK, open_reading, store_path


def add_commands(sub, store_opts) -> None:
    info = sub.add_parser("info", parents=[store_opts], help="what the store holds")
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=_cmd_info)

    exp = sub.add_parser("export-parquet", parents=[store_opts], help="write the store as Parquet partitioned by collector and day",
                         description="Write every table as Parquet; elements, state changes and intervals are "
                                     "partitioned by collector and day (Hive layout) for DuckDB, Spark or Trino.")
    exp.add_argument("folder")
    exp.set_defaults(run=_cmd_export_parquet)


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
    with open_reading(path) as store:
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
    if s["read_by"]:
        print("Read by    " + ", ".join(f"{b} {n} file(s)" for b, n in s["read_by"].items()))
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


def _cmd_export_parquet(args) -> int:
    from explorer.store.meta import DEMO_LABEL_KEY, get_meta
    from explorer.store.parquet import export_parquet

    with open_reading(store_path(args)) as store:
        rows = export_parquet(store, args.folder)
        label = get_meta(store, DEMO_LABEL_KEY)
    for table, n in rows.items():
        print(f"{table:15} {n:>12,} rows")
    print(f"written to {args.folder}" + (f" ({label}; the meta table says so too)" if label else ""))
    return EXIT_OK

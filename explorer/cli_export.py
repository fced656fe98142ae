"""``bgp-explorer export``: a view as a slide (PNG, SVG, PDF) or its data (CSV, JSON), headless.

    bgp-explorer export BRIEFING.json --out FILE.(png|svg|pdf|csv|json) [--view both|graph|timeline]
                        [--size 1920x1080] [--scale 2]
    bgp-explorer export --demo --out kp.pdf       (the demo briefing: KP, 19-24 Dec 2014, with its notes)
    bgp-explorer export --country KP --start T --end T [--at T] [--step S] --out FILE

The picture carries a title, the role legend, the definitions in force and a provenance footer
(store, files, collectors, sessions, window, when it was made, and the demo label for the demo).
The CSV is the timeline's series (``visibility --by`` the timeline's mode) and the JSON the graph at
the cursor (``graph``), each with the definitions that produced it.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PICTURES = (".png", ".svg", ".pdf")
DATA = (".csv", ".json")
DEMO_BRIEFING = "kp-2014-12.briefing.json"     # in resources/: what `export --demo` shows
BY_MODE = {"upstream": "upstream", "peers": "prefix", "slash24": "total"}


def add_export(sub, store_opts, store_path) -> None:
    exp = sub.add_parser("export", parents=[store_opts],
                         help="a view as a slide (PNG, SVG, PDF) or its data (CSV, JSON), without a window",
                         description=__doc__.split("\n\n")[0])
    exp.add_argument("briefing", nargs="?", metavar="BRIEFING", help="a briefing file (JSON) to export")
    scope = exp.add_mutually_exclusive_group()
    scope.add_argument("--country", help="ISO code or English name, e.g. KP")
    scope.add_argument("--prefix", nargs="+", metavar="P", help="prefixes (their more-specifics included)")
    scope.add_argument("--origin", help="origin AS, e.g. 131279")
    exp.add_argument("--start", help="window start (UTC ISO 8601 or Unix seconds)")
    exp.add_argument("--end", help="window end")
    exp.add_argument("--at", help="the time cursor (default: the window's end)")
    exp.add_argument("--step", default="300", help="seconds between instants, or 5m, 1h (default 300)")
    exp.add_argument("--mode", choices=sorted(BY_MODE), default="upstream", help="what the timeline shows")
    exp.add_argument("--view", choices=["both", "graph", "timeline"], default="both",
                     help="graph and timeline side by side (default), or either alone")
    exp.add_argument("--size", default="1920x1080", help="the picture in pixels, WIDTHxHEIGHT (default 1920x1080)")
    exp.add_argument("--scale", type=float, default=1.0, help="PNG pixel density: 2 for a sharper picture")
    exp.add_argument("--title", help="the slide's title (default: the briefing's, else the scope and window)")
    exp.add_argument("--out", required=True, help="the file to write: .png, .svg, .pdf, .csv or .json")
    exp.set_defaults(run=lambda a: _cmd_export(a, store_path))


def _cmd_export(args, store_path) -> int:
    from explorer.briefing.briefing import BriefingError, load
    from explorer.briefing.state import StateError

    out = Path(args.out)
    if out.suffix.lower() not in PICTURES + DATA:
        return _usage(f"--out {out}: the file must end in .png, .svg, .pdf, .csv or .json")
    title, annotations, briefing = args.title, [], None
    try:
        if args.briefing:
            briefing = load(args.briefing)
            state, title = briefing.view, title or briefing.title or None
            annotations = briefing.annotations
            if briefing.demo and not getattr(args, "store", None):
                args.demo = True            # a briefing of the demo opens on the demo store
        elif getattr(args, "demo", False) and not (args.country or args.prefix or args.origin):
            from explorer.resources import resource_path

            briefing = load(resource_path(DEMO_BRIEFING))     # the demo's view, with its notes
            state, title = briefing.view, title or briefing.title
            annotations = briefing.annotations
        else:
            state = _state_from_options(args)
        width, height = _size(args.size)
    except (BriefingError, StateError, ValueError) as exc:
        return _usage(str(exc))
    path = store_path(args)
    if not path.exists():
        return _usage(f"no store at {path}: import files first (bgp-explorer ingest), or use --demo")
    if briefing is not None and briefing.files:
        _warn_missing(path, briefing)
    if out.suffix.lower() in DATA:
        return _export_data(path, state, out)
    from explorer.ui.slides import render_export

    note = "demo" if getattr(args, "demo", False) else ""
    try:
        render_export(path, state, out, view=args.view, size=(width, height), scale=args.scale, title=title,
                      annotations=annotations, note=note)
    except (RuntimeError, ValueError) as exc:
        print(f"bgp-explorer export: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {out} ({args.view}, {width}x{height}{f' x{args.scale:g}' if args.scale != 1 else ''}): "
          f"{state.describe()}")
    return EXIT_OK


def _state_from_options(args):
    from explorer.briefing.state import ViewState
    from explorer.cli import _seconds
    from explorer.timeutil import parse_time

    if not (args.country or args.prefix or args.origin):
        raise ValueError("name a briefing file, or a scope (--country, --prefix or --origin) with --start and --end")
    if not (args.start and args.end):
        raise ValueError("give --start and --end with the scope")
    kind, scope = (("country", args.country) if args.country else
                   ("prefixes", " ".join(args.prefix)) if args.prefix else ("origin", args.origin))
    start, end = parse_time(args.start), parse_time(args.end)
    return ViewState(scope_kind=kind, scope=scope, start=start, end=end, step=_seconds(args.step),
                     at=parse_time(args.at) if args.at else end, timeline_mode=args.mode)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text}: WIDTHxHEIGHT in pixels, e.g. 1920x1080") from None
    if not (200 <= width <= 16000 and 200 <= height <= 16000):
        raise ValueError(f"--size {text}: each side between 200 and 16000 pixels")
    return width, height


def _warn_missing(path: Path, briefing) -> None:
    from explorer.store import Store

    with Store(path, read_only=True) as store:
        have = {r[0] for r in store.con.execute(
            "SELECT sha256 FROM files WHERE status IN ('ok', 'truncated', 'damaged')").fetchall()}
    missing = briefing.missing_from(have)
    if missing:
        names = ", ".join(f.path for f in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        print(f"bgp-explorer export: the store lacks {len(missing)} of the briefing's {len(briefing.files)} "
              f"files, so the numbers may differ from the briefing's: {names}", file=sys.stderr)


def _export_data(path: Path, state, out: Path) -> int:
    """The timeline's series (CSV) or the graph at the cursor (JSON), by the analysis commands."""
    from explorer.cli import main
    from explorer.timeutil import iso

    scope = {"country": ["--country", state.scope], "origin": ["--origin", state.scope],
             "prefixes": ["--prefix", *state.prefixes]}[state.scope_kind]
    if out.suffix.lower() == ".csv":
        argv = ["visibility", "--store", str(path), *scope, "--start", iso(state.start), "--end", iso(state.end),
                "--step", str(state.step), "--by", BY_MODE[state.timeline_mode], "--format", "csv"]
    else:
        argv = ["graph", "--store", str(path), *scope, "--at", iso(state.cursor), "--since", iso(state.start),
                "--format", "json"]
    if out.suffix.lower() == ".csv":                # the definitions the visibility command takes
        for name in ("full_feed", "threshold", "min_table"):
            if name in state.definitions:
                argv += [f"--{name.replace('_', '-')}", str(state.definitions[name])]
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        status = main(argv)
    if status != EXIT_OK:
        tmp.unlink(missing_ok=True)
        return status
    tmp.replace(out)
    print(f"wrote {out}: {state.describe()}")
    return EXIT_OK


def _usage(message: str) -> int:
    print(f"bgp-explorer export: {message}", file=sys.stderr)
    return EXIT_USAGE

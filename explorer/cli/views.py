"""The commands that draw a view without a window: ``screenshot`` and ``export``.

    bgp-explorer screenshot (--country CC | --prefix P... | --origin ASN | --briefing FILE)
                            [--start T --end T --at T] [--step S] --out FILE.png [--size 1920x1080]
    bgp-explorer export BRIEFING.json --out FILE.(png|svg|pdf|csv|json) [--view both|graph|timeline]
                        [--size 1920x1080] [--scale 2]
    bgp-explorer export --demo --out kp.pdf       (the demo briefing: KP, 19-24 Dec 2014, with its notes)
    bgp-explorer export --country KP --start T --end T [--at T] [--step S] --out FILE

A screenshot is the whole window. An export's picture carries a title, the role legend, the
definitions in force and a provenance footer (store, files, collectors, sessions, window, when it
was made, and the demo label for the demo). Its CSV is the timeline's series (``visibility --by``
the timeline's mode) and its JSON the graph at the cursor (``graph``), each with the definitions
that produced it: the same row builders, called directly.

Pictures are drawn by the window, offscreen (``explorer.ui.offscreen``): the one place outside
``explorer.ui`` that reaches Qt, and only when a picture is asked for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from explorer.analysis import Definitions, Window
from explorer.briefing.briefing import load
from explorer.cli.analysis import Question, add_scope, emit, graph_document, visibility_table
from explorer.cli.common import EXIT_FAILED, EXIT_OK, open_reading, say, store_path
from explorer.demo import DEMO_LABEL
from explorer.resources import resource_path
from explorer.state import ViewState
from explorer.store.queries import kept_files
from explorer.timeutil import parse_duration, parse_time

PICTURES = (".png", ".svg", ".pdf")
DATA = (".csv", ".json")
DEMO_BRIEFING = "kp-2014-12.briefing.json"     # in resources/: what `export --demo` shows
BY_MODE = {"upstream": "upstream", "share": "share", "peers": "prefix", "slash24": "total"}


def add_commands(sub, store_opts) -> None:
    shot = sub.add_parser("screenshot", parents=[store_opts], help="render the explorer window offscreen to a PNG",
                          description="Render the window (graph, timeline, prefixes, events) for one view to a "
                                      "PNG, without a display: for tests, documentation and slides.")
    scope = _view_options(shot)
    scope.required = True
    scope.add_argument("--briefing", metavar="FILE", help="a briefing file (JSON) whose view to render")
    shot.add_argument("--out", required=True, help="the PNG to write")
    shot.set_defaults(run=_cmd_screenshot)

    exp = sub.add_parser("export", parents=[store_opts],
                         help="a view as a slide (PNG, SVG, PDF) or its data (CSV, JSON), without a window",
                         description=__doc__.split("\n\n")[0])
    exp.add_argument("briefing", nargs="?", metavar="BRIEFING", help="a briefing file (JSON) to export")
    _view_options(exp)
    exp.add_argument("--view", choices=["both", "graph", "timeline"], default="both",
                     help="graph and timeline side by side (default), or either alone")
    exp.add_argument("--scale", type=float, default=1.0, help="PNG pixel density: 2 for a sharper picture")
    exp.add_argument("--title", help="the slide's title (default: the briefing's, else the scope and window)")
    exp.add_argument("--out", required=True, help="the file to write: .png, .svg, .pdf, .csv or .json")
    exp.set_defaults(run=_cmd_export)


def _view_options(p: argparse.ArgumentParser):
    """Scope, window, step, cursor, timeline mode and picture size; returns the scope group."""
    scope = p.add_mutually_exclusive_group()
    add_scope(scope)
    p.add_argument("--start", help="window start (UTC ISO 8601 or Unix seconds)")
    p.add_argument("--end", help="window end")
    p.add_argument("--at", help="the time cursor (default: the window's end)")
    p.add_argument("--step", default="300", help="seconds between instants, or 5m, 1h (default 300)")
    p.add_argument("--mode", choices=sorted(BY_MODE), default="upstream",
                   help="what the timeline shows (default: visible prefixes by upstream)")
    p.add_argument("--size", default="1920x1080", help="the picture in pixels, WIDTHxHEIGHT (default 1920x1080)")
    return scope


def _state_from_options(args) -> ViewState:
    if not (args.country or args.prefix or args.origin):
        raise ValueError("name a briefing file, or a scope (--country, --prefix or --origin) with --start and --end")
    if not (args.start and args.end):
        raise ValueError("give --start and --end with the scope (or --briefing FILE)")
    kind, scope = (("country", args.country) if args.country else
                   ("prefixes", " ".join(args.prefix)) if args.prefix else ("origin", args.origin))
    start, end = parse_time(args.start), parse_time(args.end)
    return ViewState(scope_kind=kind, scope=scope, start=start, end=end, step=parse_duration(args.step),
                     at=parse_time(args.at) if args.at else end, timeline_mode=args.mode)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text}: WIDTHxHEIGHT in pixels, e.g. 1920x1080") from None
    if not (200 <= width <= 16000 and 200 <= height <= 16000):
        raise ValueError(f"--size {text}: each side between 200 and 16000 pixels")
    return width, height


def _note(args) -> str:
    return DEMO_LABEL if getattr(args, "demo", False) else ""       # every view of the demo says what it is


def _store_for(args) -> Path:
    path = store_path(args)
    if not path.exists():
        raise ValueError(f"no store at {path}: import files first (bgp-explorer ingest), or use --demo")
    return path


# -- screenshot ------------------------------------------------------------------------------------

def _cmd_screenshot(args) -> int:
    size = _size(args.size)
    # a briefing is read through the validating loader: a malformed one is refused whole
    state = load(args.briefing).view if args.briefing else _state_from_options(args)
    path = _store_for(args)
    from explorer.ui.offscreen import render_png

    try:
        with open_reading(path) as store:
            out = render_png(store, state, Path(args.out), size, note=_note(args))
    except RuntimeError as exc:
        say("screenshot", str(exc))
        return EXIT_FAILED
    print(f"wrote {out} ({size[0]}x{size[1]}): {state.describe()}")
    return EXIT_OK


# -- export ----------------------------------------------------------------------------------------

def _cmd_export(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in PICTURES + DATA:
        raise ValueError(f"--out {out}: the file must end in .png, .svg, .pdf, .csv or .json")
    title, annotations, briefing = args.title, [], None
    demo_view = getattr(args, "demo", False) and not (args.country or args.prefix or args.origin)
    if args.briefing or demo_view:
        # a briefing file, or for the demo with no scope named, the demo's own (its view and notes)
        briefing = load(args.briefing or resource_path(DEMO_BRIEFING))
        state, annotations, title = briefing.view, briefing.annotations, title or briefing.title or None
        if briefing.demo and not getattr(args, "store", None):
            args.demo = True            # a briefing of the demo opens on the demo store
    else:
        state = _state_from_options(args)
    width, height = _size(args.size)
    path = _store_for(args)
    if briefing is not None and briefing.files:
        _warn_missing(path, briefing)
    if out.suffix.lower() in DATA:
        return _export_data(path, state, out)
    from explorer.ui.offscreen import render_export

    try:
        with open_reading(path) as store:
            render_export(store, state, out, view=args.view, size=(width, height), scale=args.scale, title=title,
                          annotations=annotations, note=_note(args))
    except RuntimeError as exc:
        say("export", str(exc))
        return EXIT_FAILED
    print(f"wrote {out} ({args.view}, {width}x{height}{f' x{args.scale:g}' if args.scale != 1 else ''}): "
          f"{state.describe()}")
    return EXIT_OK


def _warn_missing(path: Path, briefing) -> None:
    with open_reading(path) as store:
        missing = briefing.missing_from({sha for _, sha in kept_files(store.con)})
    if missing:
        names = ", ".join(f.path for f in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        say("export", f"the store lacks {len(missing)} of the briefing's {len(briefing.files)} files, so the "
                      f"numbers may differ from the briefing's: {names}")


def _export_data(path: Path, state: ViewState, out: Path) -> int:
    """The timeline's series (CSV, as ``visibility --by`` the timeline's mode) or the graph at the
    cursor (JSON, as ``graph --since`` the window's start)."""
    with open_reading(path) as store, store.reader() as con:
        if out.suffix.lower() == ".csv":
            q = Question(state.scope_args(), Window(state.start, state.end, state.step),
                         Definitions(**state.definitions))
            table = visibility_table(con, q, BY_MODE[state.timeline_mode])
        else:
            doc = graph_document(con, state.scope_args(), state.cursor, state.start)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", encoding="utf-8") as fh:
        if out.suffix.lower() == ".csv":
            emit("csv", *table, out=fh)
        else:
            fh.write(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out)
    print(f"wrote {out}: {state.describe()}")
    return EXIT_OK

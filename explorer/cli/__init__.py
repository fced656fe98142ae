"""The command line, over the same functions the window uses.

    bgp-explorer [--store PATH] ingest PATH... [--collector NAME] [--filter EXPR] [--jobs N] [--json]
    bgp-explorer ingest --dataset DIR [--cluster local:N | tcp://HOST:PORT] PATH...   (a dataset, on Dask)
    bgp-explorer [--store PATH] info [--json]
    bgp-explorer [--store PATH] export-parquet FOLDER
    bgp-explorer visibility | events | graph | registry import   (explorer/cli/analysis.py)
    bgp-explorer screenshot | export                               (explorer/cli/views.py)

Every command that only reads opens the store read-only, so that several run at once; ``--store
DIR`` names a dataset folder as well as a store file. A request
that cannot be answered as asked (bad input, a damaged store) ends in one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from explorer import __version__
from explorer.cli import analysis, ingest, info, views
from explorer.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from explorer.store import StoreDamagedError, StoreError, resolve_store_path
from explorer.store.errors import DatabaseError
from explorer.store.location import ENV_VAR


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    command = " ".join(filter(None, (args.command, getattr(args, "registry_command", None))))
    try:
        return args.run(args)
    except StoreDamagedError as exc:
        print(f"bgp-explorer {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"bgp-explorer: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except DatabaseError as exc:                        # a read failing mid-query: the file is damaged
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"bgp-explorer {command}: the store cannot be read ({first}); restore it from a copy, or use "
              "another store with --store", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, FileNotFoundError) as exc:     # AnalysisError, CountryError, StateError, BriefingError...
        print(f"bgp-explorer {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
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
    for module in (ingest, info, analysis, views):
        module.add_commands(sub, store_opts)
    return p


def _store_options() -> argparse.ArgumentParser:
    """``--store`` and ``--demo``, accepted after every command as well as before it."""
    opts = argparse.ArgumentParser(add_help=False)
    opts.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS,
                      help="the store file (default: $%s, else the user data folder)" % ENV_VAR)
    opts.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                      help="use the embedded demo store (North Korea, December 2014; built on first use)")
    return opts


if __name__ == "__main__":
    sys.exit(main())

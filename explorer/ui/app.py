"""Starting the window: ``bgp-explorer-window`` (and ``make run``).

With no store configured (no --store, no $BGP_EXPLORER_STORE, nothing imported into the default
store yet) the window opens on the demo store: North Korea, 19 to 24 December 2014, with the cursor
inside the outage. Where there is no display at all (a CI machine, ssh without X), it says so and
renders the same view to a PNG instead of waiting for a window nobody can see.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from explorer.state import ViewState, parse_iso
from explorer.demo import DEMO_LABEL, demo_store_path, ensure_demo_store
from explorer.store import StoreError, resolve_store_path
from explorer.store.location import ENV_VAR, data_dir
from explorer.ui.offscreen import app_instance, render_png
from explorer.ui.store_lock import open_or_wait, open_store

DEMO_STATE = ViewState(scope_kind="country", scope="KP", start=parse_iso("2014-12-19T00:00:00Z"),
                       end=parse_iso("2014-12-24T00:00:00Z"), step=900, at=parse_iso("2014-12-22T20:00:00Z"))
DEMO_NOTE = DEMO_LABEL          # every view of the demo says what it is


def choose_store(explicit: str | None, demo: bool) -> tuple[Path, bool]:
    """(store path, is the demo). The demo store may still need building: ``ensure_demo_store``."""
    if not demo and (explicit or os.environ.get(ENV_VAR) or resolve_store_path(None).exists()):
        return resolve_store_path(explicit), False
    return demo_store_path(), True


def build_demo_with_dialog(app) -> Path:
    """Build the demo store (once, about a minute) on a thread, behind a busy dialog."""
    import threading

    from PySide6.QtWidgets import QProgressDialog

    result: dict = {}

    def build():
        try:
            result["path"] = ensure_demo_store()
        except Exception as exc:                # reported below, on the GUI thread
            result["error"] = exc

    dialog = QProgressDialog("Building the demo store (North Korea, December 2014), once: about a minute...",
                             None, 0, 0)
    dialog.setWindowTitle("BGP History Explorer")
    dialog.setMinimumDuration(0)
    dialog.show()
    worker = threading.Thread(target=build, daemon=True)
    worker.start()
    while worker.is_alive():
        app.processEvents()
        time.sleep(0.02)
    dialog.close()
    if "error" in result:
        raise result["error"]
    return Path(result["path"])


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                     or os.environ.get("QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bgp-explorer-window", description="The BGP History Explorer window.")
    p.add_argument("--store", metavar="PATH", help=f"the store file (default: ${ENV_VAR}, else the demo store "
                                                   "until you import into the default store)")
    p.add_argument("--demo", action="store_true", help="open the embedded demo store (North Korea, Dec 2014)")
    args = p.parse_args(argv)
    path, demo = choose_store(args.store, args.demo)
    from explorer.ui.window import last_view

    state = DEMO_STATE if demo else (last_view(path) or DEMO_STATE)
    note = DEMO_NOTE if demo else ""
    if _headless():
        out = data_dir() / "explorer-window.png"
        print(f"No display here (no $DISPLAY or $WAYLAND_DISPLAY): rendering the window for {state.describe()} "
              f"offscreen to {out} instead.")
        try:
            if demo:
                ensure_demo_store()
            with open_store(path) as store:
                render_png(store, state, out, note=note)
        except (RuntimeError, StoreError) as exc:
            print(f"bgp-explorer-window: {exc}", file=sys.stderr)
            return 1
        print(f"Wrote {out}")
        return 0
    app = app_instance()
    from explorer.ui.window import ExplorerWindow

    if demo:
        path = build_demo_with_dialog(app)
    store = open_or_wait(path)
    if store is None:
        print(f"bgp-explorer-window: {path} is busy with an import in another program; not opened", file=sys.stderr)
        return 1
    with store:
        w = ExplorerWindow(store, state, note=note)
        w.resize(1600, 950)
        w.show()
        return app.exec()


if __name__ == "__main__":
    sys.exit(main())

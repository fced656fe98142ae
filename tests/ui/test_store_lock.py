"""The window started while another program imports into its store: a dialog says so and waits,
instead of an uncaught StoreLockedError. DuckDB 2.0 refuses every other process, even read-only,
while one writes; readers share (two exports at once)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from explorer.store import Store, StoreLockedError

ROOT = Path(__file__).resolve().parents[2]


def hold(path: Path, read_only: bool = False) -> subprocess.Popen:
    """Another program with the store open (an import running, or a reader), until killed."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[2]); from explorer.store import Store; "
        f"s = Store(sys.argv[1], read_only={read_only}); print('open', flush=True); time.sleep(60)"),
        str(path), str(ROOT)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    return holder


@pytest.fixture
def locked(kp_store_path, tmp_path):
    import shutil

    path = tmp_path / "busy.duckdb"
    shutil.copy(kp_store_path, path)
    holder = hold(path)
    yield path, holder
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("button, read_only", [("wait_button", False), ("read_only_button", True)])
def test_the_window_waits_for_an_import_to_end_then_opens_the_store(qtbot, locked, button, read_only):
    from explorer.ui.offscreen import app_instance
    from explorer.ui.store_lock import StoreLockedDialog, open_store

    path, holder = locked
    app_instance()
    with pytest.raises(StoreLockedError, match=f"process {holder.pid}") as refused:
        open_store(path)                    # not even read-only while an import writes
    dialog = StoreLockedDialog(path, str(refused.value))
    qtbot.addWidget(dialog)
    dialog.show()
    assert "An import is running on this store in another program" in dialog.message.text()
    assert f"(process {holder.pid})" in dialog.message.text()
    qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)
    assert "Waiting for the import to end" in dialog.status.text()
    qtbot.wait(1200)                        # it tries again, and the import still runs
    assert dialog.store is None and dialog.isVisible()
    holder.kill()
    holder.wait()
    qtbot.waitUntil(lambda: dialog.store is not None, timeout=10_000)
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.store.read_only is read_only
    assert dialog.store.con.execute("SELECT count(*) FROM files").fetchone()[0] == 2
    dialog.store.close()


def test_quit_closes_the_dialog_and_opens_nothing(qtbot, locked):
    from explorer.ui.offscreen import app_instance
    from explorer.ui.store_lock import StoreLockedDialog

    path, _holder = locked
    app_instance()
    dialog = StoreLockedDialog(path, "busy")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Rejected and dialog.store is None and not dialog.timer.isActive()


def test_two_exports_at_once_both_read_the_store(kp_store_path, tmp_path):
    """Every reading command opens read-only: an export while another holds the store open to read."""
    from explorer.cli import main

    reader = hold(kp_store_path, read_only=True)
    try:
        out = tmp_path / "kp.csv"
        assert main(["export", "--store", str(kp_store_path), "--prefix", "175.45.176.0/22", "--start",
                     "2022-04-21T02:00:00Z", "--end", "2022-04-21T02:05:00Z", "--out", str(out)]) == 0
        assert out.read_text().startswith("# definitions:")
        png = tmp_path / "kp.png"
        assert main(["export", "--store", str(kp_store_path), "--prefix", "175.45.176.0/22", "--start",
                     "2022-04-21T02:00:00Z", "--end", "2022-04-21T02:05:00Z", "--size", "1280x720",
                     "--out", str(png)]) == 0
        for command in (["info"], ["visibility", "--prefix", "175.45.176.0/22", "--start", "2022-04-21T02:00:00Z",
                                   "--end", "2022-04-21T02:05:00Z"]):
            assert main([*command, "--store", str(kp_store_path)]) == 0
    finally:
        reader.kill()
        reader.wait()

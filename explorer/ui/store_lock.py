"""Opening the window's store when another program holds it: an import running elsewhere.

DuckDB lets one process write a file and, while it does, no other process open it at all, not
even read-only. So the window, started during an import, says so in a dialog and offers to wait
until the import ends, then open the store as usual (the window can import too) or read-only (so
that another import may start beside it). It tries again every half second meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

from explorer.store import Store, StoreError, StoreLockedError

RETRY_MS = 500


def open_store(path: Path) -> Store:
    """The window is the store's one writer (File > Import); read-only while other programs read it.
    A dataset folder (``bgp-explorer ingest --dataset``) is always read-only here."""
    from explorer.store.dataset import DatasetStore, is_dataset

    if is_dataset(path):
        return DatasetStore(path)
    try:
        return Store(path)
    except StoreLockedError:
        if not path.exists():
            raise
        return Store(path, read_only=True)     # readers hold it (an export): read beside them; a writer: raises


class StoreLockedDialog(QDialog):
    """Says that an import is running, and waits for it when asked; ``store`` is open once accepted."""

    def __init__(self, path: Path, reason: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("BGP History Explorer: the store is busy")
        self.path, self.store, self.read_only = Path(path), None, False
        self.message = QLabel(f"An import is running on this store in another program:\n{reason}\n\n"
                              "Wait until it ends, then open the store (you can import from the window), or open "
                              "it read-only when it ends (another import can then start beside the window).")
        self.message.setWordWrap(True)
        self.status = QLabel("")
        buttons = QDialogButtonBox()
        self.wait_button = QPushButton("Wait, then open")
        self.read_only_button = QPushButton("Wait, then open read-only")
        self.quit_button = QPushButton("Quit")
        for button, role in ((self.wait_button, QDialogButtonBox.ButtonRole.AcceptRole),
                             (self.read_only_button, QDialogButtonBox.ButtonRole.AcceptRole),
                             (self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)):
            buttons.addButton(button, role)
        self.wait_button.clicked.connect(lambda: self.wait(read_only=False))
        self.read_only_button.clicked.connect(lambda: self.wait(read_only=True))
        self.quit_button.clicked.connect(self.reject)
        col = QVBoxLayout(self)
        for w in (self.message, self.status, buttons):
            col.addWidget(w)
        self.setMinimumWidth(560)
        self.timer = QTimer(self)
        self.timer.setInterval(RETRY_MS)
        self.timer.timeout.connect(self._try)

    def done(self, result: int) -> None:           # every way out: accepted, Quit, Esc, closed
        self.timer.stop()
        super().done(result)

    def wait(self, read_only: bool) -> None:
        self.read_only = read_only
        self.wait_button.setEnabled(False)
        self.read_only_button.setEnabled(False)
        self.status.setText(f"Waiting for the import to end, then opening {self.path.name}"
                            f"{' read-only' if read_only else ''}...")
        self.timer.start()
        self._try()

    def _try(self) -> None:
        try:
            self.store = Store(self.path, read_only=self.read_only)
        except StoreLockedError:
            return                                  # still running: try again
        except StoreError as exc:                   # something else: say it, and let the user quit
            self.timer.stop()
            self.status.setText(str(exc))
            return
        self.accept()


def open_or_wait(path: Path, parent=None) -> Store | None:
    """The store for the window; while another program imports into it, the dialog above (None: Quit)."""
    try:
        return open_store(path)
    except StoreLockedError as exc:
        dialog = StoreLockedDialog(path, str(exc), parent)
        return dialog.store if dialog.exec() else None

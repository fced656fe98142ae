"""File > Import: the normal ingest (a generator of progress) on a thread of its own, with a progress
dialog, a cancel button that stops after the file being stored, and a summary at the end.

The GUI thread only receives signals: the window keeps painting and answering while files import.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget


class ImportJob(QObject):
    progress = Signal(str, int)             # file, elements read so far
    fileDone = Signal(object)               # an Outcome
    done = Signal(list, str)                # outcomes, error ('' when none)

    def __init__(self, store, paths: list[str], jobs: int = 1):
        super().__init__()
        self.store, self.paths, self.jobs = store, paths, jobs
        self.cancel = threading.Event()
        self.thread = threading.Thread(target=self._run, name="explorer-import", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        from explorer.ingest.pipeline import Outcome, ingest

        outcomes, error = [], ""
        try:
            events = ingest(self.store, self.paths, jobs=self.jobs, on_progress=self.progress.emit)
            for event in events:
                if isinstance(event, Outcome):
                    outcomes.append(event)
                    self.fileDone.emit(event)
                if self.cancel.is_set():
                    events.close()          # the file being stored is finished or rolled back, the rest skipped
                    break
        except Exception as exc:            # shown in the summary, never a crash
            error = f"{type(exc).__name__}: {exc}"
        self.done.emit(outcomes, error)


class ImportDialog(QProgressDialog):
    """Progress over files; 'Cancel' stops after the current file."""

    finishedImport = Signal(list, str)

    def __init__(self, parent: QWidget, store, paths: list[str], jobs: int = 1):
        super().__init__("Preparing the import...", "Cancel", 0, 0, parent)
        self.setWindowTitle("Import MRT files")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.job = ImportJob(store, paths, jobs)
        self.files = 0
        self.job.progress.connect(self._progress)
        self.job.fileDone.connect(self._file_done)
        self.job.done.connect(self._done)
        self.canceled.connect(self._cancel)
        self.outcomes: list = []

    def start(self) -> None:
        self.show()
        self.job.start()

    def _progress(self, path: str, elements: int) -> None:
        self.setLabelText(f"Reading {path.rsplit('/', 1)[-1]}: {elements:,} elements\n"
                          f"{self.files} file(s) done")

    def _file_done(self, outcome) -> None:
        self.files += 1
        self.setLabelText(f"{self.files} file(s) done; last: {outcome.path.rsplit('/', 1)[-1]} ({outcome.status})")

    def _cancel(self) -> None:
        self.job.cancel.set()
        self.setLabelText("Stopping after the file being stored...")
        self.show()

    def _done(self, outcomes: list, error: str) -> None:
        self.outcomes = outcomes
        self.reset()
        self.hide()
        self.finishedImport.emit(outcomes, error)


def summary_text(outcomes: list, error: str, cancelled: bool) -> str:
    lines = [f"{o.status}: {o.path.rsplit('/', 1)[-1]}" + (f" ({o.reason})" if o.reason else "") for o in outcomes]
    failed = sum(o.failed for o in outcomes)
    head = f"{len(outcomes)} file(s): {len(outcomes) - failed} imported or already there, {failed} failed"
    if cancelled:
        head += "; cancelled before the rest"
    if error:
        head += f"\nThe import stopped: {error}"
    return head + "\n\n" + "\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else "")


def show_summary(parent, outcomes: list, error: str, cancelled: bool) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning if error or any(o.failed for o in outcomes)
                      else QMessageBox.Icon.Information, "Import finished",
                      summary_text(outcomes, error, cancelled), QMessageBox.StandardButton.Ok, parent)
    box.setModal(False)
    box.show()
    return box

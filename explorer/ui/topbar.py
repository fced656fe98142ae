"""The top bar: the scope (a country picked by code or name, prefixes, or an origin AS), the window in
exact UTC with presets, and the step. It edits a ViewState and emits it; it never reads the store."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QDateTimeEdit, QHBoxLayout, QLabel, QMenu,
                               QPushButton, QToolButton, QWidget)

from explorer.state import StateError, ViewState

STEPS = [(60, "1 min"), (300, "5 min"), (900, "15 min"), (3600, "1 h"), (21600, "6 h"), (86400, "1 day")]
KINDS = [("country", "Country"), ("prefixes", "Prefixes"), ("origin", "Origin AS")]


class ScopeBox(QComboBox):
    """The scope picker; says when it is first used, so the country list is read only when wanted (it
    maps every prefix of the store to a country: seconds on a large store)."""

    wanted = Signal()

    def showPopup(self) -> None:
        self.wanted.emit()
        super().showPopup()



def _edit() -> QDateTimeEdit:
    e = QDateTimeEdit()
    e.setTimeZone(QTimeZone.utc())
    e.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
    e.setCalendarPopup(True)
    return e


class TopBar(QWidget):
    applied = Signal(object)                # a new ViewState
    presetChosen = Signal(str)              # 'last24' | 'whole'

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = QComboBox()
        for key, text in KINDS:
            self.kind.addItem(text, key)
        self.scope = ScopeBox()
        self.scope.setObjectName("scopePicker")
        self.scope.setEditable(True)
        self.scope.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.scope.setMinimumWidth(220)
        self.scope.lineEdit().setPlaceholderText("type a country code or name, e.g. KP or Korea")
        completer = QCompleter(self.scope.model(), self.scope)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.scope.setCompleter(completer)
        self.start, self.end = _edit(), _edit()
        self.step = QComboBox()
        for seconds, text in STEPS:
            self.step.addItem(text, seconds)
        presets = QToolButton()
        presets.setText("Presets")
        presets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(presets)
        menu.addAction("Last 24 h of data", lambda: self.presetChosen.emit("last24"))
        menu.addAction("Whole store", lambda: self.presetChosen.emit("whole"))
        presets.setMenu(menu)
        self.apply = QPushButton("Show")
        self.apply.setDefault(True)
        self.apply.clicked.connect(self._apply)
        self.scope.lineEdit().returnPressed.connect(self._apply)
        self.scope.lineEdit().textEdited.connect(lambda _t: self.scope.wanted.emit())    # typing to search
        self.kind.currentIndexChanged.connect(self._kind_changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        for w in (self.kind, self.scope, QLabel("from"), self.start, QLabel("to"), self.end, presets,
                  QLabel("step"), self.step, self.apply):
            row.addWidget(w)
        row.addStretch(1)
        self.state = ViewState()
        self.countries: list[tuple[str, str, int]] = []

    def set_countries(self, countries: list[tuple[str, str, int]]) -> None:
        """(code, name, prefixes in the store), shown as 'KP  North Korea (4 prefixes)'."""
        self.countries = countries
        if self.kind.currentData() == "country":
            self._fill_countries()

    def _fill_countries(self) -> None:
        text = self.scope.currentText()
        self.scope.blockSignals(True)
        self.scope.clear()
        for code, name, n in self.countries:
            self.scope.addItem(f"{code}  {name} ({n:,} prefixes)", code)
        self.scope.setEditText(text)
        self.scope.blockSignals(False)

    def _kind_changed(self) -> None:
        if self.kind.currentData() == "country":
            self._fill_countries()
        else:
            self.scope.clear()
        hint = {"country": "type a country code or name, e.g. KP or Korea",
                "prefixes": "prefixes, e.g. 175.45.176.0/22 (their more-specifics included)",
                "origin": "an origin AS, e.g. 131279"}[self.kind.currentData()]
        self.scope.lineEdit().setPlaceholderText(hint)

    def set_state(self, s: ViewState) -> None:
        self.state = s
        self.kind.blockSignals(True)
        self.kind.setCurrentIndex([k for k, _ in KINDS].index(s.scope_kind))
        self.kind.blockSignals(False)
        self._kind_changed()
        self.scope.setEditText(s.scope)
        self.start.setDateTime(_qdt(s.start))
        self.end.setDateTime(_qdt(s.end))
        i = self.step.findData(s.step)
        if i < 0:
            self.step.addItem(f"{s.step} s", s.step)
            i = self.step.count() - 1
        self.step.setCurrentIndex(i)

    def scope_text(self) -> str:
        text = self.scope.currentText().strip()
        if self.kind.currentData() == "country":
            for code, name, _n in self.countries:       # 'KP  North Korea (4 prefixes)', 'north korea', 'kp'
                if text.upper() == code or text.lower() == name.lower() or text.startswith(code + "  "):
                    return code
            return text.split("  ")[0]
        return text

    def _apply(self) -> None:
        try:
            s = self.state.with_(scope_kind=self.kind.currentData(), scope=self.scope_text(),
                                 start=self.start.dateTime().toSecsSinceEpoch(),
                                 end=self.end.dateTime().toSecsSinceEpoch(), step=int(self.step.currentData()),
                                 selected_asn=None)
        except StateError as exc:
            self.scope.lineEdit().setToolTip(str(exc))
            self.applied.emit(exc)
            return
        self.applied.emit(s.with_(at=s.cursor))


def _qdt(seconds: int) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(seconds), QTimeZone.utc())


def utc_now() -> int:
    return int(datetime.now(tz=timezone.utc).timestamp())

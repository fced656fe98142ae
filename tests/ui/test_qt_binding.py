"""The Qt binding itself: PySide6-Essentials 6.12.0 on Python 3.11 loses a reference to True on every
Signal.emit(), and the process aborts once True's count reaches zero. The pinned version must not."""

import sys


def test_emitting_signals_keeps_reference_counts(qapp):
    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        changed = Signal(int)

    s = Source()
    got = []
    s.changed.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(300):
        s.changed.emit(i)
    assert len(got) == 300
    assert abs(sys.getrefcount(True) - before) < 10, "this PySide6 build leaks references on emit(): pin another"

"""A widget listening to the queue's plain signals is let go when it is
destroyed, as a Qt signal lets go of its receiver (ui/queue_listening.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from cosdesk.engine.loop import Signal
from cosdesk.ui.queue_listening import listen


class Engine:
    changed = Signal()


class Details(QDialog):
    def __init__(self, engine: Engine, parent: QWidget) -> None:
        super().__init__(parent)
        self.heard: list[object] = []
        listen(self, engine.changed, self.on_changed)

    def on_changed(self, value: object) -> None:
        self.windowTitle()  # raises RuntimeError once the C++ dialog is gone
        self.heard.append(value)


def test_a_closed_dialog_is_no_longer_told_nor_held(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    engine = Engine()
    details = Details(engine, window)
    engine.changed.emit(1)
    assert details.heard == [1] and engine.changed.connected

    delete(qtbot, details)
    assert not engine.changed.connected
    engine.changed.emit(2)  # nobody left to tell: no call into a deleted dialog


def test_two_widgets_each_hear_until_their_own_end(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    engine = Engine()
    first, second = Details(engine, window), Details(engine, window)
    delete(qtbot, first)
    engine.changed.emit("after")
    assert second.heard == ["after"]


def delete(qtbot: QtBot, widget: QWidget) -> None:
    gone: list[bool] = []
    widget.destroyed.connect(lambda: gone.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: gone == [True])

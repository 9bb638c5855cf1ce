"""Blocking calls run on a pool and their outcomes come back to the GUI thread,
even when the widget that asked is closed and deleted while the call runs."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, QThreadPool, Slot
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from cosdesk.ui.background import run_in_background


class _Asker(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcomes: list[object] = []
        self.threads: list[QThread] = []

    @Slot(object)
    def take(self, outcome: object) -> None:
        self.outcomes.append(outcome)
        self.threads.append(QThread.currentThread())


def test_the_outcome_reaches_the_asker_on_the_gui_thread(qtbot: QtBot) -> None:
    pool = QThreadPool()
    asker = _Asker()
    qtbot.addWidget(asker)
    run_in_background(pool, asker, lambda: 42, asker.take)
    qtbot.waitUntil(lambda: asker.outcomes == [42])
    assert asker.threads == [QApplication.instance().thread()]  # type: ignore[union-attr]


def test_an_exception_is_handed_over_as_the_outcome(qtbot: QtBot) -> None:
    pool = QThreadPool()
    asker = _Asker()
    qtbot.addWidget(asker)

    def fails() -> object:
        raise OSError("keyring locked")

    run_in_background(pool, asker, fails, asker.take)
    qtbot.waitUntil(lambda: len(asker.outcomes) == 1)
    assert isinstance(asker.outcomes[0], OSError)


def test_an_asker_deleted_while_its_calls_run_is_not_called_and_nothing_crashes(qtbot: QtBot) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    parent = QWidget()
    qtbot.addWidget(parent)
    release = threading.Event()
    delivered: list[object] = []
    askers = [_Asker(parent) for _ in range(50)]
    for asker in askers:
        run_in_background(pool, asker, lambda: release.wait(5), asker.take)
        asker.destroyed.connect(lambda _=None: delivered.append("gone"))
    # Half of them go away mid-call, the others wait for their answers.
    for asker in askers[::2]:
        asker.deleteLater()
    qtbot.waitUntil(lambda: len(delivered) == 25)
    release.set()
    pool.waitForDone(5000)
    survivors = askers[1::2]
    qtbot.waitUntil(lambda: all(asker.outcomes == [True] for asker in survivors))

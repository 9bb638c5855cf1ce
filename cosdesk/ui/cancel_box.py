"""The question asked before cancelling selected uploads, kept true while it is open.

The box is asked without a nested event loop, so uploads go on while the person
reads it: "Cancel 17,224 uploads?" was still on screen when fewer than half of
them were left. Its count and what was sent are read again from the table's
columns twice a second, or less often when that takes long (a selection of a
million rows costs tens of milliseconds to go through). Once none of the
selected uploads is left unfinished, it goes away by itself, as there is
nothing left to cancel. Confirming cancels those unfinished then.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from cosdesk.ui.message_boxes import message_box
from cosdesk.ui.task_actions import CancelQuestion, cancel_question
from cosdesk.ui.task_model import TaskTableModel

REFRESH_MS = 500
# The refresh runs on the GUI thread: it takes at most a tenth of it.
REFRESH_SHARE = 0.1


def ask_to_cancel(
    parent: QWidget,
    model: TaskTableModel,
    slots: list[int],
    cancel: Callable[[list[str]], None],
    on_closed: Callable[[], None],
) -> None:
    """Cancel the unfinished uploads among the table's ``slots``: at once when
    nothing would be lost (see ``cancel_question``), else once the person says so."""
    unfinished = model.unfinished_of(slots)
    if not unfinished:
        return
    question = cancel_question(len(unfinished), model.started_of(unfinished))
    if question is None:
        cancel(model.task_ids_of(unfinished))
        return
    _CancelBox(parent, model, unfinished, question, cancel, on_closed)


class _CancelBox(QObject):
    def __init__(
        self,
        parent: QWidget,
        model: TaskTableModel,
        slots: list[int],
        question: CancelQuestion,
        cancel: Callable[[list[str]], None],
        on_closed: Callable[[], None],
    ) -> None:
        no_buttons = QMessageBox.StandardButton.NoButton
        self._box = box = message_box(
            parent, QMessageBox.Icon.Question, question.text, question.detail, no_buttons
        )
        super().__init__(box)  # goes with the box
        self._model = model
        self._slots = slots
        self._cancel = cancel
        self._confirm = box.addButton(question.confirm, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(question.keep, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(self._on_clicked)
        box.finished.connect(on_closed)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()
        box.open()

    @Slot()
    def _refresh(self) -> None:
        began = time.perf_counter()
        # A finished upload never becomes unfinished again while the box is open
        # (the window takes no command meanwhile): the list only shrinks.
        self._slots = self._model.unfinished_of(self._slots)
        if not self._slots:
            self._timer.stop()
            self._box.reject()
            return
        question = cancel_question(len(self._slots), self._model.started_of(self._slots), asked_already=True)
        if question is None:  # never, once asked: for the type checker
            return
        self._box.setText(question.text)
        self._box.setInformativeText(question.detail)
        self._confirm.setText(question.confirm)
        took_ms = (time.perf_counter() - began) * 1000
        self._timer.setInterval(max(REFRESH_MS, int(took_ms / REFRESH_SHARE)))

    @Slot(QAbstractButton)
    def _on_clicked(self, button: QAbstractButton) -> None:
        self._timer.stop()
        if button is self._confirm:
            self._cancel(self._model.task_ids_of(self._model.unfinished_of(self._slots)))

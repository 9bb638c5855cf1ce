"""The line the task table shows when its tab and search leave no row: "No upload
is paused.", "No finished upload's key holds “x”." A blank table beside tab counts
says nothing of why it is blank; the list's own emptiness is the window's empty
hint (``main_window.EmptyHint``), not this.

Shown only once the rows on screen are those asked for (``is_settled``): while a
large table is filtered or sorted on a worker, the last rows stay on screen and
an empty view may be about to fill.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel

from cosdesk.ui.task_filter import TaskFilterProxy
from cosdesk.ui.task_model import TaskFilter


class EmptyViewNote(QLabel):
    """A label over ``view``'s empty viewport, following ``proxy``'s rows;
    ``search_text`` gives the search field's text as the person typed it."""

    def __init__(
        self, view: QAbstractItemView, proxy: TaskFilterProxy, search_text: Callable[[], str]
    ) -> None:
        super().__init__(view.viewport())
        self._view = view
        self._proxy = proxy
        self._search_text = search_text
        self.setObjectName("empty-view-note")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # Clicks, the context menu and drops go to the table under it.
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        view.viewport().installEventFilter(self)
        for signal in (proxy.modelReset, proxy.rowsInserted, proxy.rowsRemoved, proxy.layoutChanged):
            signal.connect(self.update_note)

    @Slot()
    def update_note(self) -> None:
        empty = self._proxy.rowCount() == 0 and self._proxy.is_settled()
        if empty:
            self.setText(self._text())
            self.setAccessibleName(self.text())
            self._fit()
        self.setVisible(empty)

    def _text(self) -> str:
        task_filter = self._proxy.task_filter()
        searched = self._searched()
        if not searched:
            return {
                TaskFilter.ALL: self.tr("No uploads."),
                TaskFilter.ACTIVE: self.tr("Nothing is uploading or waiting to upload."),
                TaskFilter.PAUSED: self.tr("No upload is paused."),
                TaskFilter.FAILED: self.tr("No upload has failed or been canceled."),
                TaskFilter.DONE: self.tr("No finished upload in the list."),
            }[task_filter]
        text = {
            TaskFilter.ALL: self.tr("No upload's key holds “%1”."),
            TaskFilter.ACTIVE: self.tr("No active upload's key holds “%1”."),
            TaskFilter.PAUSED: self.tr("No paused upload's key holds “%1”."),
            TaskFilter.FAILED: self.tr("No failed or canceled upload's key holds “%1”."),
            TaskFilter.DONE: self.tr("No finished upload's key holds “%1”."),
        }[task_filter]
        return text.replace("%1", searched)

    def _searched(self) -> str:
        """The search the rows follow, as the person typed it when it is the same
        (the model matches case-folded text, maybe a moment behind the field)."""
        applied = self._proxy.key_filter()
        typed = self._search_text().strip()
        return typed if typed.casefold() == applied else applied

    def _fit(self) -> None:
        area = self._view.viewport().rect()
        self.setGeometry(area.adjusted(24, 0, -24, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._fit()
        return False

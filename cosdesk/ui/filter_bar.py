"""The segmented filter above the table (All, Active, Paused, Failed / Canceled,
Done, each with its count) and the search-by-key field. A tab's count is the
number of rows it would show: with text in the search field, only the rows whose
key matches it."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QTabBar, QWidget

from cosdesk.engine.task import TaskState
from cosdesk.ui.task_model import FILTER_STATES, TaskFilter


class FilterBar(QWidget):
    # The selected group changed: TaskFilter (as int).
    filter_changed = Signal(int)
    # The search text changed.
    text_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = {
            TaskFilter.ALL: self.tr("All"),
            TaskFilter.ACTIVE: self.tr("Active"),
            TaskFilter.PAUSED: self.tr("Paused"),
            TaskFilter.FAILED: self.tr("Failed / Canceled"),
            TaskFilter.DONE: self.tr("Done"),
        }
        self.tabs = QTabBar(self)
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.tabs.setDocumentMode(True)
        tips = {
            TaskFilter.ALL: self.tr("Every upload in the list"),
            TaskFilter.ACTIVE: self.tr("Uploads waiting, being checked or sending"),
            TaskFilter.PAUSED: self.tr("Uploads you paused"),
            TaskFilter.FAILED: self.tr(
                "Uploads that failed or were canceled: retry them, upload them again, or remove them"
            ),
            TaskFilter.DONE: self.tr("Uploads that finished"),
        }
        for task_filter in TaskFilter:
            self.tabs.addTab(self._names[task_filter])
            self.tabs.setTabToolTip(int(task_filter), tips[task_filter])
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Filter by key…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(280)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 8, 0)
        layout.addWidget(self.tabs)
        layout.addStretch(1)
        layout.addWidget(self.search)
        self.tabs.currentChanged.connect(self.filter_changed)
        self.search.textChanged.connect(self.text_changed)
        # No count until the model tells one: the stored tasks may still be read.
        for task_filter in TaskFilter:
            self.tabs.setTabText(int(task_filter), self._names[task_filter])

    def current(self) -> TaskFilter:
        return TaskFilter(max(0, self.tabs.currentIndex()))

    def set_current(self, task_filter: TaskFilter) -> None:
        self.tabs.setCurrentIndex(int(task_filter))

    @Slot(dict)
    def set_counts(self, counts: dict[TaskState, int]) -> None:
        """Show ``counts`` (tasks per state, among those the search text matches)."""
        for task_filter in TaskFilter:
            states = FILTER_STATES[task_filter]
            number = sum(counts.values()) if states is None else sum(counts.get(state, 0) for state in states)
            self.tabs.setTabText(int(task_filter), f"{self._names[task_filter]}  {number}")

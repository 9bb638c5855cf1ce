"""The segmented filter above the table (All / Active / Paused / Failed / Done, each
with its count) and the search-by-key field."""

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
            TaskFilter.FAILED: self.tr("Failed"),
            TaskFilter.DONE: self.tr("Done"),
        }
        self.tabs = QTabBar(self)
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.tabs.setDocumentMode(True)
        for task_filter in TaskFilter:
            self.tabs.addTab(self._names[task_filter])
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
        self.set_counts({})

    def current(self) -> TaskFilter:
        return TaskFilter(max(0, self.tabs.currentIndex()))

    def set_current(self, task_filter: TaskFilter) -> None:
        self.tabs.setCurrentIndex(int(task_filter))

    @Slot(dict)
    def set_counts(self, counts: dict[TaskState, int]) -> None:
        for task_filter in TaskFilter:
            states = FILTER_STATES[task_filter]
            number = sum(counts.values()) if states is None else sum(counts.get(state, 0) for state in states)
            self.tabs.setTabText(int(task_filter), f"{self._names[task_filter]}  {number}")

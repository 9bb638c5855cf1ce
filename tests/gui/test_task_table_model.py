"""The task table's model and the rows the view shows of it, over a real task
database and a real queue: stored tasks shown at once from compact columns,
sorted and filtered in those columns, at once for a small table and on a worker
for a large one, kept current as tasks change, and the selection kept when the
rows are laid out anew."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelRoleData, Qt
from support.task_rows import make_row

from cosdesk.engine.options import QueueSettings
from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.store import TaskStore
from cosdesk.engine.task import FileResult, RestingState, TaskState
from cosdesk.ui import task_filter as filter_module
from cosdesk.ui import task_model as model_module
from cosdesk.ui.task_cells import Column
from cosdesk.ui.task_filter import TaskFilterProxy
from cosdesk.ui.task_model import FILTER_STATES, TaskFilter, TaskTableModel
from cosdesk.ui.task_table import TaskTable

STATES = [TaskState.SUCCESS, TaskState.PAUSED, TaskState.ERROR, TaskState.CANCELED, TaskState.WAITING]
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole


@dataclass
class Stored:
    task_id: str
    key: str
    state: TaskState
    size: int


@dataclass
class Table:
    queue: UploadQueue
    model: TaskTableModel
    proxy: TaskFilterProxy
    stored: list[Stored]
    qtbot: Any

    def settle(self) -> None:
        self.qtbot.waitUntil(lambda: self.model.is_settled() and self.proxy.is_settled(), timeout=10_000)

    def shown(self, column: Column = Column.KEY) -> list[str]:
        return [str(self.proxy.index(row, column).data()) for row in range(self.proxy.rowCount())]


def store_tasks(db: Path, count: int) -> list[Stored]:
    """``count`` tasks in a database written by the real store, in mixed states."""
    pick = random.Random(count)
    stored = []
    rows = []
    for number in range(count):
        state = STATES[number % len(STATES)]
        key = f"{pick.choice(['photos', 'docs', 'Music'])}/{pick.randrange(1000):03d}-{number}.bin"
        task = Stored(uuid.uuid4().hex, key, state, pick.randrange(5000))
        stored.append(task)
        result = None
        if state is TaskState.SUCCESS:
            result = FileResult(f"http://127.0.0.1/b/{key}", "b", key, '"e"', crc64=1)
        rows.append(make_row(task.task_id, number, key=key, state=state, size=task.size, result=result))
    store = TaskStore(db)
    store.insert_tasks(rows)
    assert store.flush()
    store.close()
    return stored


@pytest.fixture
def open_table(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    opened: list[tuple[TaskStore, UploadQueue, TaskTableModel]] = []

    def open_(count: int) -> Table:
        db = tmp_path / f"tasks-{count}.sqlite3"
        stored = store_tasks(db, count)
        store = TaskStore(db, background=True)
        settings = QueueSettings(request_poll_interval_s=0)
        queue = UploadQueue(store, lambda endpoint: None, settings)  # type: ignore[arg-type,return-value]
        model = TaskTableModel(queue, db)
        opened.append((store, queue, model))
        table = Table(queue, model, TaskFilterProxy(model), stored, qtbot)
        qtbot.waitUntil(lambda: model.rowCount() == count, timeout=10_000)
        table.settle()
        return table

    yield open_
    for store, queue, model in opened:
        model.shutdown()
        queue.shutdown()
        store.close()


def test_stored_tasks_show_before_the_queue_has_brought_any_back(open_table: Any) -> None:
    table = open_table(50)
    assert table.queue.tasks() == []  # nothing restored: the rows come from the database
    assert table.proxy.rowCount() == 50
    first = table.stored[0]
    assert table.shown(Column.KEY)[0] == first.key
    assert table.proxy.index(0, Column.NAME).data() == first.key.rsplit("/", 1)[1]
    assert table.proxy.index(0, Column.STATE).data() == "Done"
    assert table.proxy.index(0, Column.PROGRESS).data() == "100%"
    counts = table.model.counts()
    assert counts[TaskState.SUCCESS] == 10 and counts[TaskState.PAUSED] == 10


def test_a_row_shown_before_its_task_is_restored_fills_in_once_it_is(open_table: Any) -> None:
    table = open_table(20)
    assert table.proxy.index(0, Column.KEY).data(TOOLTIP) is None  # no snapshot yet
    table.queue.restore_in_background(resume=False)
    table.qtbot.waitUntil(lambda: table.proxy.index(0, Column.KEY).data(TOOLTIP) is not None, timeout=10_000)
    assert table.stored[0].key in table.proxy.index(0, Column.KEY).data(TOOLTIP)


def alignment_painted(model: Any, index: Any) -> int | None:
    """The alignment a delegate paints a cell with: it asks ``multiData`` for its
    roles with one request that it reuses from cell to cell."""
    request = QModelRoleData(ALIGNMENT)
    for cell in (model.index(index.row(), Column.NAME), index):  # an earlier cell's answer must not stay
        model.multiData(cell, request)
    value = request.data()
    return None if value is None else int(value)


def test_sizes_speeds_and_times_left_line_up_on_the_right_under_their_headers(open_table: Any) -> None:
    table = open_table(20)
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def check(phase: str) -> None:
        for column in Column:
            expected = right if column in (Column.SIZE, Column.SPEED, Column.ETA) else None
            header = table.proxy.headerData(column, Qt.Orientation.Horizontal, ALIGNMENT)
            assert (None if header is None else int(header)) == expected, (phase, column)
            cell = table.proxy.index(0, column)
            asked = cell.data(ALIGNMENT)
            assert (None if asked is None else int(asked)) == expected, (phase, column)
            assert alignment_painted(table.proxy, cell) == expected, (phase, column)

    check("from the compact columns")
    table.queue.restore_in_background(resume=False)
    table.qtbot.waitUntil(lambda: table.proxy.index(0, Column.KEY).data(TOOLTIP) is not None)
    check("from the snapshots")


def expected_order(stored: list[Stored], column: Column, descending: bool) -> list[str]:
    """The keys in the order a column sorts them: by its value, then queue order
    (read backwards when descending)."""

    def key(task: Stored) -> Any:
        if column == Column.NAME:  # as a file manager sorts: img2 before img10
            name = task.key.rsplit("/", 1)[1].casefold()
            return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
        if column == Column.KEY:
            return task.key
        if column == Column.SIZE:
            return task.size
        if column == Column.STATE:
            return list(TaskState).index(task.state)
        return 1.0 if task.state is TaskState.SUCCESS else 0.0  # progress: none sent yet

    order = sorted(stored, key=key)  # stable: ties keep queue order
    if descending:
        order.reverse()
    return [task.key for task in order]


@pytest.mark.parametrize("column", [Column.NAME, Column.KEY, Column.SIZE, Column.STATE, Column.PROGRESS])
def test_each_column_sorts_its_rows_both_ways(open_table: Any, column: Column) -> None:
    table = open_table(300)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        table.proxy.sort(column, order)
        table.settle()
        assert table.shown() == expected_order(table.stored, column, order is Qt.SortOrder.DescendingOrder)
    table.proxy.sort(-1)
    table.settle()
    assert table.shown() == [task.key for task in table.stored]


def shown_by_filter(stored: list[Stored], task_filter: TaskFilter, text: str) -> list[str]:
    states = FILTER_STATES[task_filter]
    return [
        task.key
        for task in stored
        if (states is None or task.state in states) and text.casefold() in task.key.casefold()
    ]


@pytest.mark.parametrize("text", ["", "PHOTOS", "7-", "nothing like it"])
def test_each_tab_and_the_search_text_show_and_count_the_same_rows(open_table: Any, text: str) -> None:
    table = open_table(200)
    table.proxy.set_text(text)
    for task_filter in TaskFilter:
        table.proxy.set_task_filter(task_filter)
        table.settle()
        expected = shown_by_filter(table.stored, task_filter, text)
        assert table.shown() == expected
        counts = table.model.filter_counts()
        states = FILTER_STATES[task_filter]
        counted = sum(counts.values()) if states is None else sum(counts.get(state, 0) for state in states)
        assert counted == len(expected)


def test_a_large_table_sorts_filters_and_searches_on_a_worker_with_the_same_result(
    open_table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filter_module, "SYNC_LIMIT", 10)
    monkeypatch.setattr(model_module, "SYNC_LIMIT", 10)
    table = open_table(400)
    before = table.shown()
    table.proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    assert table.shown() == before  # the last order stays on screen meanwhile
    assert not table.proxy.is_settled()
    table.settle()
    assert table.shown() == expected_order(table.stored, Column.NAME, False)
    table.proxy.set_text("docs")
    table.proxy.set_task_filter(TaskFilter.FAILED)
    table.settle()
    failed_docs = set(shown_by_filter(table.stored, TaskFilter.FAILED, "docs"))
    assert table.shown() == [
        key for key in expected_order(table.stored, Column.NAME, False) if key in failed_docs
    ]


def test_a_task_that_changes_moves_between_tabs_and_within_the_sort_order(open_table: Any) -> None:
    table = open_table(30)
    table.queue.restore(resume=False)
    paused = next(task for task in table.stored if task.state is TaskState.PAUSED)
    table.proxy.set_task_filter(TaskFilter.PAUSED)
    table.proxy.sort(Column.STATE, Qt.SortOrder.AscendingOrder)
    table.settle()
    assert paused.key in table.shown()

    table.queue.cancel([paused.task_id])
    table.qtbot.waitUntil(lambda: paused.key not in table.shown(), timeout=5000)
    paused.state = TaskState.CANCELED
    table.proxy.set_task_filter(TaskFilter.FAILED)
    table.settle()
    failed = set(shown_by_filter(table.stored, TaskFilter.FAILED, ""))
    assert table.shown() == [
        key for key in expected_order(table.stored, Column.STATE, False) if key in failed
    ]

    table.queue.clear_finished([paused.task_id])
    table.qtbot.waitUntil(lambda: paused.key not in table.shown(), timeout=5000)
    assert table.model.row_of(paused.task_id) is None


def test_selected_rows_stay_selected_and_current_when_the_rows_are_sorted_anew(
    open_table: Any, qtbot: Any
) -> None:
    table = open_table(100)
    view = TaskTable()
    qtbot.addWidget(view)
    view.setModel(table.proxy)
    view.setSelectionBehavior(TaskTable.SelectionBehavior.SelectRows)
    view.setSelectionMode(TaskTable.SelectionMode.ExtendedSelection)
    picked = [3, 4, 5, 40]
    selection = view.selectionModel()
    for row in picked:
        selection.select(
            table.proxy.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    selection.setCurrentIndex(table.proxy.index(40, 2), QItemSelectionModel.SelectionFlag.NoUpdate)
    keys = {table.stored[row].key for row in picked}

    table.proxy.sort(Column.SIZE, Qt.SortOrder.DescendingOrder)
    table.settle()

    selected = {str(index.siblingAtColumn(Column.KEY).data()) for index in selection.selectedRows()}
    assert selected == keys
    current = view.currentIndex()
    assert current.column() == 2 and current.siblingAtColumn(Column.KEY).data() == table.stored[40].key


def test_rows_added_below_the_screen_are_inserted_together_and_those_on_it_at_once(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every insertion makes the view repaint all it shows: rows arriving below it
    in many small batches come in a few insertions."""
    from cosdesk.ui import task_feed

    monkeypatch.setattr(task_feed, "APPLY_BATCH", 10)
    db = tmp_path / "tasks.sqlite3"
    stored = store_tasks(db, 300)
    store = TaskStore(db, background=True)
    queue = UploadQueue(store, lambda endpoint: None, QueueSettings(request_poll_interval_s=0))  # type: ignore[arg-type,return-value]
    model = TaskTableModel(queue)  # learns of the tasks from the queue alone
    proxy = TaskFilterProxy(model)
    view = TaskTable()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.verticalHeader().setDefaultSectionSize(20)
    view.resize(600, 200)
    view.show()
    insertions: list[tuple[int, int]] = []
    proxy.rowsInserted.connect(lambda _parent, first, last: insertions.append((first, last)))
    try:
        queue.restore_in_background(resume=False)
        qtbot.waitUntil(
            lambda: model.rowCount() == 300 and model.is_settled() and proxy.is_settled(), timeout=10_000
        )
        assert [str(proxy.index(row, Column.KEY).data()) for row in range(300)] == [t.key for t in stored]
        assert insertions[0][0] == 0  # the first rows, on screen, at once
        assert len(insertions) <= 5  # not one per batch of ten
    finally:
        model.shutdown()
        queue.shutdown()
        store.close()


def test_a_state_flip_for_a_row_no_longer_shown_waiting_or_paused_is_read_again(open_table: Any) -> None:
    """A RestingState fits only a row the table shows as waiting or paused (its
    error and note stay as they were). Should a later change have reached the
    row first, the task's row is read again rather than the flip applied."""
    table = open_table(30)
    table.queue.restore(resume=False)
    table.settle()
    failed = [task for task in table.stored if task.state is TaskState.ERROR]
    row = table.model.row_of(failed[0].task_id)
    assert row is not None
    shown_failed = table.model.index(row, Column.STATE).data()

    table.model._apply([RestingState(failed[0].task_id, TaskState.WAITING, failed[0].size, 0)])
    table.settle()
    assert table.model.index(row, Column.STATE).data() == shown_failed
    assert table.model.counts()[TaskState.ERROR] == len(failed)


def test_rows_the_view_comes_to_show_are_repainted_with_what_changed_unwatched(open_table: Any) -> None:
    table = open_table(30)
    table.queue.restore(resume=False)
    table.settle()
    table.proxy.watch_rows(0, 5)  # the view shows the first rows only
    repainted: list[tuple[int, int]] = []
    table.proxy.dataChanged.connect(lambda first, last, *_: repainted.append((first.row(), last.row())))
    row = next(
        row for row in range(12, 30) if table.model.rows.state(table.proxy.slot_at(row)) is TaskState.PAUSED
    )
    task_id = table.proxy.task_id_at(row)
    table.queue.cancel([task_id])
    table.qtbot.waitUntil(lambda: table.model.rows.state(table.proxy.slot_at(row)) is TaskState.CANCELED)
    assert not any(first <= row <= last for first, last in repainted)  # not on screen: not repainted
    table.proxy.watch_rows(row - 3, row + 3)  # the view scrolled (or grew) to show it
    assert any(first <= row <= last for first, last in repainted)
    assert table.proxy.index(row, Column.STATE).data() == "Canceled"

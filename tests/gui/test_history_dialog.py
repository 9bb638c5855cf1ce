"""The history window's table: it holds only the pages read so far, reads the next
one as the view scrolls to the end, and notices transfers that end while it is open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale

from cosdesk.engine.history import PAGE_SIZE, HistoryEntry, HistoryOutcome, insert_entries
from cosdesk.engine.store import TaskStore
from cosdesk.ui.history_dialog import HistoryColumn, HistoryDialog


def entry(number: int) -> HistoryEntry:
    return HistoryEntry(
        task_id=f"task-{number}",
        outcome=HistoryOutcome.DONE,
        started_at=1_700_000_000.0 + number,
        ended_at=1_700_000_001.0 + number,
        active_s=1.0,
        bytes_sent=2048,
        size=2048,
        bucket="examplebucket-1250000000",
        key=f"logs/day-{number:05d}.txt",
        endpoint="ap-guangzhou",
        source_path=None,
    )


@pytest.fixture(autouse=True)
def english_numbers() -> Iterator[None]:
    """Numbers as an English locale writes them (5,000), whatever the machine's."""
    before = QLocale()
    QLocale.setDefault(QLocale("en_US"))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TaskStore]:
    path = tmp_path / "tasks.sqlite3"
    opened = TaskStore(path)
    db = sqlite3.connect(path)
    with db:
        insert_entries(db, [entry(number) for number in range(1, 5001)])
    db.close()
    yield opened
    opened.close()


def test_the_table_reads_one_page_and_the_next_when_scrolled_to_the_end(qtbot: Any, store: TaskStore) -> None:
    dialog = HistoryDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.count_label.text() == "Transfers: 5,000", timeout=5000)
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= PAGE_SIZE, timeout=5000)
    assert dialog.model.rowCount() == PAGE_SIZE  # not 5,000 rows in memory
    first = dialog.model.index(0, 2).data()
    assert first == "day-05000.txt"  # newest first

    scroll = dialog.table.verticalScrollBar()
    scroll.setValue(scroll.maximum())
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2 * PAGE_SIZE, timeout=5000)
    names = [dialog.model.index(row, 2).data() for row in range(dialog.model.rowCount())]
    assert names == [f"day-{number:05d}.txt" for number in range(5000, 5000 - 2 * PAGE_SIZE, -1)]


def test_a_transfer_that_ends_while_the_window_is_open_appears_at_the_top(
    qtbot: Any, store: TaskStore
) -> None:
    dialog = HistoryDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.count_label.text() == "Transfers: 5,000", timeout=5000)
    store.save_history(entry(9999))
    qtbot.waitUntil(lambda: dialog.count_label.text() == "Transfers: 5,001", timeout=5000)
    qtbot.waitUntil(lambda: dialog.model.index(0, 2).data() == "day-09999.txt", timeout=5000)


def test_a_quick_transfer_reads_under_a_tenth_of_a_second_in_full(qtbot: Any, store: TaskStore) -> None:
    quick = replace(entry(9998), active_s=0.006, bytes_sent=6, size=6)
    store.save_history(quick)
    dialog = HistoryDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.index(0, 2).data() == "day-09998.txt", timeout=5000)
    shown = dialog.model.index(0, HistoryColumn.DURATION).data()
    assert shown == "under 0.1 s"  # not "0.0 s" beside its speed
    # The column holds the whole text: it was cut to "unde….1 s".
    width = dialog.table.horizontalHeader().sectionSize(HistoryColumn.DURATION)
    assert width >= dialog.table.fontMetrics().horizontalAdvance(shown) + 8

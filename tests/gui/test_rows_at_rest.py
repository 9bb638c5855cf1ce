"""Tasks at rest paused and resumed in bulk reach the table as their new state
alone (RestingState), never by reading each task's row back from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cosdesk.engine.task import CompactRow, RestingState, TaskSnapshot, TaskState
from cosdesk.ui.task_cells import Column
from cosdesk.ui.task_feed import NewRows

from .conftest import WindowDriver, make_file, wait_for

FILES = 400
# Rows that may come whole rather than as a flip: the 12 tasks kept whole, and
# those woken from rest meanwhile, since uploads go on while the command runs on
# its worker and until the table's next tick reads the rows (12-24 in runs).
WHOLE_AT_MOST = 40


def drop_scans_on_a_slow_link(account_window: WindowDriver, tmp_path: Path) -> None:
    """Drop a folder of FILES small files on a link too slow for more than the first
    few (with the window's queue keeping 12 tasks whole, nearly all are at rest,
    waiting), and wait until the table shows them all."""
    window = account_window.window
    window.queue.set_bandwidth_limit(1024)
    folder = tmp_path / "scans"
    for number in range(FILES):
        make_file(folder / f"scan-{number:03d}.pdf", 100)
    account_window.drop([folder])
    wait_for(lambda: window.model.rowCount() == FILES and window.model.is_settled())


@pytest.mark.usefixtures("tiny_live_limit")
def test_pause_all_and_start_all_flip_rows_at_rest_without_reading_them_back(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    drop_scans_on_a_slow_link(account_window, tmp_path)
    arrived: list[object] = []
    window.model.feed.arrived.connect(arrived.extend)

    def shown(state: TaskState) -> int:
        return window.model.counts().get(state, 0)

    window.pause_all()
    wait_for(
        lambda: shown(TaskState.PAUSED) + shown(TaskState.SUCCESS) == FILES and window.model.is_settled()
    )
    flips = [item for item in arrived if isinstance(item, RestingState)]
    assert len(flips) >= FILES - WHOLE_AT_MOST  # all but the few whole ones were at rest
    assert {flip.state for flip in flips} == {TaskState.PAUSED}
    # Whole snapshots only for the few tasks in memory (rows on screen are read
    # whole too, but for display, not through the feed).
    assert sum(isinstance(item, TaskSnapshot) for item in arrived) <= WHOLE_AT_MOST
    # Each row says what its task is (a task at rest read from the database).
    for row in range(window.model.rowCount()):
        task = window.queue.task(window.model.task_id_at(row))
        assert task is not None
        assert window.model.rows.state(window.model.slot_at(row)) is task.state

    arrived.clear()
    window.start_all()
    wait_for(lambda: shown(TaskState.PAUSED) == 0 and window.model.is_settled())
    flips = [item for item in arrived if isinstance(item, RestingState)]
    assert len(flips) >= FILES - WHOLE_AT_MOST
    assert {flip.state for flip in flips} == {TaskState.WAITING}
    # Whole snapshots only for the few tasks in memory (rows on screen are read
    # whole too, but for display, not through the feed).
    assert sum(isinstance(item, TaskSnapshot) for item in arrived) <= WHOLE_AT_MOST


@pytest.mark.usefixtures("tiny_live_limit")
def test_a_drop_reaches_the_table_as_the_rows_made_with_its_tasks_not_read_back(
    account_window: WindowDriver, tmp_path: Path
) -> None:
    window = account_window.window
    arrived: list[object] = []
    window.model.feed.arrived.connect(arrived.extend)
    read_back: list[str] = []
    table_rows_of = window.queue.table_rows_of

    def counting_reads(task_ids: Any, shown_idle: Any = None) -> Any:
        task_ids = list(task_ids)
        read_back.extend(task_ids)
        return table_rows_of(task_ids, shown_idle)

    window.queue.table_rows_of = counting_reads  # type: ignore[method-assign]
    drop_scans_on_a_slow_link(account_window, tmp_path)
    rows = [item for item in arrived if isinstance(item, CompactRow)]
    rows += [row for item in arrived if isinstance(item, NewRows) for row in item.rows]
    assert len(rows) >= FILES - WHOLE_AT_MOST
    # Only the few tasks kept whole (and those that changed since) were read.
    assert len(set(read_back)) <= WHOLE_AT_MOST
    # Each row is its task's (states move on as uploads go on, keys do not).
    for row in range(window.model.rowCount()):
        task = window.queue.task(window.model.task_id_at(row))
        assert task is not None
        assert window.model.rows.key(window.model.slot_at(row)) == task.key


def test_every_row_of_a_finished_drop_says_done(account_window: WindowDriver, tmp_path: Path) -> None:
    window = account_window.window
    folder = tmp_path / "drop"
    for number in range(40):
        make_file(folder / f"file-{number:02d}.bin", 1000 * (number + 1))
    account_window.drop([folder])
    wait_for(lambda: window.model.rowCount() == 40 and window.queue.is_idle(), timeout_s=30)
    proxy = window.proxy

    def states_shown() -> list[str]:
        return [proxy.data(proxy.index(row, Column.STATE)) for row in range(proxy.rowCount())]

    # What the State column says, row by row, as the view reads it.
    wait_for(lambda: states_shown() == ["Done"] * 40, timeout_s=10)
    assert window.model.counts() == {TaskState.SUCCESS: 40}

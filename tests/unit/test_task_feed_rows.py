"""Which rows made with new tasks the task table may show without reading them."""

from __future__ import annotations

from cosdesk.engine.task import CompactRow, TaskState
from cosdesk.ui.task_feed import rows_still_true


def row(task_id: str) -> CompactRow:
    return CompactRow(task_id, f"{task_id}.bin", TaskState.WAITING, 10, 0, True)


def test_the_row_of_a_task_that_changed_since_it_was_added_is_dropped_and_read_anew() -> None:
    rows_at_adding = {"a": row("a"), "b": row("b"), "c": row("c")}
    # a: added, unchanged; b: added, then changed before its turn; d: changed only.
    chunk = {"a": True, "b": False, "d": False}
    assert rows_still_true(chunk, rows_at_adding) == {"a": row("a")}
    # Both taken out: b's row is stale for good; c waits for its own turn.
    assert rows_at_adding == {"c": row("c")}

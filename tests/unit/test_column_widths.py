"""The task table's first-start column widths (cosdesk/ui/column_widths.py)."""

from __future__ import annotations

import pytest

from cosdesk.ui.column_widths import DEFAULT_COLUMN_WIDTHS, NARROWEST, first_widths
from cosdesk.ui.task_cells import Column


def test_a_wide_table_keeps_the_default_widths() -> None:
    assert first_widths(sum(DEFAULT_COLUMN_WIDTHS.values()) + 200) == DEFAULT_COLUMN_WIDTHS


@pytest.mark.parametrize("available", [690, 720, 760, 800, 844])
def test_a_narrower_table_takes_the_room_from_name_and_key_and_fits_exactly(available: int) -> None:
    widths = first_widths(available)
    assert available - 2 <= sum(widths.values()) <= available
    assert {c: w for c, w in widths.items() if c not in NARROWEST} == {
        c: w for c, w in DEFAULT_COLUMN_WIDTHS.items() if c not in NARROWEST
    }
    for column, narrowest in NARROWEST.items():
        assert narrowest <= widths[column] < DEFAULT_COLUMN_WIDTHS[column]


def test_a_table_too_narrow_for_all_stops_name_and_key_at_their_narrowest() -> None:
    widths = first_widths(300)
    assert widths[Column.NAME] == NARROWEST[Column.NAME] and widths[Column.KEY] == NARROWEST[Column.KEY]
    assert widths[Column.PROGRESS] == DEFAULT_COLUMN_WIDTHS[Column.PROGRESS]

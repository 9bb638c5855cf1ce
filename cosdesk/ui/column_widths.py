"""The task table's column widths on a first start: each text readable, and a
row's progress, speed and time left on screen without scrolling sideways.

The bucket's pane takes a third of the window beside the table. With the old
fixed widths, name and key alone took 420 of the table's ~600 pixels on a
1100-pixel window, and what an upload is doing (progress, speed, time left) was
off to the right. Name and key hold the longest texts, and their tooltips give
them whole, so they are the ones that give way.
"""

from __future__ import annotations

from cosdesk.ui.task_cells import Column

DEFAULT_COLUMN_WIDTHS = {
    Column.NAME: 170,
    Column.KEY: 200,
    Column.SIZE: 80,
    Column.STATE: 110,
    Column.PROGRESS: 140,
    Column.SPEED: 85,
    Column.ETA: 60,
}
# How narrow a first layout may make the columns that give way.
NARROWEST = {Column.NAME: 100, Column.KEY: 110}


def first_widths(available: int) -> dict[Column, int]:
    """The default widths, with name and key narrowed in proportion (down to
    ``NARROWEST``) as far as the columns up to the time left need to fit in
    ``available`` pixels. Where even that is too wide, they stay at ``NARROWEST``
    and the rest scrolls."""
    widths = dict(DEFAULT_COLUMN_WIDTHS)
    excess = sum(widths.values()) - available
    slack = {column: widths[column] - narrowest for column, narrowest in NARROWEST.items()}
    total_slack = sum(slack.values())
    if excess <= 0 or total_slack <= 0:
        return widths
    taken = min(excess, total_slack)
    for column, room in slack.items():
        widths[column] -= -(-taken * room // total_slack)  # rounded up: the sum fits
    return widths

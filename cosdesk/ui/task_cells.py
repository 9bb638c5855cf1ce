"""What each cell of the task table shows: text, icon, tooltip and alignment per
column, worked out for one row at a time (the rows the view asks for), from the
row's full snapshot or, before that has been read, from its compact columns.
"""

from __future__ import annotations

import enum
import os
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt

from cosdesk.engine.task import TaskSnapshot, TaskState
from cosdesk.ui.engine_texts import shown_note
from cosdesk.ui.formatting import (
    describe_error,
    error_tooltip,
    format_eta,
    format_percent,
    format_size,
    format_speed,
    retry_note,
    state_text,
    unanswered_note,
)
from cosdesk.ui.icons import state_icon
from cosdesk.ui.progress_bars import progress_bar


class Column(enum.IntEnum):
    NAME = 0
    KEY = 1
    SIZE = 2
    STATE = 3
    PROGRESS = 4
    SPEED = 5
    ETA = 6
    MESSAGE = 7


# One dict of role → value per column; a role not in it has no value.
Cells = tuple[dict[int, Any], ...]

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
# Every role a cell may have a value for (see cell_value).
CELL_ROLES = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _ALIGNMENT})
# Sizes, speeds and times left line up on the right, cells and header alike.
_RIGHT_ALIGNED = frozenset({Column.SIZE, Column.SPEED, Column.ETA})


def alignment_of(column: int) -> int | None:
    """How a column's header and cells line up (None: as the style does)."""
    return _RIGHT if column in _RIGHT_ALIGNED else None


def cell_value(cells: Cells, column: int, role: int) -> Any:
    """One role of a row's cell in ``column``: its alignment is the column's, the
    rest is the row's (``snapshot_cells``, ``compact_cells``)."""
    return alignment_of(column) if role == _ALIGNMENT else cells[column].get(role)


def paused_note(snapshot: TaskSnapshot) -> str:
    """Why a paused row's progress went back: the bytes in flight when it was
    paused, which the server had not confirmed (resuming finds what it did store
    and sends the rest). Empty when nothing was in flight."""
    if not snapshot.dropped_bytes:
        return ""
    return QCoreApplication.translate(
        "TaskTableModel", "%1 in flight was not confirmed; resuming sends what is missing"
    ).replace("%1", format_size(snapshot.dropped_bytes))


def resent_note(snapshot: TaskSnapshot) -> str:
    """Why a running row's progress went back: requests that failed and are sent
    again. Empty when none was."""
    if not snapshot.resent_bytes:
        return ""
    return QCoreApplication.translate("TaskTableModel", "%1 sent again after a failed request").replace(
        "%1", format_size(snapshot.resent_bytes)
    )


def name_of_key(key: str, source_path: str | None = None) -> str:
    """What the Name column shows: the last segment of the key (a folder marker
    keeps its trailing ``/`` so it reads as a folder)."""
    if key.endswith("/"):
        return key.rstrip("/").rsplit("/", 1)[-1] + "/"
    return key.rsplit("/", 1)[-1] or (os.path.basename(source_path or "") or key)


def display_name(snapshot: TaskSnapshot) -> str:
    return name_of_key(snapshot.key, snapshot.source_path)


def row_note(snapshot: TaskSnapshot) -> str:
    """What the Message column says of a row without an error (or the retry under way)."""
    if snapshot.unanswered_s is not None:
        return unanswered_note(snapshot.unanswered_s)
    if snapshot.dropped_bytes:  # progress went back: say why
        return paused_note(snapshot)
    if snapshot.resent_bytes:
        return resent_note(snapshot)
    if snapshot.retry_delay_s is not None:
        return retry_note(snapshot.retry_delay_s, snapshot.error)
    return shown_note(snapshot.note)


def message_text(snapshot: TaskSnapshot) -> str:
    """The Message column's text: why the row failed (an explanation; the tooltip
    has the rest), else what it should say of itself (row_note)."""
    if snapshot.error is not None and snapshot.retry_delay_s is None:
        return describe_error(snapshot.error, short=True)
    return row_note(snapshot)


def snapshot_cells(snapshot: TaskSnapshot, hashed: float | None) -> Cells:
    """Every column of a row, from its full snapshot. ``hashed``: how far the
    local file has been hashed (0..1) while the row is checking, else None."""
    state = snapshot.state
    uploading = state is TaskState.UPLOADING
    progress = hashed if hashed is not None and state is TaskState.CHECKING else snapshot.percent
    name = display_name(snapshot)
    where = f"{snapshot.source_path or ''}\n→ {snapshot.bucket}/{snapshot.key}"
    # The column cuts its text: the tooltip has all of it (the explanation, the
    # untranslated system message, labelled as such, and the note).
    error_tip = error_tooltip(snapshot.error, row_note(snapshot))
    unverified = snapshot.result is not None and snapshot.result.unverified
    return (
        {_DISPLAY: name, _TOOLTIP: where},
        {_DISPLAY: snapshot.key, _TOOLTIP: where},
        {_DISPLAY: "" if snapshot.size is None else format_size(snapshot.size)},
        {_DISPLAY: state_text(state, unverified), _DECORATION: state_icon(state), _TOOLTIP: error_tip},
        {_DISPLAY: format_percent(progress), _DECORATION: progress_bar(progress, state)},
        {_DISPLAY: format_speed(snapshot.speed) if uploading and snapshot.speed is not None else ""},
        {_DISPLAY: format_eta(snapshot.eta_s) if uploading else ""},
        {_DISPLAY: message_text(snapshot), _TOOLTIP: error_tip},
    )


def compact_cells(
    key: str, state: TaskState, size: int, progress: float, *, unverified: bool, hashed: float | None
) -> Cells:
    """Every column of a row whose snapshot has not been read yet: what its
    compact columns tell (no tooltips, no error text: those come with the
    snapshot, a moment later)."""
    if hashed is not None and state is TaskState.CHECKING:
        progress = hashed
    return (
        {_DISPLAY: name_of_key(key)},
        {_DISPLAY: key},
        {_DISPLAY: "" if size < 0 else format_size(size)},
        {_DISPLAY: state_text(state, unverified), _DECORATION: state_icon(state)},
        {_DISPLAY: format_percent(progress), _DECORATION: progress_bar(progress, state)},
        {},
        {},
        {},
    )

"""What the selected rows allow, in one place: the toolbar, the context menu, the
menu bar and the Delete key all ask here, so a command is greyed out (or not)
the same way wherever it is offered. And the question asked before a cancel
throws away bytes already sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject

from cosdesk.engine.task import TaskSnapshot, TaskState
from cosdesk.ui.formatting import format_size

_RUNNABLE = frozenset({TaskState.WAITING, TaskState.CHECKING, TaskState.UPLOADING})

# Cancelling more uploads than this at once is asked about even when none has
# sent a byte yet: a slip of the Delete key on a long selection is costly.
CANCEL_CONFIRM_THRESHOLD = 10


@dataclass(frozen=True)
class SelectionRule:
    """Which row commands apply to a selection (each: at least one selected row
    it would change)."""

    selected: bool  # any row: copy key, details, Space
    pause: bool  # waiting, checking or uploading
    resume: bool  # paused
    retry: bool  # failed
    cancel: bool  # not finished: not done, not canceled
    upload_again: bool  # canceled: sent again from the first byte
    remove: bool  # done or canceled: leaves the list (the object stays in the bucket)
    copy_url: bool  # uploaded
    open_folder: bool  # a local file

    @property
    def delete_removes(self) -> bool:
        """The Delete key removes rows (when none of them could be canceled)."""
        return self.remove and not self.cancel


def selection_rule(snapshots: Sequence[TaskSnapshot]) -> SelectionRule:
    return rule_for(
        {snap.state for snap in snapshots},
        any_result=any(snap.result is not None for snap in snapshots),
        any_source=any(snap.source_path for snap in snapshots),
    )


def rule_for(states: Collection[TaskState], *, any_result: bool, any_source: bool) -> SelectionRule:
    """The rule for a selection told by its states and whether any selected task
    was uploaded (has a result) or reads a local file: what the table knows of a
    selection of any size without reading each task."""
    return SelectionRule(
        selected=bool(states),
        pause=bool(set(states) & _RUNNABLE),
        resume=TaskState.PAUSED in states,
        retry=TaskState.ERROR in states,
        cancel=any(not state.is_final for state in states),
        upload_again=TaskState.CANCELED in states,
        remove=any(state.is_final for state in states),
        copy_url=any_result,
        open_folder=any_source,
    )


class Unfinished(Protocol):
    """What the cancel question reads of a task (a snapshot, or the table's facts)."""

    @property
    def key(self) -> str: ...
    @property
    def loaded(self) -> int: ...
    @property
    def size(self) -> int | None: ...
    @property
    def appends(self) -> bool: ...


@dataclass(frozen=True)
class CancelQuestion:
    text: str
    detail: str
    confirm: str  # the button that cancels
    keep: str  # the button that keeps uploading


def cancel_question(
    count: int, started: Sequence[Unfinished], *, asked_already: bool = False
) -> CancelQuestion | None:
    """The question to ask before cancelling ``count`` unfinished tasks, of which
    ``started`` have sent bytes; None when nothing would be lost (none has sent a
    byte, and they are few), unless it is ``asked_already`` (its words are kept
    true while it is open)."""
    return TaskActions().cancel_question(count, started, asked_already)


class TaskActions(QObject):
    """The words of ``cancel_question``. A QObject only for ``self.tr``: the
    translation tools find a message, and see that a ``%n`` one has plural forms,
    only in a ``self.tr`` call written in a class named as the message's context."""

    def cancel_question(
        self, count: int, started: Sequence[Unfinished], asked_already: bool
    ) -> CancelQuestion | None:
        if not started and count <= CANCEL_CONFIRM_THRESHOLD and not asked_already:
            return None
        sent = sum(snap.loaded for snap in started)
        # An append cannot be taken back: what it added stays in the object, and
        # uploading it again goes on after that (UploadQueue.upload_again).
        appending = sum(1 for snap in started if snap.appends)
        if len(started) == 1 and count == 1:
            snap = started[0]
            text = self.tr("Cancel the upload of %1?").replace("%1", snap.key)
            if snap.appends:
                detail = self.tr(
                    "%1 of %2 has been sent. What was appended stays in the object if you cancel; "
                    "uploading again goes on after it."
                )
            else:
                detail = self.tr(
                    "%1 of %2 has been sent. Cancelling throws that away (an object already "
                    "there under this name stays as it is); uploading again starts over."
                )
            detail = detail.replace("%1", format_size(snap.loaded)).replace("%2", format_size(snap.size or 0))
        elif started:
            text = self.tr("Cancel %n upload(s)?", None, count)
            if appending == len(started):
                detail = self.tr(
                    "Already sent: %1, by %n of these uploads. What they appended stays in the objects "
                    "if you cancel; uploading again goes on after it.",
                    None,
                    len(started),
                )
            else:
                detail = self.tr(
                    "Already sent: %1, by %n of these uploads. Cancelling throws that away (objects "
                    "already there under their names stay as they are); uploading again starts over.",
                    None,
                    len(started),
                )
            detail = detail.replace("%1", format_size(sent))
            if 0 < appending < len(started):
                detail += " " + self.tr(
                    "Except what %n append(s) added: that stays, and uploading again goes on after it.",
                    None,
                    appending,
                )
        else:
            text = self.tr("Cancel %n upload(s)?", None, count)
            detail = self.tr("None of them has started: nothing sent is lost.")
        return CancelQuestion(
            text=text,
            detail=detail,
            confirm=self.tr("Cancel %n upload(s)", None, count),
            keep=self.tr("Keep uploading"),
        )

"""The details panel of one task (double-click a row): where it goes, how it is
sent, a map of the parts already on the server, timings, and — for support — the
exact error with COS's code and request id."""

from __future__ import annotations

import logging
import math
import time
from typing import cast

from PySide6.QtCore import QRectF, QSize, Qt, QThreadPool, Slot
from PySide6.QtGui import QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from cosdesk.engine.queue import UploadQueue
from cosdesk.engine.task import TaskSnapshot, TaskState, UploadMethod
from cosdesk.ui.background import run_in_background
from cosdesk.ui.engine_texts import shown_note
from cosdesk.ui.formatting import (
    explain_error,
    format_duration,
    format_percent,
    format_size,
    format_speed,
    format_timestamp,
    method_label,
    state_text,
    verification_label,
)
from cosdesk.ui.icons import state_icon
from cosdesk.ui.palette import error_color
from cosdesk.ui.queue_listening import listen
from cosdesk.ui.task_model import display_name, paused_note

logger = logging.getLogger(__name__)


def read_details(queue: UploadQueue, task_id: str) -> tuple[TaskSnapshot | None, set[int]]:
    """The task and the part numbers the server has confirmed for it. A task at
    rest is read from the database, so this runs off the GUI thread."""
    snapshot = queue.task(task_id)
    if snapshot is None or snapshot.method is not UploadMethod.MULTIPART:
        return snapshot, set()
    return snapshot, {part.part_number for part in queue.task_parts(task_id)}


class PartMap(QWidget):
    """A grid of small cells, one per part: filled when the part is on the server."""

    CELL = 10
    GAP = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count = 0
        self._done: set[int] = set()
        self._failed = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_parts(self, count: int, done: set[int], failed: bool) -> None:
        self._count, self._done, self._failed = count, done, failed
        self.updateGeometry()
        self.update()

    def _cell(self) -> int:
        # Thousands of parts get smaller cells so the map stays on screen.
        return self.CELL if self._count <= 600 else max(3, self.CELL // 2)

    def _columns(self, width: int) -> int:
        return max(1, (width + self.GAP) // (self._cell() + self.GAP))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        rows = math.ceil(self._count / self._columns(width)) if self._count else 1
        return min(rows, 60) * (self._cell() + self.GAP)

    def sizeHint(self) -> QSize:
        return QSize(360, self.heightForWidth(360))

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        palette = self.palette()
        done_color = error_color(palette) if self._failed else palette.color(QPalette.ColorRole.Highlight)
        empty_color = palette.color(QPalette.ColorRole.Mid)
        cell, gap = self._cell(), self.GAP
        columns = self._columns(self.width())
        painter.setPen(Qt.PenStyle.NoPen)
        for index in range(self._count):
            row, column = divmod(index, columns)
            rect = QRectF(column * (cell + gap), row * (cell + gap), cell, cell)
            if rect.top() > self.height():
                break
            painter.setBrush(done_color if (index + 1) in self._done else empty_color)
            painter.drawRect(rect)


class TaskDetailsDialog(QDialog):
    """Live details of one task; non-modal, refreshed on the queue's list-update."""

    def __init__(
        self, queue: UploadQueue, task_id: str, pool: QThreadPool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._queue = queue
        self._pool = pool
        self.task_id = task_id
        # The task as last read, for "Copy error details".
        self._snapshot: TaskSnapshot | None = None
        # One read at a time; a change meanwhile asks for one more after it.
        self._reading = False
        self._read_again = False
        self.resize(620, 560)

        self.title = QLabel(self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_icon = QLabel(self)

        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, label in (
            ("state", self.tr("State")),
            ("source", self.tr("Local file")),
            ("destination", self.tr("Destination")),
            ("size", self.tr("Size")),
            ("progress", self.tr("Sent")),
            ("method", self.tr("Method")),
            ("concurrency", self.tr("At once")),
            ("upload_id", self.tr("Upload ID")),
            ("created", self.tr("Queued")),
            ("finished", self.tr("Finished")),
            ("etag", self.tr("ETag")),
            ("verified", self.tr("Verified")),
            ("note", self.tr("Note")),
        ):
            value = QLabel(self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[name] = value
            form.addRow(label, value)

        self.parts_box = QGroupBox(self.tr("Parts"), self)
        self.parts_summary = QLabel(self.parts_box)
        self.part_map = PartMap(self.parts_box)
        parts_layout = QVBoxLayout(self.parts_box)
        parts_layout.addWidget(self.parts_summary)
        parts_layout.addWidget(self.part_map)

        self.error_box = QGroupBox(self.tr("Error"), self)
        self.error_text = QLabel(self.error_box)
        self.error_text.setWordWrap(True)
        self.error_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_support = QLabel(self.error_box)
        self.error_support.setWordWrap(True)
        self.error_support.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.system_message_label = QLabel(
            self.tr("System message (as received, not translated):"), self.error_box
        )
        self.system_message = QLabel(self.error_box)
        self.system_message.setWordWrap(True)
        self.system_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.system_message.setAccessibleName(self.tr("System message"))
        self.system_message_label.setBuddy(self.system_message)
        self.system_message.setFrameShape(QFrame.Shape.StyledPanel)
        self.system_message.setMargin(4)
        self.copy_error = QPushButton(self.tr("Copy error details"), self.error_box)
        self.copy_error.clicked.connect(self._copy_error)
        error_layout = QVBoxLayout(self.error_box)
        error_layout.addWidget(self.error_text)
        error_layout.addWidget(self.system_message_label)
        error_layout.addWidget(self.system_message)
        error_layout.addWidget(self.error_support)
        error_layout.addWidget(self.copy_error, 0, Qt.AlignmentFlag.AlignLeft)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)

        header = QHBoxLayout()
        header.addWidget(self.state_icon)
        header.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(self.parts_box)
        layout.addWidget(self.error_box)
        layout.addStretch(1)
        layout.addWidget(buttons)

        # Shown once the task is read, if it has them.
        self.parts_box.hide()
        self.error_box.hide()
        listen(self, queue.list_updated, self._on_list_updated)
        self.refresh()

    @Slot(list)
    def _on_list_updated(self, task_ids: list[str]) -> None:
        if self.task_id in task_ids:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Read the task again (off the GUI thread) and show it."""
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        queue, task_id = self._queue, self.task_id
        run_in_background(self._pool, self, lambda: read_details(queue, task_id), self._show)

    def _show(self, read: object) -> None:
        self._reading = False
        if isinstance(read, BaseException):
            logger.warning("cannot read the task's details: %s", read)
            self.fields["state"].setText(self.tr("The task list cannot be read."))
            return
        snap, done_parts = cast(tuple[TaskSnapshot | None, set[int]], read)
        self._snapshot = snap
        if snap is None:
            self.fields["state"].setText(self.tr("This task was removed from the list."))
        else:
            self.setWindowTitle(self.tr("Details — %1").replace("%1", display_name(snap)))
            self.title.setText(display_name(snap))
            self.state_icon.setPixmap(state_icon(snap.state).pixmap(24, 24))
            self._fill(snap, done_parts)
        if self._read_again:
            self._read_again = False
            self.refresh()

    def _fill(self, snap: TaskSnapshot, done_parts: set[int]) -> None:
        f = self.fields
        state = state_text(snap.state, snap.result is not None and snap.result.unverified)
        if snap.state is TaskState.UPLOADING and snap.speed is not None:
            state += (
                self.tr(" — %1, %2 left")
                .replace("%1", format_speed(snap.speed))
                .replace("%2", format_duration(snap.eta_s))
            )
        f["state"].setText(state)
        f["source"].setText(snap.source_path or self.tr("(in memory)"))
        f["destination"].setText(f"{snap.bucket}/{snap.key}")
        f["size"].setText(format_size(snap.size) if snap.size is not None else self.tr("unknown"))
        f["progress"].setText(
            self.tr("%1 (%2)")
            .replace("%1", format_size(snap.loaded))
            .replace("%2", format_percent(snap.percent, 1))
        )
        method = method_label(snap.method) if snap.method else self.tr("not decided yet")
        if snap.part_size and snap.method is UploadMethod.MULTIPART:
            method += self.tr(", parts of %1").replace("%1", format_size(snap.part_size))
        f["method"].setText(method)
        f["concurrency"].setText(self._concurrency_text(snap))
        f["upload_id"].setText(snap.upload_id or "—")
        f["created"].setText(format_timestamp(snap.created_at))
        if snap.finished_at:
            took = format_duration(max(0.0, snap.finished_at - snap.created_at))
            f["finished"].setText(
                self.tr("%1 (%2 after it was queued)")
                .replace("%1", format_timestamp(snap.finished_at))
                .replace("%2", took)
            )
        else:
            f["finished"].setText("—")
        result = snap.result
        f["etag"].setText(
            result.etag + (f"   CRC-64 {result.crc64}" if result.crc64 is not None else "") if result else "—"
        )
        f["verified"].setText(verification_label(result.verification) if result else "—")
        f["note"].setText("\n".join(filter(None, (paused_note(snap), shown_note(snap.note)))) or "—")

        part_count = 0
        if snap.part_size and snap.size:
            part_count = max(1, math.ceil(snap.size / snap.part_size))
        self.parts_box.setVisible(part_count > 1)
        if part_count > 1:
            done = done_parts
            if snap.state is TaskState.SUCCESS:
                done = set(range(1, part_count + 1))
            self.parts_summary.setText(
                self.tr("%1 of %2 parts on the server")
                .replace("%1", str(len(done)))
                .replace("%2", str(part_count))
            )
            self.part_map.set_parts(part_count, done, snap.state is TaskState.ERROR)

        error = snap.error
        self.error_box.setVisible(error is not None)
        if error is not None:
            # The explanation is in the window's language; what the server or the
            # system said stays as it was said, under a label that says so.
            self.error_text.setText(explain_error(error))
            support = [self.tr("Code: %1").replace("%1", error.code)]
            if error.status_code:
                support.append(self.tr("HTTP status: %1").replace("%1", str(error.status_code)))
            support.append(self.tr("Request ID: %1").replace("%1", error.request_id or "—"))
            self.error_support.setText("\n".join(support))
            self.system_message.setText(error.message or "—")

    def _concurrency_text(self, snap: TaskSnapshot) -> str:
        """How many files and parts go at once now, and the rate measured: why the
        upload goes as fast as it does. Only while the task runs."""
        if snap.state not in (TaskState.CHECKING, TaskState.UPLOADING):
            return "—"
        status = self._queue.concurrency_status(snap.task_id)
        automatic = self.tr(" (automatic)")
        lines = [
            self.tr("Files: %1").replace("%1", str(status.files))
            + (automatic if status.files_automatic else "")
        ]
        if snap.method is UploadMethod.MULTIPART:
            lines.append(
                self.tr("Parts of this file: %1").replace("%1", str(status.parts))
                + (automatic if status.parts_automatic else "")
            )
        lines.append(self.tr("Measured: %1").replace("%1", format_speed(status.goodput_bytes_per_s)))
        return "\n".join(lines)

    def error_report(self) -> str:
        """The text "Copy error details" puts on the clipboard (for a support ticket)."""
        snap = self._snapshot
        if snap is None or snap.error is None:
            return ""
        error = snap.error
        return "\n".join(
            [
                f"cosdesk upload error, {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
                f"object: {snap.bucket}/{snap.key}",
                f"code: {error.code}",
                f"http status: {error.status_code or '-'}",
                f"request id: {error.request_id or '-'}",
                f"message: {error.message}",
                f"upload id: {snap.upload_id or '-'}",
            ]
        )

    @Slot()
    def _copy_error(self) -> None:
        QGuiApplication.clipboard().setText(self.error_report())

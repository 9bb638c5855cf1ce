"""File ▸ Sync a folder…: choose a folder and a destination, preview the plan
(what will be uploaded, skipped and deleted, and why), then sync.

The plan is made on the window's pool (it walks the folder and lists the
prefix); Sync is possible only once a preview of exactly these choices is on
screen, and with deletes it asks first, naming the count. The uploads then go
into the queue as ordinary rows; the deletes run on the pool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cosdesk.cos.client import CosClient
from cosdesk.cos.errors import CosException
from cosdesk.engine.options import UploadOptions
from cosdesk.engine.sync_delete import DeleteOutcome, delete_objects
from cosdesk.engine.sync_patterns import PatternError
from cosdesk.engine.sync_plan import (
    SkipReason,
    SyncDestination,
    SyncPlan,
    SyncRequest,
    UploadReason,
    plan_sync,
)
from cosdesk.engine.sync_run import SyncUploads, UploadOutcome
from cosdesk.engine.task import UNANSWERED_AFTER_S
from cosdesk.ui.background import run_in_background
from cosdesk.ui.engine_texts import first_found, links_left_alone, shown_pattern_problem
from cosdesk.ui.formatting import unanswered_note
from cosdesk.ui.message_boxes import message_box, window_title

if TYPE_CHECKING:
    from cosdesk.ui.accounts import Destination
    from cosdesk.ui.session import Session

# Rows shown per list: the counts say the rest (a list of 100,000 items costs
# seconds to fill and nobody reads it).
LIST_LIMIT = 1000


@dataclass(frozen=True)
class _Choices:
    """What the dialog shows, as a sync request needs it; a preview belongs to one."""

    folder: str
    bucket: str
    prefix: str
    delete: bool
    excludes: tuple[str, ...]
    includes: tuple[str, ...]


class SyncDialog(QDialog):
    """One sync: preview, then sync, to the account of ``destination`` (the
    window's current one), with ``session``'s queue, clients, record and pool.
    The uploads' follower is a child of ``parent``: it outlives the dialog."""

    def __init__(self, session: Session, destination: Destination | None, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._destination = destination
        self._plan: SyncPlan | None = None
        self._planned_for: _Choices | None = None
        # The account's upload options when the preview was made.
        self._options = UploadOptions()
        # What the sync's two halves last said, shown side by side.
        self._upload_status = ""
        self._delete_status = ""
        # While a preview is made: what the line says, the client it asks (set by
        # the worker once it has it), and a timer that adds a silent server's time.
        self._comparing = ""
        self._previewing_with: CosClient | None = None
        self._silence_timer = QTimer(self)
        self._silence_timer.setInterval(1000)
        self._silence_timer.timeout.connect(self._say_silence)
        self.setWindowTitle(window_title(self.tr("Sync a folder")))
        self._build()
        if destination is not None:
            self.bucket.setText(destination.bucket)
            self.prefix.setText(destination.prefix)
        for field in (self.folder, self.bucket, self.prefix):
            field.textChanged.connect(self._choices_changed)
        for patterns in (self.excludes, self.includes):
            patterns.textChanged.connect(self._choices_changed)
        self.delete.toggled.connect(self._choices_changed)
        self._choices_changed()

    def _build(self) -> None:
        self.folder = QLineEdit()
        self.folder.setAccessibleName(self.tr("Folder to sync"))
        choose = QPushButton(self.tr("Choose…"))
        choose.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        self.bucket = QLineEdit()
        self.bucket.setAccessibleName(self.tr("Bucket to sync to"))
        self.prefix = QLineEdit()
        self.prefix.setAccessibleName(self.tr("Prefix to sync to"))
        self.prefix.setPlaceholderText(self.tr("(the top of the bucket)"))
        self.delete = QCheckBox(self.tr("Delete remote files that are not in the folder"))
        # As wide as its text: a click on the empty row beside it does nothing.
        self.delete.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.excludes = QPlainTextEdit()
        self.excludes.setAccessibleName(self.tr("Exclude patterns"))
        self.excludes.setPlaceholderText(self.tr("One per line, as in .gitignore (*.tmp, build/)"))
        self.includes = QPlainTextEdit()
        self.includes.setAccessibleName(self.tr("Include patterns"))
        self.includes.setPlaceholderText(self.tr("Empty: every file; else only files matching these"))
        for patterns in (self.excludes, self.includes):
            patterns.setMaximumHeight(patterns.fontMetrics().lineSpacing() * 4)
        account = QLabel(self._destination.label if self._destination is not None else self.tr("(none)"))
        account.setAccessibleName(self.tr("Account to sync to"))
        form = QFormLayout()
        form.addRow(self.tr("Account:"), account)
        form.addRow(self.tr("Folder:"), folder_row)
        form.addRow(self.tr("Bucket:"), self.bucket)
        form.addRow(self.tr("Prefix:"), self.prefix)
        form.addRow("", self.delete)
        form.addRow(self.tr("Exclude:"), self.excludes)
        form.addRow(self.tr("Include:"), self.includes)

        self.preview_button = QPushButton(self.tr("Preview"))
        self.preview_button.clicked.connect(self.preview)
        self.summary = QLabel()
        self.summary.setAccessibleName(self.tr("Sync preview"))
        self.summary.setWordWrap(True)
        self.lists = QTabWidget()
        self.to_upload, self.to_skip, self.to_delete = QListWidget(), QListWidget(), QListWidget()
        for widget in (self.to_upload, self.to_skip, self.to_delete):
            self.lists.addTab(widget, "")
        self.to_upload.setAccessibleName(self.tr("Files to upload"))
        self.to_skip.setAccessibleName(self.tr("Files to skip"))
        self.to_delete.setAccessibleName(self.tr("Remote files to delete"))
        self._name_tabs(None)

        self.buttons = QDialogButtonBox()
        self.sync_button = self.buttons.addButton(self.tr("Sync"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.sync_button.clicked.connect(self.sync)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview_button)
        preview_row.addWidget(self.summary, 1)
        layout.addLayout(preview_row)
        layout.addWidget(self.lists, 1)
        layout.addWidget(self.buttons)
        self.resize(680, 560)

    def _name_tabs(self, plan: SyncPlan | None) -> None:
        counts = (0, 0, 0) if plan is None else (len(plan.uploads), len(plan.skips), len(plan.deletes))
        names = (self.tr("To upload (%1)"), self.tr("To skip (%1)"), self.tr("To delete (%1)"))
        for index, (name, count) in enumerate(zip(names, counts, strict=True)):
            self.lists.setTabText(index, name.replace("%1", str(count)))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder to sync"), self.folder.text())
        if folder:
            self.folder.setText(folder)

    def choices(self) -> _Choices:
        def lines(edit: QPlainTextEdit) -> tuple[str, ...]:
            return tuple(line for line in edit.toPlainText().splitlines() if line.strip())

        return _Choices(
            self.folder.text().strip(),
            self.bucket.text().strip(),
            self.prefix.text().strip(),
            self.delete.isChecked(),
            lines(self.excludes),
            lines(self.includes),
        )

    def _choices_changed(self) -> None:
        """A preview is of the choices it was made for: any change asks for a new one."""
        current = self.choices()
        self.preview_button.setEnabled(bool(current.folder and current.bucket))
        self.sync_button.setEnabled(self._plan is not None and current == self._planned_for)

    # --- preview ------------------------------------------------------------------------

    def preview(self) -> None:
        choices = self.choices()
        destination = self._destination
        if destination is None:
            self.summary.setText(self.tr("Choose an account first (the bar above the list)."))
            return
        request = SyncRequest(
            Path(choices.folder),
            SyncDestination(destination.endpoint, choices.bucket, choices.prefix),
            choices.excludes,
            choices.includes,
            choices.delete,
        )
        session = self._session
        self._plan, self._planned_for, self._options = None, choices, destination.options
        self.preview_button.setEnabled(False)
        self.sync_button.setEnabled(False)
        self._comparing = self.tr("Comparing the folder with %1…").replace("%1", str(request.destination))
        self.summary.setText(self._comparing)
        self._silence_timer.start()

        def plan() -> SyncPlan:
            client = self._previewing_with = session.router(request.destination.endpoint)
            return plan_sync(request, client, session.sync_record)

        run_in_background(session.pool, self, plan, self._on_plan)

    @Slot()
    def _say_silence(self) -> None:
        client = self._previewing_with
        waited = client.waiting_s(time.monotonic()) if client is not None else None
        if waited is not None and waited >= UNANSWERED_AFTER_S:
            self.summary.setText(
                self.tr("%1 — %2").replace("%1", self._comparing).replace("%2", unanswered_note(waited))
            )
        else:
            self.summary.setText(self._comparing)

    def _on_plan(self, outcome: object) -> None:
        self._silence_timer.stop()
        self._previewing_with = None
        self.preview_button.setEnabled(True)
        if isinstance(outcome, Exception):
            self._planned_for = None
            self.summary.setText(self._problem_text(outcome))
            self._show_lists(None)
            return
        assert isinstance(outcome, SyncPlan)
        self._plan = outcome
        self.summary.setText(self._plan_text(outcome))
        self._show_lists(outcome)
        self._choices_changed()

    def _problem_text(self, error: Exception) -> str:
        if isinstance(error, PatternError):
            return self.tr("A pattern cannot be read: %1").replace("%1", shown_pattern_problem(str(error)))
        if isinstance(error, NotADirectoryError | FileNotFoundError):
            return self.tr("There is no folder at %1.").replace("%1", self.folder.text())
        if isinstance(error, CosException):
            return self.tr("The destination cannot be listed: %1").replace("%1", str(error))
        return self.tr("The folder cannot be read: %1").replace("%1", str(error))

    def _plan_text(self, plan: SyncPlan) -> str:
        text = (
            self.tr("%1 to upload, %2 to skip, %3 to delete.")
            .replace("%1", str(len(plan.uploads)))
            .replace("%2", str(len(plan.skips)))
            .replace("%3", str(len(plan.deletes)))
        )
        # Files and folders apart: an excluded folder is not walked, so its files
        # are not counted, and "1 left out" read as one file.
        left_out = []
        if plan.excluded_files:
            left_out.append(self.tr("%n file(s)", None, plan.excluded_files))
        if plan.excluded_folders:
            left_out.append(self.tr("%n folder(s)", None, plan.excluded_folders))
        if left_out:
            which = self.tr(" and ").join(left_out)
            text += " " + self.tr("%1 left out by the patterns.").replace("%1", which)
        if plan.not_followed:
            text += " " + links_left_alone(plan.not_followed)
        if plan.problems:
            # A path goes in last: its own "%1" would otherwise be replaced too.
            unread = self.tr("%1 could not be read (first: %2).").replace("%1", str(len(plan.problems)))
            text += " " + unread.replace("%2", first_found(plan.problems))
        return text

    def _show_lists(self, plan: SyncPlan | None) -> None:
        self._name_tabs(plan)
        for widget in (self.to_upload, self.to_skip, self.to_delete):
            widget.clear()
        if plan is None:
            return
        upload_reasons = {
            UploadReason.MISSING: self.tr("not in the bucket"),
            UploadReason.SIZE_DIFFERS: self.tr("size differs"),
            UploadReason.CONTENT_DIFFERS: self.tr("same size, different content (CRC-64)"),
            UploadReason.NO_REMOTE_CRC64: self.tr("same size, no CRC-64 in the bucket to compare"),
        }
        skip_reasons = {
            SkipReason.UNCHANGED: self.tr("unchanged since the last sync"),
            SkipReason.SAME_CONTENT: self.tr("same size and CRC-64"),
        }
        self._fill(
            self.to_upload, [f"{u.key} — {upload_reasons[u.reason]}" for u in plan.uploads[:LIST_LIMIT]]
        )
        self._fill(self.to_skip, [f"{s.key} — {skip_reasons[s.reason]}" for s in plan.skips[:LIST_LIMIT]])
        self._fill(self.to_delete, list(plan.deletes[:LIST_LIMIT]))
        for widget, total in ((self.to_upload, len(plan.uploads)), (self.to_skip, len(plan.skips))):
            if total > LIST_LIMIT:
                widget.addItem(self.tr("… and %1 more").replace("%1", str(total - LIST_LIMIT)))
        if len(plan.deletes) > LIST_LIMIT:
            self.to_delete.addItem(
                self.tr("… and %1 more").replace("%1", str(len(plan.deletes) - LIST_LIMIT))
            )
        # The list with something to do comes first.
        self.lists.setCurrentIndex(0 if plan.uploads or not plan.deletes else 2)

    @staticmethod
    def _fill(widget: QListWidget, rows: list[str]) -> None:
        widget.setUpdatesEnabled(False)
        widget.addItems(rows)
        widget.setUpdatesEnabled(True)

    # --- sync ---------------------------------------------------------------------------

    def sync(self) -> None:
        plan = self._plan
        if plan is None or self.choices() != self._planned_for:
            return
        if plan.deletes and not self._deletes_confirmed(plan):
            return
        session = self._session
        self._plan = None  # a plan is carried out once
        self.sync_button.setEnabled(False)
        self._upload_status = (
            self.tr("Syncing: %1 queued for upload.").replace("%1", str(len(plan.uploads)))
            if plan.uploads
            else self.tr("Nothing to upload.")
        )
        self._delete_status = (
            self.tr("Deleting %1…").replace("%1", str(len(plan.deletes))) if plan.deletes else ""
        )
        self._show_status()
        if plan.uploads or plan.confirmed:
            # Owned by the window: the uploads go on after this dialog closes.
            uploads = SyncUploads(session.queue, plan, session.sync_record, self._options, self.parent())
            uploads.ended.connect(self._on_uploads_ended)
            uploads.ended.connect(lambda _outcome: uploads.close(wait=False))
            uploads.ended.connect(uploads.deleteLater)
            uploads.start()
        if plan.deletes:
            destination = plan.destination
            run_in_background(
                session.pool,
                self,
                lambda: delete_objects(
                    session.router(destination.endpoint), destination, plan.deletes, session.sync_record
                ),
                self._on_deleted,
            )

    def _show_status(self) -> None:
        self.summary.setText(" ".join(text for text in (self._upload_status, self._delete_status) if text))

    def _on_uploads_ended(self, outcome: UploadOutcome) -> None:
        self._upload_status = (
            self.tr("Synced: %1 uploaded, %2 failed.")
            .replace("%1", str(len(outcome.uploaded)))
            .replace("%2", str(len(outcome.failed)))
        )
        self._show_status()

    def _deletes_confirmed(self, plan: SyncPlan) -> bool:
        box = message_box(
            self,
            QMessageBox.Icon.Warning,
            self.tr("Delete %n remote file(s)?", None, len(plan.deletes)),
            self.tr("They are in %1 and not in the folder %2. Deleted objects cannot be brought back.")
            .replace("%1", str(plan.destination))
            .replace("%2", str(plan.request.folder)),
            QMessageBox.StandardButton.Cancel,
        )
        delete = box.addButton(self.tr("Delete and sync"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is delete

    def _on_deleted(self, outcome: object) -> None:
        if isinstance(outcome, Exception):
            self._delete_status = self.tr("Nothing was deleted: %1").replace("%1", str(outcome))
        else:
            assert isinstance(outcome, DeleteOutcome)
            self._delete_status = self.tr("%n remote file(s) deleted.", None, len(outcome.deleted))
            if outcome.failed:
                key, reason = outcome.failed[0]
                self._delete_status += " " + (
                    self.tr("%1 could not be deleted (first: %2).")
                    .replace("%1", str(len(outcome.failed)))
                    .replace("%2", f"{key}: {reason}")
                )
        self._show_status()

""" "Watch a folder…": which folder, where its files go (the window's account, a
bucket and a prefix), which files (gitignore patterns beside the folder's
``.cosignore``), and whether the files already there are uploaded too.

The dialog only gathers the choice: :attr:`WatchFolderDialog.choice` is read
when it is accepted, and the window hands it to the watched folders.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cosdesk.engine.scan import normalize_prefix
from cosdesk.engine.sync_patterns import PatternError, SyncPatterns
from cosdesk.engine.watch_list import WatchedFolder, WatchTarget
from cosdesk.ui.accounts import Destination
from cosdesk.ui.engine_texts import shown_pattern_problem
from cosdesk.ui.palette import show_as_error


@dataclass(frozen=True)
class WatchChoice:
    """What the person asked for: the folder to watch, and whether the files
    already in it are uploaded too."""

    watched: WatchedFolder
    upload_existing: bool


def split_patterns(text: str) -> tuple[str, ...]:
    """Patterns as typed: separated by spaces or commas."""
    return tuple(word for word in text.replace(",", " ").split() if word)


class WatchFolderDialog(QDialog):
    """Asks for a folder to watch, uploading to ``destination``'s account."""

    def __init__(self, destination: Destination, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Watch a folder"))
        self._destination = destination
        self.choice: WatchChoice | None = None
        self._prefix_typed = False

        intro = QLabel(
            self.tr(
                "New and changed files in the folder are uploaded once they stop changing. "
                "Deleting or moving a file there deletes nothing in the bucket."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.folder = QLineEdit(self)
        self.folder.setAccessibleName(self.tr("Folder"))
        self.folder.setPlaceholderText(self.tr("The folder to watch"))
        self.folder.textChanged.connect(self._on_folder_changed)
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self.choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.account = QLabel(destination.label, self)
        self.bucket = QLineEdit(destination.bucket, self)
        self.bucket.setAccessibleName(self.tr("Bucket"))
        self.bucket.setReadOnly(destination.is_sandbox)
        self.prefix = QLineEdit(destination.prefix, self)
        self.prefix.setAccessibleName(self.tr("Prefix"))
        self.prefix.setPlaceholderText(self.tr("(the top of the bucket)"))
        self.prefix.textEdited.connect(self._on_prefix_typed)
        self.excludes = QLineEdit(self)
        self.excludes.setAccessibleName(self.tr("Leave out"))
        self.excludes.setPlaceholderText(self.tr("e.g. *.tmp build/ (the folder's .cosignore applies too)"))
        self.includes = QLineEdit(self)
        self.includes.setAccessibleName(self.tr("Only"))
        self.includes.setPlaceholderText(self.tr("e.g. *.jpg *.png (empty: every file)"))
        self.upload_existing = QCheckBox(self.tr("Also upload the files already in the folder"), self)
        self.upload_existing.setToolTip(
            self.tr("Only those missing from the destination or different there are uploaded.")
        )
        self.upload_existing.setChecked(True)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        show_as_error(self.problem)
        self.problem.hide()

        form = QFormLayout()
        form.addRow(self.tr("Folder:"), folder_row)
        form.addRow(self.tr("Account:"), self.account)
        form.addRow(self.tr("Bucket:"), self.bucket)
        form.addRow(self.tr("Prefix:"), self.prefix)
        form.addRow(self.tr("Leave out:"), self.excludes)
        form.addRow(self.tr("Only:"), self.includes)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.watch_button = self.buttons.addButton(self.tr("Watch"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.watch_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.upload_existing)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    @Slot()
    def choose_folder(self) -> None:
        title = self.tr("Choose a folder to watch")
        folder = QFileDialog.getExistingDirectory(self, title, self.folder.text())
        if folder:
            self.folder.setText(folder)

    @Slot(str)
    def _on_folder_changed(self, text: str) -> None:
        # Like a dropped folder, its files go under a prefix named after it,
        # unless the person typed a prefix of their own.
        if self._prefix_typed:
            return
        name = os.path.basename(os.path.normpath(text.strip())) if text.strip() else ""
        self.prefix.setText(normalize_prefix(self._destination.prefix + name))

    @Slot()
    def _on_prefix_typed(self) -> None:
        self._prefix_typed = True

    def _say(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def accept(self) -> None:
        folder = os.path.expanduser(self.folder.text().strip())
        bucket = self.bucket.text().strip()
        if not folder or not os.path.isabs(folder):
            self._say(self.tr("Choose the folder to watch (a full path)."))
            self.folder.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if not bucket:
            self._say(self.tr("Enter the bucket its files go to."))
            self.bucket.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        excludes, includes = split_patterns(self.excludes.text()), split_patterns(self.includes.text())
        try:
            SyncPatterns(excludes=excludes, includes=includes)
        except PatternError as error:
            reason = shown_pattern_problem(str(error))
            self._say(self.tr("A pattern cannot be read: %1").replace("%1", reason))
            return
        destination = self._destination
        target = WatchTarget(
            bucket,
            self.prefix.text(),
            destination.endpoint,
            destination.options,
            destination.profile_name or "",
        )
        upload_existing = self.upload_existing.isChecked()
        # Without the files already there, the watch starts from now.
        watched = WatchedFolder(
            folder, target, excludes, includes, seen_until=0.0 if upload_existing else time.time()
        )
        self.choice = WatchChoice(watched, upload_existing)
        super().accept()

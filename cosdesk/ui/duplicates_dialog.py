"""The question asked once for a batch of added files whose keys are already
taken, or may be (the bucket could not be read): overwrite them, skip them,
keep both (upload under a new name), or upload only the files that changed —
with "Remember my choice" so it need not be asked again."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QMessageBox, QWidget

from cosdesk.engine.duplicates import DuplicateCheck, shared_folder
from cosdesk.engine.options import ConflictPolicy
from cosdesk.ui.formatting import explain_error, labelled_system_message

# The details list names this many files at most (a dropped tree can hold 100,000).
DETAILS_LIMIT = 500


class DuplicatesQuestion(QMessageBox):
    """Window-modal and not blocking: the answer arrives through ``answered``."""

    # The choice (a ConflictPolicy, or None for Cancel: add nothing) and whether
    # to remember it. Fires once.
    answered = Signal(object, bool)

    def __init__(self, check: DuplicateCheck, bucket: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Where the bucket's copies are: the folder they share, as "bucket/folder/".
        where = (
            bucket
            + "/"
            + shared_folder([entry.key for entry in check.entries if entry.key in check.in_bucket])
        )
        self.setIcon(QMessageBox.Icon.Question)
        # Counted once: a walk over every entry, on the GUI thread (a drop can hold a million).
        duplicates = check.duplicate_count
        if duplicates:
            self.setWindowTitle(self.tr("Files already there"))
        else:  # none found, because the bucket could not be read
            self.setWindowTitle(self.tr("Files may already be there"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setText(self._headline(check, duplicates))
        self.setInformativeText(self._explanation(check, where))
        self.setDetailedText(self._details(check, where))
        self.overwrite_button = self.addButton(self.tr("Overwrite"), QMessageBox.ButtonRole.AcceptRole)
        self.overwrite_button.setToolTip(self.tr("Upload them again, replacing what is there"))
        self.skip_button = self.addButton(self.tr("Skip"), QMessageBox.ButtonRole.AcceptRole)
        self.skip_button.setToolTip(self.tr("Leave them out and add only the others"))
        self.keep_both_button = self.addButton(self.tr("Keep both"), QMessageBox.ButtonRole.AcceptRole)
        self.keep_both_button.setToolTip(self.tr("Upload them under new names, like “name (1).ext”"))
        self.changed_button = self.addButton(self.tr("Upload changed"), QMessageBox.ButtonRole.AcceptRole)
        self.changed_button.setToolTip(
            self.tr(
                "Compare each file with the object of its name: skip it when both have the same "
                "size and CRC-64, replace the object when they differ"
            )
        )
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setToolTip(self.tr("Add none of the files"))
        self.cancel_button: QAbstractButton = cancel
        # Skip loses nothing, whichever way the files differ.
        self.setDefaultButton(self.skip_button)
        self.setEscapeButton(self.cancel_button)
        remember = QCheckBox(self.tr("Remember my choice"), self)
        remember.setToolTip(
            self.tr("Do this from now on without asking; Settings can make cosdesk ask again.")
        )
        self.setCheckBox(remember)
        self._choices: dict[QAbstractButton, ConflictPolicy] = {
            self.overwrite_button: ConflictPolicy.OVERWRITE,
            self.skip_button: ConflictPolicy.SKIP,
            self.keep_both_button: ConflictPolicy.RENAME,
            self.changed_button: ConflictPolicy.CHANGED,
        }
        self.finished.connect(self._on_finished)

    def _headline(self, check: DuplicateCheck, duplicates: int) -> str:
        total = len(check.entries)
        if total == 1:
            name = os.path.basename(check.entries[0].key.rstrip("/")) or check.entries[0].key
            if not duplicates:
                return self.tr("Could not check whether “%1” is already there.").replace("%1", name)
            return self.tr("“%1” is already there.").replace("%1", name)
        if not duplicates:
            return self.tr("Could not check whether the %n files you added are already there.", None, total)
        return self.tr("%n of the %1 files you added are already there.", None, duplicates).replace(
            "%1", str(total)
        )

    def _explanation(self, check: DuplicateCheck, where: str) -> str:
        lines = []
        if check.in_bucket_count:
            lines.append(self.tr("• %n in %1", None, check.in_bucket_count).replace("%1", where))
        if check.in_queue_count:
            unfinished = check.uploading_count
            if unfinished:
                text = self.tr("• %n in the upload list (%1 not finished yet)", None, check.in_queue_count)
                lines.append(text.replace("%1", str(unfinished)))
            else:
                lines.append(self.tr("• %n in the upload list", None, check.in_queue_count))
        if check.repeated:
            lines.append(self.tr("• %n added twice under the same name", None, len(check.repeated)))
        if check.bucket_error is not None:
            # Why, in the window's language (the system message is in the details).
            lines.append(
                self.tr("The bucket could not be checked: %1").replace(
                    "%1", explain_error(check.bucket_error)
                )
            )
            lines.append(self.tr("Your choice also applies to files found there when their upload starts."))
        lines.append("")
        lines.append(
            self.tr(
                "Overwrite replaces them. Skip leaves them out. Keep both uploads them as “name (1).ext”. "
                "Upload changed sends only those that differ from what is there."
            )
        )
        return "\n".join(lines)

    def _details(self, check: DuplicateCheck, where: str) -> str:
        places = {
            "bucket": self.tr("in %1").replace("%1", where),
            "queue": self.tr("in the upload list"),
            "batch": self.tr("added twice"),
        }
        indexes = check.duplicate_indexes()
        lines = [
            self.tr("%1 — %2")
            .replace("%1", check.entries[index].key)
            .replace("%2", self.tr(", ").join(places[tag] for tag in check.where_found(index)))
            for index in indexes[:DETAILS_LIMIT]
        ]
        if len(indexes) > DETAILS_LIMIT:
            lines.append(self.tr("… and %n more", None, len(indexes) - DETAILS_LIMIT))
        if check.bucket_error is not None:
            lines.insert(0, labelled_system_message(check.bucket_error) + ("\n" if lines else ""))
        return "\n".join(lines)

    def remember_requested(self) -> bool:
        box = self.checkBox()
        return box is not None and box.isChecked()

    @Slot(int)
    def _on_finished(self, _result: int) -> None:
        # Closed without one of the choices (Cancel, Escape, the window went away): add nothing.
        clicked = self.clickedButton()
        choice = self._choices.get(clicked) if clicked is not None else None
        self.answered.emit(choice, choice is not None and self.remember_requested())

"""The remote pane's "New folder" question: a name, checked as it is typed.

A name COS cannot take (a key over 850 bytes) was sent, refused, and answered
with the client's English words in a box, after the dialog had closed with what
was typed. Here the reason shows under the name, in the window's language, and
OK waits until the name can be a folder.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cosdesk.engine.scan import check_key
from cosdesk.ui.engine_texts import shown_scan_problem


def folder_key(prefix: str, name: str) -> str | None:
    """The key of the folder ``name`` made in the folder ``prefix`` (``a/b`` makes
    two levels, a backslash counts as a slash, blank segments go), or None when
    the name holds no segment at all."""
    segments = [segment for segment in name.replace("\\", "/").split("/") if segment.strip()]
    if not segments:
        return None
    return prefix + "/".join(segments) + "/"


class NewFolderDialog(QDialog):
    """Asks for the name of a folder to make in ``prefix`` (``where``: the bucket
    and prefix as the question names them). ``name_chosen`` gives a name whose
    :func:`folder_key` COS takes."""

    name_chosen = Signal(str)

    def __init__(self, prefix: str, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefix = prefix
        self.setWindowTitle(self.tr("New folder"))
        # The place ends in a slash: a colon after it read "photos/:".
        self._question = self.tr("Make a folder in %1 named:").replace("%1", where)
        self.label = QLabel(self._question, self)
        self.label.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setAccessibleName(self.tr("Folder name"))
        self.label.setBuddy(self.name)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.name)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self._check("")
        self.resize(max(400, self.sizeHint().width()), self.sizeHint().height())

    @Slot(str)
    def _check(self, name: str) -> None:
        key = folder_key(self._prefix, name)
        problem = None if key is None else check_key(key)
        label = self._question
        if problem is not None:
            label += "\n" + shown_scan_problem(problem)
        self.label.setText(label)
        self._ok().setEnabled(key is not None and problem is None)

    def _ok(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def accept(self) -> None:
        if not self._ok().isEnabled():
            return  # only a name COS takes is handed on, however accept is reached
        super().accept()
        self.name_chosen.emit(self.name.text())

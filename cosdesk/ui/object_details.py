"""An object's details as HEAD Object tells them: size, dates, ETag, CRC-64,
storage class, type, metadata and every header, in a small window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cosdesk.cos.results import HeadObjectResult
from cosdesk.ui.formatting import format_number, format_size, format_timestamp, storage_class_label


class ObjectDetailsDialog(QDialog):
    """What HEAD said about ``bucket``/``key``; read-only, selectable text."""

    def __init__(self, bucket: str, key: str, head: HeadObjectResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Object details"))
        form = QFormLayout()
        size = f"{format_size(head.content_length)} ({format_number(head.content_length)} B)"
        modified = format_timestamp(head.last_modified.timestamp()) if head.last_modified else ""
        rows = [
            (self.tr("Bucket"), bucket),
            (self.tr("Key"), key),
            (self.tr("Size"), size),
            (self.tr("Last modified"), modified),
            (self.tr("Storage class"), storage_class_label(head.storage_class or "STANDARD")),
            (self.tr("Type"), head.object_type),
            (self.tr("Content type"), head.content_type or ""),
            (self.tr("ETag"), head.etag or ""),
            (self.tr("CRC-64"), "" if head.crc64 is None else str(head.crc64)),
        ]
        if head.version_id:
            rows.append((self.tr("Version"), head.version_id))
        rows += [
            (self.tr("Metadata: %1").replace("%1", name), value) for name, value in head.metadata.items()
        ]
        self.values: dict[str, str] = {}
        for label, value in rows:
            shown = QLabel(value, self)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setWordWrap(True)
            shown.setAccessibleName(label)
            form.addRow(label, shown)
            self.values[label] = value
        headers = QPlainTextEdit(self)
        headers.setReadOnly(True)
        headers.setAccessibleName(self.tr("Headers"))
        headers.setPlainText("\n".join(f"{name}: {value}" for name, value in sorted(head.headers.items())))
        form.addRow(self.tr("Headers"), headers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, 480)

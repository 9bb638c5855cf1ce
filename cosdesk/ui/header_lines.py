"""Masked fields for the extra headers a credential server needs, one header a
field: as many as typed, with an empty one always ready below the last.

Headers carry secrets (a bearer token), so each field hides what it holds like
a password field; a multi-line text box could not."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

MAX_HEADERS = 8


class HeaderLines(QWidget):
    """``Name: value`` fields; :meth:`text` joins the filled ones with newlines,
    the form the keyring keeps (config.store_credential_headers)."""

    # The text of some field changed.
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._fields: list[QLineEdit] = []
        self._first_placeholder = ""
        self._add_field()

    @property
    def fields(self) -> tuple[QLineEdit, ...]:
        return tuple(self._fields)

    def text(self) -> str:
        return "\n".join(field.text().strip() for field in self._fields if field.text().strip())

    def set_text(self, text: str) -> None:
        """One field per non-blank line, and an empty one after them."""
        lines = [line.strip() for line in text.splitlines() if line.strip()][:MAX_HEADERS]
        while len(self._fields) > 1:
            self._fields.pop().deleteLater()
        self._fields[0].setText(lines[0] if lines else "")
        for line in lines[1:]:
            self._add_field().setText(line)
        self._keep_one_empty()

    def set_placeholder(self, text: str) -> None:
        """What the first field says while nothing is typed."""
        self._first_placeholder = text
        self._fields[0].setPlaceholderText(text)

    def _add_field(self) -> QLineEdit:
        field = QLineEdit(self)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        number = len(self._fields) + 1
        # The first keeps the plain name; the others are numbered from 2.
        numbered = self.tr("Extra header %1").replace("%1", str(number))
        field.setAccessibleName(self.tr("Extra header") if number == 1 else numbered)
        if number == 1:
            field.setPlaceholderText(self._first_placeholder)
        field.textEdited.connect(self._on_edited)
        self._fields.append(field)
        self._layout.addWidget(field)
        field.show()  # now, not on the next event loop turn: a quick Tab may come first
        if number > 1:  # Tab goes from the field above to this one, not past the form
            QWidget.setTabOrder(self._fields[-2], field)
        return field

    def _keep_one_empty(self) -> None:
        if self._fields[-1].text() and len(self._fields) < MAX_HEADERS:
            self._add_field()

    @Slot()
    def _on_edited(self) -> None:
        self._keep_one_empty()
        self.edited.emit()

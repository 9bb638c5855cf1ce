"""A task's note in the person's language (see ``engine/notes.py``)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from cosdesk.engine.notes import NOTES_CONTEXT, parse_note


def shown_note(text: str) -> str:
    """``text`` translated by its template, the fields put back in; a text no
    template made (an older version's) as it is."""
    parsed = parse_note(text)
    if parsed is None:
        return text
    note, fields = parsed
    shown = QCoreApplication.translate(NOTES_CONTEXT, note.value)
    for name, value in fields.items():
        shown = shown.replace("{" + name + "}", value)
    return shown

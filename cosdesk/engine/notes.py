"""Every note a task can carry: what happened to it that is not an error (a
skip, a start over, another process at work on it).

A note is stored and printed as English text (the task database, ``cosdesk
tasks list``), made from one of these templates. The window shows it in the
person's language: :func:`parse_note` tells which template made a text and its
fields, and the template itself is the key of its translation (the translation
tools read this file; see ``ui/task_notes.py``). A text made by no template (a
database from an older version) is shown as it is.
"""

from __future__ import annotations

import enum
import re


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks ``text`` for Qt's translation tools, which read this file too
    (``packaging/build_translations.py``); the window translates a note with
    ``QCoreApplication.translate(NOTES_CONTEXT, template)``. No Qt here."""
    return text


NOTES_CONTEXT = "TaskNote"


class TaskNote(enum.Enum):
    """A note's template: ``{name}`` marks a field."""

    INTERRUPTED = QT_TRANSLATE_NOOP("TaskNote", "interrupted when the program stopped; paused")
    KEY_EXISTS_SKIPPED = QT_TRANSLATE_NOOP("TaskNote", "the key already exists; skipped")
    SAME_FILE_SKIPPED = QT_TRANSLATE_NOOP("TaskNote", "the same file is already there; skipped")
    RENAMED = QT_TRANSLATE_NOOP("TaskNote", "the key already existed; uploaded as {key}")
    FILE_SIZE_CHANGED = QT_TRANSLATE_NOOP(
        "TaskNote", "the local file changed since the last attempt (size {old} → {new} bytes); started over"
    )
    FILE_TIME_CHANGED = QT_TRANSLATE_NOOP(
        "TaskNote", "the local file changed since the last attempt (modification time changed); started over"
    )
    OPTIONS_CHANGED = QT_TRANSLATE_NOOP(
        "TaskNote", "the upload options changed since the last attempt; started over"
    )
    PARTS_MISSING = QT_TRANSLATE_NOOP(
        "TaskNote", "the server was missing parts at completion; sending them again"
    )
    UPLOAD_LOST_OBJECT_COMPLETE = QT_TRANSLATE_NOOP(
        "TaskNote",
        "the server no longer knew this upload: the object at the key was already the complete local file",
    )
    UPLOAD_LOST_RESTARTED = QT_TRANSLATE_NOOP(
        "TaskNote", "the server no longer knew this upload; started a new upload"
    )
    LATE_AFTER_PAUSE = QT_TRANSLATE_NOOP(
        "TaskNote", "uploaded: the pause came after the upload had finished on the server"
    )
    LATE_AFTER_CANCEL = QT_TRANSLATE_NOOP(
        "TaskNote", "uploaded: the cancel came after the upload had finished on the server"
    )
    LATE_AFTER_RESTART = QT_TRANSLATE_NOOP(
        "TaskNote", "uploaded: the restart came after the upload had finished on the server"
    )
    UPLOADED_ELSEWHERE = QT_TRANSLATE_NOOP("TaskNote", "uploaded by another cosdesk process")
    CANCELED_ELSEWHERE = QT_TRANSLATE_NOOP("TaskNote", "canceled in another cosdesk process")
    HELD = QT_TRANSLATE_NOOP("TaskNote", "another cosdesk process (pid {pid}) is uploading this file")
    HELD_WAITING = QT_TRANSLATE_NOOP(
        "TaskNote", "another cosdesk process (pid {pid}) is uploading this file; waiting for it"
    )
    HELD_ON_HOST = QT_TRANSLATE_NOOP(
        "TaskNote", "another cosdesk process (pid {pid} on {host}) is uploading this file"
    )
    HELD_ON_HOST_WAITING = QT_TRANSLATE_NOOP(
        "TaskNote", "another cosdesk process (pid {pid} on {host}) is uploading this file; waiting for it"
    )
    WAITING_FOR_NETWORK = QT_TRANSLATE_NOOP("TaskNote", "waiting for the network; retrying in {delay} s")
    WAITING_FOR_CREDENTIALS = QT_TRANSLATE_NOOP(
        "TaskNote", "waiting for the credential server; retrying in {delay} s"
    )
    NEEDS_KEYS = QT_TRANSLATE_NOOP("TaskNote", "paused: needs the keys of account “{account}”")

    def text(self, **fields: object) -> str:
        """The note, its fields filled in."""
        return self.value.format(**fields)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(_FIELD.findall(self.value))


_FIELD = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern[str]:
    # Each field takes any text; the words around it pin it down.
    parts = _FIELD.split(template)
    pieces = [re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts)]
    return re.compile("".join(pieces), re.DOTALL)


# The most words of their own first: "(pid {pid})" would also take "(pid 7 on
# host)", whose template is the longer.
_PATTERNS = [
    (note, _pattern(note.value))
    for note in sorted(TaskNote, key=lambda note: len(_FIELD.sub("", note.value)), reverse=True)
]


def parse_note(text: str) -> tuple[TaskNote, dict[str, str]] | None:
    """The template that made ``text`` and the values of its fields; None when
    no template did."""
    for note, pattern in _PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return note, found.groupdict()
    return None

"""Every note a task can carry: what happened to it that is not an error (a
skip, a start over, another process at work on it). Stored and printed in
English, shown translated by the window (see ``engine/message_templates.py``).
"""

from __future__ import annotations

from cosdesk.engine.message_templates import QT_TRANSLATE_NOOP, MessageTemplate


class TaskNote(MessageTemplate):
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

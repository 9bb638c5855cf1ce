"""How numbers, states and errors read in the window: the one place the UI turns
engine values into words. Sizes, speeds and durations reuse the engine's
formatters (``cosdesk.engine.meter``) so the CLI and the window agree."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from cosdesk.engine.meter import format_duration, format_size, format_speed
from cosdesk.engine.task import TaskError, TaskState

__all__ = [
    "describe_error",
    "format_duration",
    "format_eta",
    "format_size",
    "format_speed",
    "format_timestamp",
    "state_label",
]


def _tr(text: str) -> str:
    return QCoreApplication.translate("formatting", text)


def state_label(state: TaskState) -> str:
    labels = {
        TaskState.WAITING: _tr("Waiting"),
        TaskState.CHECKING: _tr("Checking"),
        TaskState.UPLOADING: _tr("Uploading"),
        TaskState.SUCCESS: _tr("Done"),
        TaskState.PAUSED: _tr("Paused"),
        TaskState.ERROR: _tr("Failed"),
        TaskState.CANCELED: _tr("Canceled"),
    }
    return labels[state]


def format_eta(seconds: float | None) -> str:
    """An ETA for a table cell: empty when unknown (a column of ``--:--`` is noise)."""
    return "" if seconds is None else format_duration(seconds)


def format_timestamp(epoch_s: float | None) -> str:
    if epoch_s is None:
        return ""
    return _dt.datetime.fromtimestamp(epoch_s).strftime("%Y-%m-%d %H:%M:%S")


# COS codes (and the engine's own) a user meets, in words that say what to do.
_HINTS = {
    "SignatureDoesNotMatch": QT_TRANSLATE_NOOP(
        "formatting", "The SecretKey does not match the SecretId. Check the keys in Settings."
    ),
    "InvalidAccessKeyId": QT_TRANSLATE_NOOP(
        "formatting", "The SecretId is unknown to COS. Check the keys in Settings."
    ),
    "AccessDenied": QT_TRANSLATE_NOOP(
        "formatting", "The account is not allowed to write here. Check the keys and the bucket's permissions."
    ),
    "NoSuchBucket": QT_TRANSLATE_NOOP(
        "formatting", "The bucket does not exist. Check its name (name-APPID) and region."
    ),
    "RequestTimeTooSkewed": QT_TRANSLATE_NOOP(
        "formatting", "This computer's clock is too far from the server's. Correct the clock."
    ),
    "NetworkError": QT_TRANSLATE_NOOP(
        "formatting", "The server could not be reached. Check the network; the upload can be resumed."
    ),
    "SourceMissing": QT_TRANSLATE_NOOP("formatting", "The local file is gone or can no longer be read."),
    "SourceUnreadable": QT_TRANSLATE_NOOP("formatting", "The local file cannot be read."),
    "TooLarge": QT_TRANSLATE_NOOP("formatting", "The file is larger than COS accepts."),
    "InvalidSource": QT_TRANSLATE_NOOP("formatting", "The local file cannot be read."),
    "SourceChanged": QT_TRANSLATE_NOOP("formatting", "The local file changed while it was being uploaded."),
    "InvalidKey": QT_TRANSLATE_NOOP("formatting", "The object key is not valid for COS."),
    "EntityTooLarge": QT_TRANSLATE_NOOP(
        "formatting", "The file is larger than COS accepts for this kind of upload."
    ),
    "Crc64Mismatch": QT_TRANSLATE_NOOP(
        "formatting", "The data arrived damaged (checksum mismatch). Retrying usually helps."
    ),
    "SlowDown": QT_TRANSLATE_NOOP("formatting", "COS asked to slow down. Retry in a moment."),
    "ServiceUnavailable": QT_TRANSLATE_NOOP(
        "formatting", "COS is temporarily unavailable. Retry in a moment."
    ),
    "InternalError": QT_TRANSLATE_NOOP("formatting", "COS had an internal error. Retry in a moment."),
}


def describe_error(error: TaskError | None, *, short: bool = False) -> str:
    """One line a user understands, followed by COS's own message (``short``: the
    plain-words line alone, for a table cell; the tooltip and details have the rest)."""
    if error is None:
        return ""
    hint = _HINTS.get(error.code)
    if hint is None:
        return error.message or error.code
    if short or not error.message:
        return _tr(str(hint))
    return f"{_tr(str(hint))} ({error.message})"

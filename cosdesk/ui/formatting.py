"""How numbers, states and errors read in the window: the one place the UI turns
engine values into words.

Sizes, speeds and durations follow the engine's formatters (``cosdesk.engine.meter``:
the same units, thresholds and rounding, so the CLI and the window agree) with the
decimal separator of the window's locale: ``QLocale()``'s default, which
``cosdesk.ui.languages`` sets with the translators.

Sizes are binary and carry their real names in every language (KiB, MiB, GiB:
1024-based, as the engine counts, the CLI prints and the settings' MiB fields
mean). The Chinese catalog used to rename them KB / MB, so the same number read
differently in the two languages; the IEC names are international and left
untranslated, so 1.5 MiB is 1.5 MiB everywhere."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, QLocale, Qt

from cosdesk.engine.meter import below_a_tenth, format_duration
from cosdesk.engine.state_names import STATE_NAMES
from cosdesk.engine.task import TaskError, TaskState, UploadMethod, Verification
from cosdesk.engine.task_record import (
    CREDENTIAL_SERVER_ERROR,
    CREDENTIAL_SERVER_REFUSED,
    OUTSIDE_CREDENTIAL_SCOPE,
)

__all__ = [
    "describe_error",
    "error_tooltip",
    "explain_error",
    "format_duration",
    "format_elapsed",
    "format_eta",
    "format_number",
    "format_percent",
    "format_size",
    "format_speed",
    "format_timestamp",
    "labelled_system_message",
    "method_label",
    "retry_note",
    "size_unit",
    "state_label",
    "system_message",
]


def _tr(text: object) -> str:
    """A message marked with ``QT_TRANSLATE_NOOP("formatting", …)``, translated."""
    return QCoreApplication.translate("formatting", str(text))


# The state names live in engine.state_names (the command line prints them too);
# they are repeated here only so the translation tools, which read ui/, find them.
TRANSLATED_STATE_NAMES = (
    QT_TRANSLATE_NOOP("formatting", "Waiting"),
    QT_TRANSLATE_NOOP("formatting", "Checking"),
    QT_TRANSLATE_NOOP("formatting", "Uploading"),
    QT_TRANSLATE_NOOP("formatting", "Done"),
    QT_TRANSLATE_NOOP("formatting", "Paused"),
    QT_TRANSLATE_NOOP("formatting", "Failed"),
    QT_TRANSLATE_NOOP("formatting", "Canceled"),
)

_METHOD_LABELS = {
    UploadMethod.PUT: QT_TRANSLATE_NOOP("formatting", "Simple upload (one request)"),
    UploadMethod.MULTIPART: QT_TRANSLATE_NOOP("formatting", "Multipart upload"),
    UploadMethod.APPEND: QT_TRANSLATE_NOOP("formatting", "Append upload"),
}

# Binary units (1024), as the engine counts, under their IEC names in every
# language: not marked for translation, so no catalog can rename them (see above).
_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def state_label(state: TaskState) -> str:
    return _tr(STATE_NAMES[state])


def verification_label(verification: Verification | None) -> str:
    """How a finished upload was checked, in words (the rules: engine/verification.py)."""
    if verification is Verification.CRC64:
        return QCoreApplication.translate("formatting", "CRC-64 of the whole object matches the file")
    if verification is Verification.MD5:
        return QCoreApplication.translate("formatting", "MD5 matches (the server sent no CRC-64)")
    if verification is Verification.NONE:
        return QCoreApplication.translate("formatting", "Not verified: the server sent no checksum")
    return "—"


def state_text(state: TaskState, unverified: bool = False) -> str:
    """A row's state: a finished upload that could not be checked says so."""
    if state is TaskState.SUCCESS and unverified:
        return QCoreApplication.translate("formatting", "Done (not verified)")
    return state_label(state)


def method_label(method: UploadMethod) -> str:
    return _tr(_METHOD_LABELS[method])


def size_unit(name: str) -> str:
    """A unit's name as the window shows it: ``size_unit("MiB")`` is ``MiB`` in
    every language (binary units keep their IEC names)."""
    if name not in _SIZE_UNITS:
        raise ValueError(f"not a size unit: {name!r}")
    return name


def format_number(value: float, decimals: int = 0, *, grouped: bool = True) -> str:
    """``1,234.5`` / ``1.234,5``: digits grouped and separated as the locale writes them."""
    locale = QLocale()
    if not grouped:
        locale.setNumberOptions(locale.numberOptions() | QLocale.NumberOption.OmitGroupSeparator)
    if decimals == 0:
        return locale.toString(round(value))
    return locale.toString(float(value), "f", decimals)


def format_size(byte_count: float) -> str:
    """``1.5 MiB`` (``1,5 MiB`` where the locale writes a decimal comma):
    ``meter.format_size`` with the locale's digits."""
    value = float(byte_count)
    for index, unit in enumerate(_SIZE_UNITS):
        if abs(value) < 1024 or index == len(_SIZE_UNITS) - 1:
            # Under 1024 of a unit: a group separator would only add noise ("1,023 B").
            return f"{format_number(value, 0 if index == 0 else 1, grouped=False)} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_speed(bytes_per_s: float) -> str:
    return f"{format_size(bytes_per_s)}/s"


def format_percent(fraction: float, decimals: int = 0) -> str:
    """``0.43`` → ``43%``, ``(0.425, 1)`` → ``42.5%`` (the locale's digits and percent sign)."""
    return format_number(fraction * 100, decimals) + QLocale().percent()


def format_elapsed(seconds: float) -> str:
    """How long something took: ``0.4 s`` under a minute (``0:00`` would hide how
    long a quick upload took), ``under 0.1 s`` below what a tenth shows (``0.0 s``
    beside a speed read as nothing), then ``1:02`` / ``1:02:03`` as ``format_duration``."""
    if below_a_tenth(seconds):
        return _tr(QT_TRANSLATE_NOOP("formatting", "under %1 s")).replace("%1", format_number(0.1, 1))
    if seconds < 60:
        return _tr(QT_TRANSLATE_NOOP("formatting", "%1 s")).replace("%1", format_number(seconds, 1))
    return format_duration(seconds)


def format_eta(seconds: float | None) -> str:
    """An ETA for a table cell: empty when unknown (a column of ``--:--`` is noise)."""
    return "" if seconds is None else format_duration(seconds)


def format_timestamp(epoch_s: float | None) -> str:
    """The locale's short date with a 24-hour time to the second (uploads are
    compared to the second, and a 12-hour clock reads ambiguously in a log)."""
    if epoch_s is None:
        return ""
    moment = QDateTime.fromMSecsSinceEpoch(round(epoch_s * 1000))
    locale = QLocale()
    if locale.language() == QLocale.Language.C:  # no locale set (LANG=C): ISO, not "14 11 2023"
        day = moment.date().toString(Qt.DateFormat.ISODate)
    else:
        day = locale.toString(moment.date(), QLocale.FormatType.ShortFormat)
    return f"{day} {moment.time().toString('HH:mm:ss')}"


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
    OUTSIDE_CREDENTIAL_SCOPE: QT_TRANSLATE_NOOP(
        "formatting",
        "The credential server does not allow uploads to this destination. Choose a bucket and folder it "
        "allows, or ask its administrator.",
    ),
    CREDENTIAL_SERVER_ERROR: QT_TRANSLATE_NOOP(
        "formatting",
        "The credential server gave no temporary keys. The upload goes on by itself when it answers again.",
    ),
    CREDENTIAL_SERVER_REFUSED: QT_TRANSLATE_NOOP(
        "formatting",
        "The credential server refused to give temporary keys. Check its URL and extra headers in "
        "Settings, then retry.",
    ),
    "NoSuchBucket": QT_TRANSLATE_NOOP(
        "formatting", "The bucket does not exist. Check its name (name-APPID) and region."
    ),
    "NoCredentials": QT_TRANSLATE_NOOP(
        "formatting",
        "There are no keys for this account (or the keyring cannot be read). Add them in Settings, "
        "then retry.",
    ),
    "RequestTimeTooSkewed": QT_TRANSLATE_NOOP(
        "formatting", "This computer's clock is too far from the server's. Correct the clock."
    ),
    # Said of a refused connection and of a server gone silent alike (the system
    # message beside it tells which), and of a bucket the duplicates check could
    # not read as well as of an upload.
    "NetworkError": QT_TRANSLATE_NOOP(
        "formatting",
        "The connection to the server failed, or the server stopped answering. Check the network.",
    ),
    "SourceMissing": QT_TRANSLATE_NOOP("formatting", "The local file is gone or can no longer be read."),
    "SourceUnreadable": QT_TRANSLATE_NOOP("formatting", "The local file cannot be read."),
    "TooLarge": QT_TRANSLATE_NOOP("formatting", "The file is larger than COS accepts."),
    # What the intake called an unreadable file before 2026-12 (still in older databases).
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
    "RequestTimeout": QT_TRANSLATE_NOOP(
        "formatting", "The server took too long to answer. Retry; the upload resumes where it stopped."
    ),
    "NoSuchUpload": QT_TRANSLATE_NOOP(
        "formatting", "The multipart upload no longer exists on the server. Retry to start it over."
    ),
    "UploadFailed": QT_TRANSLATE_NOOP(
        "formatting", "The multipart upload could not be completed. Retry in a moment."
    ),
    "ETagMismatch": QT_TRANSLATE_NOOP(
        "formatting", "The server stored different data than was sent. Retrying usually helps."
    ),
    "InvalidRequest": QT_TRANSLATE_NOOP(
        "formatting", "The request is not valid. Check the bucket, region and endpoint in Settings."
    ),
}


def retry_note(delay_s: float, error: TaskError | None = None) -> str:
    """What a failed task waiting for its automatic retry shows (``error``: why it
    failed, which says what it waits for)."""
    if error is not None and error.code == CREDENTIAL_SERVER_ERROR:
        text = QT_TRANSLATE_NOOP("formatting", "Waiting for the credential server — retrying in %1")
    else:
        text = QT_TRANSLATE_NOOP("formatting", "Waiting for the network — retrying in %1")
    return _tr(text).replace("%1", format_duration(delay_s))


def unanswered_note(seconds: float) -> str:
    """What a running task, or the batch, shows while the server keeps it
    waiting (engine/task.py, UNANSWERED_AFTER_S)."""
    text = QT_TRANSLATE_NOOP("formatting", "No answer from the server for %1")
    return _tr(text).replace("%1", format_duration(seconds))


def explain_error(error: TaskError) -> str:
    """What went wrong and what to do, in the window's language: the hint for a
    code a user meets, else a sentence naming the code (the system message, shown
    beside it, has the details)."""
    hint = _HINTS.get(error.code)
    if hint is not None:
        return _tr(hint)
    return _tr(QT_TRANSLATE_NOOP("formatting", "The upload failed (%1).")).replace("%1", error.code)


def system_message(error: TaskError) -> str:
    """The error exactly as COS, the network or the operating system reported it,
    untranslated: code, HTTP status, message and request id."""
    return str(error)


def labelled_system_message(error: TaskError) -> str:
    """``System message: AccessDenied (403): …``: the untranslated original, labelled
    so a reader of another language knows why it is in English."""
    return _tr(QT_TRANSLATE_NOOP("formatting", "System message: %1")).replace("%1", system_message(error))


def describe_error(error: TaskError | None, *, short: bool = False) -> str:
    """The explanation, then on a line of its own the labelled system message
    (``short``: the explanation alone, for a table cell). The two are never run
    together in one sentence: the explanation is translated, the system message
    never is."""
    if error is None:
        return ""
    if short:
        return explain_error(error)
    return f"{explain_error(error)}\n{labelled_system_message(error)}"


def error_tooltip(error: TaskError | None, note: str = "") -> str | None:
    """The whole story behind an Error cell, which a narrow column cuts: the
    explanation, the labelled system message, and the task's note. None when
    there is nothing to tell."""
    parts = []
    if error is not None:
        parts += [explain_error(error), labelled_system_message(error)]
    if note:
        parts.append(note)
    return "\n\n".join(parts) or None


# Storage classes as the COS console names them; the key is what COS says. Their
# translations live in the Settings dialog's context, where they were first shown.
STORAGE_CLASS_LABELS = {
    "STANDARD": QT_TRANSLATE_NOOP("SettingsDialog", "Standard"),
    "STANDARD_IA": QT_TRANSLATE_NOOP("SettingsDialog", "Standard-IA (infrequent access)"),
    "ARCHIVE": QT_TRANSLATE_NOOP("SettingsDialog", "Archive"),
    "DEEP_ARCHIVE": QT_TRANSLATE_NOOP("SettingsDialog", "Deep Archive"),
    "INTELLIGENT_TIERING": QT_TRANSLATE_NOOP("SettingsDialog", "Intelligent Tiering"),
    "MAZ_STANDARD": QT_TRANSLATE_NOOP("SettingsDialog", "Standard (multi-AZ)"),
    "MAZ_STANDARD_IA": QT_TRANSLATE_NOOP("SettingsDialog", "Standard-IA (multi-AZ)"),
    "MAZ_INTELLIGENT_TIERING": QT_TRANSLATE_NOOP("SettingsDialog", "Intelligent Tiering (multi-AZ)"),
}


def storage_class_label(code: str) -> str:
    """A storage class as the COS console names it, in the window's language (a
    class this version does not know, as COS spells it)."""
    label = STORAGE_CLASS_LABELS.get(code)
    return QCoreApplication.translate("SettingsDialog", str(label)) if label is not None else code

"""Where cosdesk's logs go: a rotating file in the user's log folder, and stderr.

``cosdesk.log`` is written by the window and the command line, ``sandbox.log`` by
the local server the window runs as a child process (it is started with
``COSDESK_LOG_FILE=sandbox.log``): the window and its busy server would otherwise
rotate one file under each other all the time. A ``cosdesk upload`` beside the
window does share cosdesk.log; a rotation that fails then is put off, not an error.

The file is what a user attaches to a bug report, so it is on by default (INFO)
and kept small (5 files of 1 MiB). Besides the start-up line it tells what
happened to each upload: when it started, paused, ended and why it failed
(logger ``cosdesk.transfers``, written by ``engine/history.py``).
``--verbose`` raises both the file and stderr to DEBUG. Whatever the level, every
record passes through :class:`RedactingFilter` first: request signatures,
``Authorization`` values and session tokens are masked before a handler writes
anything.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import math
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import platformdirs

from cosdesk import __version__

APP_NAME = "cosdesk"
LOG_DIR_ENV = "COSDESK_LOG_DIR"
LOG_FILE_ENV = "COSDESK_LOG_FILE"
LOG_FILE_NAME = "cosdesk.log"
SANDBOX_LOG_FILE_NAME = "sandbox.log"
MAX_BYTES = 1024 * 1024
# cosdesk.log plus four rotated files: 5 × 1 MiB at most on disk.
BACKUP_COUNT = 4
MASK = "***"

FILE_FORMAT = "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"
STDERR_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# httpx logs every request at INFO: thousands of lines per folder upload that
# would rotate the useful lines away. Their details are wanted only with --verbose.
_CHATTY_LIBRARIES = ("httpx", "httpcore", "hpack", "urllib3", "keyring")

# An Authorization value runs to the end of its quotes or, unquoted, to the next
# whitespace: a COS signature contains '&', ';' and '=' itself. The separator
# covers "Authorization: v", "authorization=v", "'Authorization': 'v'" (a dict's
# repr) and "(b'authorization', b'v')" (header tuples in library debug logs).
_AUTHORIZATION = re.compile(
    r"""(?P<name>\b(?:proxy-)?authorization)(?P<sep>(?:['"]\s*,|['"]?\s*(?:[:=]|%3A|%3D))\s*(?:b(?=['"]))?)"""
    r"""(?:(?P<quote>['"])[^'"\r\n]*(?P=quote)|(?:(?:bearer|basic|digest|negotiate)\s+)?[^\s'"]+)""",
    re.IGNORECASE,
)
# Query parameters, form fields and headers whose values are secrets by name. An
# unquoted value ends where a URL parameter or a header list would go on.
_SECRET_FIELD = re.compile(
    r"""(?P<name>\b(?:q-signature|x-cos-security-token|x-amz-security-token|x-amz-signature|signature"""
    r"""|security[_-]?token|session[_-]?token|secret[_-]?key|tmp[_-]?secret[_-]?key))"""
    r"""(?P<sep>(?:['"]\s*,|['"]?\s*(?:[:=]|%3A|%3D))\s*(?:b(?=['"]))?)"""
    r"""(?:(?P<quote>['"])[^'"\r\n]*(?P=quote)|[^\s'"&,;<>)\]}]+)""",
    re.IGNORECASE,
)


# Every name the two patterns above look for contains one of these: a line with
# none of them (most lines) needs neither, and the two were 40% of a line's cost.
_SECRET_NAME_PARTS = ("authorization", "signature", "token", "secret")


def redact(text: str) -> str:
    """``text`` with signature, Authorization and token values replaced by ``***``
    (the names stay, so a log still shows that they were sent)."""
    lowered = text.lower()
    if not any(part in lowered for part in _SECRET_NAME_PARTS):
        return text

    def mask(match: re.Match[str]) -> str:
        quote = match.group("quote") or ""
        return f"{match.group('name')}{match.group('sep')}{quote}{MASK}{quote}"

    return _SECRET_FIELD.sub(mask, _AUTHORIZATION.sub(mask, text))


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, exception text and stack before any
    handler formats it. It renders the message once (``msg % args``) and stores the
    result, so a secret passed as an argument is caught as well."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call must still be logged, not lost
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatter.format() uses exc_text when set instead of rendering again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_dir() -> Path:
    """``$COSDESK_LOG_DIR``, else the platform's log folder (``~/.local/state/cosdesk/log``
    on Linux, ``~/Library/Logs/cosdesk`` on macOS, ``%LOCALAPPDATA%\\cosdesk\\cosdesk\\Logs``
    on Windows: beside config.json and the task database, as config.py's folders are)."""
    return Path(os.environ.get(LOG_DIR_ENV) or platformdirs.user_log_dir(APP_NAME))


def log_file_name() -> str:
    """This process's file in :func:`log_dir`: ``$COSDESK_LOG_FILE`` (a bare file
    name; a path in it is ignored, the folder stays the log folder) or cosdesk.log."""
    return Path(os.environ.get(LOG_FILE_ENV) or LOG_FILE_NAME).name or LOG_FILE_NAME


# The per-upload lines (engine/history.py) are the file's: the command line prints
# its own account of each upload on the terminal, and a failed upload's warning
# there would say it twice.
TRANSFER_LOGGER = "cosdesk.transfers"


def _not_transfer_lines(record: logging.LogRecord) -> bool:
    return not record.name.startswith(TRANSFER_LOGGER)


class _CosdeskHandler:
    """Marks the handlers setup_logging installed, so a second call replaces them."""


class _FileHandler(logging.handlers.RotatingFileHandler, _CosdeskHandler):
    """The window and a ``cosdesk upload`` run beside it share cosdesk.log. When
    the file cannot be rotated (Windows refuses to rename a file another process
    has open; the name of a rotated file may be taken), it grows past its limit
    for a while rather than printing a logging error for every line.

    RotatingFileHandler formats every record twice and asks the disk for the
    file's type and size before every line (four system calls, each a point where
    another thread takes over): a small upload logs two lines, and that was a
    visible share of its cost. Here a record is formatted once, and the size on
    disk is read again only once a second or when this handler's own count says
    the limit is near. Lines another program adds meanwhile are counted at the
    next reading: a shared file may pass its limit by one second of the other
    program's lines.

    Lines below WARNING reach the disk within FLUSH_AFTER_S (a timer flushes
    them), not one system call each: a warning or error flushes at once, with
    every line before it, so only the last second of routine lines can be lost
    if the process is killed (and two processes sharing the file interleave
    their lines by the second, each line still whole)."""

    FLUSH_AFTER_S = 1.0

    _RETRY_AFTER_S = 60.0
    _SIZE_CHECK_S = 1.0
    _next_attempt = 0.0
    _size = 0  # of the file as last read, plus what was written since
    _size_read_at = -math.inf
    _regular = True  # a FIFO or a device given as the log file is never rotated
    _flush_timer: threading.Timer | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
            if self._rolls_over_before(len(text)):
                self.doRollover()
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(text)
            self._size += len(text)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
            elif self._flush_timer is None:
                self._flush_timer = threading.Timer(self.FLUSH_AFTER_S, self._flush_by_timer)
                self._flush_timer.daemon = True  # never keeps the process from ending
                self._flush_timer.start()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def _flush_by_timer(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # made by Handler.__init__
            self._flush_timer = None
            # A full disk: the next warning's flush reports it (handleError).
            if self.stream is not None:
                with contextlib.suppress(OSError):
                    self.stream.flush()

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None
        super().close()  # flushes what is written

    def _rolls_over_before(self, length: int) -> bool:
        """Whether ``length`` more characters would take the file to its limit."""
        now = time.monotonic()
        if self.maxBytes <= 0 or now < self._next_attempt:
            return False
        if now - self._size_read_at >= self._SIZE_CHECK_S or self._size + length >= self.maxBytes:
            self._read_size(now)
        return self._regular and self._size + length >= self.maxBytes

    def _read_size(self, now: float) -> None:
        self._regular = not os.path.exists(self.baseFilename) or os.path.isfile(self.baseFilename)
        if self.stream is None:
            self.stream = self._open()
        self._size = self.stream.seek(0, os.SEEK_END)
        self._size_read_at = now

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            self._next_attempt = time.monotonic() + self._RETRY_AFTER_S
            if self.stream is None:  # closed before the rename failed
                self.stream = self._open()
        else:
            self._size, self._size_read_at = 0, time.monotonic()


class _StderrHandler(logging.StreamHandler[TextIO], _CosdeskHandler):
    pass


class _Formatter(logging.Formatter):
    """logging.Formatter, with the date and time of a record's second worked out
    once per second rather than for every line (a small upload logs two)."""

    _second = -1
    _second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        msec_format = self.default_msec_format
        return msec_format % (self._second_text, record.msecs) if msec_format else self._second_text


def setup_logging(verbose: bool = False) -> Path | None:
    """Send logs to the rotating file (INFO, DEBUG when ``verbose``) and to stderr
    (warnings, everything when ``verbose``). Returns the log file, or None when it
    cannot be written (a read-only home must not stop the app). Calling it again
    replaces what an earlier call installed."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CosdeskHandler)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Neither format names the calling file, line or function, nor the process's
    # multiprocessing name: a record need not look them up (logging's own advice
    # for speed). A small upload logs two lines, and with three files at once the
    # caller's frame walk was a visible share of a line's cost.
    logging._srcfile = None
    logging.logMultiprocessing = False
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)

    redacting = RedactingFilter()
    # A windowed app on Windows (pythonw, a console=False bundle) has no stderr.
    if sys.stderr is not None:
        stderr_handler = _StderrHandler(sys.stderr)
        stderr_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stderr_handler.setFormatter(_Formatter(STDERR_FORMAT))
        stderr_handler.addFilter(redacting)
        if not verbose:
            stderr_handler.addFilter(_not_transfer_lines)
        root.addHandler(stderr_handler)

    path = log_dir() / log_file_name()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _FileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError as error:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, error)
        return None
    file_handler.setFormatter(_Formatter(FILE_FORMAT))
    file_handler.addFilter(redacting)
    root.addHandler(file_handler)
    # The first line of every run in the file says what ran (never argv: it may
    # hold a --secret-key).
    logging.getLogger(APP_NAME).info(
        "cosdesk %s, Python %s, %s%s",
        __version__,
        platform.python_version(),
        system_text(),
        " (bundle)" if getattr(sys, "frozen", False) else "",
    )
    file_handler.flush()  # on disk before the program does anything: it says what ran
    return path


def system_text() -> str:
    """The system for the log's first line: ``Linux 6.1.0 x86_64``, ``macOS 14.5
    arm64``, ``Windows 10 AMD64``. Not ``platform.platform()``: on Linux it asks
    ``uname -p`` in a child process, about 20 ms of every start."""
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]} {platform.machine()}"
    return f"{platform.system()} {platform.release()} {platform.machine()}"

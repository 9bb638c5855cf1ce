"""The transfer history: one row per upload that ended (done, skipped, failed or
canceled), kept in the task database across restarts, read a page at a time, and
the lines ``cosdesk.log`` keeps about each transfer.

Where it lives: a ``history`` table in the task database (``tasks.sqlite3``), not
a file of its own. The store's one writer thread already commits every task change
off the GUI thread; a history row joins the same transaction as the task's final
state, so the two never disagree after a crash, and ``cosdesk upload`` / ``tasks
resume`` (which use the same database) add their transfers to the window's
history for free. The table has no link to ``tasks``: clearing the upload list
keeps the history, and clearing the history keeps the list. A row keeps what it
shows, the bucket, endpoint and folders as shared texts (``engine/columns.py``).

Reading: the newest rows first, by ``entry_id`` (an AUTOINCREMENT rowid: it never
goes back, even after the history is cleared), with keyset paging — ``WHERE
entry_id < last one seen`` — so the millionth row costs what the first does and no
query ever sorts. Searching looks for the case-folded needle with ``instr`` (no
LIKE wildcards to escape) in the row's words as SQLite's ``lower()`` folds them;
a row with letters beyond ASCII that case folding changes keeps its folded words
(``folded``), since ``lower()`` folds ASCII only (ARCHITECTURE.md, 'SQLite').

Who calls what: the queue owns a :class:`TransferJournal` and tells it when a run of
a task starts, pauses, fails, ends or is cut short by quitting (all with the queue's
lock held); the journal times the runs, writes the log lines and hands finished
entries to the store. The window's history dialog reads through
:class:`HistoryReader`, on a worker thread.
"""

from __future__ import annotations

import csv
import datetime
import enum
import logging
import os
import re
import sqlite3
import string
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cosdesk.engine.columns import (
    RowMapping,
    SharedTexts,
    as_itself,
    create_table,
    shared,
    split,
    storable_text,
)
from cosdesk.engine.meter import format_duration, format_size, format_speed

if TYPE_CHECKING:
    from cosdesk.engine.task import BatchProgress, TaskError, UploadTask

# The log lines a user reads after the fact ("what happened to report.pdf?"):
# cosdesk.log keeps them; the command line's terminal does not (see logs.py).
log = logging.getLogger("cosdesk.transfers")
# A file this size or bigger has its start and its end logged even when nothing
# about them is news (the default multipart threshold: such an upload takes a
# while). A smaller one's routine start and end are debug lines, and the batch's
# end is one line for all of them: the log keeps 5 MiB (logs.py), and a line per
# small file pushed every failure of the day out of it after about 20,000 files.
# The line also cost about 30 us of the 0.9 ms of CPU a 16 KiB file takes. Their
# failures, pauses, resumes and retries are logged as any file's.
SMALL_FILE_BYTES = 1024 * 1024


# Rows per page the dialog reads; the CSV export reads larger ones.
PAGE_SIZE = 200
EXPORT_BATCH = 5000

CSV_COLUMNS = (
    "ended_at",
    "started_at",
    "outcome",
    "bucket",
    "key",
    "endpoint",
    "source_path",
    "size_bytes",
    "bytes_sent",
    "duration_s",
    "average_bytes_per_s",
    "error_code",
    "error_message",
    "http_status",
    "request_id",
)


class HistoryOutcome(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # the key existed and the conflict policy said skip
    FAILED = "failed"
    CANCELED = "canceled"


# What a search looks in.
SEARCHED_FIELDS = (
    "key",
    "bucket",
    "endpoint",
    "source_path",
    "outcome",
    "error_code",
    "error_message",
    "request_id",
)


@dataclass(frozen=True)
class HistoryEntry:
    """One finished transfer as the history keeps it. ``entry_id`` is 0 until stored."""

    task_id: str
    outcome: HistoryOutcome
    started_at: float | None
    ended_at: float
    active_s: float
    bytes_sent: int
    size: int | None
    bucket: str
    key: str
    endpoint: str
    source_path: str | None
    error_code: str | None = None
    error_message: str | None = None
    error_status: int | None = None
    request_id: str | None = None
    entry_id: int = 0

    @property
    def average_bytes_per_s(self) -> float | None:
        """Bytes sent over the time spent running; None when nothing was timed or sent."""
        if self.active_s <= 0 or self.bytes_sent <= 0:
            return None
        return self.bytes_sent / self.active_s

    def search_words(self) -> str:
        """The words a search looks in, one a line (as stored: see :func:`storable_text`)."""
        return storable_text("\n".join(str(getattr(self, name) or "") for name in SEARCHED_FIELDS))


@dataclass(frozen=True)
class HistoryQuery:
    """Which rows to show: ``text`` (any case) found in the key, bucket, endpoint,
    local path, outcome or error; ``outcome`` one kind only (None: all)."""

    text: str = ""
    outcome: HistoryOutcome | None = None


# --- writing (on the task store's writer thread) -----------------------------------


HISTORY_COLUMNS = RowMapping.of(
    HistoryEntry,
    {
        "entry_id": as_itself("entry_id", "INTEGER PRIMARY KEY AUTOINCREMENT", lambda number: number or None),
        "outcome": as_itself("outcome", "TEXT NOT NULL", str, HistoryOutcome),
        "bucket": shared("bucket"),
        "key": split("key"),
        "endpoint": shared("endpoint"),
        "source_path": split("source_path", nullable=True),
        "error_message": as_itself(
            "error_message", "TEXT", lambda text: None if text is None else storable_text(text)
        ),
    },
)
# The case-folded words, kept only when lower() would fold them otherwise.
HISTORY_TABLE_COLUMNS = (*HISTORY_COLUMNS.columns, ("folded", "TEXT"))
HISTORY_SCHEMA = create_table("history", HISTORY_TABLE_COLUMNS)
_NAMES = [name for name, _ in HISTORY_TABLE_COLUMNS]
_INSERT = f"INSERT INTO history({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _folded(entry: HistoryEntry) -> str | None:
    """The entry's words case-folded, if SQLite's lower() would fold them otherwise."""
    words = entry.search_words()
    folded = words.casefold()
    return None if folded == words.translate(_ASCII_LOWER) else folded


def insert_entries(
    db: sqlite3.Connection, entries: Iterable[HistoryEntry], texts: SharedTexts | None = None
) -> None:
    """Add ``entries`` (each under its ``entry_id``, or a new one when it is 0).
    ``texts``: the transaction's shared texts, when the caller has them."""
    shared_texts = SharedTexts(db) if texts is None else texts
    db.executemany(
        _INSERT, ([*HISTORY_COLUMNS.encode(entry, shared_texts), _folded(entry)] for entry in entries)
    )


def clear_entries(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM history")


# --- reading (any thread: each call opens its own connection) ----------------------


_SELECT = f"SELECT {', '.join(HISTORY_COLUMNS.reads)} FROM history"


def _entry(row: Sequence[object]) -> HistoryEntry:
    entry: HistoryEntry = HISTORY_COLUMNS.decode(row)
    return entry


def _where(query: HistoryQuery, before_id: int | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    values: list[object] = []
    if before_id is not None:
        clauses.append("entry_id < ?")
        values.append(before_id)
    if query.outcome is not None:
        clauses.append("outcome = ?")
        values.append(str(query.outcome))
    needle = query.text.strip().casefold()
    if needle:
        by_sqlite, its_values = HISTORY_COLUMNS.contains(SEARCHED_FIELDS, needle)
        clauses.append(f"CASE WHEN folded IS NULL THEN {by_sqlite} ELSE instr(folded, ?) > 0 END")
        values += [*its_values, needle]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


def page_statement(query: HistoryQuery, before_id: int | None, limit: int) -> tuple[str, list[object]]:
    """The SELECT of one page and its values (newest first, keyset-paged)."""
    where, values = _where(query, before_id)
    return f"{_SELECT}{where} ORDER BY entry_id DESC LIMIT ?", [*values, limit]


class HistoryReader:
    """Reads the history of the task database at ``path``. Every call opens and
    closes its own connection, so any thread may call (the window reads on a
    worker) while the store's writer keeps writing (WAL: readers never wait)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30.0)
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    def page(
        self, query: HistoryQuery, before_id: int | None = None, limit: int = PAGE_SIZE
    ) -> list[HistoryEntry]:
        """Up to ``limit`` matching entries older than ``before_id`` (None: the
        newest), newest first. Pass the last entry's ``entry_id`` for the next page."""
        statement, values = page_statement(query, before_id, limit)
        connection = self._connect()
        try:
            rows = connection.execute(statement, values).fetchall()
        finally:
            connection.close()
        return [_entry(row) for row in rows]

    def count(self, query: HistoryQuery) -> int:
        where, values = _where(query, None)
        connection = self._connect()
        try:
            (number,) = connection.execute(f"SELECT COUNT(*) FROM history{where}", values).fetchone()
        finally:
            connection.close()
        return int(number)

    def newest_id(self) -> int:
        """The id of the newest entry (0: none). It changes whenever an entry is
        added or the history cleared, so a view can poll it to know when to reload."""
        connection = self._connect()
        try:
            (value,) = connection.execute("SELECT COALESCE(MAX(entry_id), 0) FROM history").fetchone()
        finally:
            connection.close()
        return int(value)

    def entries(self, query: HistoryQuery, batch: int = EXPORT_BATCH) -> Iterator[HistoryEntry]:
        """Every matching entry, newest first, read ``batch`` at a time."""
        before: int | None = None
        while True:
            rows = self.page(query, before, batch)
            yield from rows
            if len(rows) < batch:
                return
            before = rows[-1].entry_id


def _iso(epoch_s: float | None) -> str:
    if epoch_s is None:
        return ""
    return datetime.datetime.fromtimestamp(epoch_s).astimezone().isoformat(timespec="seconds")


# A spreadsheet runs a cell that starts like this as a formula: a key named
# "=HYPERLINK(…)" must stay text (the usual defence: a leading apostrophe).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(reader: HistoryReader, query: HistoryQuery, target: str | os.PathLike[str]) -> int:
    """Write the matching entries to ``target`` as CSV; returns how many. Columns:
    :data:`CSV_COLUMNS` (English names, plain numbers in bytes and seconds, ISO 8601
    times with the UTC offset), so scripts can read it in any language. UTF-8 with a
    byte-order mark, which spreadsheet programs need to read Chinese names right.
    Written to a temporary file first: a failed export leaves no half file.
    Raises OSError when the file cannot be written."""
    target = Path(target)
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        with open(partial, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for entry in reader.entries(query):
                speed = entry.average_bytes_per_s
                writer.writerow(
                    (
                        _iso(entry.ended_at),
                        _iso(entry.started_at),
                        str(entry.outcome),
                        entry.bucket,
                        _cell(entry.key),
                        entry.endpoint,
                        _cell(entry.source_path),
                        "" if entry.size is None else entry.size,
                        entry.bytes_sent,
                        f"{entry.active_s:.3f}",
                        "" if speed is None else f"{speed:.0f}",
                        entry.error_code or "",
                        _cell(entry.error_message),
                        "" if entry.error_status is None else entry.error_status,
                        entry.request_id or "",
                    )
                )
                written += 1
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


# --- recording (the queue's side) ----------------------------------------------------


class HistorySink(Protocol):
    """Where finished entries go: the task store (``TaskStore.save_history``)."""

    def save_history(self, entry: HistoryEntry) -> None: ...


@dataclass
class _Run:
    """The runs of one task since its last history entry: a paused and resumed
    upload is one transfer, timed without its pauses."""

    first_started_at: float  # wall clock
    active_s: float = 0.0
    bytes_sent: int = 0
    segment_started: float | None = None  # monotonic; None between runs
    loaded_at_segment_start: int = 0


def endpoint_text(task: UploadTask) -> str:
    spec = task.endpoint
    if spec.url:
        return spec.url
    return f"{spec.region} (accelerate)" if spec.accelerate else spec.region


# Control characters in a file name would split a log line or drive the terminal
# of whoever reads the log; they are written as escapes (\n, \x1b).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown_in_log(text: str) -> str:
    """``text`` safe for one log line: control characters escaped, and a name that is
    not UTF-8 (lone surrogates from the file system) with its odd bytes escaped."""
    if text.isascii() and text.isprintable():
        return text  # most keys and paths: nothing to escape (two log lines a file)
    text = _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _where_to(task: UploadTask) -> str:
    return shown_in_log(f"{task.bucket}/{task.key}")


def _source(task: UploadTask) -> str:
    return shown_in_log(task.source_path) if task.source_path else "memory"


def _elapsed(seconds: float) -> str:
    # "0:00" would hide how long a quick upload took.
    return f"{seconds:.2f} s" if seconds < 60 else format_duration(seconds)


def _small(task: UploadTask) -> bool:
    return task.size is not None and task.size < SMALL_FILE_BYTES


def _sizes(task: UploadTask) -> str:
    return "size unknown" if task.size is None else format_size(task.size)


class TransferJournal:
    """Times each task's runs and records how its transfer ended: a log line for
    every pause, failure, resume and retry, for the routine start and end of a
    file of ``SMALL_FILE_BYTES`` or more, and for each batch's end; a history
    entry for every end.

    Called by the queue with its lock held (so never from two threads at once).
    A failure that the queue retries by itself (a network failure, a 5xx answer)
    gets one entry for the first failure of a streak; the retries after it are
    logged but not entered again, so a night without network is one row, not
    hundreds.
    """

    def __init__(self, sink: HistorySink) -> None:
        self._sink = sink
        self._runs: dict[str, _Run] = {}

    def started(self, task: UploadTask) -> None:
        run = self._runs.get(task.task_id)
        again = run is not None
        if run is None:
            run = self._runs[task.task_id] = _Run(first_started_at=time.time())
        run.segment_started = time.monotonic()
        run.loaded_at_segment_start = task.loaded
        news = again or task.loaded > 0 or task.network_retries
        small = _small(task)
        level = logging.DEBUG if small and not news else logging.INFO
        if not log.isEnabledFor(level):
            return
        where, size, source = _where_to(task), _sizes(task), _source(task)
        if task.loaded > 0:
            log.info(
                "upload resumed: %s (%s, %s already on the server) from %s",
                where,
                size,
                format_size(task.loaded),
                source,
            )
        elif task.network_retries:
            log.info(
                "upload retried (automatic retry %d): %s (%s) from %s",
                task.network_retries,
                where,
                size,
                source,
            )
        elif again:
            log.info("upload restarted from the beginning: %s (%s) from %s", where, size, source)
        else:
            log.log(level, "upload started: %s (%s) from %s", where, size, source)

    def paused(self, task: UploadTask) -> None:
        self._close_segment(task)
        log.info(
            "upload paused: %s at %s of %s", _where_to(task), format_size(max(task.loaded, 0)), _sizes(task)
        )

    def interrupted(self, task: UploadTask) -> None:
        """The program is quitting: the task continues at the next start."""
        self._close_segment(task)
        self._runs.pop(task.task_id, None)
        log.info("upload interrupted by quitting (continues at the next start): %s", _where_to(task))

    def failed(self, task: UploadTask, error: TaskError | None) -> None:
        """A run failed. With an automatic retry pending (``task.retry_at``) after an
        earlier one of the same streak, only the log hears of it."""
        reason = shown_in_log(str(error)) if error is not None else "unknown error"
        retry = (
            f"; retrying in {task.retry_delay_s:g} s"
            if task.retry_at is not None and task.retry_delay_s
            else ""
        )
        log.warning("upload failed: %s: %s%s; from %s", _where_to(task), reason, retry, _source(task))
        if task.retry_at is not None and task.network_retries > 1:
            self._close_segment(task)
            return
        self._record(task, HistoryOutcome.FAILED, error)

    def refused(self, task: UploadTask, error: TaskError) -> None:
        """A task that never ran: its key is invalid or its file unreadable."""
        log.warning("upload refused: %s: %s", _where_to(task), shown_in_log(str(error)))
        self._record(task, HistoryOutcome.FAILED, error)

    def canceled(self, task: UploadTask) -> None:
        log.info(
            "upload canceled: %s at %s of %s", _where_to(task), format_size(max(task.loaded, 0)), _sizes(task)
        )
        self._record(task, HistoryOutcome.CANCELED, task.error)

    def succeeded(self, task: UploadTask, skipped: bool) -> None:
        entry = self._record(task, HistoryOutcome.SKIPPED if skipped else HistoryOutcome.DONE, None)
        level = logging.DEBUG if _small(task) else logging.INFO
        if not log.isEnabledFor(level):
            return
        if skipped:
            log.log(level, "upload skipped (the key exists): %s", _where_to(task))
            return
        speed = entry.average_bytes_per_s
        log.log(
            level,
            "upload done: %s, %s in %s%s from %s",
            _where_to(task),
            _sizes(task),
            _elapsed(entry.active_s),
            f" ({format_speed(speed)})" if speed is not None else "",
            _source(task),
        )

    def batch_ended(self, batch: BatchProgress) -> None:
        """The queue went idle: one line for the batch (engine/batch.py), the only
        one its small files' routine ends get at the default level. Nothing when it
        held no file (the window's start, which restores nothing to do)."""
        if not batch.files and not batch.canceled:
            return
        log.info(
            "queue idle: %d done, %d failed, %d paused, %d canceled; %s of %s in %s",
            batch.succeeded,
            batch.failed,
            batch.paused,
            batch.canceled,
            format_size(batch.loaded),
            format_size(batch.total),
            _elapsed(batch.elapsed_s),
        )

    def ended_elsewhere(self, task: UploadTask, *, done: bool) -> None:
        """Another cosdesk process finished (``done``) or canceled the task; its own
        journal made the history entry, so this one makes none."""
        self._runs.pop(task.task_id, None)
        how = "done" if done else "canceled"
        log.info("upload %s by another cosdesk process: %s", how, _where_to(task))

    def _close_segment(self, task: UploadTask) -> _Run | None:
        run = self._runs.get(task.task_id)
        if run is None or run.segment_started is None:
            return run
        run.active_s += max(0.0, time.monotonic() - run.segment_started)
        # A retried request rewinds what it had reported; parts found on the
        # server add without being sent. Neither makes this run's count negative.
        run.bytes_sent += max(0, task.loaded - run.loaded_at_segment_start)
        run.segment_started = None
        return run

    def _record(self, task: UploadTask, outcome: HistoryOutcome, error: TaskError | None) -> HistoryEntry:
        run = self._close_segment(task)
        self._runs.pop(task.task_id, None)
        bytes_sent = 0 if run is None or outcome is HistoryOutcome.SKIPPED else run.bytes_sent
        if task.size is not None:
            bytes_sent = min(bytes_sent, task.size)
        entry = HistoryEntry(
            task_id=task.task_id,
            outcome=outcome,
            started_at=run.first_started_at if run is not None else None,
            ended_at=time.time(),
            active_s=run.active_s if run is not None else 0.0,
            bytes_sent=bytes_sent,
            size=task.size,
            bucket=task.bucket,
            key=task.key,
            endpoint=endpoint_text(task),
            source_path=task.source_path,
            error_code=error.code if error is not None else None,
            error_message=error.message if error is not None else None,
            error_status=error.status_code if error is not None else None,
            request_id=error.request_id if error is not None else None,
        )
        try:
            self._sink.save_history(entry)
        except RuntimeError as problem:  # the store is closed: the program is going away
            log.warning("history entry not saved: %s", problem)
        return entry

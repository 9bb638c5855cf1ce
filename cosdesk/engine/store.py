"""The task database: tasks, their options and states, and each finished part.

SQLite in WAL mode under ``user_data_dir("cosdesk")/tasks.sqlite3`` (a test passes
its own path). Every write goes through one writer thread, in order, batched
into one transaction per wake-up (lazy writes gather for ``COALESCE_S``):
workers and the GUI thread only enqueue, so nobody waits on the disk, and the
order "task row, then its parts" always holds.
WAL with ``synchronous=NORMAL`` keeps every committed transaction across a
``kill -9`` of the program (only a power cut may lose the last ones).
"""

from __future__ import annotations

import enum
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import platformdirs

from cosdesk.engine.batch_numbers import (
    BATCHES_SCHEMA,
    batch_numbers,
    forget_unused_batches,
    number_batches,
    put_in_batches,
)
from cosdesk.engine.columns import (
    SHARED_TEXTS_SCHEMA,
    SharedTexts,
    add_missing_columns,
    delete_unused_texts,
)
from cosdesk.engine.history import (
    HISTORY_COLUMNS,
    HISTORY_SCHEMA,
    HISTORY_TABLE_COLUMNS,
    HistoryEntry,
    clear_entries,
    insert_entries,
)
from cosdesk.engine.ownership import LEASE_SCHEMA, forget_leases
from cosdesk.engine.store_file import (
    DatabaseRecreated,
    Placement,
    companions_kept,
    count_unfinished,
    file_identity,
    put_back,
    remove_stale_companions,
)
from cosdesk.engine.store_migration import (
    COMPACT_VERSION,
    UnreadableRow,
    copy_old_rows,
    set_aside_old_tables,
)
from cosdesk.engine.task import check_transition
from cosdesk.engine.task_columns import (
    ALL_COLUMNS,
    ENDPOINT_READ,
    KEY_READ,
    SELECT_SQL,
    SHARED_ID_COLUMNS,
    TASKS_SCHEMA,
    UPDATE_SQL,
    UPSERT_SQL,
    StoredTask,
    field_update,
    insert_values,
    task_from_row,
    update_values,
)
from cosdesk.engine.task_listing import PARTS_SQL, parts_by_task, parts_of
from cosdesk.engine.task_record import Checkpoint, PartRecord, TaskState, TaskStatus
from cosdesk.engine.thread_priority import lower_this_thread

log = logging.getLogger(__name__)

# 4: shared texts (engine/columns.py): the endpoint, options and bucket stored once,
#    keys and paths as a shared folder and a name, the result in columns of its
#    own, the history without a second copy of its words. Older databases are
#    rewritten when opened (engine/store_migration.py).
# 3: tasks.renamed_key (a RENAME upload's key; ``key`` stays the one asked for).
# 2: the transfer history (engine/history.py).
# A field added to the record later is a new column, added when a database is opened.
SCHEMA_VERSION = 4

# One statement each: executescript would commit the transaction they run in
# (ARCHITECTURE.md, 'SQLite').
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    SHARED_TEXTS_SCHEMA,
    TASKS_SCHEMA,
    # The last place in the queue, read by each queue that adds tasks (next_position).
    "CREATE INDEX IF NOT EXISTS tasks_position ON tasks(position)",
    """
CREATE TABLE IF NOT EXISTS parts (
    task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    -- CRC-64 values do not fit SQLite's signed 64-bit integers: stored as text.
    crc64 TEXT NOT NULL,
    PRIMARY KEY (task_id, part_number)
)""",
    # Pause / cancel asked by another process (``cosdesk tasks pause``) for the one
    # that is running the tasks; that queue polls for rows newer than it has seen.
    """
CREATE TABLE IF NOT EXISTS requests (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT,  -- NULL: every task
    action TEXT NOT NULL,
    created_at REAL NOT NULL
)""",
    HISTORY_SCHEMA,
    *LEASE_SCHEMA,
    BATCHES_SCHEMA,
)
# Every column that holds the id of a shared text.
_SHARED_ID_USERS = tuple(("tasks", column) for column in SHARED_ID_COLUMNS) + tuple(
    ("history", column) for column in HISTORY_COLUMNS.shared_ids
)

# Requests older than this are deleted when a new one is posted: a queue that
# was not running when they were made has read the database's state since.
REQUEST_LIFETIME_S = 24 * 3600

# How long the writer lets lazy writes (TaskStore.save_task(lazy=True)) gather
# before it commits them together; every other write is committed at once (with
# the lazy ones queued before it). A kill -9 can lose at most this much of them.
COALESCE_S = 0.05

# How often a wait for the writer (flush, close) looks up: whether it still runs,
# and how many writes are left.
_WAIT_STEP_S = 0.5


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("cosdesk")) / "tasks.sqlite3"


class RequestAction(enum.StrEnum):
    PAUSE = "pause"
    CANCEL = "cancel"


@dataclass(frozen=True)
class ControlRequest:
    """A pause or cancel another process asked for (``task_id`` None: all tasks)."""

    request_id: int
    task_id: str | None
    action: RequestAction


class StoreError(Exception):
    """The task database cannot be opened; the text names the file and why."""


# Python 3.11's sqlite3 binds a None only after looking for an adapter for it,
# a lookup that fails by raising: about 0.25 µs a value, and a new task binds 20
# Nones among its 36 columns (two thirds of its insert's CPU, under the GIL). An
# adapter that hands None back makes that a dictionary hit; it is still bound as
# NULL. ({}.get is a C function: it returns None for anything.)
sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _data_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA data_version").fetchone()
    return int(version)


# A write runs on the writer thread, in a transaction, with the shared texts of
# that transaction (engine/columns.py).
_Write = Callable[[sqlite3.Connection, SharedTexts], object]
_STOP = object()
_T = TypeVar("_T")


class _Call(Generic[_T]):
    """A write whose caller waits for its answer (:meth:`TaskStore.write_and_wait`)."""

    def __init__(self, write: Callable[[sqlite3.Connection], _T]) -> None:
        self.write = write
        self.done = threading.Event()
        self.answer: _T | None = None
        self.committed = False

    def run(self, db: sqlite3.Connection) -> None:
        self.answer = self.write(db)


class TaskStore:
    """The task database. ``save_*``/``delete_*`` enqueue and return at once;
    ``load_tasks`` reads synchronously (start-up, the CLI); ``flush`` waits until
    everything enqueued so far is committed.

    Two programs may open the same database (the window and ``cosdesk tasks``):
    SQLite's locking and the busy timeout serialise them.

    ``background``: the writer thread runs below normal priority (the window's
    store; see ``engine/thread_priority.py``).

    If the file is deleted while the store is open, the store writes it back
    (see ``engine/store_file.py``) and tells ``on_recreated``, from its writer
    thread.

    Raises StoreError when the database cannot be opened (an unwritable folder,
    a damaged file).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        background: bool = False,
        on_recreated: Callable[[DatabaseRecreated], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        if not self.path.exists():
            # The WAL of a database deleted while another program still uses it:
            # SQLite would replay it into the file this creates.
            remove_stale_companions(self.path)
        self._reader = self._open()
        self._identity = file_identity(self.path)
        self._on_recreated = on_recreated
        self._read_lock = threading.Lock()
        self._writes: queue.Queue[object] = queue.Queue()
        self._urgent = threading.Event()  # set by flush / close: commit without waiting
        self._write_error: BaseException | None = None
        self._closed = False
        self._background = background
        # Opened here, before anything is read: what this store reads from now on is
        # at least as new as the database at the baseline (``others_committed``).
        self._writer_db = _connect(self.path)
        self._data_version_at_open: int | None = _data_version(self._writer_db)
        # New tasks handed to the writer and not yet written: each holds its whole
        # record until then (see wait_for_inserts).
        self._inserts_pending = 0
        self._inserts_written = threading.Condition()
        self._writer = threading.Thread(target=self._write_loop, name="cosdesk-task-store", daemon=True)
        self._writer.start()

    def _open(self) -> sqlite3.Connection:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            in_the_way = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
            why = f"{in_the_way} is a file, not a folder" if in_the_way else (error.strerror or str(error))
            raise StoreError(f"cannot create the folder {folder} for the task database: {why}") from None
        connection: sqlite3.Connection | None = None
        try:
            connection = _connect(self.path)
            _prepare(connection)
        except (sqlite3.Error, UnreadableRow) as error:
            if connection is not None:
                connection.close()
            raise StoreError(f"cannot open the task database {self.path}: {error}") from None
        return connection

    # --- writes (any thread, never blocking) ------------------------------------

    def insert_tasks(self, tasks: Iterable[StoredTask]) -> None:
        """Store new tasks whole (a task stored already gets its checkpoint and
        status updated; its spec never changes)."""
        batch = list(tasks)  # frozen: encoded on the writer thread, not the caller's
        if not batch:
            return

        # Mostly one token (a drop's slice), numbered before its tasks are written.
        tokens = dict.fromkeys(task.spec.batch for task in batch if task.spec.batch is not None)

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            try:
                number_batches(db, tokens)
                db.executemany(UPSERT_SQL, (insert_values(task, texts) for task in batch))
            finally:
                with self._inserts_written:
                    self._inserts_pending -= len(batch)
                    self._inserts_written.notify_all()

        with self._inserts_written:
            self._inserts_pending += len(batch)
        self._enqueue(write)

    def wait_for_inserts(self, most: int, timeout_s: float = 60.0) -> bool:
        """Wait until at most ``most`` new tasks are still to be written (False at
        the timeout). A caller adding a million files waits here now and then, so
        the records waiting for the writer stay a bounded heap, not gigabytes.
        Never call it on the writer's thread."""
        with self._inserts_written:
            return self._inserts_written.wait_for(lambda: self._inserts_pending <= most, timeout_s)

    def save_task(
        self, task_id: str, checkpoint: Checkpoint, status: TaskStatus, *, lazy: bool = False
    ) -> None:
        """Update a stored task's checkpoint and status. ``lazy``: this write may
        wait up to ``COALESCE_S`` for others to share its commit (a write that a
        kill -9 may lose without harm: e.g. the success of a simple PUT, which a
        restart would only send again)."""
        self._enqueue(
            lambda db, texts: db.execute(UPDATE_SQL, update_values(task_id, checkpoint, status, texts)),
            urgent=not lazy,
        )

    def save_tasks(self, tasks: Iterable[tuple[str, Checkpoint, TaskStatus]]) -> None:
        """:meth:`save_task` for many tasks (pause, restart, cancel): one commit."""
        batch = list(tasks)
        if batch:
            self._enqueue(
                lambda db, texts: db.executemany(UPDATE_SQL, (update_values(*task, texts) for task in batch))
            )

    def save_part(self, task_id: str, part: PartRecord) -> None:
        self._enqueue(
            lambda db, texts: db.execute(
                "INSERT OR REPLACE INTO parts(task_id, part_number, etag, size, crc64)"
                " VALUES (?, ?, ?, ?, ?)",
                (task_id, part.part_number, part.etag, part.size, str(part.crc64)),
            )
        )

    def save_fields(self, task_ids: Iterable[str], **fields: object) -> None:
        """Set these checkpoint or status fields of stored tasks, leaving the rest
        of their rows as they are (the queue's changes to tasks at rest, whose
        other fields it does not hold)."""
        ids = list(task_ids)
        if not ids or not fields:
            return

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            sql, values = field_update(fields, texts)
            db.executemany(sql, [(*values, task_id) for task_id in ids])

        self._enqueue(write)

    def restore_states(self, changes: Iterable[tuple[str, TaskState, str | None]]) -> None:
        """Give interrupted tasks (waiting, checking, uploading) the state and note a
        restore decided, as ``(task_id, state, note)`` (None: the note stays): only
        where the row still says interrupted, since another process may have
        finished the task after it was read."""
        interrupted = (str(TaskState.WAITING), str(TaskState.CHECKING), str(TaskState.UPLOADING))
        values = [(str(state), note, note, task_id, *interrupted) for task_id, state, note in changes]
        if values:
            self._enqueue(
                lambda db, texts: db.executemany(
                    "UPDATE tasks SET state = ?, note = CASE WHEN ? IS NULL THEN note ELSE ? END"
                    " WHERE task_id = ? AND state IN (?, ?, ?)",
                    values,
                )
            )

    def replace_parts(self, task_id: str, parts: Iterable[PartRecord]) -> None:
        """Make these the task's stored parts (a run found what the server holds)."""
        values = [(task_id, p.part_number, p.etag, p.size, str(p.crc64)) for p in parts]

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            db.execute("DELETE FROM parts WHERE task_id = ?", (task_id,))
            db.executemany(
                "INSERT INTO parts(task_id, part_number, etag, size, crc64) VALUES (?, ?, ?, ?, ?)", values
            )

        self._enqueue(write)

    def delete_parts(self, task_id: str) -> None:
        self._enqueue(lambda db, texts: db.execute("DELETE FROM parts WHERE task_id = ?", (task_id,)))

    def delete_parts_of(self, task_ids: Iterable[str]) -> None:
        ids = [(task_id,) for task_id in task_ids]
        if ids:
            self._enqueue(lambda db, texts: db.executemany("DELETE FROM parts WHERE task_id = ?", ids))

    def delete_tasks(self, task_ids: Iterable[str]) -> None:
        ids = [(task_id,) for task_id in task_ids]

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            db.executemany("DELETE FROM parts WHERE task_id = ?", ids)
            db.executemany("DELETE FROM tasks WHERE task_id = ?", ids)
            forget_leases(db, ids)
            if db.execute("SELECT 1 FROM tasks LIMIT 1").fetchone() is None:
                _delete_unused_texts(db, texts)

        self._enqueue(write)

    # --- the transfer history (engine/history.py) ----------------------------------

    def save_history(self, entry: HistoryEntry) -> None:
        """Add an entry; it shares the commit of the task's final state (queued
        just after it), which a finished upload makes lazily anyway."""
        self._enqueue(lambda db, texts: insert_entries(db, [entry], texts), urgent=False)

    def clear_history(self) -> None:
        """Delete every history entry (the tasks stay). ``flush`` to wait for it."""

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            clear_entries(db)
            _delete_unused_texts(db, texts)

        self._enqueue(write)

    def write_in_order(self, write: Callable[[sqlite3.Connection], object]) -> None:
        """Run ``write`` in the writer's transaction, after every write queued before
        it (lazily: it may share a later commit). The task leases release this way,
        after the task's last state (engine/ownership.py)."""
        self._enqueue(lambda db, texts: write(db), urgent=False)

    def others_committed(self, db: sqlite3.Connection) -> bool:
        """Inside a write (``db``: the writer's connection): whether anyone else
        (another process, another store on the file) has committed to the database
        since this store opened it. False means every row is as this store's own
        writes left it. SQLite's ``data_version`` changes with every commit of
        another connection (ARCHITECTURE.md, "SQLite")."""
        return self._data_version_at_open is None or _data_version(db) != self._data_version_at_open

    def write_and_wait(self, write: Callable[[sqlite3.Connection], _T], timeout_s: float = 60.0) -> _T:
        """Run ``write`` in the writer's next transaction and return its answer once
        that is committed (a task lease is taken so: one writer per process, so takes
        never wait on this process's own commits). Raises RuntimeError when the
        transaction failed, or did not commit within ``timeout_s``."""
        call = _Call(write)
        self._enqueue(call)
        if not call.done.wait(timeout_s) or not call.committed:
            raise RuntimeError("task database write failed or timed out")
        return call.answer  # type: ignore[return-value]

    def _enqueue(self, write: _Write | _Call[Any], *, urgent: bool = True) -> None:
        if self._closed:
            raise RuntimeError("the task store is closed")
        self._writes.put(write)
        if urgent:
            self._urgent.set()

    def _write_loop(self) -> None:
        if self._background:
            lower_this_thread()
        db = self._writer_db
        try:
            while True:
                first = self._writes.get()
                if not self._urgent.is_set():
                    # Only lazy writes so far: let those of the next moments join
                    # this transaction (a commit per finished small file cost more
                    # than the upload's own bookkeeping). Any other write, a flush
                    # or close cuts the wait short.
                    self._urgent.wait(COALESCE_S)
                self._urgent.clear()
                batch = [first]
                # Everything queued meanwhile goes into the same transaction:
                # adding 10,000 files is one commit, not 10,000.
                while len(batch) < 5000:
                    try:
                        batch.append(self._writes.get_nowait())
                    except queue.Empty:
                        break
                stop = False
                _begin(db)
                texts = SharedTexts(db)
                try:
                    for item in batch:
                        if item is _STOP:
                            stop = True
                        elif isinstance(item, threading.Event):
                            continue
                        elif isinstance(item, _Call):
                            item.run(db)
                        else:
                            item(db, texts)  # type: ignore[operator]
                    db.execute("COMMIT")
                    committed = True
                except BaseException as error:
                    db.execute("ROLLBACK")
                    committed = False
                    self._write_error = error
                    log.exception("task database write failed")
                db = self._keep_file(db)
                for item in batch:
                    if isinstance(item, threading.Event):
                        item.set()
                    elif isinstance(item, _Call):
                        item.committed = committed
                        item.done.set()
                if stop:
                    return
        except BaseException:
            # Never silently: whatever was still queued is not in the database.
            log.exception(
                "the task database's writer stopped; %d queued writes were not stored", self._writes.qsize()
            )
            raise
        finally:
            db.close()

    def _keep_file(self, db: sqlite3.Connection) -> sqlite3.Connection:
        """Writer thread, after a commit: the connection to go on with. When the file
        was deleted (or another took its place), the database is put back there
        from ``db`` first (``store_file.put_back``)."""
        identity = file_identity(self.path)
        if identity == self._identity:
            return db
        unfinished = count_unfinished(db)
        try:
            placement = put_back(db, self.path)
        except (OSError, sqlite3.Error) as error:
            # Not tried again on every commit: the file stays lost until restart.
            self._identity = identity
            log.error(
                "the task database %s was deleted while in use and cannot be written again: %s",
                self.path,
                error,
            )
            self._tell(DatabaseRecreated(self.path, unfinished, str(error)))
            return db
        db = self._reopen(db, remove_old_wal=placement is Placement.WRITTEN)
        log.warning(
            "the task database %s was deleted while in use; put back (%s) with %d unfinished tasks",
            self.path,
            placement.value,
            unfinished,
        )
        self._tell(DatabaseRecreated(self.path, unfinished))
        return db

    def _reopen(self, db: sqlite3.Connection, *, remove_old_wal: bool) -> sqlite3.Connection:
        # Every connection to the old file closes before one opens the new file: its
        # WAL is found by name, and a deleted file's WAL must not be replayed into it.
        with self._read_lock:
            if remove_old_wal:
                self._reader.close()
                db.close()
                remove_stale_companions(self.path)
            else:
                with companions_kept(self.path):
                    self._reader.close()
                    db.close()
            self._reader = _connect(self.path)
            self._identity = file_identity(self.path)
            # A new connection counts from a new baseline: assume the worst from now on.
            self._data_version_at_open = None
        return _connect(self.path)

    def _tell(self, event: DatabaseRecreated) -> None:
        if self._on_recreated is not None:
            try:
                self._on_recreated(event)
            except Exception:
                log.exception("reporting the recreated task database failed")

    def flush(self, timeout_s: float | None = None, on_progress: Callable[[int], None] | None = None) -> bool:
        """Wait until every write enqueued before this call is committed (by default
        however long that takes: a read after it must see them), telling
        ``on_progress(writes left)`` every ``_WAIT_STEP_S`` meanwhile. Returns False
        when ``timeout_s`` passed first (the writes still land, later), or the
        writer has stopped. Raises the writer's error if a write failed."""
        if self._closed:
            return True
        done = threading.Event()
        self._writes.put(done)
        self._urgent.set()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        finished = False
        while self._writer.is_alive():
            left = _WAIT_STEP_S if deadline is None else min(_WAIT_STEP_S, deadline - time.monotonic())
            if done.wait(max(left, 0.0)):
                finished = True
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if on_progress is not None:
                on_progress(self.pending_writes())
        if self._write_error is not None:
            error, self._write_error = self._write_error, None
            raise RuntimeError(f"task database write failed: {error}") from error
        return finished or done.is_set()

    def pending_writes(self) -> int:
        """Writes queued and not yet taken by the writer (about: one may be a batch)."""
        return self._writes.qsize()

    def close(self, on_progress: Callable[[int], None] | None = None) -> None:
        """Commit everything queued, however long that takes, and close. While it
        waits, ``on_progress(writes left)`` is called every ``_WAIT_STEP_S`` (the
        window shows it). Idempotent."""
        if self._closed:
            return
        self._writes.put(_STOP)
        self._urgent.set()
        self._closed = True
        while self._writer.is_alive():
            self._writer.join(_WAIT_STEP_S)
            if self._writer.is_alive() and on_progress is not None:
                on_progress(self.pending_writes())
        with self._read_lock:
            self._reader.close()

    # --- requests between processes ---------------------------------------------

    def post_request(self, action: RequestAction, task_ids: Iterable[str] | None = None) -> None:
        """Ask the process running these tasks (all when None) to pause or cancel
        them; it notices within about a second (:meth:`UploadQueue.watch_requests`).
        Enqueued like every write: ``flush`` to be sure it is committed."""
        now = time.time()
        rows = [(None, str(action), now)] if task_ids is None else [(t, str(action), now) for t in task_ids]

        def write(db: sqlite3.Connection, texts: SharedTexts) -> None:
            db.execute("DELETE FROM requests WHERE created_at < ?", (now - REQUEST_LIFETIME_S,))
            db.executemany("INSERT INTO requests(task_id, action, created_at) VALUES (?, ?, ?)", rows)

        self._enqueue(write)

    def last_request_id(self) -> int:
        with self._read_lock:
            (value,) = self._reader.execute("SELECT COALESCE(MAX(request_id), 0) FROM requests").fetchone()
        return int(value)

    def requests_after(self, request_id: int) -> list[ControlRequest]:
        """Requests posted after ``request_id``, oldest first."""
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT request_id, task_id, action FROM requests WHERE request_id > ? ORDER BY request_id",
                (request_id,),
            ).fetchall()
        return [ControlRequest(int(number), task, RequestAction(action)) for number, task, action in rows]

    def set_state_where(
        self, task_ids: Iterable[str], state: TaskState, only_from: Iterable[TaskState]
    ) -> None:
        """Set the state of tasks that are in one of ``only_from`` (a narrow update
        for ``cosdesk tasks pause``, which must not overwrite the rest of a row a
        running process keeps writing)."""
        for old in only_from:
            check_transition(old, state)  # rows change state by the table too
        allowed = [str(value) for value in only_from]
        marks = ",".join("?" * len(allowed))
        values = [(str(state), task_id, *allowed) for task_id in task_ids]
        self._enqueue(
            lambda db, texts: db.executemany(
                f"UPDATE tasks SET state = ? WHERE task_id = ? AND state IN ({marks})", values
            )
        )

    # --- reads (synchronous) -----------------------------------------------------

    def next_position(self) -> int:
        """The queue place after every stored task's: where a queue that did not
        restore them (``cosdesk upload``) puts the tasks it adds. Counting from 0,
        each run's tasks took the places of the first stored ones, and the window
        showed and ran them among those."""
        with self._read_lock:
            (last,) = self._reader.execute("SELECT MAX(position) FROM tasks").fetchone()
        return 0 if last is None else int(last) + 1

    def task_count(self) -> int:
        with self._read_lock:
            (count,) = self._reader.execute("SELECT count(*) FROM tasks").fetchone()
        return int(count)

    def resting_rows(self) -> Iterator[RestingRow]:
        """What the queue keeps of each stored task at rest, as plain tuples (see
        ``RestingRow``), in storage order: insertion order, which is queue order
        unless tasks were moved (the caller sorts them then). One scan with the
        parts' sums joined, streamed from a connection of its own: a parts
        subquery per task and an ORDER BY without an index made SQLite sort a
        million rows before the first came, and a million rows held at once
        cost 400 MB before the queue kept a tenth of each."""
        db = _connect(self.path)
        try:
            yield from db.execute(
                f"""SELECT task_id, position, state, size, upload_id IS NOT NULL,
                          CASE WHEN state IN ('waiting', 'checking', 'uploading') THEN {ENDPOINT_READ} END,
                          note,
                          CASE WHEN state = 'success' THEN ifnull(size, 0) ELSE ifnull(confirmed, 0) END
                   FROM tasks LEFT JOIN (SELECT task_id AS part_task, SUM(size) AS confirmed
                                         FROM parts GROUP BY task_id) ON part_task = task_id"""
            )
        finally:
            db.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own, in one read transaction, for a long read that
        goes on while its rows are used (``cosdesk tasks`` streams a listing of a
        million tasks through engine/task_listing.py): the store's own reader
        stays free, and the whole read sees one state of the database."""
        db = _connect(self.path)
        try:
            db.execute("BEGIN")
            yield db
        finally:
            db.close()  # ends the transaction: nothing was written

    def unfinished_by_endpoint(self) -> dict[str, int]:
        """The number of unfinished tasks per endpoint (as its stored JSON): one
        grouped scan of the table, no row in Python."""
        finished = (str(TaskState.SUCCESS), str(TaskState.CANCELED))
        with self._read_lock:
            rows = self._reader.execute(
                f"SELECT {ENDPOINT_READ}, count(*) FROM tasks WHERE state NOT IN (?, ?) GROUP BY endpoint_id",
                finished,
            ).fetchall()
        return {str(endpoint): int(count) for endpoint, count in rows if endpoint is not None}

    def task_ids_at(self, endpoints: Iterable[str], states: Iterable[TaskState]) -> list[str]:
        """The stored tasks in one of ``states`` whose endpoint is one of
        ``endpoints`` (as stored JSON, see :meth:`unfinished_by_endpoint`)."""
        texts, wanted = list(endpoints), [str(state) for state in states]
        if not texts or not wanted:
            return []
        with self._read_lock:
            rows = self._reader.execute(
                f"""SELECT task_id FROM tasks
                    WHERE state IN ({",".join("?" * len(wanted))})
                      AND endpoint_id IN (SELECT text_id FROM shared_texts
                                          WHERE text IN ({",".join("?" * len(texts))}))""",
                (*wanted, *texts),
            ).fetchall()
        return [str(task_id) for (task_id,) in rows]

    def task_ids_with_keys(self, keys: Iterable[str]) -> list[str]:
        """The stored tasks whose key (the renamed one after RENAME) is one of
        ``keys``, and those whose key may be a numbered form of one (``name
        (2).ext``: a rename must not pick it again): one scan of the table,
        matched in SQLite against a temporary table of the keys."""
        wanted = list(keys)
        if not wanted:
            return []
        with self._read_lock:
            db = self._reader
            if db.execute("SELECT 1 FROM tasks LIMIT 1").fetchone() is None:
                return []  # nothing stored (a first drop): no table of a million keys to fill
            # One transaction, rolled back: the temporary table goes with it. Each
            # insert on its own (the reader commits every statement) and a DELETE
            # after took 2 s and then 9 s for 300,000 keys.
            db.execute("BEGIN")
            try:
                db.execute("CREATE TEMP TABLE wanted_keys (key TEXT PRIMARY KEY)")
                # A generator, not a list made whole: it lets go of the GIL between
                # rows (sorting or de-duplicating a million keys first held it for
                # a stall of the window).
                db.executemany("INSERT OR IGNORE INTO wanted_keys VALUES (?)", ((key,) for key in wanted))
                rows = db.execute(
                    f"""SELECT task_id FROM tasks
                        WHERE renamed_key IS NOT NULL OR instr(key_name, ' (') > 0
                           OR {KEY_READ} IN wanted_keys"""
                ).fetchall()
            finally:
                db.execute("ROLLBACK")
        return [str(task_id) for (task_id,) in rows]

    def load_some(self, task_ids: Iterable[str]) -> list[StoredTask]:
        """These tasks (those still stored), with their parts, in queue order."""
        ids = list(task_ids)
        found: list[StoredTask] = []
        for start in range(0, len(ids), _READ_CHUNK):
            chunk = ids[start : start + _READ_CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._read_lock:
                rows = self._reader.execute(f"{SELECT_SQL} WHERE task_id IN ({marks})", chunk).fetchall()
                parts = parts_of(self._reader, chunk)
            found.extend(task_from_row(row, parts.get(str(row[0]), {})) for row in rows)
        return sorted(found, key=lambda task: (task.status.position, task.spec.created_at))

    def batch_numbers(self) -> dict[str, int]:
        """The number of each batch token (engine/batch_numbers.py)."""
        with self._read_lock:
            return batch_numbers(self._reader)

    def put_in_batches(self, groups: Sequence[Sequence[str]]) -> list[int] | None:
        """Number tasks stored without a batch: each group of task ids (oldest
        first) becomes a batch. Waits until it is committed; returns the numbers,
        or None when another process changed some of those tasks first."""
        return self.write_and_wait(lambda db: put_in_batches(db, SharedTexts(db), groups))

    def load_tasks(self) -> list[StoredTask]:
        """All tasks in queue order, each with its finished parts, read in one
        transaction. Rows become tasks a few thousand at a time: read whole
        first, a million rows held 600 MB beside the tasks made of them."""
        with self._read_lock:
            db = self._reader
            db.execute("BEGIN")
            try:
                part_rows = db.execute(f"{PARTS_SQL} ORDER BY task_id, part_number").fetchall()
                rows = db.execute(f"{SELECT_SQL} ORDER BY position, created_at")
                return _with_parts(chain.from_iterable(iter(partial(rows.fetchmany, 5000), [])), part_rows)
            finally:
                db.execute("ROLLBACK")


def _begin(db: sqlite3.Connection) -> None:
    """Open the writer's transaction, waiting as long as another program holds the
    database's write lock: giving up would drop the writes queued behind it."""
    while True:
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            log.warning("the task database is locked by another program; still waiting to write")


def _delete_unused_texts(db: sqlite3.Connection, texts: SharedTexts) -> None:
    """The shared texts no row uses go, when the list or the history was emptied.
    That reads every row of both tables (seconds for a million), about what
    emptying one costs; a few tasks removed leave theirs for then (each unused
    text is a folder, or a set of options, that the next upload may use again)."""
    delete_unused_texts(db, _SHARED_ID_USERS)
    forget_unused_batches(db)
    texts.forget()


def _prepare(db: sqlite3.Connection) -> None:
    """Create the tables, or bring a database made by an earlier version up to
    date: in one transaction, so two programs opening an old file at once do it
    once, and a failure leaves the file as it was."""
    # Off while old tables are set aside (it cannot change inside a transaction):
    # with it on, SQLite points the parts at the renamed table (ARCHITECTURE.md, 'SQLite').
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(_SCHEMA[0])
        row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        version = 0 if row is None else int(row[0])
        rewrite = version < COMPACT_VERSION and set_aside_old_tables(db)
        for statement in _SCHEMA:
            db.execute(statement)
        if rewrite:
            copy_old_rows(db)
        add_missing_columns(db, "tasks", ALL_COLUMNS)
        add_missing_columns(db, "history", HISTORY_TABLE_COLUMNS)
        if version < SCHEMA_VERSION:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.execute("PRAGMA foreign_keys=ON")
    if rewrite:
        log.info("the task database was rewritten from schema version %d to %d", version, SCHEMA_VERSION)
        _give_back_space(db)


def _give_back_space(db: sqlite3.Connection) -> None:
    """Shrink the file after the old tables went (once, after a rewrite). Not
    worth a wait: another program reading the file makes it give up."""
    db.execute("PRAGMA busy_timeout=1000")
    try:
        db.execute("VACUUM")
    except sqlite3.Error as error:
        log.info("the task database keeps its old size for now: %s", error)
    finally:
        db.execute("PRAGMA busy_timeout=30000")


# Task ids per query when reading some tasks (well under SQLite's parameter limit).
_READ_CHUNK = 500


# A stored task as :meth:`TaskStore.resting_rows` reads it: (task_id, position,
# state, size or None, has an upload ID (0 or 1), the endpoint's JSON (only of
# tasks that were waiting or running, else None), note, bytes the server holds
# (the file's size once succeeded, else its parts')).
RestingRow = tuple[str, int, str, int | None, int, str | None, str, int]


def _with_parts(rows: Iterable[Sequence[object]], part_rows: Iterable[Sequence[Any]]) -> list[StoredTask]:
    parts = parts_by_task(part_rows)
    return [task_from_row(row, parts.get(str(row[0]), {})) for row in rows]

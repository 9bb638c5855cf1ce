"""What the window's task table needs of every stored task, read in one pass:
ids, keys, states, sizes and bytes sent, in queue order, as flat columns.

The table shows the tasks of the last run before the queue has brought them back
(see ``ui/task_model.py``). A million tasks arrive here as one row of a few
``group_concat`` columns (two rows, for the two halves of a big table read side
by side), decoded without a Python object per task, so this costs about what
SQLite's scan of the table costs.

Reads only the columns a task keeps whatever else changes in the task database
(``task_id``, ``position``, its key, ``state``, ``size`` and the parts' sizes),
over its own read-only connection, opened and closed per read. Call it off the
GUI thread: it reads the whole table, and its time is SQLite's scan of it (the
whole rows, options and all, unless an index holds those columns).
"""

from __future__ import annotations

import json
import operator
import sqlite3
import threading
from array import array
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from cosdesk.engine.task import TaskState

# A state's code in the table's columns: its place in TaskState's order.
STATES: tuple[TaskState, ...] = tuple(TaskState)
STATE_CODES: dict[TaskState, int] = {state: code for code, state in enumerate(STATES)}
UNKNOWN_STATE = len(STATES)  # a state this version does not know (a newer one wrote it)
# Each state as one letter in the query (a, b, c, ...): code = letter - "a".
_STATE_LETTERS = " ".join(
    f"WHEN '{state.value}' THEN '{chr(ord('a') + code)}'" for code, state in enumerate(STATES)
)
_LETTER_TO_CODE = bytes((letter - ord("a")) % 256 for letter in range(256))
_IS_SUCCESS = bytes(int(code == STATE_CODES[TaskState.SUCCESS]) for code in range(256))


@dataclass(frozen=True)
class StoredColumns:
    """Every stored task, in queue order, as parallel columns.

    Task ids are the queue's uuid4 hex digits, packed as 16 bytes each in
    ``packed_ids``; when any is not (a database written by other means),
    ``task_ids`` holds them all as text instead. ``keys``: UTF-8, concatenated,
    ``key_lengths`` bytes each; ``states``: one code per task (see
    ``STATE_CODES``); ``sizes``: -1 where unknown; ``sent``: bytes on the server
    (a finished task's size, a multipart task's confirmed parts).
    """

    task_ids: list[str] | None
    packed_ids: bytes
    keys: bytes
    key_lengths: array[int]
    states: bytes
    sizes: array[int]
    sent: array[int]

    def __len__(self) -> int:
        return len(self.states)


def read_early(path: str | Path) -> None:
    """Start reading the tasks of the database at ``path`` now, on a thread of its
    own; the next :func:`read_columns` of that path takes what it read. The
    window calls this first thing: SQLite's scan lets go of the GIL
    (ARCHITECTURE.md, 'SQLite'), so it runs beside the loading of Qt and the
    window's modules (half a second each for a million tasks), not after them."""
    early: Future[StoredColumns] = Future()

    def read() -> None:
        try:
            early.set_result(_read_now(Path(path)))
        except BaseException as error:  # handed to the reader, who reads again
            early.set_exception(error)

    with _early_lock:
        _early_reads[Path(path).resolve()] = early
    threading.Thread(target=read, name="cosdesk-table-read", daemon=True).start()


_early_reads: dict[Path, Future[StoredColumns]] = {}
_early_lock = threading.Lock()


def read_columns(path: str | Path) -> StoredColumns:
    """All tasks of the database at ``path`` (none if it does not exist yet).
    Raises sqlite3.Error when it cannot be read."""
    with _early_lock:
        early = _early_reads.pop(Path(path).resolve(), None)
    if early is not None:
        try:
            return early.result()
        except Exception:
            pass  # read again, now: its error is the one to report
    return _read_now(Path(path))


# From this many tasks on, the table is read in two halves (by rowid), each on a
# connection and a thread of its own: SQLite's scan lets go of the GIL, and on
# two cores a million tasks took 0.6 s instead of 0.9.
SPLIT_FROM = 200_000


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)


def _read_now(path: Path) -> StoredColumns:
    if not path.exists():
        return _empty()
    connection = _connect(path)
    try:
        return _read(connection, path)
    finally:
        connection.close()


def _key_sql(db: sqlite3.Connection) -> tuple[str, str]:
    """The SQL of a task's key in this database's layout, and the join it needs:
    one column, or (since schema 3) a shared folder's text and a name, unless a
    rename replaced it. The folder is joined, not looked up by a subquery per
    row: a third of the whole read's time for a million tasks."""
    columns = {str(row[1]) for row in db.execute("PRAGMA table_info(tasks)")}
    if "key" in columns:
        return "key", ""
    key = "ifnull(key_folders.text, '') || key_name"
    join = "LEFT JOIN shared_texts AS key_folders ON key_folders.text_id = key_folder"
    return (f"ifnull(renamed_key, {key})" if "renamed_key" in columns else key), join


def _read(db: sqlite3.Connection, path: Path) -> StoredColumns:
    key, join = _key_sql(db)
    count, first_rowid, last_rowid = db.execute(
        "SELECT count(*), min(rowid), max(rowid) FROM tasks"
    ).fetchone()
    if not count:
        return _empty()
    if count < SPLIT_FROM:
        read = _read_rows(db, key, join, "")
    else:
        middle = (first_rowid + last_rowid) // 2
        later: Future[_ReadRows | None] = Future()

        def read_later() -> None:
            other = _connect(path)
            try:
                later.set_result(_read_rows(other, key, join, f"WHERE tasks.rowid > {middle}"))
            except BaseException as error:
                later.set_exception(error)
            finally:
                other.close()

        threading.Thread(target=read_later, name="cosdesk-table-read-2", daemon=True).start()
        earlier = _read_rows(db, key, join, f"WHERE tasks.rowid <= {middle}")
        read = _ReadRows.joined(earlier, later.result())
    if read is None:
        # Ids that are not uuid4 hex, or text SQLite cannot concatenate
        # faithfully (a NUL in a key): row by row.
        return _read_row_by_row(db)
    columns, positions = read.columns, read.positions
    parts = dict(db.execute("SELECT task_id, sum(size) FROM parts GROUP BY task_id").fetchall())
    if parts:
        _add_parts(columns, parts)
    # Rowid order is insertion order, which is queue order unless tasks were
    # moved: the positions tell, and only then is anything sorted again.
    if any(map(operator.gt, positions, positions[1:])):
        columns = _reordered(columns, sorted(range(len(columns)), key=positions.__getitem__))
    return columns


@dataclass(frozen=True)
class _ReadRows:
    """Tasks in rowid order, their sent bytes those of finished tasks only, with
    their queue positions."""

    columns: StoredColumns
    positions: array[int]

    @staticmethod
    def joined(earlier: _ReadRows | None, later: _ReadRows | None) -> _ReadRows | None:
        if earlier is None or later is None:
            return None
        first, second = earlier.columns, later.columns
        return _ReadRows(
            StoredColumns(
                None,
                first.packed_ids + second.packed_ids,
                first.keys + second.keys,
                first.key_lengths + second.key_lengths,
                first.states + second.states,
                first.sizes + second.sizes,
                first.sent + second.sent,
            ),
            earlier.positions + later.positions,
        )


def _read_rows(db: sqlite3.Connection, key: str, join: str, where: str) -> _ReadRows | None:
    """The tasks ``where`` selects; None when they must be read row by row."""
    row = db.execute(
        f"""SELECT count(*),
               group_concat(task_id, ''),
               group_concat({key}, ''),
               group_concat(length(CAST({key} AS BLOB))),
               group_concat(CASE state {_STATE_LETTERS} ELSE '{chr(ord("a") + UNKNOWN_STATE)}' END, ''),
               group_concat(ifnull(size, -1)),
               group_concat(position)
           FROM tasks {join} {where}"""
    ).fetchone()
    count = int(row[0])
    if not count:
        return _ReadRows(_empty(), array("q"))
    packed = _packed_ids(str(row[1]), count)
    keys = str(row[2]).encode("utf-8")
    key_lengths = _numbers("I", row[3])
    states = str(row[4]).encode("ascii").translate(_LETTER_TO_CODE)
    sizes = _numbers("q", row[5])
    if packed is None or sum(key_lengths) != len(keys) or len(states) != count:
        return None
    # A finished task has sent its whole size; others their parts (_add_parts).
    sent = array("q", map(operator.mul, sizes, states.translate(_IS_SUCCESS)))
    columns = StoredColumns(None, packed, keys, key_lengths, states, sizes, sent)
    return _ReadRows(columns, _numbers("q", row[6]))


def _packed_ids(text: str, count: int) -> bytes | None:
    """The ids as 16 bytes each, when every one is a uuid4's 32 lower-case hex
    digits (those the queue makes); None otherwise."""
    if len(text) != 32 * count:
        return None
    try:
        packed = bytes.fromhex(text)
    except ValueError:
        return None
    return packed if packed.hex() == text else None


def _numbers(typecode: str, text: object) -> array[int]:
    """Comma-separated integers as an array (JSON's parser reads them in C:
    a third of the time of splitting and converting them one by one)."""
    return array(typecode, json.loads(f"[{text}]"))


def _add_parts(columns: StoredColumns, parts: dict[str, int]) -> None:
    """Bytes sent of the unfinished tasks that have confirmed parts (few)."""
    success = STATE_CODES[TaskState.SUCCESS]
    wanted = {bytes.fromhex(task_id): int(sent) for task_id, sent in parts.items() if len(task_id) == 32}
    packed = columns.packed_ids
    for index in range(len(columns)):
        sent = wanted.get(packed[16 * index : 16 * index + 16])
        if sent is not None and columns.states[index] != success:
            columns.sent[index] = sent


def _reordered(columns: StoredColumns, order: list[int]) -> StoredColumns:
    """The columns in ``order`` (tasks were moved in the queue: rare)."""
    starts = [0]
    for length in columns.key_lengths:
        starts.append(starts[-1] + length)
    keys = columns.keys
    packed = columns.packed_ids
    return StoredColumns(
        task_ids=None,
        packed_ids=b"".join(packed[16 * index : 16 * index + 16] for index in order),
        keys=b"".join(keys[starts[index] : starts[index + 1]] for index in order),
        key_lengths=array("I", (columns.key_lengths[index] for index in order)),
        states=bytes(columns.states[index] for index in order),
        sizes=array("q", (columns.sizes[index] for index in order)),
        sent=array("q", (columns.sent[index] for index in order)),
    )


def _read_row_by_row(db: sqlite3.Connection) -> StoredColumns:
    task_ids: list[str] = []
    keys = bytearray()
    key_lengths = array("I")
    states = bytearray()
    sizes = array("q")
    sent = array("q")
    codes = {state.value: code for state, code in STATE_CODES.items()}
    parts = dict(db.execute("SELECT task_id, sum(size) FROM parts GROUP BY task_id").fetchall())
    key, join = _key_sql(db)
    query = f"SELECT task_id, {key}, state, size FROM tasks {join} ORDER BY position, created_at"
    for task_id, key, state, size in db.execute(query):
        raw_key = str(key).encode("utf-8", "backslashreplace")
        task_ids.append(str(task_id))
        keys += raw_key
        key_lengths.append(len(raw_key))
        code = codes.get(str(state), UNKNOWN_STATE)
        states.append(code)
        sizes.append(-1 if size is None else int(size))
        done = code == STATE_CODES[TaskState.SUCCESS]
        sent.append(sizes[-1] if done else int(parts.get(task_id) or 0))
    return StoredColumns(task_ids, b"", bytes(keys), key_lengths, bytes(states), sizes, sent)


def _empty() -> StoredColumns:
    return StoredColumns(None, b"", b"", array("I"), b"", array("q"), array("q"))

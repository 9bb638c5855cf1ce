"""Reading stored tasks as ``cosdesk tasks`` chooses and orders them: in SQL.

A person with a million stored tasks who asks for the five that failed, or for
one batch, waits for SQLite to scan the table, not for a million records to be
made in Python: reading every task first took 33 s and 1.9 GB before the first
line was printed. The tasks chosen come sorted by SQLite (batch, then time) and
are made into records a slice at a time (``chosen_tasks``), so a listing of all
of them holds one slice, not the whole database (ARCHITECTURE.md, "Batches").

Every function reads through the connection it is given: a long listing reads
on a connection of its own (``TaskStore.reading``), in one transaction, so it
sees one state of the database however long it takes to print.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cosdesk.engine.task_columns import SELECTED_COLUMNS, StoredTask, task_from_row
from cosdesk.engine.task_record import PartRecord, TaskState

# Records made from the rows of one fetch: enough to keep SQLite's calls few,
# few enough that a listing holds little.
SLICE = 2000
# Ids in one ``IN (...)``: well under SQLite's limit of bound parameters.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class TaskChoice:
    """Which stored tasks: every one, or those that pass each filter given."""

    task_ids: frozenset[str] | None = None
    batches: frozenset[str] | None = None  # batch tokens (engine/batch_numbers.py)
    states: frozenset[TaskState] | None = None
    # Only tasks stored without a batch (by a version before batches).
    unbatched: bool = False

    def where(self) -> tuple[str, list[object]]:
        """The filters as a WHERE clause over ``tasks`` ('' for every task) and its parameters."""
        clauses: list[str] = []
        values: list[object] = []
        if self.task_ids is not None:
            clauses.append(f"task_id IN ({_marks(self.task_ids)})")
            values += sorted(self.task_ids)
        if self.batches is not None:
            clauses.append(
                f"batch_id IN (SELECT text_id FROM shared_texts WHERE text IN ({_marks(self.batches)}))"
            )
            values += sorted(self.batches)
        if self.states is not None:
            clauses.append(f"state IN ({_marks(self.states)})")
            values += sorted(str(state) for state in self.states)
        if self.unbatched:
            clauses.append("batch_id IS NULL")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), values


def _marks(values: Collection[object]) -> str:
    return ",".join("?" * len(values))


def batch_firsts(db: sqlite3.Connection) -> list[tuple[str | None, float]]:
    """Each batch's token (None: tasks stored without one) and when its first
    task was made: one grouped scan of the table."""
    rows = db.execute(
        """SELECT text, MIN(created_at) FROM tasks LEFT JOIN shared_texts ON text_id = batch_id
           GROUP BY batch_id"""
    )
    return [(None if token is None else str(token), float(first)) for token, first in rows]


def batch_tokens_of(db: sqlite3.Connection, task_ids: Iterable[str]) -> set[str]:
    """The batch tokens of these tasks (those still stored, and in a batch)."""
    ids = list(task_ids)
    tokens: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        rows = db.execute(
            f"""SELECT DISTINCT text FROM tasks JOIN shared_texts ON text_id = batch_id
                WHERE task_id IN ({_marks(chunk)})""",
            chunk,
        )
        tokens.update(str(token) for (token,) in rows)
    return tokens


def shortest_unique_prefix(db: sqlite3.Connection, least: int) -> int:
    """The fewest leading characters, at least ``least``, that tell every stored
    task id apart: SQLite counts the distinct prefixes, a few times at most
    (ids made together share their first 12 digits and differ in the next 4)."""
    (count,) = db.execute("SELECT COUNT(*) FROM tasks").fetchone()
    (longest,) = db.execute("SELECT MAX(length(task_id)) FROM tasks").fetchone()
    width = least
    while longest is not None and width < longest:
        (distinct,) = db.execute(
            "SELECT COUNT(DISTINCT substr(task_id, 1, ?)) FROM tasks", (width,)
        ).fetchone()
        if distinct == count:
            break
        width += 1
    return width


def ids_starting(db: sqlite3.Connection, prefix: str, most: int) -> list[str]:
    """Up to ``most`` stored task ids that begin with ``prefix`` (the primary
    key's index, not a scan)."""
    # char(1114111), the highest code point, sorts after every character an id has.
    rows = db.execute(
        "SELECT task_id FROM tasks WHERE task_id >= ?1 AND task_id < ?1 || char(1114111) LIMIT ?2",
        (prefix, most),
    )
    return [str(task_id) for (task_id,) in rows]


def count_starting(db: sqlite3.Connection, prefix: str) -> int:
    (count,) = db.execute(
        "SELECT COUNT(*) FROM tasks WHERE task_id >= ?1 AND task_id < ?1 || char(1114111)", (prefix,)
    ).fetchone()
    return int(count)


PARTS_SQL = "SELECT task_id, part_number, etag, size, crc64 FROM parts"


def parts_by_task(rows: Iterable[Sequence[Any]]) -> dict[str, dict[int, PartRecord]]:
    """Rows of ``PARTS_SQL`` as each task's parts, by part number."""
    parts: dict[str, dict[int, PartRecord]] = {}
    for task_id, part_number, etag, size, crc in rows:
        parts.setdefault(task_id, {})[part_number] = PartRecord(part_number, etag, size, int(crc))
    return parts


def parts_of(db: sqlite3.Connection, task_ids: Sequence[str]) -> dict[str, dict[int, PartRecord]]:
    """The stored parts of these tasks (at most ``_IDS_PER_QUERY`` of them), by task."""
    query = f"{PARTS_SQL} WHERE task_id IN ({_marks(task_ids)}) ORDER BY task_id, part_number"
    return parts_by_task(db.execute(query, list(task_ids)))


def chosen_ids(db: sqlite3.Connection, choice: TaskChoice) -> Iterator[tuple[str, TaskState]]:
    """The id and state of each task ``choice`` names, in no order: what a command
    that acts on tasks needs of them (clearing a million finished tasks made a
    million records to learn their ids)."""
    where, values = choice.where()
    for task_id, state in db.execute(f"SELECT task_id, state FROM tasks{where}", values):
        yield str(task_id), TaskState(state)


def chosen_tasks(
    db: sqlite3.Connection, choice: TaskChoice, batch_order: Sequence[str | None]
) -> Iterator[StoredTask]:
    """The tasks ``choice`` names, with their parts: batch by batch in the order of
    ``batch_order`` (tokens; a batch not in it comes first), each batch's oldest
    first. SQLite sorts; records are made a slice at a time. Run it inside a
    transaction of ``db`` for one consistent reading."""
    db.execute(
        """CREATE TEMP TABLE IF NOT EXISTS listing_order
           (listed_batch INTEGER PRIMARY KEY, listed_rank INTEGER NOT NULL)"""
    )
    db.execute("DELETE FROM temp.listing_order")
    db.executemany(
        """INSERT OR IGNORE INTO temp.listing_order
           SELECT text_id, ? FROM shared_texts WHERE text = ?""",
        ((rank, token) for rank, token in enumerate(batch_order) if token is not None),
    )
    # SQLite sorts the chosen tasks' row ids alone, into a table then read in
    # that order. Sorting their whole rows, a million tasks took 4 s before the
    # first one came out; the ids alone take 0.6 s (and the whole list 6 s, not 8).
    db.execute("CREATE TEMP TABLE IF NOT EXISTS listing_rows (listed_row INTEGER NOT NULL)")
    db.execute("DELETE FROM temp.listing_rows")
    where, values = choice.where()
    db.execute(
        f"""INSERT INTO temp.listing_rows
            SELECT tasks.rowid FROM tasks LEFT JOIN temp.listing_order ON listed_batch = batch_id{where}
            ORDER BY listed_rank, created_at, position""",
        values,
    )
    rows = db.execute(
        f"""SELECT {SELECTED_COLUMNS} FROM temp.listing_rows CROSS JOIN tasks ON tasks.rowid = listed_row
            ORDER BY listing_rows.rowid"""
    )
    while chunk := rows.fetchmany(SLICE):
        parts: dict[str, dict[int, PartRecord]] = {}
        for start in range(0, len(chunk), _IDS_PER_QUERY):
            parts.update(parts_of(db, [str(row[0]) for row in chunk[start : start + _IDS_PER_QUERY]]))
        for row in chunk:
            yield task_from_row(row, parts.get(str(row[0]), {}))

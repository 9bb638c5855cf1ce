"""How the fields of a frozen dataclass become the columns of a table and come
back, and the texts many rows share, stored once.

A field is stored in one of four shapes (:class:`FieldColumns`):

- *as itself*, in a column named after the field, its type read from the field's
  annotation (numbers, short texts, enums as their value);
- *shared*: a text most rows repeat (a bucket name, the endpoint and the options
  of every file added together) is kept once in ``shared_texts``; the row holds
  its id, in the column ``<field>_id``;
- *split*: a path or a key is kept as the shared id of its folder (everything up
  to the last ``/`` or ``\\``) and its own name, in ``<field>_folder`` and
  ``<field>_name``: the folder of ten thousand files is stored once;
- *nested*: each field of a small dataclass (a task's result) in a column of its
  own, named ``<field>_<its field>``.

Reads never join: a shared text is read back by a subquery in the select list,
so ``SELECT <reads> FROM tasks WHERE ...`` filters and orders like any table.

Shared texts are never changed. Those no row uses any more can be deleted
(:func:`delete_unused_texts`, which reads every row: the store does it when a
table is emptied); a writer looks ids up afresh in each transaction
(:class:`SharedTexts`), so no process holds an id another deleted.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SHARED_TEXTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_texts (
    text_id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
)"""


class SharedTexts:
    """The ids of shared texts for the writes of one transaction (each text is
    looked up, or added, once per transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._ids: dict[str, int] = {}

    def id_of(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            row = self._db.execute("SELECT text_id FROM shared_texts WHERE text = ?", (text,)).fetchone()
            if row is not None:
                found = int(row[0])
            else:
                inserted = self._db.execute("INSERT INTO shared_texts(text) VALUES (?)", (text,)).lastrowid
                assert inserted is not None
                found = inserted
            self._ids[text] = found
        return found

    def forget(self) -> None:
        """Texts may have been deleted (:func:`delete_unused_texts`): look up again."""
        self._ids.clear()


def delete_unused_texts(db: sqlite3.Connection, id_columns: Iterable[tuple[str, str]]) -> None:
    """Delete the shared texts no ``(table, column)`` of ``id_columns`` refers to."""
    users = " UNION ".join(
        f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL" for table, column in id_columns
    )
    db.execute(f"DELETE FROM shared_texts WHERE text_id NOT IN ({users})")


def _shared_read(column: str) -> str:
    return f"(SELECT text FROM shared_texts WHERE text_id = {column})"


# Shared texts holding a needle: found once per query, not once per row.
_HOLDING = "SELECT text_id FROM shared_texts WHERE instr(lower(text), ?) > 0"
_ENDING_WITH = "SELECT text_id FROM shared_texts WHERE substr(lower(text), ?) = ?"


def storable_text(text: str) -> str:
    """Text SQLite can hold. A file name that is not UTF-8 reaches us with lone
    surrogates (os.fsdecode): they are stored escaped."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _same(value: Any) -> Any:
    return value


# Declared as one of these by its annotation (after removing "| None").
_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER", "bytes": "BLOB"}


@dataclass(frozen=True, slots=True)
class FieldColumns:
    """How one field is stored: its ``columns`` (name and declaration), how a value
    becomes their values (``encode``), the SQL expressions that read it back
    (``reads``) and how their values become the value again (``decode``)."""

    field: str
    columns: tuple[tuple[str, str], ...]
    encode: Callable[[Any, SharedTexts], tuple[Any, ...]]
    reads: tuple[str, ...]
    decode: Callable[[Sequence[Any]], Any]
    shared_ids: tuple[str, ...] = ()  # the columns that hold ids of shared texts
    # A condition (and its values) true when the value, as SQLite's lower() folds
    # it, holds a needle: see :meth:`RowMapping.contains`.
    contains: Callable[[str], tuple[str, list[Any]]] | None = None
    # One column holding the value unchanged: a writer takes it without a call
    # (most fields are stored so, and every task's row is written several times).
    as_is: bool = False
    # One column holding what this gives of the value: the writer calls it alone.
    encode_one: Callable[[Any], Any] | None = None
    # One read that gives the value through this (``_same``: the read is the
    # value): the reader calls it alone.
    decode_one: Callable[[Any], Any] | None = None


def as_itself(
    field: str,
    declaration: str,
    encode: Callable[[Any], Any] = _same,
    decode: Callable[[Any], Any] = _same,
    *,
    column: str | None = None,
) -> FieldColumns:
    """One column (named ``column``, else after the field). ``encode`` and
    ``decode`` see the value itself, None included."""
    name = column or field
    return FieldColumns(
        field,
        ((name, declaration),),
        lambda value, texts: (encode(value),),
        (name,),
        lambda values: decode(values[0]),
        contains=lambda needle: (f"instr(lower({name}), ?) > 0", [needle]),
        as_is=encode is _same,
        encode_one=encode,
        decode_one=decode,
    )


def shared(
    field: str,
    encode: Callable[[Any], str] = str,
    decode: Callable[[str], Any] = _same,
    *,
    nullable: bool = False,
    column: str | None = None,
) -> FieldColumns:
    """The value's text (``encode``) kept once in ``shared_texts``. None stays None."""
    name = f"{column or field}_id"
    return FieldColumns(
        field,
        ((name, "INTEGER" if nullable else "INTEGER NOT NULL"),),
        lambda value, texts: (None if value is None else texts.id_of(encode(value)),),
        (_shared_read(name),),
        lambda values: None if values[0] is None else decode(values[0]),
        shared_ids=(name,),
        contains=lambda needle: (f"{name} IN ({_HOLDING})", [needle]),
        decode_one=_same if decode is _same else (lambda value: None if value is None else decode(value)),
    )


def _split_path(text: str) -> tuple[str | None, str]:
    end = max(text.rfind("/"), text.rfind("\\")) + 1
    return (text[:end] or None), text[end:]


def split(
    field: str, *, nullable: bool = False, column: str | None = None, name_else: str | None = None
) -> FieldColumns:
    """A path or key (or None) as its shared folder (NULL: none) and its own name.
    ``name_else``: a column whose name stands in for a NULL name (the writer
    leaves the name out when the two are the same)."""
    base = column or field
    folder, name = f"{base}_folder", f"{base}_name"
    name_read = name if name_else is None else f"COALESCE({name}, {name_else})"

    def encode(value: str | None, texts: SharedTexts) -> tuple[Any, ...]:
        if value is None:
            return None, None
        head, tail = _split_path(storable_text(value))
        return (None if head is None else texts.id_of(head)), tail

    def contains(needle: str) -> tuple[str, list[Any]]:
        # In the folder, in the name, or across the two: then the needle's last
        # separator is the folder's last character and the rest starts the name.
        condition = f"{folder} IN ({_HOLDING}) OR instr(lower({name_read}), ?) > 0"
        values: list[Any] = [needle, needle]
        cut = max(needle.rfind("/"), needle.rfind("\\")) + 1
        if 0 < cut < len(needle):
            head, tail = needle[:cut], needle[cut:]
            condition += f" OR ({folder} IN ({_ENDING_WITH}) AND substr(lower({name_read}), 1, ?) = ?)"
            values += [-len(head), head, len(tail), tail]
        return f"({condition})", values

    return FieldColumns(
        field,
        ((folder, "INTEGER"), (name, "TEXT" if nullable else "TEXT NOT NULL")),
        encode,
        (f"COALESCE({_shared_read(folder)}, '') || {name_read}",),
        lambda values: values[0],
        shared_ids=(folder,),
        contains=contains,
        decode_one=_same,
    )


def _sql_type(item: dataclasses.Field[Any], kind: type, *, nullable: bool) -> str:
    annotation = str(item.type).replace(" ", "")
    nullable = nullable or annotation.endswith("|None")
    base = annotation.removesuffix("|None")
    if base not in _SQL_TYPES:
        raise TypeError(f"{kind.__name__}.{item.name} ({item.type}) needs its own columns")
    declaration = _SQL_TYPES[base]
    if nullable:
        return declaration
    default = item.default
    if isinstance(default, str):
        quoted = default.replace("'", "''")
        return f"{declaration} NOT NULL DEFAULT '{quoted}'"
    if isinstance(default, float):
        return f"{declaration} NOT NULL DEFAULT {default}"
    if isinstance(default, bool | int):
        return f"{declaration} NOT NULL DEFAULT {int(default)}"
    return f"{declaration} NOT NULL"


def _field_columns(
    kind: type, special: Mapping[str, FieldColumns], skip: frozenset[str], prefix: str = ""
) -> tuple[FieldColumns, ...]:
    nullable = bool(prefix)  # the columns of a nested value are NULL when it is None
    mapped = []
    for item in dataclasses.fields(kind):
        if item.name in skip:
            continue
        if item.name in special:
            mapped.append(special[item.name])
        else:
            declaration = _sql_type(item, kind, nullable=nullable)
            mapped.append(as_itself(item.name, declaration, column=prefix + item.name))
    return tuple(mapped)


def _encoder(parts: Sequence[FieldColumns]) -> Callable[[Any, SharedTexts], list[Any]]:
    """A function giving the column values of a value's fields, one per column of
    ``parts``: a field stored as itself is read into its place, any other goes
    through its encoder. Written as one list display and compiled, as dataclasses
    writes its ``__init__`` (ARCHITECTURE.md, 'The task record')."""
    namespace: dict[str, Any] = {}
    items = []
    for number, part in enumerate(parts):
        if not part.field.isidentifier():
            raise ValueError(f"{part.field!r} is not a field name")
        if part.as_is:
            items.append(f"value.{part.field}")
        elif part.encode_one is not None:
            namespace[f"encode_{number}"] = part.encode_one
            items.append(f"encode_{number}(value.{part.field})")
        else:
            namespace[f"encode_{number}"] = part.encode
            items.append(f"*encode_{number}(value.{part.field}, texts)")
    exec(f"def encode(value, texts):\n    return [{', '.join(items)}]\n", namespace)
    encode: Callable[[Any, SharedTexts], list[Any]] = namespace["encode"]
    return encode


def _decoder(
    kind: type, parts: Sequence[FieldColumns], present_when: str | None = None
) -> Callable[[Sequence[Any]], Any]:
    """A function making a ``kind`` of the values of ``parts``' reads, in order:
    a read that is its field's value is passed as it is, any other goes through
    its decoder. Written as one call and compiled, as ``_encoder`` is: a loop over
    the fields was most of the time a million tasks took to read. With
    ``present_when`` (a one-read field), None when that read is NULL."""
    namespace: dict[str, Any] = {"kind": kind}
    arguments = []
    start = 0
    for number, part in enumerate(parts):
        if not part.field.isidentifier():
            raise ValueError(f"{part.field!r} is not a field name")
        width = len(part.reads)
        if part.decode_one is _same and width == 1:
            value = f"values[{start}]"
        elif part.decode_one is not None and width == 1:
            namespace[f"decode_{number}"] = part.decode_one
            value = f"decode_{number}(values[{start}])"
        else:
            namespace[f"decode_{number}"] = part.decode
            value = f"decode_{number}(values[{start}:{start + width}])"
        arguments.append(f"{part.field}={value}")
        if part.field == present_when:
            if width != 1:
                raise ValueError(f"{present_when!r} must be read from one column")
            namespace["present_at"] = start
        start += width
    if present_when and "present_at" not in namespace:
        raise ValueError(f"{present_when!r} is not one of the fields")
    check = "    if values[present_at] is None:\n        return None\n" if present_when else ""
    exec(f"def decode(values):\n{check}    return kind({', '.join(arguments)})\n", namespace)
    decode: Callable[[Sequence[Any]], Any] = namespace["decode"]
    return decode


def nested(field: str, kind: type, special: Mapping[str, FieldColumns], present_when: str) -> FieldColumns:
    """A small dataclass (or None), each of its fields in columns named
    ``<field>_<name>`` (``special`` maps fields stored otherwise; their columns
    must carry the prefix). ``present_when``: a field never None in a value, whose
    column is NULL exactly when the value is None."""
    parts = _field_columns(kind, special, frozenset(), f"{field}_")
    empty = tuple(None for part in parts for _ in part.columns)
    encoded = _encoder(parts)

    def encode(value: Any, texts: SharedTexts) -> tuple[Any, ...]:
        if value is None:
            return empty
        return tuple(encoded(value, texts))

    decode = _decoder(kind, parts, present_when)

    return FieldColumns(
        field,
        tuple(column for part in parts for column in part.columns),
        encode,
        tuple(read for part in parts for read in part.reads),
        decode,
        shared_ids=tuple(name for part in parts for name in part.shared_ids),
    )


@dataclass(frozen=True)
class RowMapping:
    """The columns of every field of ``kind``: fields in ``special`` are stored as
    said there, the others as themselves (their type from the annotation)."""

    kind: type
    fields: tuple[FieldColumns, ...]
    # The column values of a value (one per column), as ``_encoder`` writes it.
    encode: Callable[[Any, SharedTexts], list[Any]] = dataclasses.field(init=False, repr=False, compare=False)

    # A value read back from the values of :attr:`reads` (one per read).
    decode: Callable[[Sequence[Any]], Any] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encode", _encoder(self.fields))
        object.__setattr__(self, "decode", _decoder(self.kind, self.fields))

    @classmethod
    def of(
        cls, kind: type, special: Mapping[str, FieldColumns] | None = None, skip: Iterable[str] = ()
    ) -> RowMapping:
        return cls(kind, _field_columns(kind, special or {}, frozenset(skip)))

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return tuple(column for item in self.fields for column in item.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(read for item in self.fields for read in item.reads)

    @property
    def shared_ids(self) -> tuple[str, ...]:
        return tuple(name for item in self.fields for name in item.shared_ids)

    def read_of(self, field: str) -> str:
        """The SQL expression that reads a one-column field."""
        (read,) = next(item.reads for item in self.fields if item.field == field)
        return read

    def contains(self, fields: Iterable[str], needle: str) -> tuple[str, list[Any]]:
        """A condition (and its values) true when one of ``fields`` holds ``needle``
        once folded by SQLite's lower() (which folds ASCII letters only)."""
        conditions: list[str] = []
        values: list[Any] = []
        for name in fields:
            test = next(item.contains for item in self.fields if item.field == name)
            assert test is not None, f"{name} cannot be searched"
            condition, its_values = test(needle)
            conditions.append(condition)
            values += its_values
        return f"({' OR '.join(conditions)})", values


def create_table(table: str, columns: Iterable[tuple[str, str]]) -> str:
    body = ",\n    ".join(f"{name} {declaration}" for name, declaration in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)"


def add_missing_columns(db: sqlite3.Connection, table: str, columns: Iterable[tuple[str, str]]) -> None:
    """Add the columns a table made by an earlier version lacks (a field added to
    the record since; its declaration needs a default when it is NOT NULL)."""
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for name, declaration in columns:
        if name not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

"""Objects and multipart uploads on disk: the server's only persistent state.

Layout under ``root``::

    index.sqlite3        buckets, objects, uploads, parts (WAL)
    data/ab/ab12…        object and part bodies, named by a random id
    tmp/                 bodies being received

Keys never become file names, so no key (``../x``, ``/etc/passwd``, NUL, 850
bytes of unicode) can reach outside ``root``. A body is written into ``tmp/``,
renamed into ``data/`` and only then recorded in the index, in one
transaction: a reader sees the old object or the new one, never half of one,
and a crash leaves at most an unreferenced file that the next start removes.
A data file is unlinked only after the index stops naming it; a reader that
already opened it keeps reading the old bytes (POSIX keeps the inode alive).
Parts being assembled by a Complete are pinned: a racing UploadPart, Abort or
second Complete may drop them from the index, but their files stay until the
assembly is done with them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import anycrc

CRC64 = anycrc.Model("CRC64-XZ")
_BATCH = 500
# No UTF-8 byte is 0xFF, so key + this sorts after every key that starts with key.
_AFTER_ALL_WITH_PREFIX = b"\xff"

Metadata = tuple[tuple[str, str], ...]

_COPY_STEP_BYTES = 1 << 20
# copy_file_range failures that mean "not here" (another file system, an old
# kernel, a platform without it): the bytes are then copied by read and write.
_KERNEL_COPY_UNSUPPORTED = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM}
)
_OUT_OF_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_out_of_space(error: BaseException) -> bool:
    """Whether ``error`` says the disk (or the user's quota) is full, from a file
    write or from SQLite ("database or disk is full")."""
    if isinstance(error, OSError):
        return error.errno in _OUT_OF_SPACE
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return False


class PositionMismatch(Exception):
    """An append's position is not the object's current length."""

    def __init__(self, current_length: int) -> None:
        super().__init__(current_length)
        self.current_length = current_length


class NotAppendable(Exception):
    """An append to an object that was not created by appends."""


class UploadGone(Exception):
    """The multipart upload does not exist (never did, aborted or completed)."""


class _NullFile:
    """Where bodies go in a store that discards them: every write succeeds, nothing is kept."""

    def write(self, data: memoryview | bytes) -> int:
        return len(data)

    def truncate(self, size: int) -> int:
        return size

    def seek(self, offset: int) -> int:
        return offset

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class ObjectRecord:
    bucket: str
    key: str
    data_id: str
    size: int
    etag: str
    crc64: int
    object_type: str  # "normal" or "appendable"
    storage_class: str
    last_modified: float
    metadata: Metadata


@dataclass(frozen=True)
class UploadRecord:
    seq: int
    upload_id: str
    bucket: str
    key: str
    initiated: float
    storage_class: str
    metadata: Metadata


@dataclass(frozen=True)
class PartRecord:
    part_number: int
    data_id: str
    size: int
    md5_hex: str
    crc64: int
    last_modified: float

    @property
    def etag(self) -> str:
        return f'"{self.md5_hex}"'


class IncomingBody:
    """A body being written to disk, hashed (MD5, CRC-64) as it arrives."""

    def __init__(self, path: Path, file: BinaryIO | _NullFile, *, start_crc: int = 0) -> None:
        self.path = path
        self._file = file
        self._md5 = hashlib.md5()
        self.crc64 = start_crc
        self.size = 0

    def write(self, chunk: memoryview | bytes) -> None:
        self.hash(chunk)
        self.write_unhashed(chunk)

    def hash(self, chunk: memoryview | bytes) -> None:
        """Account for ``chunk`` in the MD5, CRC-64 and size (hashlib releases the GIL)."""
        self._md5.update(chunk)
        self.crc64 = CRC64.calc(chunk, self.crc64)
        self.size += len(chunk)

    def write_unhashed(self, chunk: memoryview | bytes) -> None:
        """Write ``chunk`` to the file only (may run on another thread than :meth:`hash`)."""
        view = memoryview(chunk)
        while view:
            written = self._file.write(view)
            if written is None:  # pragma: no cover - only non-blocking files
                continue
            view = view[written:]

    def md5_digest(self) -> bytes:
        return self._md5.digest()

    def md5_hex(self) -> str:
        return self._md5.hexdigest()

    def close(self) -> None:
        self._file.close()


def _encode_key(key: str) -> bytes:
    return key.encode("utf-8")


def _decode_metadata(text: str) -> Metadata:
    return tuple((str(name), str(value)) for name, value in json.loads(text))


def new_data_id() -> str:
    return uuid.uuid4().hex


class Storage:
    """Thread-safe object store under ``root`` (one SQLite connection behind a lock).

    With ``discard_bodies`` (a benchmarking aid) every body is still read, hashed
    (MD5, CRC-64) and recorded with its size, so every answer, ETag, listing and
    multipart assembly is what COS would say, but no byte is written to disk:
    the server then costs almost nothing and a benchmark shows the client's own
    cost. Such an object's file (:meth:`open_object`) is empty.
    """

    def __init__(self, root: Path, *, discard_bodies: bool = False) -> None:
        self.root = Path(root)
        self.discard_bodies = discard_bodies
        self.data_dir = self.root / "data"
        self.tmp_dir = self.root / "tmp"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # Appends to one key are serialised; a few striped locks are enough.
        self._append_locks = [threading.Lock() for _ in range(64)]
        # So are Completes of one upload: a second one waits, then finds it gone.
        self._complete_locks = [threading.Lock() for _ in range(64)]
        # Data files a Complete is reading, and those to unlink once it is done (under _lock).
        self._pins: Counter[str] = Counter()
        self._unlink_when_unpinned: set[str] = set()
        self._db = sqlite3.connect(
            self.root / "index.sqlite3", check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, created REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS objects (
                bucket TEXT NOT NULL, key BLOB NOT NULL, data_id TEXT NOT NULL, size INTEGER NOT NULL,
                etag TEXT NOT NULL, crc64 TEXT NOT NULL, object_type TEXT NOT NULL,
                storage_class TEXT NOT NULL, last_modified REAL NOT NULL, metadata TEXT NOT NULL,
                PRIMARY KEY (bucket, key)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS uploads (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, upload_id TEXT NOT NULL UNIQUE,
                bucket TEXT NOT NULL, key BLOB NOT NULL, initiated REAL NOT NULL,
                storage_class TEXT NOT NULL, metadata TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, seq);
            CREATE TABLE IF NOT EXISTS parts (
                upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, data_id TEXT NOT NULL,
                size INTEGER NOT NULL, md5 TEXT NOT NULL, crc64 TEXT NOT NULL, last_modified REAL NOT NULL,
                PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
            """
        )
        self._collect_garbage()

    # --- housekeeping -----------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _collect_garbage(self) -> None:
        """Remove what an interrupted run left: bodies in tmp/ and unreferenced data files."""
        for leftover in self.tmp_dir.iterdir():
            leftover.unlink(missing_ok=True)
        with self._lock:
            referenced = {row[0] for row in self._db.execute("SELECT data_id FROM objects")}
            referenced |= {row[0] for row in self._db.execute("SELECT data_id FROM parts")}
        for shard in self.data_dir.iterdir():
            if not shard.is_dir():
                continue
            for data_file in shard.iterdir():
                if data_file.name not in referenced:
                    data_file.unlink(missing_ok=True)

    def data_path(self, data_id: str) -> Path:
        return self.data_dir / data_id[:2] / data_id

    def _unlink_data(self, data_ids: Sequence[str]) -> None:
        """Remove files the index no longer names (the caller holds ``self._lock``)."""
        for data_id in data_ids:
            if self._pins[data_id]:
                self._unlink_when_unpinned.add(data_id)
            else:
                self.data_path(data_id).unlink(missing_ok=True)

    def _pin(self, data_ids: Sequence[str]) -> None:
        with self._lock:
            self._pins.update(data_ids)

    def _unpin(self, data_ids: Sequence[str]) -> None:
        with self._lock:
            self._pins.subtract(data_ids)
            for data_id in data_ids:
                if self._pins[data_id] <= 0:
                    del self._pins[data_id]
                    if data_id in self._unlink_when_unpinned:
                        self._unlink_when_unpinned.discard(data_id)
                        self.data_path(data_id).unlink(missing_ok=True)

    def _place(self, incoming: IncomingBody) -> str:
        """Move a finished body from tmp/ into data/ under a new id."""
        data_id = new_data_id()
        if self.discard_bodies:
            return data_id
        target = self.data_path(data_id)
        target.parent.mkdir(exist_ok=True)
        os.replace(incoming.path, target)
        return data_id

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One atomic index change (the caller holds ``self._lock``)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- buckets ----------------------------------------------------------------

    def bucket_exists(self, name: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone() is not None

    def create_bucket(self, name: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO buckets VALUES (?, ?)", (name, time.time()))

    def bucket_names(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT name FROM buckets ORDER BY name")]

    def buckets_created(self) -> list[tuple[str, float]]:
        """Every bucket with its creation time (epoch seconds), by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, created FROM buckets ORDER BY name").fetchall()
        return [(str(name), float(created)) for name, created in rows]

    # --- bodies -----------------------------------------------------------------

    @contextmanager
    def incoming(self) -> Iterator[IncomingBody]:
        """A temporary file for a body; removed unless committed (moved) before exit."""
        path = self.tmp_dir / uuid.uuid4().hex
        file = _NullFile() if self.discard_bodies else open(path, "xb", buffering=0)  # noqa: SIM115
        body = IncomingBody(path, file)
        try:
            yield body
        finally:
            body.close()
            path.unlink(missing_ok=True)

    # --- objects ----------------------------------------------------------------

    _OBJECT_COLUMNS = (
        "bucket, key, data_id, size, etag, crc64, object_type, storage_class, last_modified, metadata"
    )

    @staticmethod
    def _object_from_row(row: Sequence[object]) -> ObjectRecord:
        return ObjectRecord(
            bucket=str(row[0]),
            key=bytes(row[1]).decode("utf-8"),  # type: ignore[call-overload]
            data_id=str(row[2]),
            size=int(row[3]),  # type: ignore[call-overload]
            etag=str(row[4]),
            crc64=int(str(row[5])),
            object_type=str(row[6]),
            storage_class=str(row[7]),
            last_modified=float(row[8]),  # type: ignore[arg-type]
            metadata=_decode_metadata(str(row[9])),
        )

    def _write_object(self, record: ObjectRecord) -> list[str]:
        """Insert or replace; returns the data ids that are no longer referenced."""
        previous = self._db.execute(
            "SELECT data_id FROM objects WHERE bucket = ? AND key = ?",
            (record.bucket, _encode_key(record.key)),
        ).fetchone()
        self._db.execute(
            f"INSERT OR REPLACE INTO objects ({self._OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.bucket,
                _encode_key(record.key),
                record.data_id,
                record.size,
                record.etag,
                str(record.crc64),
                record.object_type,
                record.storage_class,
                record.last_modified,
                json.dumps(record.metadata),
            ),
        )
        if previous is not None and previous[0] != record.data_id:
            return [previous[0]]
        return []

    def commit_object(
        self, bucket: str, key: str, incoming: IncomingBody, *, storage_class: str, metadata: Metadata
    ) -> ObjectRecord:
        """Make a fully received body the object ``bucket``/``key`` (atomically)."""
        record = ObjectRecord(
            bucket=bucket,
            key=key,
            data_id="",
            size=incoming.size,
            etag=f'"{incoming.md5_hex()}"',
            crc64=incoming.crc64,
            object_type="normal",
            storage_class=storage_class,
            last_modified=time.time(),
            metadata=metadata,
        )
        with self._lock:
            record = replace(record, data_id=self._place(incoming))
            with self._transaction():
                stale = self._write_object(record)
            self._unlink_data(stale)
        return record

    def add_empty_objects(self, bucket: str, keys: Iterable[str], *, storage_class: str = "STANDARD") -> int:
        """Record empty objects at ``keys`` in one transaction, as many PUTs of no
        bytes would, in a fraction of their time (a benchmark's bucket of 200,000
        objects). Only where bodies are discarded: these objects have no files.
        Returns how many were recorded."""
        if not self.discard_bodies:
            raise ValueError("add_empty_objects needs a storage that discards bodies")
        etag, crc, now = f'"{hashlib.md5(b"").hexdigest()}"', "0", time.time()
        rows = (
            (bucket, _encode_key(key), new_data_id(), 0, etag, crc, "normal", storage_class, now, "[]")
            for key in keys
        )
        with self._lock, self._transaction():
            before = self._db.total_changes
            insert = f"INSERT OR REPLACE INTO objects ({self._OBJECT_COLUMNS}) VALUES ({', '.join('?' * 10)})"
            self._db.executemany(insert, rows)
            return self._db.total_changes - before

    def get_object(self, bucket: str, key: str) -> ObjectRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?",
                (bucket, _encode_key(key)),
            ).fetchone()
        return None if row is None else self._object_from_row(row)

    def open_object(self, bucket: str, key: str) -> tuple[ObjectRecord, BinaryIO] | None:
        """The object's record and an open file of its bytes (read at most ``record.size``).

        Looked up and opened under the lock that guards unlinking, so the file
        is the one the record names even if the object is replaced right after.
        """
        with self._lock:
            record = self.get_object(bucket, key)
            if record is None:
                return None
            if self.discard_bodies:
                # No bytes to give: an empty file that HEAD (which reads none) can use.
                return record, open(os.devnull, "rb")
            return record, open(self.data_path(record.data_id), "rb")

    def delete_object(self, bucket: str, key: str) -> bool:
        with self._lock:
            record = self.get_object(bucket, key)
            if record is None:
                return False
            self._db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, _encode_key(key)))
            self._unlink_data([record.data_id])
        return True

    def iter_objects(self, bucket: str, *, after: str, prefix: str) -> Iterator[ObjectRecord]:
        """Objects with keys > ``after`` and starting with ``prefix``, in UTF-8 byte order.

        The caller may ``send`` a key to skip to (everything <= it is skipped),
        which is how a delimiter listing jumps over a whole common prefix.
        """
        lower = max(_encode_key(after), _encode_key(prefix)) if prefix else _encode_key(after)
        inclusive = bool(prefix) and _encode_key(prefix) > _encode_key(after)
        prefix_bytes = _encode_key(prefix)
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {self._OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND "
                    f"key {'>=' if inclusive else '>'} ? ORDER BY key LIMIT {_BATCH}",
                    (bucket, lower),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                key_bytes = bytes(row[1])
                if not key_bytes.startswith(prefix_bytes):
                    return
                skip_to = yield self._object_from_row(row)
                if skip_to is not None:
                    lower, inclusive = skip_to_bytes(skip_to), False
                    break
            else:
                lower, inclusive = bytes(rows[-1][1]), False

    # --- appendable objects -----------------------------------------------------

    @contextmanager
    def appending(
        self, bucket: str, key: str, position: int, *, storage_class: str, metadata: Metadata
    ) -> Iterator[tuple[IncomingBody, list[ObjectRecord]]]:
        """Append to ``bucket``/``key`` at ``position``; yields the body to write and a
        list that holds the new record after a clean exit.

        Bytes are written straight onto the end of the object's data file: a
        reader bounded by the old size never sees them, and bytes past the
        recorded size (an interrupted append) are cut off by the next one.
        Raises PositionMismatch or NotAppendable.
        """
        lock = self._append_locks[hash((bucket, key)) % len(self._append_locks)]
        with lock:
            current = self.get_object(bucket, key)
            if current is not None and current.object_type != "appendable":
                raise NotAppendable()
            current_length = 0 if current is None else current.size
            if position != current_length:
                raise PositionMismatch(current_length)
            created = current is None
            data_id = new_data_id() if current is None else current.data_id
            path = self.data_path(data_id)
            file: BinaryIO | _NullFile
            if self.discard_bodies:
                file = _NullFile()
            else:
                path.parent.mkdir(exist_ok=True)
                file = open(path, "r+b" if not created else "xb", buffering=0)  # noqa: SIM115 - closed below
            result: list[ObjectRecord] = []
            committed = False
            try:
                file.truncate(position)
                file.seek(position)
                body = IncomingBody(path, file)
                yield body, result
                record = ObjectRecord(
                    bucket=bucket,
                    key=key,
                    data_id=data_id,
                    size=position + body.size,
                    etag=f'"{body.md5_hex()}"',
                    crc64=body.crc64
                    if current is None
                    else CRC64.combine(current.crc64, body.crc64, body.size),
                    object_type="appendable",
                    storage_class=current.storage_class if current is not None else storage_class,
                    last_modified=time.time(),
                    metadata=current.metadata if current is not None else metadata,
                )
                with self._lock:
                    # A PUT or DELETE may have replaced the object while the body arrived.
                    now = self.get_object(bucket, key)
                    if (now is None) != created or (now is not None and now.data_id != data_id):
                        raise PositionMismatch(0 if now is None else now.size)
                    self._write_object(record)
                    committed = True
                result.append(record)
            finally:
                file.close()
                if created and not committed:
                    path.unlink(missing_ok=True)

    # --- multipart uploads --------------------------------------------------------

    _UPLOAD_COLUMNS = "seq, upload_id, bucket, key, initiated, storage_class, metadata"

    @staticmethod
    def _upload_from_row(row: Sequence[object]) -> UploadRecord:
        return UploadRecord(
            seq=int(row[0]),  # type: ignore[call-overload]
            upload_id=str(row[1]),
            bucket=str(row[2]),
            key=bytes(row[3]).decode("utf-8"),  # type: ignore[call-overload]
            initiated=float(row[4]),  # type: ignore[arg-type]
            storage_class=str(row[5]),
            metadata=_decode_metadata(str(row[6])),
        )

    def create_upload(self, bucket: str, key: str, *, storage_class: str, metadata: Metadata) -> UploadRecord:
        # Shaped like COS's ids: a timestamp and 64 hex digits.
        upload_id = f"{int(time.time())}{secrets.token_hex(32)}"
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated, storage_class, metadata) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, bucket, _encode_key(key), now, storage_class, json.dumps(metadata)),
            )
            seq = int(cursor.lastrowid or 0)
        return UploadRecord(seq, upload_id, bucket, key, now, storage_class, metadata)

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,)
            ).fetchone()
        return None if row is None else self._upload_from_row(row)

    def commit_part(self, upload_id: str, part_number: int, incoming: IncomingBody) -> PartRecord:
        """Record a received part (replacing an earlier one with the same number)."""
        part = PartRecord(part_number, "", incoming.size, incoming.md5_hex(), incoming.crc64, time.time())
        with self._lock:
            if self.get_upload(upload_id) is None:
                raise UploadGone()
            part = replace(part, data_id=self._place(incoming))
            previous = self._db.execute(
                "SELECT data_id FROM parts WHERE upload_id = ? AND part_number = ?", (upload_id, part_number)
            ).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload_id,
                    part_number,
                    part.data_id,
                    part.size,
                    part.md5_hex,
                    str(part.crc64),
                    part.last_modified,
                ),
            )
            if previous is not None:
                self._unlink_data([previous[0]])
        return part

    def list_parts(self, upload_id: str, *, after: int = 0, limit: int | None = None) -> list[PartRecord]:
        query = (
            "SELECT part_number, data_id, size, md5, crc64, last_modified FROM parts "
            "WHERE upload_id = ? AND part_number > ? ORDER BY part_number"
        )
        arguments: tuple[object, ...] = (upload_id, after)
        if limit is not None:
            query += " LIMIT ?"
            arguments += (limit,)
        with self._lock:
            rows = self._db.execute(query, arguments).fetchall()
        return [
            PartRecord(int(r[0]), str(r[1]), int(r[2]), str(r[3]), int(str(r[4])), float(r[5])) for r in rows
        ]

    def iter_uploads(
        self, bucket: str, *, after_key: str, after_seq: int | None, prefix: str
    ) -> Iterator[UploadRecord]:
        """Uploads ordered by (key, initiation); starting after ``after_key`` (and, when
        ``after_seq`` is given, after that upload of ``after_key``). Accepts ``send``
        of a key to skip to, as :meth:`iter_objects` does."""
        key_bytes = _encode_key(after_key)
        seq = after_seq if after_seq is not None else 2**62
        prefix_bytes = _encode_key(prefix)
        if prefix_bytes > key_bytes:
            key_bytes, seq = prefix_bytes, -1
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {self._UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND "
                    f"(key > ? OR (key = ? AND seq > ?)) ORDER BY key, seq LIMIT {_BATCH}",
                    (bucket, key_bytes, key_bytes, seq),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                if not bytes(row[3]).startswith(prefix_bytes):
                    return
                skip_to = yield self._upload_from_row(row)
                if skip_to is not None:
                    key_bytes, seq = skip_to_bytes(skip_to), 2**62
                    break
            else:
                key_bytes, seq = bytes(rows[-1][3]), int(rows[-1][0])

    def abort_upload(self, upload_id: str) -> bool:
        with self._lock:
            if self.get_upload(upload_id) is None:
                return False
            stale = [p.data_id for p in self.list_parts(upload_id)]
            with self._transaction():
                self._db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
                self._db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            self._unlink_data(stale)
        return True

    def complete_upload(
        self, upload_id: str, choose: Callable[[list[PartRecord]], Sequence[PartRecord]]
    ) -> ObjectRecord:
        """Assemble the parts ``choose`` picks from the upload's current parts (it
        runs under the store's lock and raises to refuse them) into the object,
        then drop the upload. Raises UploadGone if it is gone before or after.

        The parts are copied into one new file outside the lock (the kernel
        copies, the GIL is free), pinned so nothing racing can remove them
        meanwhile; the switch to the new object is one transaction.
        """
        with self._complete_locks[hash(upload_id) % len(self._complete_locks)]:
            with self._lock:
                upload = self.get_upload(upload_id)
                if upload is None:
                    raise UploadGone()
                parts = list(choose(self.list_parts(upload_id)))
                pinned = [part.data_id for part in parts]
                self._pin(pinned)
            try:
                return self._assemble(upload, parts)
            finally:
                self._unpin(pinned)

    def _assemble(self, upload: UploadRecord, parts: Sequence[PartRecord]) -> ObjectRecord:
        md5_of_md5s = hashlib.md5(b"".join(bytes.fromhex(p.md5_hex) for p in parts)).hexdigest()
        crc = 0
        for index, part in enumerate(parts):
            crc = part.crc64 if index == 0 else CRC64.combine(crc, part.crc64, part.size)
        with self.incoming() as target:
            if not self.discard_bodies:
                with open(target.path, "r+b", buffering=0) as out:
                    for part in parts:
                        with open(self.data_path(part.data_id), "rb", buffering=0) as source:
                            copy_bytes(source.fileno(), out.fileno(), part.size)
            target.size = sum(p.size for p in parts)
            record = ObjectRecord(
                bucket=upload.bucket,
                key=upload.key,
                data_id="",
                size=target.size,
                etag=f'"{md5_of_md5s}-{len(parts)}"',
                crc64=crc,
                object_type="normal",
                storage_class=upload.storage_class,
                last_modified=time.time(),
                metadata=upload.metadata,
            )
            with self._lock:
                if self.get_upload(upload.upload_id) is None:
                    raise UploadGone()
                record = replace(record, data_id=self._place(target))
                stale = [p.data_id for p in self.list_parts(upload.upload_id)]
                with self._transaction():
                    stale += self._write_object(record)
                    self._db.execute("DELETE FROM parts WHERE upload_id = ?", (upload.upload_id,))
                    self._db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
                self._unlink_data(stale)
        return record

    # --- copies -------------------------------------------------------------------

    def copy_object(
        self,
        source: ObjectRecord,
        source_file: BinaryIO,
        bucket: str,
        key: str,
        *,
        storage_class: str,
        metadata: Metadata,
    ) -> ObjectRecord:
        """A new object ``bucket``/``key`` with the bytes of ``source`` (read from
        ``source_file``, opened by :meth:`open_object`), its ETag and CRC-64.

        The bytes are the same, so is their CRC-64; the ETag is kept too (a
        copy of a multipart object still says how it was uploaded), which spares
        hashing: the kernel copies the file where it can.
        """
        with self.incoming() as target:
            if not self.discard_bodies:
                with open(target.path, "r+b", buffering=0) as out:
                    os.lseek(source_file.fileno(), 0, os.SEEK_SET)
                    copy_bytes(source_file.fileno(), out.fileno(), source.size)
            target.size = source.size
            record = ObjectRecord(
                bucket=bucket,
                key=key,
                data_id="",
                size=source.size,
                etag=source.etag,
                crc64=source.crc64,
                object_type="normal",
                storage_class=storage_class,
                last_modified=time.time(),
                metadata=metadata,
            )
            with self._lock:
                record = replace(record, data_id=self._place(target))
                with self._transaction():
                    stale = self._write_object(record)
                self._unlink_data(stale)
        return record


def skip_to_bytes(key: str) -> bytes:
    """The lower bound that skips every key starting with ``key``."""
    return _encode_key(key) + _AFTER_ALL_WITH_PREFIX


def copy_bytes(source_fd: int, out_fd: int, length: int) -> None:
    """Copy ``length`` bytes from ``source_fd``'s position to ``out_fd``'s (both
    advance). The kernel copies where ``os.copy_file_range`` exists (Linux) and
    works on these files; elsewhere, or after it gives up, plain reads and writes
    copy the rest. Raises OSError if the source ends early or a write fails."""
    remaining = length
    kernel_copy = getattr(os, "copy_file_range", None)
    while remaining > 0 and kernel_copy is not None:
        try:
            copied = kernel_copy(source_fd, out_fd, min(remaining, 1 << 30))
        except OSError as error:
            if error.errno not in _KERNEL_COPY_UNSUPPORTED:
                raise
            break
        if copied <= 0:
            break  # the source ended early, or the kernel declines: read to find out
        remaining -= copied
    while remaining > 0:
        chunk = os.read(source_fd, min(remaining, _COPY_STEP_BYTES))
        if not chunk:
            raise OSError(errno.EIO, "a data file is shorter than its record")
        view = memoryview(chunk)
        while view:
            view = view[os.write(out_fd, view) :]
        remaining -= len(chunk)

"""Where a task's bytes come from, and checking them: CRC-64 (always) and MD5
(when asked) of what is sent, compared with what COS says it stored.

A :class:`HashingBody` computes the CRC-64 of a part while the client streams
it, so a part is read from disk once; MD5 (about 20x slower than CRC-64 here)
is computed only when Content-MD5, UploadAddMetaMd5 or a resume check needs it,
or when the server sent no CRC-64 to check against (see ``verification.py``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cosdesk.cos.body import BytesBody, ChecksummedBody, FileSlice, RequestBody
from cosdesk.cos.crc import crc64, crc64_combine

READ_CHUNK = 1024 * 1024


class SourceError(Exception):
    """The local source cannot be read (missing, unreadable, not a file)."""


@dataclass(frozen=True)
class SourceState:
    size: int
    mtime_ns: int | None


class Source:
    """The bytes of one task: a local file or an in-memory body."""

    def stat(self) -> SourceState:
        raise NotImplementedError

    def body(self, offset: int, length: int) -> RequestBody:
        raise NotImplementedError

    def chunks(self, offset: int, length: int) -> Iterator[bytes]:
        raise NotImplementedError


class FileSource(Source):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def stat(self) -> SourceState:
        # One stat call (not stat, then is_file's second one): each is a system
        # call that lets the other upload threads take the GIL.
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            raise SourceError(f"{self.path} no longer exists") from None
        except OSError as error:
            raise SourceError(f"cannot read {self.path}: {error.strerror or error}") from None
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{self.path} is not a regular file")
        return SourceState(info.st_size, info.st_mtime_ns)

    def body(self, offset: int, length: int) -> RequestBody:
        return _SourceSlice(self.path, offset, length)

    def chunks(self, offset: int, length: int) -> Iterator[bytes]:
        try:
            with self.path.open("rb") as source:
                source.seek(offset)
                remaining = length
                while remaining > 0:
                    chunk = source.read(min(READ_CHUNK, remaining))
                    if not chunk:
                        raise SourceError(f"{self.path} is shorter than expected (did it change?)")
                    remaining -= len(chunk)
                    yield chunk
        except OSError as error:
            raise SourceError(f"cannot read {self.path}: {error.strerror or error}") from None


class _SourceSlice(FileSlice):
    """A FileSlice whose read failures say what happened to the file (SourceError),
    not a bare FileNotFoundError from deep inside the HTTP client."""

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from super().chunks()
        except FileNotFoundError:
            raise SourceError(f"{self.path} no longer exists") from None
        except OSError as error:
            raise SourceError(f"cannot read {self.path}: {error.strerror or error}") from None


class MemorySource(Source):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stat(self) -> SourceState:
        return SourceState(len(self.data), None)

    def body(self, offset: int, length: int) -> RequestBody:
        return BytesBody(self.data[offset : offset + length])

    def chunks(self, offset: int, length: int) -> Iterator[bytes]:
        view = memoryview(self.data)[offset : offset + length]
        for start in range(0, len(view), READ_CHUNK):
            yield bytes(view[start : start + READ_CHUNK])


class HashingBody(ChecksummedBody):
    """Wraps a replayable body and computes the CRC-64 (and optionally MD5) of
    the bytes actually handed to the client. Every new send starts the hashes
    afresh, so after a retried request they describe the last attempt.
    ``with_md5`` is read at the start of each send: a retry may turn it on.

    ``before_last_chunk`` (if given) runs once all bytes are read and before the
    last chunk goes out; raising there cuts the request short, so the server
    never stores the body (e.g. when the file changed while it was read)."""

    def __init__(
        self,
        inner: RequestBody,
        *,
        with_md5: bool = False,
        before_last_chunk: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self.with_md5 = with_md5
        self._before_last_chunk = before_last_chunk
        self.crc64 = 0
        self.bytes_read = 0
        self._md5: hashlib._Hash | None = None

    @property
    def content_length(self) -> int:
        return self._inner.content_length

    @property
    def replayable(self) -> bool:
        return self._inner.replayable

    @property
    def complete(self) -> bool:
        return self.bytes_read == self.content_length

    @property
    def md5_hex(self) -> str | None:
        return self._md5.hexdigest() if self._md5 is not None else None

    def chunks(self) -> Iterator[bytes]:
        self.crc64 = 0
        self.bytes_read = 0
        self._md5 = hashlib.md5(usedforsecurity=False) if self.with_md5 else None
        for chunk in self._inner.chunks():
            self.crc64 = crc64(chunk, self.crc64)
            if self._md5 is not None:
                self._md5.update(chunk)
            self.bytes_read += len(chunk)
            if self._before_last_chunk is not None and self.bytes_read == self.content_length:
                self._before_last_chunk()
            yield chunk


@dataclass(frozen=True)
class RegionDigest:
    size: int
    crc64: int
    md5_hex: str | None


def digest_region(
    source: Source,
    offset: int,
    length: int,
    *,
    with_md5: bool,
    on_bytes: Callable[[int], None] | None = None,
) -> RegionDigest:
    """CRC-64 (and MD5) of ``length`` bytes of ``source`` from ``offset``.
    ``on_bytes(n)`` runs after each chunk (hash progress; it may raise to stop)."""
    crc = 0
    md5 = hashlib.md5(usedforsecurity=False) if with_md5 else None
    for chunk in source.chunks(offset, length):
        crc = crc64(chunk, crc)
        if md5 is not None:
            md5.update(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return RegionDigest(length, crc, md5.hexdigest() if md5 is not None else None)


def combine_crc64(parts: list[tuple[int, int]]) -> int:
    """The CRC-64 of the concatenation of parts given as ``(crc64, size)`` in order."""
    total = 0
    for part_crc, size in parts:
        total = crc64_combine(total, part_crc, size)
    return total


def md5_base64(md5_hex: str) -> str:
    """Content-MD5 header value from a hex MD5."""
    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def etag_matches_md5(etag: str | None, md5_hex: str | None) -> bool:
    """Whether a simple upload's (or a part's) ETag is this MD5. COS quotes ETags."""
    if not etag or not md5_hex:
        return False
    return etag.strip().strip('"').lower() == md5_hex.lower()

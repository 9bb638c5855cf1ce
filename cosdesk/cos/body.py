"""Request bodies that stream: from memory, from a region of a file, or from a stream.

httpx is given an iterator of chunks (1 MiB) and an explicit Content-Length:
handing it ``content=bytes`` for large parts lets old buffers pile up until the
cycle collector runs, and reading a file whole would hold it all in memory. Only
a small body is joined into one ``bytes`` by the client (see ARCHITECTURE.md,
'Streaming request bodies').

A body is *replayable* when :meth:`RequestBody.chunks` can start again from the
first byte: bytes, a path and a :class:`FileSlice` always are (the file is
reopened), a seekable file object is (it is rewound to where it started); an
iterable of bytes is not, so a request with such a body cannot be retried.
"""

from __future__ import annotations

import base64
import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeAlias, cast, runtime_checkable

from cosdesk.cos.errors import CosBodyError, CosValidationError

CHUNK_SIZE = 1024 * 1024
# Windows opens files in text mode unless told otherwise.
_O_BINARY = getattr(os, "O_BINARY", 0)


class RequestBody(ABC):
    """A body of known length that can be produced as a sequence of chunks."""

    @property
    @abstractmethod
    def content_length(self) -> int: ...

    @property
    @abstractmethod
    def replayable(self) -> bool:
        """Whether :meth:`chunks` may be called again to send the body again."""

    @abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """The body from its first byte, in chunks of at most CHUNK_SIZE.

        Raises CosBodyError (while iterating) if the source does not yield exactly
        ``content_length`` bytes, or if a one-shot body is asked for twice.
        """

    def counted_chunks(self) -> Iterator[tuple[bytes, int]]:
        """Each chunk with the number of its bytes that count as progress."""
        for chunk in self.chunks():
            yield chunk, len(chunk)

    def md5_base64(self) -> str:
        """Base64 of the MD5 of the body (the Content-MD5 header); reads a
        replayable body once more, refuses a one-shot one."""
        if not self.replayable:
            raise CosValidationError(
                "Content-MD5 cannot be computed for a one-shot stream; pass content_md5 as text"
            )
        digest = hashlib.md5(usedforsecurity=False)
        for chunk in self.chunks():
            digest.update(chunk)
        return base64.b64encode(digest.digest()).decode("ascii")


class ChecksummedBody(RequestBody):
    """A body that computes the CRC-64 of the bytes its :meth:`chunks` yields, in
    ``crc64`` (of the last run, from the first byte), so the client need not
    compute it a second time to check the server's."""

    crc64: int


class BytesBody(RequestBody):
    """A body held in memory (small bodies: strings, XML, tests)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def content_length(self) -> int:
        return len(self._data)

    @property
    def replayable(self) -> bool:
        return True

    def chunks(self) -> Iterator[bytes]:
        view = memoryview(self._data)
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])

    def __repr__(self) -> str:
        return f"BytesBody({len(self._data)} bytes)"


@dataclass(frozen=True)
class FileSlice(RequestBody):
    """``length`` bytes of the file at ``path`` starting at ``offset``: a
    multipart part, or a whole file. The file is opened afresh for every send,
    so a retried request re-reads it from the slice's start."""

    path: Path
    offset: int
    length: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.offset < 0 or self.length < 0:
            raise CosValidationError(
                f"FileSlice offset and length must be >= 0, got {self.offset}, {self.length}"
            )

    @classmethod
    def whole(cls, path: str | os.PathLike[str]) -> FileSlice:
        """The whole file as it is now (its size is read once, here)."""
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise CosValidationError(f"cannot read {path}: {error.strerror or error}") from None
        if not path.is_file():
            raise CosValidationError(f"{path} is not a regular file")
        return cls(path, 0, size)

    @property
    def content_length(self) -> int:
        return self.length

    @property
    def replayable(self) -> bool:
        return True

    def chunks(self) -> Iterator[bytes]:
        # Unbuffered reads on a bare descriptor: opening a file object costs four
        # more system calls (fstat, isatty, two seeks), each a point where another
        # upload thread takes the GIL, and a small file is all open and close.
        descriptor = os.open(self.path, os.O_RDONLY | _O_BINARY)
        try:
            if self.offset:
                os.lseek(descriptor, self.offset, os.SEEK_SET)
            remaining = self.length
            while remaining > 0:
                chunk = os.read(descriptor, min(CHUNK_SIZE, remaining))
                if not chunk:
                    raise CosBodyError(
                        f"{self.path} is shorter than expected: {remaining} bytes missing "
                        f"of {self.length} from offset {self.offset} (did it change while uploading?)"
                    )
                remaining -= len(chunk)
                yield chunk
        finally:
            os.close(descriptor)


@runtime_checkable
class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Seekable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


class StreamBody(RequestBody):
    """A body read from a binary file object or an iterable of bytes, with a
    declared length. Replayable only for a seekable file object."""

    def __init__(self, source: BinaryIO | _Readable | Iterable[bytes], content_length: int) -> None:
        if content_length < 0:
            raise CosValidationError(f"content_length must be >= 0, got {content_length}")
        self._source = source
        self._length = content_length
        self._start: int | None = None
        self._used = False
        seekable = getattr(source, "seekable", None)
        if isinstance(source, _Readable) and callable(seekable) and seekable():
            self._start = cast(_Seekable, source).tell()

    @property
    def content_length(self) -> int:
        return self._length

    @property
    def replayable(self) -> bool:
        return self._start is not None

    def chunks(self) -> Iterator[bytes]:
        if self._used and self._start is None:
            raise CosBodyError(
                "a one-shot stream cannot be sent twice; pass bytes, a Path, a FileSlice or a "
                "seekable file to allow retries"
            )
        self._used = True
        return self._checked(self._raw_chunks())

    def _raw_chunks(self) -> Iterator[bytes]:
        source = self._source
        if isinstance(source, _Readable):
            if self._start is not None:
                cast(_Seekable, source).seek(self._start)
            remaining = self._length
            while remaining > 0:
                chunk = source.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield bytes(chunk)
            return
        for chunk in source:
            # Re-slice large chunks so progress and memory stay bounded.
            for start in range(0, len(chunk), CHUNK_SIZE):
                yield bytes(chunk[start : start + CHUNK_SIZE])

    def _checked(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        sent = 0
        for chunk in chunks:
            if not chunk:
                continue
            sent += len(chunk)
            if sent > self._length:
                raise CosBodyError(
                    f"the stream gave more than the declared content_length of {self._length} bytes"
                )
            yield chunk
        if sent != self._length:
            raise CosBodyError(
                f"the stream ended after {sent} bytes, before the declared content_length of {self._length}"
            )


# What the client's ``body`` parameters accept (see make_body).
BodyLike: TypeAlias = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | RequestBody | BinaryIO | Iterable[bytes] | None
)


def make_body(body: BodyLike, content_length: int | None = None) -> RequestBody:
    """Turn what a caller passed as ``body`` into a RequestBody.

    Accepts bytes (and bytearray, memoryview), str (sent as UTF-8), a path
    (``pathlib.Path`` or any ``os.PathLike``: the whole file, streamed), a
    RequestBody (FileSlice...), a binary file object, or an iterable of bytes
    with ``content_length``. Raises CosValidationError if the length is unknown
    or disagrees with ``content_length``.
    """
    result: RequestBody
    if body is None:
        result = BytesBody(b"")
    elif isinstance(body, RequestBody):
        result = body
    elif isinstance(body, bytes | bytearray | memoryview):
        result = BytesBody(bytes(body))
    elif isinstance(body, str):
        result = BytesBody(body.encode("utf-8"))
    elif isinstance(body, os.PathLike):
        result = FileSlice.whole(body)
    elif isinstance(body, _Readable):
        if content_length is None:
            content_length = _remaining_length(body)
        return StreamBody(body, content_length)
    elif isinstance(body, Iterable):
        if content_length is None:
            raise CosValidationError("an iterable body needs an explicit content_length")
        return StreamBody(body, content_length)
    else:
        raise CosValidationError(f"unsupported body type {type(body).__name__}")
    if content_length is not None and content_length != result.content_length:
        raise CosValidationError(
            f"content_length {content_length} differs from the body's length {result.content_length}"
        )
    return result


def _remaining_length(stream: _Readable) -> int:
    """Bytes left in a seekable file object; raises CosValidationError if it is not seekable."""
    seekable = cast(_Seekable, stream)
    try:
        position = seekable.tell()
        return int(os.fstat(cast(BinaryIO, stream).fileno()).st_size - position)
    except (AttributeError, OSError, ValueError):
        pass
    try:
        position = seekable.tell()
        end = seekable.seek(0, os.SEEK_END)
        seekable.seek(position)
        return int(end - position)
    except (AttributeError, OSError, ValueError):
        raise CosValidationError("a stream body that cannot seek needs an explicit content_length") from None


class ConcatBody(RequestBody):
    """Several bodies sent one after the other (a form upload: fields, file, closing
    boundary). Only the parts marked as payload count as progress, so a form
    upload reports exactly the file's bytes."""

    def __init__(self, parts: Iterable[tuple[RequestBody, bool]]) -> None:
        self._parts = list(parts)

    @property
    def content_length(self) -> int:
        return sum(part.content_length for part, _ in self._parts)

    @property
    def replayable(self) -> bool:
        return all(part.replayable for part, _ in self._parts)

    def chunks(self) -> Iterator[bytes]:
        for chunk, _ in self.counted_chunks():
            yield chunk

    def counted_chunks(self) -> Iterator[tuple[bytes, int]]:
        for part, is_payload in self._parts:
            for chunk in part.chunks():
                yield chunk, len(chunk) if is_payload else 0

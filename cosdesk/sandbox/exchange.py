"""What an operation sees of a request, and what it answers (no HTTP plumbing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from cosdesk.sandbox.body import BodyReader


@dataclass
class Response:
    """An answer. ``file`` (with offset and length) streams an object's bytes;
    the HTTP layer closes it. For HEAD, Content-Length is set but nothing is sent."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    file: BinaryIO | None = None
    file_offset: int = 0
    file_length: int = 0
    rate_limit_bytes_per_s: float | None = None


class Exchange(Protocol):
    """One request as the operations see it."""

    method: str
    bucket: str
    key: str
    request_id: str
    content_length: int | None
    chunked: bool

    def param(self, name: str) -> str | None: ...

    def has_param(self, name: str) -> bool: ...

    def header(self, name: str) -> str | None: ...

    def header_items(self) -> list[tuple[str, str]]: ...

    def open_body(self, rate_limit_bytes_per_s: float | None = None) -> BodyReader:
        """Start reading the body: sends ``100 Continue`` when the client waits for
        it, so every check that can refuse the request must come before this."""
        ...

"""Sending hand-made bytes to a server and reading back one answer, for the tests
that must say exactly what goes on the wire (broken framing, truncated heads)."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field


@dataclass
class RawAnswer:
    """What came back on one connection: the first response (status 0 when none
    came), and whether the server closed the connection after it."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False

    @property
    def error_code(self) -> str | None:
        start, end = self.body.find(b"<Code>"), self.body.find(b"</Code>")
        return self.body[start + 6 : end].decode() if 0 <= start < end else None


class AnswerReader:
    """Reads answers from one connection, one after another (pipelined ones too)."""

    def __init__(self, sock: socket.socket, timeout_s: float = 5.0) -> None:
        self._sock = sock
        self._buffer = b""
        sock.settimeout(timeout_s)

    def _more(self) -> bool:
        try:
            chunk = self._sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        self._buffer += chunk
        return bool(chunk)

    def answer(self, *, to_head: bool = False) -> RawAnswer:
        """The next response (``to_head``: the answer to a HEAD, with no body); raises TimeoutError when the
        server neither answers nor closes in time."""
        answer = RawAnswer()
        while b"\r\n\r\n" not in self._buffer:
            if not self._more():
                answer.closed = True
                return answer
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        answer.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            answer.headers[name.strip().lower()] = value.strip()
        length = 0 if to_head else int(answer.headers.get("content-length", "0"))
        while len(self._buffer) < length:
            if not self._more():
                answer.closed = True
                break
        answer.body, self._buffer = self._buffer[:length], self._buffer[length:]
        if answer.headers.get("connection", "").lower() == "close" and not answer.closed and not self._buffer:
            with contextlib.suppress(TimeoutError, OSError):
                answer.closed = not self._more()
        return answer


def send_raw(port: int, data: bytes, *, finish_sending: bool = True, timeout_s: float = 5.0) -> RawAnswer:
    """Open a connection, send ``data`` (then end the sending side unless told not
    to) and read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
            if finish_sending:
                sock.shutdown(socket.SHUT_WR)
        return AnswerReader(sock, timeout_s).answer()


def head_bytes(request_line: str, headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    text = request_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in items) + "\r\n"
    return text.encode("latin-1")

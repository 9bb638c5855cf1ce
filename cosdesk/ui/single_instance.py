"""One window per task database: a second ``cosdesk gui`` hands its files to the
window that already runs on that database, and exits.

The window listens on a local socket (a Unix domain socket, a named pipe on
Windows) whose name is this user's and this database's, so ``--db OTHER`` is
another window and another user's window is never reached. A later launch
connects, sends the paths as one line of JSON and waits for the window's
answer, also one line of JSON, before it exits.

A window that crashed leaves its socket file behind: nothing answers on it, so
the next window removes it and listens in its place.

The second launch's side (:func:`hand_over`) needs no QApplication: it runs
before any window is made, and loads QtCore and QtNetwork only.
"""

from __future__ import annotations

import enum
import getpass
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

# How long a second launch waits for the socket to accept it (a live window's
# kernel queue accepts at once; a stale socket file refuses at once).
CONNECT_TIMEOUT_MS = 2_000
# How long it waits for the window's answer: the window answers from its event
# loop, which a start-up still in progress may hold for a few seconds.
ANSWER_TIMEOUT_S = 15.0
# A request is one line; more than this is not a list of paths.
MAX_REQUEST_BYTES = 32 * 1024 * 1024


class HandOver(enum.Enum):
    """What became of a second launch's attempt to reach a running window."""

    # The window took the paths (and came to the front).
    DONE = "done"
    # No window runs on this database: this launch should open one.
    NO_WINDOW = "no window"
    # Something listens but did not answer in time (or answered nonsense).
    NO_ANSWER = "no answer"


def _user_tag() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment
        return "user"


def server_name(db_path: Path) -> str:
    """The socket name for the window on ``db_path``: the same for every launch of
    this user on this database (however the path is spelled), different otherwise.

    On Unix it is a path in the user's private runtime folder when the desktop
    provides one (``XDG_RUNTIME_DIR``), else in the temporary folder, where the
    socket itself is made readable by this user only."""
    digest = hashlib.sha256(os.path.realpath(db_path).encode("utf-8", "surrogateescape")).hexdigest()
    name = f"cosdesk-{_user_tag()}-{digest[:20]}"
    if sys.platform == "win32":
        return name
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime_dir if runtime_dir and os.path.isdir(runtime_dir) else tempfile.gettempdir()
    return os.path.join(folder, name)


def _owned_by_someone_else(name: str) -> bool:
    """True when ``name`` is a socket file another user made: handing our paths to
    it would tell them what we upload."""
    if not hasattr(os, "getuid") or not os.path.isabs(name):
        return False
    try:
        return os.stat(name).st_uid != os.getuid()
    except OSError:
        return False


def _answers(name: str) -> bool:
    """Whether a live window listens on ``name`` (a stale socket file refuses)."""
    probe = QLocalSocket()
    probe.connectToServer(name)
    if not probe.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    probe.abort()
    return True


def _encode(document: object) -> bytes:
    # ensure_ascii keeps undecodable file-name bytes (surrogate escapes) intact.
    return json.dumps(document, ensure_ascii=True).encode("ascii") + b"\n"


def hand_over(name: str, paths: list[str]) -> HandOver:
    """Give ``paths`` to the window listening on ``name``, and wait until it says
    it has them. Blocking; made for the start of a launch, before any window."""
    if _owned_by_someone_else(name):
        log.warning("the socket %s belongs to another user: not handing anything to it", name)
        return HandOver.NO_WINDOW
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return HandOver.NO_WINDOW
    deadline = time.monotonic() + ANSWER_TIMEOUT_S

    def remaining_ms() -> int:
        return max(1, int((deadline - time.monotonic()) * 1000))

    socket.write(_encode({"paths": paths}))
    while socket.bytesToWrite() > 0:
        if time.monotonic() > deadline or not socket.waitForBytesWritten(remaining_ms()):
            return HandOver.NO_ANSWER
    answer = b""
    while b"\n" not in answer:
        if time.monotonic() > deadline or not socket.waitForReadyRead(remaining_ms()):
            return HandOver.NO_ANSWER
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    try:
        accepted = json.loads(answer.split(b"\n", 1)[0]).get("accepted")
    except (ValueError, AttributeError):
        return HandOver.NO_ANSWER
    return HandOver.DONE if accepted == len(paths) else HandOver.NO_ANSWER


class InstanceServer(QObject):
    """The running window's end: listens on :func:`server_name` and passes what later
    launches send to the handler given to :meth:`serve`.

    Until :meth:`serve` is called, launches that connect are left waiting (their
    paths must not be answered before a window can take them)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        # Only this user may connect (on Unix: the socket file's mode).
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept_waiting)
        self._handler: Callable[[list[str]], None] | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening, in place of a socket left by a window that crashed.
        False when a live window listens (one that started meanwhile) or the name
        cannot be used."""
        # Asked first: with UserAccessOption, Qt makes the socket aside and renames
        # it over the name, which would take the name from a live window too.
        if _answers(self.name):
            return False
        if self._server.listen(self.name):
            return True
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            log.info("removing the socket a cosdesk window left behind: %s", self.name)
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                return True
        log.warning("cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    def serve(self, handler: Callable[[list[str]], None]) -> None:
        """From now on, pass each later launch's paths to ``handler`` (then answer it)."""
        self._handler = handler
        self._accept_waiting()

    def close(self) -> None:
        self._handler = None
        self._server.close()
        for socket in list(self._buffers):
            socket.abort()
        self._buffers.clear()

    @Slot()
    def _accept_waiting(self) -> None:
        if self._handler is None:
            return
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            self._read(socket)
            if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                self._forget(socket)  # gone before it was served (a liveness probe)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        buffer = self._buffers[socket] + bytes(socket.readAll().data())
        self._buffers[socket] = buffer
        if b"\n" not in buffer:
            if len(buffer) > MAX_REQUEST_BYTES:
                socket.abort()
            return
        del self._buffers[socket]
        line = buffer.split(b"\n", 1)[0]
        try:
            request = json.loads(line)
            paths = [str(path) for path in request["paths"]]
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed request from another cosdesk launch")
            socket.abort()
            return
        log.info("another cosdesk launch handed over %d item(s)", len(paths))
        assert self._handler is not None
        try:
            self._handler(paths)
        except Exception:  # the launch is told nothing was taken: it says so and fails
            log.exception("the window could not take the handed-over paths")
            socket.abort()
            return
        socket.write(_encode({"accepted": len(paths)}))
        # Leaves once the answer is written; the peer closes too.
        socket.disconnectFromServer()

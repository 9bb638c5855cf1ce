"""The first-run local COS server, started off the GUI thread.

With no account configured the window starts an in-process ``SandboxServer``
under the data dir, so a new user can drop a file in at once. It tries the port
it had last time first: tasks restored from an earlier run carry the endpoint URL
they were queued with.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cosdesk.sandbox.server import SandboxServer
from cosdesk.ui.accounts import SANDBOX_BUCKET, SANDBOX_CREDENTIALS, SANDBOX_REGION

log = logging.getLogger(__name__)


class _Start(QRunnable):
    def __init__(self, runner: SandboxRunner, root: Path, preferred_port: int) -> None:
        super().__init__()
        self._runner = runner
        self._root = root
        self._preferred_port = preferred_port

    def run(self) -> None:
        server = None
        error_text = ""
        for port in dict.fromkeys((self._preferred_port, 0)):
            candidate = SandboxServer(
                root=self._root,
                port=port,
                buckets=[SANDBOX_BUCKET],
                credentials={SANDBOX_CREDENTIALS.secret_id: SANDBOX_CREDENTIALS.secret_key},
                region=SANDBOX_REGION,
            )
            try:
                server = candidate.start()
                break
            except OSError as error:
                error_text = str(error)
                log.info("local sandbox could not use port %s: %s", port, error)
        self._runner._started_in_worker(server, error_text)


class SandboxRunner(QObject):
    """Starts and stops the local server; reports through signals."""

    # The server listens: its endpoint URL (http://127.0.0.1:PORT).
    started = Signal(str)
    # It could not start: a message for the user.
    failed = Signal(str)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self.server: SandboxServer | None = None

    @property
    def endpoint(self) -> str | None:
        return self.server.endpoint if self.server is not None else None

    def start(self, root: Path, preferred_port: int = 0) -> None:
        self._pool.start(_Start(self, root, preferred_port))

    def _started_in_worker(self, server: SandboxServer | None, error_text: str) -> None:
        # Runs on the worker: the signals are queued to the GUI thread.
        if server is None:
            self.failed.emit(error_text)
            return
        self.server = server
        self.started.emit(server.endpoint)

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop()
